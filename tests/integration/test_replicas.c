/* One client over many reference-server replicas on loopback (127.0.0.1/2/3, one
 * port): round_robin spreads evenly through an ipv4: list and through a DNS name (a tiny DNS
 * responder that c-ares asks through dns://127.0.0.1:PORT/replicas.test:port), pick_first
 * sticks to one replica, the other target forms (ipv6: list, dns:///, unix-abstract:) reach
 * their replicas, failover under 64 async calls in flight (SIGKILL with retries,
 * SIGTERM without) loses nothing, health-aware balancing follows NOT_SERVING/SERVING, and a
 * server-side max connection age is invisible to callers. Every call is counted and printed.
 * Replicas say who answered in trailing metadata (bentoml-replica, bentoml-peer,
 * bentoml-previous-attempts on a retry). BGT_REPLICAS_AGE_SECONDS sets the length of the
 * max-connection-age run (default 60); BGT_REPLICAS_FAILOVER_PLAIN=1 and
 * BGT_REPLICAS_GRACEFUL_PLAIN=1 add the informational runs without retries / health check. */
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>
#include <pthread.h>

#include <bentogrpc/bentogrpc.h>

#include "test_assert.h"
#include "test_server.h"

#define N_REPLICAS 3
#define IN_FLIGHT  64

static void sleep_ms(long ms) {
  struct timespec ts = {ms / 1000, (ms % 1000) * 1000000L};
  nanosleep(&ts, NULL);
}

