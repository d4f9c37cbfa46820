/* fork() support: gRPC's fork hooks, the gate around the library's work inside gRPC, and the
 * fork generation that tells a child which clients are the parent's. See fork.h for why. */
#include <grpc/grpc.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "error_internal.h"
#include "log_internal.h"
#include "transport/fork.h"
#include "transport/fork_sockets.h"
#include "transport/grpc_fork_state.h"

/* gRPC Core's <grpc/fork.h> declares the hooks without extern "C" up to at least 1.51 (Debian
 * 12's), so there they are C++ symbols; CMake finds out which (BGI_GRPC_FORK_HOOKS: 1 C names,
 * 2 C++ names, 0 none) and the asm labels bind the C++ ones by their mangled names. */
#if BGI_GRPC_FORK_HOOKS == 1
#include <grpc/fork.h>
#define hook_prefork         grpc_prefork
#define hook_postfork_parent grpc_postfork_parent
#define hook_postfork_child  grpc_postfork_child
#elif BGI_GRPC_FORK_HOOKS == 2
void hook_prefork(void) __asm__("_Z12grpc_preforkv");
void hook_postfork_parent(void) __asm__("_Z20grpc_postfork_parentv");
void hook_postfork_child(void) __asm__("_Z19grpc_postfork_childv");
#endif
#if BGI_GRPC_FORK_INTERNALS
/* libgpr's count of threads inside gRPC (its ExecCtxs), whether gRPC's executors run threads,
 * and the switches of gRPC's timer and executor threads: what the prefork below checks and
 * repairs (see guarded_prefork). Their meaning is gRPC 1.51's (CMake binds them for it only). */
bool hook_block_exec_ctx(void) __asm__("_ZN9grpc_core4Fork12BlockExecCtxEv");
void hook_count_exec_ctx(void) __asm__("_ZN9grpc_core4Fork17DoIncExecCtxCountEv");
void hook_uncount_exec_ctx(void) __asm__("_ZN9grpc_core4Fork17DoDecExecCtxCountEv");
bool hook_executor_threaded(int type) __asm__(
    "_ZN9grpc_core8Executor10IsThreadedENS_12ExecutorTypeE");
void hook_executor_threading(bool on) __asm__("_ZN9grpc_core8Executor15SetThreadingAllEb");
void hook_timer_threading(bool on) __asm__("_Z32grpc_timer_manager_set_threadingb");
enum { EXECUTOR_DEFAULT = 0, EXECUTOR_RESOLVER = 1 }; /* grpc_core::ExecutorType */
#endif

atomic_uint bgi_fork_generation_value;

static pthread_once_t init_once = PTHREAD_ONCE_INIT;
/* gRPC's fork support is on for this process (decided once, before our first grpc_init). */
static bool grpc_fork_support;
static char support_off_reason[256];

/* The gate: threads inside, whether a fork is being prepared, and where waiting ones sleep. */
static atomic_int inside;
static atomic_bool forking;
static _Thread_local int gate_depth;
static pthread_mutex_t gate_mu = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t gate_cond = PTHREAD_COND_INITIALIZER;
static void (*_Atomic quiesce_hook)(void);

/* Written by the prefork handler, read by the parent and child handlers (one thread): gRPC's
 * prefork hook ran (the parent owes it the postfork one), and the child may use gRPC once
 * gRPC's child hook has run. */
static bool grpc_prefork_ran;
/* gRPC's prefork ran but ExecCtxs could not be blocked again (guarded_prefork). */
static bool grpc_prefork_unblocked;
static bool child_may_reset;
/* Why the child may not reset gRPC, when it may not: whose thread was inside. */
static bool blocked_by_library_call;
/* In a child: gRPC's child hook is still to run. It runs when the child first initialises gRPC
 * (bgi_grpc_init), not in the fork handler: a child that only execs (fork + exec, as system()
 * and shells do when they fork) then never starts gRPC's threads, which it would only lose —
 * and a process that starts threads right after forking a multi-threaded one is what
 * ThreadSanitizer (rightly) refuses. */
static bool child_reset_pending;
static pthread_mutex_t reset_mu = PTHREAD_MUTEX_INITIALIZER;
/* Non-empty in a child whose gRPC state could not be reset: why it may not use gRPC. */
static char child_unusable[256];

/* What gRPC's prefork hook left: its threads stopped and nothing inside gRPC (the child may
 * reset gRPC and use it); its threads stopped but other threads free to enter gRPC (the
 * parent owes the postfork hook, the child must not use gRPC); or nothing done at all. */
