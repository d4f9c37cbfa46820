/* The parent's connection sockets, kept out of a forked child (fork_sockets.c).
 *
 * gRPC 1.51's child reset (grpc_postfork_child) is meant to close, in the child, every socket
 * gRPC opened in the parent; with the poll strategy it closes none of the library's connection
 * sockets (seen with strace: the child's reset closes one eventfd; the parent's connection
 * stays open in the child). The child's gRPC threads then poll the parent's channels (the
 * backup poller, every 50 ms) and read the parent's socket: the bytes they take are lost to the
 * parent, whose HTTP/2 stream goes out of step (docs/INTERNALS.md, fork()). So every channel
 * gets a socket mutator that records the client connection sockets gRPC opens for it, and the
 * child handler points each one still open at /dev/null in the child before anything else runs
 * there. */
#ifndef BGI_TRANSPORT_FORK_SOCKETS_H
#define BGI_TRANSPORT_FORK_SOCKETS_H

#include <grpc/grpc.h>
#include <stdbool.h>

/* Fills `arg` with the channel argument that records the channel's connection sockets; false
 * (nothing to add) when this build of gRPC gives no way to (another release than 1.51). */
bool bgi_fork_sockets_arg(grpc_arg *arg);

/* Around fork(): the prefork handler holds the record so that no thread is changing it while
 * the process is copied; the parent's handler lets it go. */
void bgi_fork_sockets_hold(void);
void bgi_fork_sockets_release(void);

/* In the child, first thing: each recorded socket that is still the one recorded becomes
 * /dev/null in this process (the parent's connection is untouched: only the child's descriptor
 * changes). Async-signal-safe calls only (fstat, dup2). */
void bgi_fork_sockets_child(void);

#endif
