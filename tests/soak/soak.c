/* soak: connect/close cycles and calls against the reference server, checking that the
 * process's open file descriptors and resident memory stay bounded.
 *
 *   soak [--seconds S] [--cycles N] [--max-rss-growth-mb M] [--max-fd-growth K]
 *
 * Starts tests/server/reference_server.py on a free loopback port. Each cycle opens a client
 * (discovery included), calls a Text and an NumpyNdarray API, checks health and closes it;
 * every 10th cycle does the same with an async client and 8 calls in flight. After a warm-up
 * (gRPC's lazily created threads, pollers and caches) the fd count and RSS are sampled, and
 * again at the end: more than K new fds (default 0) or M MiB more RSS (default 64) fails. Stops
 * after S seconds or N cycles, whichever comes first. Leaks themselves are LSan's (ASan build) or
 * valgrind's job. Exit 0 on success, 1 on any failed call or exceeded bound. */
#include <bentogrpc/bentogrpc.h>
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "test_server.h"

static int count_fds(void) {
  DIR *dir = opendir("/proc/self/fd");
  if (!dir)
    return -1;
  int n = 0;
  while (readdir(dir))
    n++;
  closedir(dir);
  return n - 3; /* ".", ".." and the directory's own fd */
}

static long rss_kib(void) {
  FILE *f = fopen("/proc/self/statm", "r");
  long pages = 0, resident = 0;
  if (!f)
    return -1;
  if (fscanf(f, "%ld %ld", &pages, &resident) != 2)
    resident = -1;
  fclose(f);
  return resident < 0 ? -1 : resident * (sysconf(_SC_PAGESIZE) / 1024);
}

static double now_s(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static int fail(const char *what, const bg_error *err) {
  fprintf(stderr, "soak: %s failed: %s: %s\n", what, bg_status_name(err->code), err->message);
  return -1;
}

static int sync_cycle(const char *url, const bg_value *text, const bg_value *array) {
  bg_error err;
  bg_client *c = bg_client_from_url(url, NULL, &err);
  if (!c)
    return fail("connect", &err);
  bg_value *out = NULL;
  int rc = 0;
  bg_health_status health;
  if (bg_client_call(c, "bonjour", text, &out, NULL, &err) != BG_OK)
    rc = fail("call bonjour", &err);
  bg_value_free(out);
  out = NULL;
  if (rc == 0 && bg_client_call(c, "double_ndarray", array, &out, NULL, &err) != BG_OK)
    rc = fail("call double_ndarray", &err);
  bg_value_free(out);
  if (rc == 0 && bg_client_health(c, NULL, 5000, &health, &err) != BG_OK)
    rc = fail("health", &err);
  bg_client_close(c);
  return rc;
}

static void on_call(bg_async_op *call, bg_status status, bg_value *output, const bg_error *err,
                    void *user_data) {
  (void)call;
  int *failures = user_data;
  if (status != BG_OK) {
    fail("async call", err);
    (*failures)++;
  }
  bg_value_free(output);
}

static int async_cycle(const char *url, const bg_value *array) {
  bg_error err;
  bg_async_client *ac = bg_async_client_from_url(url, NULL, 0, &err);
  if (!ac)
    return fail("async connect", &err);
  int failures = 0;
  for (int i = 0; i < 8; i++)
    if (bg_async_call(ac, "double_ndarray", array, NULL, on_call, &failures, NULL, &err) != BG_OK)
      failures += fail("async start", &err) ? 1 : 0;
  while (bg_async_client_pending(ac) > 0)
    bg_async_client_poll(ac, 1000, NULL, &err);
  bg_async_client_close(ac);
  return failures ? -1 : 0;
}

static int cycle(const char *url, long i, const bg_value *text, const bg_value *array) {
  if (sync_cycle(url, text, array) != 0)
    return -1;
  return i % 10 == 0 ? async_cycle(url, array) : 0;
}

int main(int argc, char **argv) {
  double seconds = 20;
  long cycles = 1000000, max_rss_mb = 64, max_fds = 0;
  for (int i = 1; i + 1 < argc; i += 2) {
    if (strcmp(argv[i], "--seconds") == 0)
      seconds = atof(argv[i + 1]);
    else if (strcmp(argv[i], "--cycles") == 0)
      cycles = atol(argv[i + 1]);
    else if (strcmp(argv[i], "--max-rss-growth-mb") == 0)
      max_rss_mb = atol(argv[i + 1]);
    else if (strcmp(argv[i], "--max-fd-growth") == 0)
      max_fds = atol(argv[i + 1]);
    else {
      fprintf(stderr, "soak: unknown option %s\n", argv[i]);
      return 2;
    }
  }
  bgt_server server;
  if (bgt_server_start(&server, NULL) != 0)
    return 1;
  bg_error err;
  bg_value *text = bg_text_new("soak", (size_t)-1, &err);
  static double data[1024];
  for (size_t i = 0; i < 1024; i++)
    data[i] = (double)i;
  int64_t shape[1] = {1024};
  bg_value *array = bg_ndarray_copy(BG_DTYPE_DOUBLE, shape, 1, data, 1024, &err);
  int rc = 0;
  long done = 0;
  double start = now_s();
  /* Warm-up: the first cycles create gRPC's threads, pollers and caches for good. */
  for (; done < 3 && done < cycles && rc == 0; done++)
    rc = cycle(server.url, done, text, array);
  int fds_before = count_fds();
  long rss_before = rss_kib();
  while (rc == 0 && done < cycles && now_s() - start < seconds)
    rc = cycle(server.url, done++, text, array);
  int fds_after = count_fds();
  long rss_after = rss_kib();
  printf("soak: %ld cycles in %.1f s; open fds %d -> %d; RSS %.1f -> %.1f MiB\n", done,
         now_s() - start, fds_before, fds_after, rss_before / 1024.0, rss_after / 1024.0);
  if (rc == 0 && fds_after > fds_before + max_fds) {
    fprintf(stderr, "soak: %d file descriptors leaked (allowed %ld)\n", fds_after - fds_before,
            max_fds);
    rc = -1;
  }
  if (rc == 0 && rss_after - rss_before > max_rss_mb * 1024) {
    fprintf(stderr, "soak: RSS grew by %.1f MiB (allowed %ld)\n", (rss_after - rss_before) / 1024.0,
            max_rss_mb);
    rc = -1;
  }
  bg_value_free(text);
  bg_value_free(array);
  bgt_server_stop(&server);
  return rc == 0 ? 0 : 1;
}