typedef enum { PREFORK_READY, PREFORK_UNBLOCKED, PREFORK_SKIPPED } prefork_outcome;

static int64_t now_ms(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void sleep_ms(long ms) { nanosleep(&(struct timespec){.tv_nsec = ms * 1000000L}, NULL); }

#if BGI_GRPC_FORK_INTERNALS
/* gRPC 1.51's grpc_prefork() fails in two ways that its callers cannot see:
 * - It *skips* its work (logging at INFO only) when another thread holds an ExecCtx at that
 *   instant — a thread of the program calling gRPC directly, or one of gRPC's event-engine
 *   threads, which no gate of ours covers. The child then inherits gRPC's state unreset, and
 *   its first client polls the parent's sockets: the parent's connection was corrupted and its
 *   next calls never answered (the Python fork test, ~1 run in 15 on a loaded machine). The
 *   executor is still threaded after a skip (it is stopped otherwise), so the prefork is tried
 *   again until BGI_FORK_QUIESCE_MS has passed.
 * - It *deadlocks*: it blocks new ExecCtxs, stops its timer threads, then joins its executor
 *   threads — and a timer or executor thread running a closure that opens an ExecCtx (a call's
 *   security context destroyed just after the call ended) waits for the fork to finish,
 *   forever. A watchdog releases the block once BGI_FORK_PREFORK_BOUND_MS has passed, if the
 *   prefork still holds it (grpc_fork_state.h: the waiting threads go on, the prefork's own
 *   ExecCtx stays counted, in one step under gRPC's lock). The prefork then ends with gRPC's
 *   threads stopped but ExecCtxs unblocked, so the block is taken again the way the prefork
 *   takes it (count one ExecCtx for this thread, then block) once no other thread is inside;
 *   the fork then goes on exactly as after a prefork that never stuck. Should no such moment
 *   come, gRPC's threads are restarted without its postfork hook (whose AllowExecCtx would
 *   forget the threads inside) and the child may not use gRPC. */
typedef struct prefork_watch {
  pthread_mutex_t mu;
  pthread_cond_t cond;
  bool done;
  bool released;
  bool said_unreleasable;
} prefork_watch;

static void *watch_prefork(void *arg) {
  prefork_watch *w = arg;
  pthread_mutex_lock(&w->mu);
  while (!w->done) {
    struct timespec until;
    clock_gettime(CLOCK_MONOTONIC, &until);
    until.tv_sec += BGI_FORK_PREFORK_BOUND_MS / 1000;
    until.tv_nsec += (long)(BGI_FORK_PREFORK_BOUND_MS % 1000) * 1000000L;
    if (until.tv_nsec >= 1000000000L) {
      until.tv_sec++;
      until.tv_nsec -= 1000000000L;
    }
    while (!w->done && pthread_cond_timedwait(&w->cond, &w->mu, &until) == 0) {
    }
    if (!w->done && !w->released) {
      w->released = bgi_grpc_fork_release_prefork();
      if (!w->released && bgi_grpc_fork_inside_count() < 0 && !w->said_unreleasable) {
        w->said_unreleasable = true;
        bgi_log(BG_LOG_WARN,
                "fork(): gRPC's prefork has taken over %d ms and this build of gRPC gives no "
                "way to release it; if it never returns, gRPC is deadlocked on its own threads",
                BGI_FORK_PREFORK_BOUND_MS);
      }
    }
  }
  pthread_mutex_unlock(&w->mu);
  return NULL;
}

/* Takes gRPC's ExecCtx block again after a release, as grpc_prefork() takes it. */
static bool block_again(int64_t give_up) {
  for (;;) {
    hook_count_exec_ctx();
    if (hook_block_exec_ctx())
      return true;
    hook_uncount_exec_ctx();
    if (now_ms() >= give_up)
      return false;
    sleep_ms(1);
  }
}

/* grpc_prefork() until it runs (see above): `may_retry` false when this thread is itself
 * inside the library (it may hold an ExecCtx, so the prefork would skip every time). */
static prefork_outcome guarded_prefork(bool may_retry) {
  if (!grpc_is_initialized()) { /* gRPC's hooks do nothing; a child initialises it afresh */
    hook_prefork();
    return PREFORK_READY;
  }
  prefork_watch w = {.done = false, .released = false, .said_unreleasable = false};
  pthread_mutex_init(&w.mu, NULL);
  pthread_condattr_t attr;
  pthread_condattr_init(&attr);
  pthread_condattr_setclock(&attr, CLOCK_MONOTONIC);
  pthread_cond_init(&w.cond, &attr);
  pthread_condattr_destroy(&attr);
  pthread_t watchdog;
  bool watched = pthread_create(&watchdog, NULL, watch_prefork, &w) == 0;
  int64_t give_up = now_ms() + BGI_FORK_QUIESCE_MS;
  int skipped = 0;
  bool ran;
  for (;;) {
    hook_prefork();
    ran = !hook_executor_threaded(EXECUTOR_DEFAULT); /* a skip stops nothing, owes nothing */
    if (ran || !may_retry || now_ms() >= give_up)
      break;
    skipped++;
    sleep_ms(1);
  }
  if (watched) {
    pthread_mutex_lock(&w.mu);
    w.done = true;
    pthread_cond_signal(&w.cond);
    pthread_mutex_unlock(&w.mu);
    pthread_join(watchdog, NULL);
  }
  pthread_cond_destroy(&w.cond);
  pthread_mutex_destroy(&w.mu);
  if (!ran) {
    bgi_log(BG_LOG_WARN,
            "fork(): another thread was inside gRPC (%d tries in %d ms), so gRPC could not "
            "prepare the fork; the child process will not be able to use gRPC (the parent is "
            "not affected)",
            skipped + 1, BGI_FORK_QUIESCE_MS);
    return PREFORK_SKIPPED;
  }
  if (skipped) /* rare: say it where someone debugging a slow fork looks */
    bgi_log(BG_LOG_INFO,
            "fork(): gRPC's prefork was skipped %d times (another thread was inside gRPC) "
            "before it ran",
            skipped);
  if (!w.released)
    return PREFORK_READY;
  /* its own short window: the prefork's tries and the watchdog's bound may have used the rest */
  int64_t floor = now_ms() + BGI_FORK_REBLOCK_MS;
  bool blocked = block_again(give_up > floor ? give_up : floor);
  bgi_log(blocked ? BG_LOG_INFO : BG_LOG_WARN,
          "fork(): gRPC's prefork took over %d ms (blocked by its own threads) and was "
          "released%s",
          BGI_FORK_PREFORK_BOUND_MS,
          blocked ? ""
                  : "; other threads stayed inside gRPC, so the child process will not be "
                    "able to use gRPC (the parent is not affected)");
  return blocked ? PREFORK_READY : PREFORK_UNBLOCKED;
}

/* After PREFORK_UNBLOCKED: gRPC's threads back without its postfork hook. */
static void restart_grpc_threads(void) {
  hook_timer_threading(true);
  hook_executor_threading(true);
}
#else
static prefork_outcome guarded_prefork(bool may_retry) {
  (void)may_retry;
#if BGI_GRPC_FORK_HOOKS
  hook_prefork();
  return PREFORK_READY;
#else
  return PREFORK_SKIPPED;
#endif
}

static void restart_grpc_threads(void) {}

#endif

static bool env_true(const char *v) {
  return strcmp(v, "1") == 0 || strcasecmp(v, "true") == 0 || strcasecmp(v, "yes") == 0;
}

static void prefork_grpc(void) {
  grpc_prefork_ran = false;
  grpc_prefork_unblocked = false;
  child_may_reset = false;
  blocked_by_library_call = false;
  if (!grpc_fork_support || child_unusable[0])
    return;
  if (child_reset_pending) { /* a child that has not used gRPC yet: nothing of it runs here */
    child_may_reset = true;
    return;
  }
  atomic_store(&forking, true);
  /* This thread may itself be inside (a fork from a credentials callback, say). */
  int own = gate_depth > 0 ? 1 : 0;
  int64_t give_up = now_ms() + BGI_FORK_QUIESCE_MS;
  while (atomic_load(&inside) > own && now_ms() < give_up) {
    void (*hook)(void) = atomic_load(&quiesce_hook);
    if (hook)
      hook();
    nanosleep(&(struct timespec){.tv_nsec = 200 * 1000}, NULL);
  }
  blocked_by_library_call = atomic_load(&inside) > own;
  if (blocked_by_library_call) {
    bgi_log(BG_LOG_WARN,
            "fork(): a call of this library was still inside gRPC after %d ms; the child "
            "process will not be able to use gRPC (the parent is not affected)",
            BGI_FORK_QUIESCE_MS);
    return;
  }
  prefork_outcome outcome = guarded_prefork(own == 0);
  grpc_prefork_ran = outcome == PREFORK_READY;
  grpc_prefork_unblocked = outcome == PREFORK_UNBLOCKED;
  child_may_reset = outcome == PREFORK_READY;
}

/* Last, so that gRPC's threads are already stopped while the socket record is held (a thread
 * opening a connection records it while inside gRPC). */
static void prefork(void) {
  prefork_grpc();
  bgi_fork_sockets_hold();
}

static void release_gate(void) {
  pthread_mutex_lock(&gate_mu);
  atomic_store(&forking, false);
  pthread_cond_broadcast(&gate_cond);
  pthread_mutex_unlock(&gate_mu);
}

static void postfork_parent(void) {
  bgi_fork_sockets_release();
#if BGI_GRPC_FORK_HOOKS
  if (grpc_prefork_ran)
    hook_postfork_parent();
#endif
  if (grpc_prefork_unblocked)
    restart_grpc_threads();
  release_gate();
}

static void postfork_child(void) {
  bgi_fork_sockets_child(); /* before anything of gRPC's can run here and read them */
  atomic_fetch_add(&bgi_fork_generation_value, 1);
  /* Only this thread exists now: a parked thread may have left the gate's mutex locked. */
  pthread_mutex_init(&gate_mu, NULL);
  pthread_cond_init(&gate_cond, NULL);
  pthread_mutex_init(&reset_mu, NULL);
  atomic_store(&inside, gate_depth > 0 ? 1 : 0);
  atomic_store(&forking, false);
  if (child_unusable[0])
    return; /* a child of a child that could not use gRPC: neither can this one */
  if (!grpc_fork_support)
    snprintf(child_unusable, sizeof child_unusable, "%s", support_off_reason);
  else if (!child_may_reset)
    snprintf(child_unusable, sizeof child_unusable,
             "another thread was inside %s for more than %d ms when the process forked, so "
             "gRPC could not reset its state for the child. Fork while no call is running",
             blocked_by_library_call ? "a call of this library"
                                     : "gRPC itself (not through this library)",
             BGI_FORK_QUIESCE_MS);
  else
    child_reset_pending = true; /* gRPC's child hook runs at the child's first use */
}

/* The poll strategy, and with it a short backup poll: with poll, a subchannel's connection and
 * health check make progress only while some thread polls a pollset it is in, which for the
 * replicas round_robin does not pick yet is gRPC's backup poller (every 5 s by default); seen
 * as replicas joining a load seconds late. With epoll1 any poller sees every fd. */
static void choose_poll_strategy(void) {
  setenv("GRPC_POLL_STRATEGY", "poll", 0);
  setenv("GRPC_CLIENT_CHANNEL_BACKUP_POLL_INTERVAL_MS", BGI_FORK_BACKUP_POLL_MS, 0);
}

static void init_fork_support(void) {
  const char *setting = getenv("GRPC_ENABLE_FORK_SUPPORT");
#if !BGI_GRPC_FORK_HOOKS
  grpc_fork_support = false;
  snprintf(support_off_reason, sizeof support_off_reason,
           "the gRPC Core this library was built with has no fork hooks (grpc/fork.h)");
#else
  const char *strategy = getenv("GRPC_POLL_STRATEGY");
  if (setting) { /* the user chose: gRPC does as told (with poll, unless a strategy is named) */
    grpc_fork_support = env_true(setting);
    if (grpc_fork_support && !strategy)
      choose_poll_strategy();
    snprintf(support_off_reason, sizeof support_off_reason,
             "gRPC's fork support is off in the parent (GRPC_ENABLE_FORK_SUPPORT=%.40s). Unset "
             "it to let libbentogrpc turn it on",
             setting);
    if (grpc_fork_support && strategy && strcmp(strategy, "poll") != 0 &&
        strcmp(strategy, "epoll1") != 0) { /* gRPC's fork hooks do nothing with any other */
      grpc_fork_support = false;
      snprintf(support_off_reason, sizeof support_off_reason,
               "GRPC_POLL_STRATEGY=%.40s was set, with which gRPC has no fork support (unset "
               "GRPC_POLL_STRATEGY to let libbentogrpc choose)",
               strategy);
    }
  } else if (strategy && strcmp(strategy, "poll") != 0) {
    /* gRPC 1.51's fork support with epoll1 lets a child's use of gRPC crash the parent
     * (LockfreeEvent::SetReady on the child's pointers, seen in tests): only with poll. */
    grpc_fork_support = false;
    snprintf(support_off_reason, sizeof support_off_reason,
             "GRPC_POLL_STRATEGY=%.40s was set, and gRPC's fork support is safe only with the "
             "'poll' strategy (unset GRPC_POLL_STRATEGY to let libbentogrpc choose)",
             strategy);
  } else {
    /* gRPC reads both settings from the environment once, at its first initialisation (which
     * grpc_is_initialized() also triggers, so they are set first). setenv() runs once, before
     * the library starts any thread; overwrite=0 keeps a value set meanwhile. The poll
     * strategy: with epoll1, parent and child share the kernel's epoll set, and gRPC 1.51's
     * reset does not keep the child's registrations out of the parent's. */
    choose_poll_strategy();
    setenv("GRPC_ENABLE_FORK_SUPPORT", "1", 0);
    grpc_fork_support = !grpc_is_initialized();
    snprintf(support_off_reason, sizeof support_off_reason,
             "gRPC was initialised before libbentogrpc without fork support; set "
             "GRPC_ENABLE_FORK_SUPPORT=1 and GRPC_POLL_STRATEGY=poll in the environment before "
             "the process starts");
  }
#endif
  (void)setting;
  pthread_atfork(prefork, postfork_parent, postfork_child);
}

/* A child's first use of the library: gRPC's child hook (a new poller, its threads started
 * again). Until it runs, gRPC blocks anything that enters it (its fork guard is still up), so
 * it runs before the library touches gRPC in the child: at the first initialisation, and when a
 * parent's object is refused (whose clean-up releases gRPC objects). */
static void run_pending_reset(void) {
  pthread_mutex_lock(&reset_mu);
  if (child_reset_pending) {
    child_reset_pending = false;
#if BGI_GRPC_FORK_HOOKS
    hook_postfork_child();
#endif
  }
  pthread_mutex_unlock(&reset_mu);
}

/* With the poll strategy, gRPC 1.51 tears its default EventEngine down when the last object
 * holding it goes — on one of that engine's own threads, after the last client closed, which
 * can be while the process is already exiting: its PollPoller::Shutdown then crashed in
 * static destructors (a CLI run in ~1 of 12 against a peer that stalls). One object that holds
 * the engine for the life of the process keeps that teardown from ever running: a lame channel
 * (no connection, no fd), made once after the first grpc_init and never destroyed. */
static grpc_channel *event_engine_holder; /* never destroyed, on purpose */

static void hold_event_engine(void) {
  event_engine_holder =
      grpc_lame_client_channel_create("bentogrpc-event-engine-holder", GRPC_STATUS_UNAVAILABLE,
                                      "keeps gRPC's default event engine for the process");
}

static pthread_once_t hold_once = PTHREAD_ONCE_INIT;

void bgi_grpc_init(void) {
  pthread_once(&init_once, init_fork_support);
  run_pending_reset();
  grpc_init();
  pthread_once(&hold_once, hold_event_engine);
}

bg_status bgi_fork_check(unsigned generation, const char *what, bg_error *err) {
  if (generation == bgi_fork_generation())
    return BG_OK;
  run_pending_reset();
  return bgi_fail(err, BG_ERR_FORKED, 0,
                  "this %s was created before fork(), in a parent process: its connection "
                  "belongs to the parent and is not used here. Create a new client in this "
                  "process after fork() (bg_client_from_url) and close this one (closing it "
                  "here leaves the parent's connection alone)",
                  what);
}

bg_status bgi_fork_check_new_client(bg_error *err) {
  if (!child_unusable[0])
    return BG_OK;
  return bgi_fail(err, BG_ERR_FORKED, 0,
                  "cannot create a client in this forked process: %s; or start workers with "
                  "exec (multiprocessing's 'spawn' or 'forkserver' start methods)",
                  child_unusable);
}

void bgi_fork_enter(void) {
  if (gate_depth++ > 0)
    return;
  for (;;) {
    /* Sequentially consistent with prefork()'s store of `forking` and load of `inside`: either
     * it sees this thread inside, or this thread sees the fork coming and waits outside. */
    atomic_fetch_add(&inside, 1);
    if (!atomic_load(&forking))
      return;
    atomic_fetch_sub(&inside, 1);
    pthread_mutex_lock(&gate_mu);
    while (atomic_load(&forking))
      pthread_cond_wait(&gate_cond, &gate_mu);
    pthread_mutex_unlock(&gate_mu);
  }
}

void bgi_fork_leave(void) {
  if (--gate_depth > 0)
    return;
  atomic_fetch_sub(&inside, 1);
}

void bgi_fork_set_quiesce_hook(void (*hook)(void)) { atomic_store(&quiesce_hook, hook); }
