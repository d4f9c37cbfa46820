/* The parent's connection sockets, kept out of a forked child: see fork_sockets.h for why. */
#include <fcntl.h>
#include <grpc/support/sync.h>
#include <pthread.h>
#include <stdint.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include "transport/fork_sockets.h"

#if BGI_GRPC_SOCKET_MUTATOR
/* gRPC 1.51's socket mutator (src/core/lib/iomgr/socket_mutator.h, not installed): a vtable
 * pointer and a reference count, the vtable four functions; gRPC calls mutate_fd_2 when it is
 * set, with the socket and what it is for. CMake compiles this for gRPC Core 29.x (1.51) only,
 * whose layout this is (its grpc_socket_mutator_init stores the vtable at offset 0 and the
 * count at 8; grpc_socket_mutator_mutate_fd reads mutate_fd_2 at offset 24). */
typedef struct mutate_info {
  int fd;
  int usage; /* grpc_fd_usage: 0 a client connection, 1 a listener, 2 a server connection */
} mutate_info;

typedef struct grpc_socket_mutator grpc_socket_mutator;

typedef struct mutator_vtable {
  bool (*mutate_fd)(int fd, grpc_socket_mutator *mutator);
  int (*compare)(grpc_socket_mutator *a, grpc_socket_mutator *b);
  void (*destroy)(grpc_socket_mutator *mutator);
  bool (*mutate_fd_2)(const mutate_info *info, grpc_socket_mutator *mutator);
} mutator_vtable;

struct grpc_socket_mutator {
  const mutator_vtable *vtable;
  gpr_refcount refcount;
};

enum { USAGE_CLIENT_CONNECTION = 0 };

/* One recorded socket: its descriptor and what it was (a number is reused once gRPC closes the
 * socket, so the child touches a descriptor only if it is still that socket). */
typedef struct recorded {
  int fd;
  dev_t dev;
  ino_t ino;
} recorded;

static pthread_mutex_t record_mu = PTHREAD_MUTEX_INITIALIZER;
static recorded *record; /* one entry per descriptor number, replaced when the number is reused */
static size_t record_len, record_cap;
static int devnull = -1;

static void remember(int fd) {
  struct stat st;
  if (fstat(fd, &st) != 0)
    return;
  pthread_mutex_lock(&record_mu);
  size_t i = 0;
  while (i < record_len && record[i].fd != fd)
    i++;
  if (i == record_len) {
    if (record_len == record_cap) {
      size_t cap = record_cap ? record_cap * 2 : 16;
      recorded *grown = realloc(record, cap * sizeof *grown);
      if (!grown) { /* not recorded: this socket is left to gRPC's own reset, as before */
        pthread_mutex_unlock(&record_mu);
        return;
      }
      record = grown;
      record_cap = cap;
    }
    record_len++;
  }
  record[i] = (recorded){.fd = fd, .dev = st.st_dev, .ino = st.st_ino};
  pthread_mutex_unlock(&record_mu);
}

static bool mutate_fd(int fd, grpc_socket_mutator *mutator) {
  (void)mutator;
  remember(fd); /* only called for client connections and listeners; we make no listeners */
  return true;
}

static bool mutate_fd_2(const mutate_info *info, grpc_socket_mutator *mutator) {
  (void)mutator;
  if (info->usage == USAGE_CLIENT_CONNECTION)
    remember(info->fd);
  return true; /* false would fail the connection */
}

static int compare(grpc_socket_mutator *a, grpc_socket_mutator *b) {
  return a == b ? 0 : (uintptr_t)a < (uintptr_t)b ? -1 : 1;
}

static void destroy(grpc_socket_mutator *mutator) { (void)mutator; } /* static, never freed */

static const mutator_vtable vtable = {mutate_fd, compare, destroy, mutate_fd_2};
static grpc_socket_mutator mutator;

/* The channel argument's own copy/destroy/compare: the one static mutator, never released. */
static void *arg_copy(void *p) { return p; }
static void arg_destroy(void *p) { (void)p; }
static int arg_compare(void *a, void *b) { return compare(a, b); }
static const grpc_arg_pointer_vtable arg_vtable = {arg_copy, arg_destroy, arg_compare};

static void init_mutator(void) {
  mutator.vtable = &vtable;
  gpr_ref_init(&mutator.refcount, 1); /* the one reference that is never dropped */
  devnull = open("/dev/null", O_RDWR | O_CLOEXEC);
}

static pthread_once_t mutator_once = PTHREAD_ONCE_INIT;

bool bgi_fork_sockets_arg(grpc_arg *arg) {
  pthread_once(&mutator_once, init_mutator);
  if (devnull < 0)
    return false;
  *arg = (grpc_arg){.type = GRPC_ARG_POINTER,
                    .key = (char *)GRPC_ARG_SOCKET_MUTATOR,
                    .value.pointer = {.p = &mutator, .vtable = &arg_vtable}};
  return true;
}

void bgi_fork_sockets_hold(void) { pthread_mutex_lock(&record_mu); }

void bgi_fork_sockets_release(void) { pthread_mutex_unlock(&record_mu); }

void bgi_fork_sockets_child(void) {
  pthread_mutex_init(&record_mu, NULL); /* held by the prefork handler in the parent */
  if (devnull < 0)
    return;
  for (size_t i = 0; i < record_len; i++) {
    struct stat st;
    if (fstat(record[i].fd, &st) == 0 && st.st_dev == record[i].dev && st.st_ino == record[i].ino)
      if (dup2(devnull, record[i].fd) == record[i].fd) /* the number stays taken: gRPC's copies
                                                          of the parent's objects hold it */
        fcntl(record[i].fd, F_SETFD, FD_CLOEXEC);      /* as gRPC opened the socket */
  }
}
#else
bool bgi_fork_sockets_arg(grpc_arg *arg) {
  (void)arg;
  return false;
}
void bgi_fork_sockets_hold(void) {}
void bgi_fork_sockets_release(void) {}
void bgi_fork_sockets_child(void) {}
#endif
