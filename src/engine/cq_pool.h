/* A pool of pluck completion queues, so a sync call neither creates a queue per call nor
 * shares one between threads: each call takes a queue, plucks its own tag, gives it back. */
#ifndef BGI_ENGINE_CQ_POOL_H
#define BGI_ENGINE_CQ_POOL_H

#include <grpc/grpc.h>
#include <pthread.h>

typedef struct bgi_cq_pool {
  pthread_mutex_t mutex;
  unsigned fork_generation; /* when it was made (transport/fork.h): its client's, too */
  grpc_completion_queue **idle;
  size_t n_idle;
  size_t capacity;
} bgi_cq_pool;

void bgi_cq_pool_init(bgi_cq_pool *pool);
/* An idle queue, or a new one; NULL only when out of memory. */
grpc_completion_queue *bgi_cq_pool_take(bgi_cq_pool *pool);
/* Returns a queue with no pending work. */
void bgi_cq_pool_give(bgi_cq_pool *pool, grpc_completion_queue *cq);
/* Shuts down and destroys every idle queue; all taken queues must have been given back. In a
 * process forked after the pool was made, only the pool's own memory is freed: the queues are
 * the parent's gRPC objects, and using them here could disturb it. */
void bgi_cq_pool_fini(bgi_cq_pool *pool);

#endif
