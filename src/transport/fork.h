/* fork() and the library: what a child process may use, and keeping the parent undisturbed.
 *
 * A forked child inherits the parent's gRPC state: its sockets (one TCP connection shared by two
 * processes corrupts the HTTP/2 stream on both sides), its epoll set (a kernel object that
 * parent and child then share, so either may take the other's edge-triggered events) and its
 * background threads' bookkeeping (the threads themselves are gone in the child). So:
 *   - gRPC Core's fork support is turned on before the library first initialises gRPC
 *     (GRPC_ENABLE_FORK_SUPPORT, unless the user set it), and pthread_atfork handlers run
 *     grpc_prefork/grpc_postfork_parent/grpc_postfork_child, which give the child a new epoll
 *     set and restart gRPC's threads there;
 *   - gRPC skips that reset when another thread is inside gRPC at fork time, so the prefork
 *     handler first brings the library's own threads out of gRPC (the gate below: waits on
 *     completion queues and call starts enter it; async engines are woken by the quiesce hook)
 *     and waits for them, bounded (BGI_FORK_QUIESCE_MS);
 *   - every client remembers the fork generation it was made in; a client made before a fork
 *     fails at once in the child (BG_ERR_FORKED) and never touches the parent's connection;
 *   - each channel keeps its own subchannel pool (channel.c), so a client made in the child
 *     opens its own connection instead of finding the parent's in gRPC's global pool;
 *   - each channel records the sockets gRPC connects for it, and the child handler points them
 *     at /dev/null in the child (fork_sockets.h: gRPC 1.51's reset leaves them open there).
 * When the reset could not happen (fork support off, gRPC initialised by someone else without
 * it, a call of ours still inside gRPC after the bound), the child may not use gRPC at all:
 * bgi_fork_check_new_client() refuses with the reason. */
#ifndef BGI_TRANSPORT_FORK_H
#define BGI_TRANSPORT_FORK_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>

#include "bentogrpc/common.h"

/* How long the prefork handler waits for the library's threads to leave gRPC. */
#define BGI_FORK_QUIESCE_MS 1000
/* gRPC's backup poll interval with the poll strategy (fork.c, choose_poll_strategy). */
#define BGI_FORK_BACKUP_POLL_MS "50"
/* How long gRPC's own prefork may take before the watchdog releases it (fork.c). */
/* The least time fork.c gives itself to block gRPC again after releasing its prefork. */
#define BGI_FORK_REBLOCK_MS 200
#ifndef BGI_FORK_PREFORK_BOUND_MS /* a debugging build may hold a stuck prefork longer */
#define BGI_FORK_PREFORK_BOUND_MS 300
#endif

/* grpc_init() for the library: the first call turns gRPC's fork support on (when the user has
 * not chosen) and registers the fork handlers. Balanced by grpc_shutdown(). */
void bgi_grpc_init(void);

/* The number of forks this process descends through: 0 in the original process, +1 in each
 * child. Clients store it when made; a relaxed load, cheap enough for every call. */
extern atomic_uint bgi_fork_generation_value;
static inline unsigned bgi_fork_generation(void) {
  return atomic_load_explicit(&bgi_fork_generation_value, memory_order_relaxed);
}

/* BG_OK when an object made in fork generation `generation` may be used here; otherwise fills
 * `err` with BG_ERR_FORKED naming `what` ("client", "async client"). */
bg_status bgi_fork_check(unsigned generation, const char *what, bg_error *err);

/* BG_OK when this process may make new clients: after a fork whose gRPC reset did not happen,
 * BG_ERR_FORKED with the reason. */
bg_status bgi_fork_check_new_client(bg_error *err);

/* The gate around the library's own work inside gRPC (a wait on a completion queue, a batch's
 * start). While a fork is being prepared, enter waits until it is over; the prefork handler
 * waits until no thread is inside. Nested enters on one thread do not wait. */
void bgi_fork_enter(void);
void bgi_fork_leave(void);

/* Called by the prefork handler, repeatedly until the gate is empty or the bound passes, to wake
 * threads asleep inside gRPC (async engines' drainers). One hook; NULL removes it. */
void bgi_fork_set_quiesce_hook(void (*hook)(void));

#endif
