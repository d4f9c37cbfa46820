/* gRPC 1.51's own fork bookkeeping, which its API does not expose: libgpr's count of the
 * threads inside gRPC (its ExecCtxs) and the "fork complete" flag that threads blocked by a
 * prefork wait on. fork.c's watchdog needs both to release a prefork that deadlocked without
 * disturbing the count (see grpc_fork_state.c for how they are found, and INTERNALS "fork()"). */
#ifndef BGI_TRANSPORT_GRPC_FORK_STATE_H
#define BGI_TRANSPORT_GRPC_FORK_STATE_H

#include <stdbool.h>

/* gRPC's count as read now: 2 + the threads inside while no fork is being prepared, 1 while a
 * prefork holds the block with its own ExecCtx; -1 where the state cannot be found (another
 * gRPC build or CPU, or a build without gRPC 1.51's internals). */
long bgi_grpc_fork_inside_count(void);

/* Lets the threads a prefork blocked go on, while that prefork still holds its block with its
 * own ExecCtx (the count reads 1): the count becomes "unblocked, one inside" — the prefork's
 * ExecCtx, which leaves when the prefork returns — and the waiting threads are woken. Atomic
 * with respect to the prefork ending meanwhile; false (nothing done) in any other state or
 * where the state cannot be found. */
bool bgi_grpc_fork_release_prefork(void);

#endif
