/* The async client in a libuv loop: a uv_poll_t watches the client's eventfd and dispatches
 * ready callbacks on the loop's thread. First a non-blocking wait-until-ready (health checks
 * timed by the library, the loop stays free), then 200 `predict` calls, 32 in flight.
 *
 *   cc async_libuv.c $(pkg-config --cflags --libs bentogrpc libuv) -o async_libuv
 *   ./async_libuv localhost:3000
 */
#include <bentogrpc/bentogrpc.h>
#include <stdio.h>
#include <uv.h>

enum { TOTAL = 200, IN_FLIGHT = 32 };

typedef struct app {
  bg_async_client *client;
  uv_poll_t completions; /* watches the client's fd */
  uv_timer_t watchdog;   /* gives up instead of hanging if the server stops answering */
  int started, ok, failed;
  bool stopped;
} app;

static app the_app;

static void on_readable(uv_poll_t *handle, int status, int events) {
  (void)handle;
  (void)events;
  if (status == 0)
    bg_async_client_dispatch(the_app.client, NULL, NULL);
}

static void stop_loop(void) {
  if (the_app.stopped) /* callbacks that close() runs after the loop may get here again */
    return;
  the_app.stopped = true;
  uv_poll_stop(&the_app.completions);
  uv_close((uv_handle_t *)&the_app.completions, NULL);
  uv_close((uv_handle_t *)&the_app.watchdog, NULL);
}

static void on_watchdog(uv_timer_t *timer) {
  (void)timer;
  fprintf(stderr, "no progress within 30 s\n");
  stop_loop();
}

static void on_predict(bg_async_op *call, bg_status status, bg_value *output, const bg_error *err,
                       void *user_data);

/* Row i is {i, i+1, i+2, i+3}; predict answers its sum, 4i+6. */
static void start_next(void) {
  if (the_app.started == TOTAL)
    return;
  int i = the_app.started++;
  float row[4] = {(float)i, (float)i + 1, (float)i + 2, (float)i + 3};
  int64_t shape[2] = {1, 4};
  bg_error err;
  bg_value *input = bg_ndarray_borrow(BG_DTYPE_FLOAT, shape, 2, row, 4, &err);
  if (!input || bg_async_call(the_app.client, "predict", input, NULL, on_predict,
                              (void *)(intptr_t)i, NULL, &err) != BG_OK) {
    fprintf(stderr, "call %d not started: %s\n", i, err.message);
    the_app.failed++;
  }
  bg_value_free(input); /* serialized already */
}

static void on_predict(bg_async_op *call, bg_status status, bg_value *output, const bg_error *err,
                       void *user_data) {
  (void)call;
  int i = (int)(intptr_t)user_data;
  if (status == BG_OK && *(const float *)bg_ndarray_data(output) == (float)(4 * i + 6)) {
    the_app.ok++;
  } else {
    fprintf(stderr, "call %d: %s\n", i, status == BG_OK ? "wrong answer" : err->message);
    the_app.failed++;
  }
  bg_value_free(output); /* the callback owns the output */
  if (the_app.stopped)
    return;
  uv_timer_again(&the_app.watchdog);
  if (the_app.ok + the_app.failed == TOTAL)
    stop_loop();
  else
    start_next();
}

static void on_ready(bg_async_op *call, bg_status status, bg_health_status health,
                     const bg_error *err, void *user_data) {
  (void)call;
  (void)health;
  (void)user_data;
  if (status != BG_OK) {
    fprintf(stderr, "server not ready: %s\n", err->message);
    stop_loop();
    return;
  }
  for (int i = 0; i < IN_FLIGHT; i++)
    start_next();
}

int main(int argc, char **argv) {
  const char *url = argc > 1 ? argv[1] : "localhost:3000";
  bg_error err;
  the_app.client = bg_async_client_from_url(url, NULL, 0, &err);
  if (!the_app.client) {
    fprintf(stderr, "connect: %s\n", err.message);
    return 1;
  }
  uv_loop_t *loop = uv_default_loop();
  uv_poll_init(loop, &the_app.completions, bg_async_client_fd(the_app.client));
  uv_poll_start(&the_app.completions, UV_READABLE, on_readable);
  uv_timer_init(loop, &the_app.watchdog);
  uv_timer_start(&the_app.watchdog, on_watchdog, 30000, 30000);

  if (bg_async_wait_until_ready(the_app.client, 20000, 200, on_ready, NULL, NULL, &err) != BG_OK) {
    fprintf(stderr, "wait: %s\n", err.message);
    stop_loop();
  }
  uv_run(loop, UV_RUN_DEFAULT);
  uv_loop_close(loop);
  bg_async_client_close(the_app.client);
  printf("%d of %d predict calls answered correctly\n", the_app.ok, TOTAL);
  return the_app.ok == TOTAL ? 0 : 1;
}
