/* The async client in a plain epoll loop: the client's eventfd sits in the epoll set next to
 * whatever else the program watches; when it is readable, bg_async_client_dispatch() runs the
 * ready callbacks on this thread. No extra threads of ours, no polling.
 *
 * Sends 200 `predict` calls with 32 in flight (each callback starts the next) and checks
 * every answer (the row sums).
 *
 *   cc async_epoll.c $(pkg-config --cflags --libs bentogrpc) -o async_epoll
 *   ./async_epoll localhost:3000
 */
#include <bentogrpc/bentogrpc.h>
#include <stdio.h>
#include <sys/epoll.h>
#include <unistd.h>

enum { TOTAL = 200, IN_FLIGHT = 32 };

typedef struct app {
  bg_async_client *client;
  int started, ok, failed;
} app;

static void on_predict(bg_async_op *call, bg_status status, bg_value *output, const bg_error *err,
                       void *user_data);

/* Row i is {i, i+1, i+2, i+3}; predict answers its sum, 4i+6. */
static void start_next(app *a) {
  if (a->started == TOTAL)
    return;
  int i = a->started++;
  float row[4] = {(float)i, (float)i + 1, (float)i + 2, (float)i + 3};
  int64_t shape[2] = {1, 4};
  bg_error err;
  bg_value *input = bg_ndarray_borrow(BG_DTYPE_FLOAT, shape, 2, row, 4, &err);
  /* `row` may go out of scope at once: the request is serialized before bg_async_call returns */
  if (!input || bg_async_call(a->client, "predict", input, NULL, on_predict, (void *)(intptr_t)i,
                              NULL, &err) != BG_OK) {
    fprintf(stderr, "call %d not started: %s\n", i, err.message);
    a->failed++;
  }
  bg_value_free(input);
}

static app the_app;

static void on_predict(bg_async_op *call, bg_status status, bg_value *output, const bg_error *err,
                       void *user_data) {
  (void)call;
  int i = (int)(intptr_t)user_data;
  if (status == BG_OK && bg_ndarray_count(output) == 1 &&
      *(const float *)bg_ndarray_data(output) == (float)(4 * i + 6)) {
    the_app.ok++;
  } else {
    fprintf(stderr, "call %d: %s\n", i, status == BG_OK ? "wrong answer" : err->message);
    the_app.failed++;
  }
  bg_value_free(output); /* the callback owns the output */
  start_next(&the_app);
}

int main(int argc, char **argv) {
  const char *url = argc > 1 ? argv[1] : "localhost:3000";
  bg_error err;
  the_app.client = bg_async_client_from_url(url, NULL, 0, &err);
  if (!the_app.client) {
    fprintf(stderr, "connect: %s\n", err.message);
    return 1;
  }
  int ep = epoll_create1(EPOLL_CLOEXEC);
  struct epoll_event watch = {.events = EPOLLIN, .data.fd = bg_async_client_fd(the_app.client)};
  if (ep < 0 || epoll_ctl(ep, EPOLL_CTL_ADD, watch.data.fd, &watch) != 0) {
    perror("epoll");
    bg_async_client_close(the_app.client);
    return 1;
  }
  for (int i = 0; i < IN_FLIGHT; i++)
    start_next(&the_app);

  while (the_app.ok + the_app.failed < TOTAL) {
    struct epoll_event events[8];
    int n = epoll_wait(ep, events, 8, 30000);
    if (n <= 0) {
      fprintf(stderr, "no completion within 30 s\n");
      break;
    }
    for (int k = 0; k < n; k++)
      if (events[k].data.fd == watch.data.fd)
        bg_async_client_dispatch(the_app.client, NULL, NULL);
  }
  close(ep);
  bg_async_client_close(the_app.client); /* would cancel and report anything still in flight */
  printf("%d of %d predict calls answered correctly\n", the_app.ok, TOTAL);
  return the_app.ok == TOTAL ? 0 : 1;
}