static double now_s(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* ---- replicas: r1..r3 on 127.0.0.1..3, all on one port (as a DNS name needs) ---- */

typedef struct replicas {
  bgt_server server[N_REPLICAS];
  int port;
  char ipv4_target[128]; /* ipv4:127.0.0.1:P,127.0.0.2:P,127.0.0.3:P */
} replicas;

/* Starts replica i; `flag`/`value` (may be NULL) are one more server option. */
static void replica_start(replicas *r, int i, const char *flag, const char *value) {
  char listen[64], id[8];
  snprintf(listen, sizeof listen, "127.0.0.%d:%d", i + 1, r->port);
  snprintf(id, sizeof id, "r%d", i + 1);
  const char *args[] = {"--listen", listen, "--replica-id", id, flag, value, NULL};
  assert_int_equal(bgt_server_start(&r->server[i], args), 0);
}

static void replicas_start(replicas *r, int n, const char *flag, const char *value) {
  memset(r, 0, sizeof *r);
  r->port = bgt_unused_port();
  for (int i = 0; i < n; i++)
    replica_start(r, i, flag, value);
  snprintf(r->ipv4_target, sizeof r->ipv4_target, "ipv4:127.0.0.1:%d,127.0.0.2:%d,127.0.0.3:%d",
           r->port, r->port, r->port);
}

static void replicas_stop(replicas *r) {
  for (int i = 0; i < N_REPLICAS; i++)
    bgt_server_stop(&r->server[i]);
}

/* "r2" -> 1; -1 when absent or unknown. */
static int replica_index(const bg_response_metadata *md) {
  const char *id =
      md ? bg_response_metadata_find(md, BG_METADATA_TRAILING, "bentoml-replica", NULL) : NULL;
  if (!id || id[0] != 'r' || id[1] < '1' || id[1] > '0' + N_REPLICAS || id[2])
    return -1;
  return id[1] - '1';
}

/* ---- sync spreading: 4 threads share `calls`, counting answers per replica ---- */

typedef struct spread {
  bg_client *client;
  atomic_int next;
  int calls;
  atomic_int counts[N_REPLICAS];
  atomic_int failed;
} spread;

static void *spread_thread(void *arg) {
  spread *s = arg;
  bg_call_options *co = bg_call_options_new();
  bg_response_metadata *md = bg_response_metadata_new();
  bg_call_options_set_response_metadata(co, md, NULL);
  bg_value *in = bg_text_new("x", 1, NULL);
  while (atomic_fetch_add(&s->next, 1) < s->calls) {
    bg_value *out = NULL;
    bg_error err;
    if (bg_client_call(s->client, "bonjour", in, &out, co, &err) != BG_OK) {
      if (atomic_fetch_add(&s->failed, 1) == 0)
        fprintf(stderr, "spread: a call failed: %s\n", err.message);
      continue;
    }
    bg_value_free(out);
    int i = replica_index(md);
    if (i >= 0)
      atomic_fetch_add(&s->counts[i], 1);
  }
  bg_value_free(in);
  bg_response_metadata_free(md);
  bg_call_options_free(co);
  return NULL;
}

/* Makes `calls` calls from 4 threads; counts[i] gets replica i's answers. */
static void spread_calls(bg_client *c, int calls, int counts[N_REPLICAS], int *failed) {
  spread s = {.client = c, .calls = calls};
  pthread_t t[4];
  for (int i = 0; i < 4; i++)
    assert_int_equal(pthread_create(&t[i], NULL, spread_thread, &s), 0);
  for (int i = 0; i < 4; i++)
    pthread_join(t[i], NULL);
  for (int i = 0; i < N_REPLICAS; i++)
    counts[i] = atomic_load(&s.counts[i]);
  *failed = atomic_load(&s.failed);
}

/* round_robin starts picking as soon as one replica is connected; calls until every replica
 * answered (the steady state a long-lived client is in), at most `limit` calls. */
static void warm_up(bg_client *c, int limit) {
  int seen[N_REPLICAS] = {0}, counts[N_REPLICAS], failed;
  for (int done = 0; done < limit && !(seen[0] && seen[1] && seen[2]); done += 30) {
    spread_calls(c, 30, counts, &failed);
    for (int i = 0; i < N_REPLICAS; i++)
      seen[i] += counts[i];
  }
  assert_true(seen[0] && seen[1] && seen[2]);
}

static bg_client *client_for(const char *url, const char *policy) {
  bg_options *o = bg_options_new();
  bg_error err;
  if (policy)
    assert_int_equal(bg_options_set_lb_policy(o, policy, &err), BG_OK);
  bg_client *c = bg_client_from_url(url, o, &err);
  if (!c)
    fail_msg("connecting to %s: %s", url, err.message);
  assert_string_equal(bg_client_url(c), url); /* as the user wrote it */
  bg_options_free(o);
  return c;
}

static void expect_even(const char *what, bg_client *c) {
  warm_up(c, 600);
  int counts[N_REPLICAS], failed;
  spread_calls(c, 3000, counts, &failed);
  printf("%s: 3000 calls: r1 %d, r2 %d, r3 %d, failed %d\n", what, counts[0], counts[1], counts[2],
         failed);
  assert_int_equal(failed, 0);
  assert_int_equal(counts[0] + counts[1] + counts[2], 3000);
  for (int i = 0; i < N_REPLICAS; i++)
    if (counts[i] < 900 || counts[i] > 1100)
      fail_msg("%s: replica r%d answered %d of 3000 calls, not within 10%% of 1000", what, i + 1,
               counts[i]);
}

static void test_round_robin_over_ipv4_list(void **state) {
  (void)state;
  replicas r;
  replicas_start(&r, N_REPLICAS, NULL, NULL);
  bg_client *c = client_for(r.ipv4_target, "round_robin");
  expect_even("round_robin ipv4:", c);
  bg_client_close(c);
  replicas_stop(&r);
}

static void test_round_robin_over_dns_name(void **state) {
  (void)state;
  replicas r;
  replicas_start(&r, N_REPLICAS, NULL, NULL);
  const char *args[] = {"--name",    "replicas.test", "--address", "127.0.0.1", "--address",
                        "127.0.0.2", "--address",     "127.0.0.3", NULL};
  bgt_server dns;
  assert_int_equal(bgt_script_start(&dns, "tests/replicas/dns_responder.py", args), 0);
  char url[128];
  snprintf(url, sizeof url, "dns://127.0.0.1:%d/replicas.test:%d", dns.port, r.port);
  bg_client *c = client_for(url, "round_robin");
  expect_even("round_robin dns:", c);
  bg_client_close(c);
  bgt_server_stop(&dns);
  replicas_stop(&r);
}

/* pick_first (the default) connects to one address and sends it everything. */
static void test_pick_first_sticks(void **state) {
  (void)state;
  replicas r;
  replicas_start(&r, N_REPLICAS, NULL, NULL);
  bg_client *c = client_for(r.ipv4_target, NULL);
  int counts[N_REPLICAS], failed;
  spread_calls(c, 600, counts, &failed);
  printf("pick_first ipv4: 600 calls: r1 %d, r2 %d, r3 %d, failed %d\n", counts[0], counts[1],
         counts[2], failed);
  assert_int_equal(failed, 0);
  int used = (counts[0] > 0) + (counts[1] > 0) + (counts[2] > 0);
  assert_int_equal(used, 1);
  assert_int_equal(counts[0] + counts[1] + counts[2], 600);
  bg_client_close(c);
  replicas_stop(&r);
}

/* The rest of gRPC's target forms end to end (ipv4: lists and dns://SERVER/ are above): an
 * ipv6: list (round_robin over two replicas on [::1]), dns:/// (the system's resolver) and
 * unix-abstract:, each reaching the replica it names, with bg_client_url() as written. */
static void test_native_targets_reach_replicas(void **state) {
  (void)state;
  bgt_server v6[2], v4;
  for (int i = 0; i < 2; i++) {
    const char *args[] = {"--listen", "[::1]:0", "--replica-id", i ? "r2" : "r1", NULL};
    assert_int_equal(bgt_server_start(&v6[i], args), 0);
  }
  char abstract[64], listen_abstract[80];
  snprintf(abstract, sizeof abstract, "bentogrpc-test-%d", (int)getpid());
  snprintf(listen_abstract, sizeof listen_abstract, "unix-abstract:%s", abstract);
  const char *args[] = {"--listen",     "127.0.0.1:0", "--listen", listen_abstract,
                        "--replica-id", "r3",          NULL};
  assert_int_equal(bgt_server_start(&v4, args), 0);

  char url[160];
  int counts[N_REPLICAS], failed, seen[N_REPLICAS] = {0};
  snprintf(url, sizeof url, "ipv6:[::1]:%d,[::1]:%d", v6[0].port, v6[1].port);
  bg_client *c = client_for(url, "round_robin");
  for (int round = 0; round < 20 && !(seen[0] && seen[1]); round++) {
    spread_calls(c, 30, counts, &failed);
    assert_int_equal(failed, 0);
    for (int i = 0; i < N_REPLICAS; i++)
      seen[i] += counts[i];
  }
  printf("round_robin %s: r1 %d, r2 %d, r3 %d\n", url, seen[0], seen[1], seen[2]);
  assert_true(seen[0] > 0 && seen[1] > 0);
  assert_int_equal(seen[2], 0);
  bg_client_close(c);

  snprintf(url, sizeof url, "dns:///localhost:%d", v4.port);
  const char *single[] = {url, listen_abstract};
  for (int k = 0; k < 2; k++) {
    c = client_for(single[k], NULL);
    spread_calls(c, 20, counts, &failed);
    printf("%s: 20 calls: r1 %d, r2 %d, r3 %d, failed %d\n", single[k], counts[0], counts[1],
           counts[2], failed);
    assert_int_equal(failed, 0);
    assert_int_equal(counts[2], 20);
    bg_client_close(c);
  }
  bgt_server_stop(&v6[0]);
  bgt_server_stop(&v6[1]);
  bgt_server_stop(&v4);
}

/* ---- async load: IN_FLIGHT calls always in flight, each refilled from its callback ---- */

typedef struct load load;
typedef struct slot {
  load *load;
  bg_call_options *co;
  bg_response_metadata *md;
  atomic_bool busy; /* its call started and has not ended: a second end of one call finds it
                       false (the tally alone cannot see that: each end starts a new call) */
} slot;

struct load {
  bg_async_client *client;
  slot slots[IN_FLIGHT];
  atomic_bool stopping;    /* no new calls */
  atomic_int started;      /* calls bg_async_call accepted */
  atomic_int refused;      /* calls bg_async_call refused (never started) */
  atomic_int ended;        /* callbacks run */
  atomic_int ok, failed;   /* of the ended */
  atomic_int ended_twice;  /* callbacks of a slot with no call in flight (must stay 0) */
  atomic_int unattributed; /* ok without a replica id (must stay 0) */
  atomic_int per_replica[N_REPLICAS];
  atomic_int retried[N_REPLICAS]; /* ok after more than one attempt, by the answering replica */
  atomic_int peers_changed;       /* one replica only: ok calls on another connection than the
                                     slot's last one (its reconnections, seen by each slot) */
  char last_peer[IN_FLIGHT][64];
  char first_error[256];
  bool one_replica;
};

static void start_one(slot *s);

static void on_done(bg_async_op *call, bg_status status, bg_value *output, const bg_error *err,
                    void *user_data) {
  (void)call;
  slot *s = user_data;
  load *l = s->load;
  if (!atomic_exchange(&s->busy, false))
    atomic_fetch_add(&l->ended_twice, 1);
  if (status == BG_OK) {
    int i = replica_index(s->md);
    if (i < 0)
      atomic_fetch_add(&l->unattributed, 1);
    else
      atomic_fetch_add(&l->per_replica[i], 1);
    if (i >= 0 &&
        bg_response_metadata_find(s->md, BG_METADATA_TRAILING, "bentoml-previous-attempts", NULL))
      atomic_fetch_add(&l->retried[i], 1);
    const char *peer = bg_response_metadata_find(s->md, BG_METADATA_TRAILING, "bentoml-peer", NULL);
    char *last = l->last_peer[s - l->slots];
    if (peer && l->one_replica && strncmp(last, peer, 63) != 0) {
      if (last[0])
        atomic_fetch_add(&l->peers_changed, 1);
      snprintf(last, 64, "%s", peer);
    }
    atomic_fetch_add(&l->ok, 1);
  } else if (atomic_fetch_add(&l->failed, 1) == 0) {
    snprintf(l->first_error, sizeof l->first_error, "%s", err->message);
  }
  bg_value_free(output);
  atomic_fetch_add(&l->ended, 1);
  if (!atomic_load(&l->stopping))
    start_one(s);
}

static void start_one(slot *s) {
  load *l = s->load;
  bg_value *in = bg_text_new("x", 1, NULL);
  bg_error err;
  atomic_store(&s->busy, true); /* before: the callback may run before bg_async_call returns */
  if (bg_async_call(l->client, "bonjour", in, s->co, on_done, s, NULL, &err) == BG_OK) {
    atomic_fetch_add(&l->started, 1);
  } else {
    atomic_store(&s->busy, false);
    if (atomic_fetch_add(&l->refused, 1) == 0)
      snprintf(l->first_error, sizeof l->first_error, "refused: %s", err.message);
  }
  bg_value_free(in);
}

static void load_start(load *l, const char *url, const bg_options *o, bool one_replica) {
  memset(l, 0, sizeof *l);
  l->one_replica = one_replica;
  bg_error err;
  l->client = bg_async_client_from_url(url, o, BG_ASYNC_CALLBACK_THREAD, &err);
  if (!l->client)
    fail_msg("async client for %s: %s", url, err.message);
  for (int i = 0; i < IN_FLIGHT; i++) {
    slot *s = &l->slots[i];
    s->load = l;
    atomic_init(&s->busy, false);
    s->co = bg_call_options_new();
    s->md = bg_response_metadata_new();
    bg_call_options_set_response_metadata(s->co, s->md, NULL);
  }
  for (int i = 0; i < IN_FLIGHT; i++)
    start_one(&l->slots[i]);
}

/* Waits until `ended` reaches `target` (bounded by `timeout_s`). */
static void load_until(load *l, int target, double timeout_s) {
  double end = now_s() + timeout_s;
  while (atomic_load(&l->ended) < target && now_s() < end)
    sleep_ms(5);
  if (atomic_load(&l->ended) < target)
    fail_msg("load stalled: %d of %d calls ended within %.0f s", atomic_load(&l->ended), target,
             timeout_s);
}

/* Stops refilling, lets every call in flight end, prints the tally and checks that every
 * started call ended exactly once. */
static void load_finish(load *l, const char *what) {
  atomic_store(&l->stopping, true);
  double end = now_s() + 30;
  while (atomic_load(&l->ended) < atomic_load(&l->started) && now_s() < end)
    sleep_ms(5);
  bg_async_client_close(l->client); /* runs any callback left: none should be */
  for (int i = 0; i < IN_FLIGHT; i++) {
    bg_call_options_free(l->slots[i].co);
    bg_response_metadata_free(l->slots[i].md);
  }
  int started = atomic_load(&l->started), ended = atomic_load(&l->ended);
  int ok = atomic_load(&l->ok), failed = atomic_load(&l->failed);
  char reconnections[48] = "";
  if (l->one_replica) /* each slot sees each new connection: 64 per reconnection */
    snprintf(reconnections, sizeof reconnections, "; connection changes seen by the slots %d",
             atomic_load(&l->peers_changed));
  int twice = atomic_load(&l->ended_twice);
  printf("%s: sent %d, ok %d, failed %d, refused %d, ended twice %d; per replica ok/retried: "
         "r1 %d/%d, r2 %d/%d, r3 %d/%d%s%s%s\n",
         what, started, ok, failed, atomic_load(&l->refused), twice,
         atomic_load(&l->per_replica[0]), atomic_load(&l->retried[0]),
         atomic_load(&l->per_replica[1]), atomic_load(&l->retried[1]),
         atomic_load(&l->per_replica[2]), atomic_load(&l->retried[2]), reconnections,
         l->first_error[0] ? "; first error: " : "", l->first_error);
  assert_int_equal(ended, started); /* every call ended (the close ran none) ... */
  assert_int_equal(twice, 0);       /* ... and none twice */
  for (int i = 0; i < IN_FLIGHT; i++)
    assert_false(atomic_load(&l->slots[i].busy));
  assert_int_equal(ok + failed, ended);
  assert_int_equal(atomic_load(&l->per_replica[0]) + atomic_load(&l->per_replica[1]) +
                       atomic_load(&l->per_replica[2]) + atomic_load(&l->unattributed),
                   ok);
  assert_int_equal(atomic_load(&l->unattributed), 0);
}

static bg_options *rr_options(bool retries) {
  bg_options *o = bg_options_new();
  bg_error err;
  assert_int_equal(bg_options_set_lb_policy(o, "round_robin", &err), BG_OK);
  if (retries) /* the CLI's --retries 3: 4 attempts, 100 ms backoff doubling up to 1 s */
    assert_int_equal(bg_options_set_retry(o, 4, 100, 1000, 2.0, NULL, &err), BG_OK);
  return o;
}

/* SIGKILL one replica under load: with a retry policy nothing fails, the dead replica gets
 * nothing, and once restarted it gets traffic again within a few seconds.
 * BGT_REPLICAS_FAILOVER_PLAIN=1 also runs it without retries and prints what fails then. */
static int failover_run(bool retries, const char *what) {
  replicas r;
  replicas_start(&r, N_REPLICAS, NULL, NULL);
  bg_options *o = rr_options(retries);
  load l;
  load_start(&l, r.ipv4_target, o, false);
  bg_options_free(o);
  load_until(&l, 1500, 60);

  kill(r.server[1].pid, SIGKILL);
  waitpid(r.server[1].pid, NULL, 0);
  r.server[1].pid = 0;
  int r2_at_kill = atomic_load(&l.per_replica[1]), ended_at_kill = atomic_load(&l.ended);
  load_until(&l, ended_at_kill + 1500, 60);
  int r2_while_dead = atomic_load(&l.per_replica[1]) - r2_at_kill;

  replica_start(&r, 1, NULL, NULL);
  double restarted = now_s();
  int r2_before = atomic_load(&l.per_replica[1]);
  while (atomic_load(&l.per_replica[1]) == r2_before && now_s() < restarted + 20)
    sleep_ms(10);
  double back_after = now_s() - restarted;
  int ended_back = atomic_load(&l.ended);
  load_until(&l, ended_back + 1500, 60);
  load_finish(&l, what);
  printf("%s: r2 answered %d calls after the kill, traffic back %.2f s after the restart\n", what,
         r2_while_dead, back_after);
  assert_int_equal(atomic_load(&l.refused), 0);
  assert_true(r2_while_dead <= IN_FLIGHT); /* at most replies already on their way */
  assert_true(back_after < 20);
  replicas_stop(&r);
  return atomic_load(&l.failed);
}

static void test_failover_sigkill_with_retries(void **state) {
  (void)state;
  assert_int_equal(failover_run(true, "failover SIGKILL r2, retries (4 attempts)"), 0);
  if (getenv("BGT_REPLICAS_FAILOVER_PLAIN"))
    failover_run(false, "failover SIGKILL r2, no retries (informational)");
}

/* SIGTERM: the replica drains (NOT_SERVING for 1 s, still serving), then sends GOAWAY and
 * finishes its calls; a health-checking client without any retry policy loses nothing. (gRPC
 * Core's server shutdown cancels calls queued but not yet handed to a worker, so a client
 * that keeps sending until the GOAWAY can see a few CANCELLED: BGT_REPLICAS_GRACEFUL_PLAIN=1
 * runs that variant too and prints its count.) */
static int graceful_run(bool health_check, const char *what) {
  replicas r;
  replicas_start(&r, N_REPLICAS, "--drain-ms", "1000");
  bg_options *o = rr_options(false);
  if (health_check)
    assert_int_equal(bg_options_set_health_check(o, true, NULL, NULL), BG_OK);
  load l;
  load_start(&l, r.ipv4_target, o, false);
  bg_options_free(o);
  load_until(&l, 1500, 60);
  bgt_server_stop(&r.server[1]); /* SIGTERM, waits for the exit */
  int r2_after = atomic_load(&l.per_replica[1]), ended = atomic_load(&l.ended);
  load_until(&l, ended + 1500, 60);
  int r2_late = atomic_load(&l.per_replica[1]) - r2_after;
  load_finish(&l, what);
  assert_int_equal(r2_late, 0); /* it exited: nothing after */
  replicas_stop(&r);
  return atomic_load(&l.failed);
}

static void test_graceful_shutdown_without_retries(void **state) {
  (void)state;
  assert_int_equal(graceful_run(true, "graceful SIGTERM r2, health check, no retries"), 0);
  if (getenv("BGT_REPLICAS_GRACEFUL_PLAIN"))
    graceful_run(false, "graceful SIGTERM r2, no health check, no retries (informational)");
}

/* Health-aware balancing: a replica whose Health/Watch says NOT_SERVING gets no new calls;
 * SERVING again brings it back. */
static void test_health_aware_balancing(void **state) {
  (void)state;
  replicas r;
  replicas_start(&r, N_REPLICAS, NULL, NULL);
  bg_options *o = rr_options(false);
  bg_error err;
  assert_int_equal(bg_options_set_health_check(o, true, "", &err), BG_OK);
  bg_client *c = bg_client_from_url(r.ipv4_target, o, &err);
  assert_non_null(c);
  bg_options_free(o);
  warm_up(c, 600);
  int counts[N_REPLICAS], failed;

  kill(r.server[2].pid, SIGUSR1); /* r3: NOT_SERVING */
  double until = now_s() + 10;
  do { /* until gRPC has heard it on the Watch stream */
    spread_calls(c, 60, counts, &failed);
    assert_int_equal(failed, 0);
  } while (counts[2] > 0 && now_s() < until);
  spread_calls(c, 600, counts, &failed);
  printf("health: r3 NOT_SERVING: 600 calls: r1 %d, r2 %d, r3 %d, failed %d\n", counts[0],
         counts[1], counts[2], failed);
  assert_int_equal(failed, 0);
  assert_int_equal(counts[2], 0);
  assert_true(counts[0] > 0 && counts[1] > 0);

  kill(r.server[2].pid, SIGUSR2); /* r3: SERVING */
  until = now_s() + 10;
  do
    spread_calls(c, 60, counts, &failed);
  while (counts[2] == 0 && now_s() < until);
  spread_calls(c, 600, counts, &failed);
  printf("health: r3 SERVING again: 600 calls: r1 %d, r2 %d, r3 %d, failed %d\n", counts[0],
         counts[1], counts[2], failed);
  assert_int_equal(failed, 0);
  assert_true(counts[2] > 100);
  bg_client_close(c);
  replicas_stop(&r);
}

/* A server-side max connection age of 5 s over a 60 s run (BGT_REPLICAS_AGE_SECONDS): the
 * client reconnects under load (each reconnection is seen by every slot) and no call fails,
 * with no retry policy. */
static void test_max_connection_age_is_invisible(void **state) {
  (void)state;
  const char *env = getenv("BGT_REPLICAS_AGE_SECONDS");
  int seconds = env && atoi(env) > 0 ? atoi(env) : 60;
  replicas r;
  replicas_start(&r, 1, "--max-connection-age-ms", "5000");
  char url[64];
  snprintf(url, sizeof url, "127.0.0.1:%d", r.port);
  load l;
  load_start(&l, url, NULL, true); /* defaults: pick_first, no retries */
  double end = now_s() + seconds;
  while (now_s() < end)
    sleep_ms(50);
  char what[64];
  snprintf(what, sizeof what, "max connection age 5 s, %d s run", seconds);
  load_finish(&l, what);
  assert_int_equal(atomic_load(&l.failed), 0);
  assert_int_equal(atomic_load(&l.refused), 0);
  assert_true(atomic_load(&l.peers_changed) >= 1); /* it did reconnect */
  replicas_stop(&r);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_round_robin_over_ipv4_list),
      cmocka_unit_test(test_round_robin_over_dns_name),
      cmocka_unit_test(test_pick_first_sticks),
      cmocka_unit_test(test_native_targets_reach_replicas),
      cmocka_unit_test(test_failover_sigkill_with_retries),
      cmocka_unit_test(test_graceful_shutdown_without_retries),
      cmocka_unit_test(test_health_aware_balancing),
      cmocka_unit_test(test_max_connection_age_is_invisible),
  };
  return cmocka_run_group_tests_name("replicas", tests, NULL, NULL);
}
