#include <stdlib.h>

#include "engine/cq_pool.h"
#include "transport/fork.h"

static void destroy_cq(grpc_completion_queue *cq) {
  grpc_completion_queue_shutdown(cq);
  grpc_completion_queue_destroy(cq);
}

void bgi_cq_pool_init(bgi_cq_pool *pool) {
  pthread_mutex_init(&pool->mutex, NULL);
  pool->fork_generation = bgi_fork_generation();
  pool->idle = NULL;
  pool->n_idle = 0;
  pool->capacity = 0;
}

grpc_completion_queue *bgi_cq_pool_take(bgi_cq_pool *pool) {
  pthread_mutex_lock(&pool->mutex);
  grpc_completion_queue *cq = pool->n_idle > 0 ? pool->idle[--pool->n_idle] : NULL;
  pthread_mutex_unlock(&pool->mutex);
  return cq ? cq : grpc_completion_queue_create_for_pluck(NULL);
}

void bgi_cq_pool_give(bgi_cq_pool *pool, grpc_completion_queue *cq) {
  pthread_mutex_lock(&pool->mutex);
  if (pool->n_idle == pool->capacity) {
    size_t capacity = pool->capacity ? pool->capacity * 2 : 8;
    grpc_completion_queue **grown = realloc(pool->idle, capacity * sizeof *grown);
    if (!grown) { /* keep working without pooling this one */
      pthread_mutex_unlock(&pool->mutex);
      destroy_cq(cq);
      return;
    }
    pool->idle = grown;
    pool->capacity = capacity;
  }
  pool->idle[pool->n_idle++] = cq;
  pthread_mutex_unlock(&pool->mutex);
}

void bgi_cq_pool_fini(bgi_cq_pool *pool) {
  bool forked = pool->fork_generation != bgi_fork_generation();
  for (size_t i = 0; i < pool->n_idle && !forked; i++)
    destroy_cq(pool->idle[i]);
  free(pool->idle);
  pool->idle = NULL;
  pool->n_idle = pool->capacity = 0;
  if (!forked) /* a thread of the parent may have held it at fork time */
    pthread_mutex_destroy(&pool->mutex);
}
