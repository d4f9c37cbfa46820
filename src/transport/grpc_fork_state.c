/* gRPC 1.51's fork bookkeeping (libgpr's grpc_core::ExecCtxState), found from the machine code
 * of two functions libgpr exports. See grpc_fork_state.h. */
#include <stdatomic.h>
#include <stdint.h>
#include <string.h>

#include <grpc/support/sync.h>

#include "transport/grpc_fork_state.h"

#if BGI_GRPC_FORK_INTERNALS && defined(__x86_64__)
#include <pthread.h>

void grpc_allow_exec_ctx(void) __asm__("_ZN9grpc_core4Fork12AllowExecCtxEv");
void grpc_uncount_exec_ctx(void) __asm__("_ZN9grpc_core4Fork17DoDecExecCtxCountEv");

/* ExecCtxState's values (gRPC 1.51, src/core/lib/gprpp/fork.cc): the count is
 * UNBLOCKED(n) = n + 2 while ExecCtxs may be opened, BLOCKED(n) = n while a prefork blocks. */
enum { BLOCKED_BY_PREFORK = 1, UNBLOCKED_PREFORK_INSIDE = 3 };

typedef struct grpc_fork_state {
  _Atomic intptr_t *count;
  bool *fork_complete; /* false from the block until AllowExecCtx; written under mu */
  gpr_mu *mu;
  gpr_cv *cv; /* where blocked threads wait for fork_complete */
} grpc_fork_state;

static grpc_fork_state state;
static bool state_found;
static pthread_once_t find_once = PTHREAD_ONCE_INIT;

/* Skips "endbr64", which builds with control-flow protection put first in every function. */
static const unsigned char *after_endbr64(const unsigned char *code) {
  static const unsigned char endbr64[] = {0xf3, 0x0f, 0x1e, 0xfa};
  return memcmp(code, endbr64, sizeof endbr64) == 0 ? code + sizeof endbr64 : code;
}

/* A function's first instruction, through a PLT slot ("jmp *slot(%rip)", "bnd jmp" too) if the
 * address is one. */
static const unsigned char *code_of(void (*fn)(void)) {
  const unsigned char *code = after_endbr64((const unsigned char *)(uintptr_t)fn);
  const unsigned char *jmp = code[0] == 0xf2 ? code + 1 : code; /* the bnd prefix */
  if (jmp[0] == 0xff && jmp[1] == 0x25) {
    int32_t rel;
    memcpy(&rel, jmp + 2, sizeof rel);
    memcpy(&code, jmp + 6 + rel, sizeof code);
    code = after_endbr64(code);
  }
  return code;
}

/* The address a RIP-relative operand names: its 32-bit displacement at `disp`, counted from
 * the end of the instruction, `end`. */
static void *rip_target(const unsigned char *disp, const unsigned char *end) {
  int32_t rel;
  memcpy(&rel, disp, sizeof rel);
  return (void *)(uintptr_t)(end + rel);
}

/* DoDecExecCtxCount() is one instruction on the count: "lock subq $1, count(%rip); ret".
 * AllowExecCtx() locks the mutex ("lea mu(%rip), %rbx"), wakes the condition variable next to
 * it ("lea 8(%rbx), %rdi"), stores the count ("movq $2, count(%rip)", which must name the same
 * count) and the flag ("movb $1, complete(%rip)"). The four must also lie as ExecCtxState lays
 * them out: the flag, the mutex, the condition variable, the count, 8 bytes apart. Anything
 * else: not found. */
static void find_state(void) {
  const unsigned char *dec = code_of(grpc_uncount_exec_ctx);
  static const unsigned char lock_subq[] = {0xf0, 0x48, 0x83, 0x2d};
  if (memcmp(dec, lock_subq, sizeof lock_subq) != 0 || dec[8] != 0x01 || dec[9] != 0xc3)
    return;
  void *count = rip_target(dec + 4, dec + 9);
  const unsigned char *allow = code_of(grpc_allow_exec_ctx);
  void *mu = NULL, *count_stored = NULL, *complete = NULL;
  bool cv_next_to_mu = false;
  for (int i = 0; i < 96 && !(mu && count_stored && complete && cv_next_to_mu); i++) {
    const unsigned char *p = allow + i;
    if (!mu && p[0] == 0x48 && p[1] == 0x8d && p[2] == 0x1d)
      mu = rip_target(p + 3, p + 7);
    else if (p[0] == 0x48 && p[1] == 0x8d && p[2] == 0x7b && p[3] == 0x08)
      cv_next_to_mu = true;
    else if (!count_stored && p[0] == 0x48 && p[1] == 0xc7 && p[2] == 0x05 && p[7] == 0x02 &&
             p[8] == 0 && p[9] == 0 && p[10] == 0)
      count_stored = rip_target(p + 3, p + 11);
    else if (!complete && p[0] == 0xc6 && p[1] == 0x05 && p[6] == 0x01)
      complete = rip_target(p + 2, p + 7);
  }
  if (!mu || !complete || !cv_next_to_mu || count_stored != count ||
      (char *)mu != (char *)count - 16 || (char *)complete != (char *)count - 24)
    return;
  state = (grpc_fork_state){
      .count = count, .fork_complete = complete, .mu = mu, .cv = (gpr_cv *)((char *)mu + 8)};
  state_found = true;
}

static const grpc_fork_state *fork_state(void) {
  pthread_once(&find_once, find_state);
  return state_found ? &state : NULL;
}

long bgi_grpc_fork_inside_count(void) {
  const grpc_fork_state *s = fork_state();
  return s ? (long)atomic_load(s->count) : -1;
}

bool bgi_grpc_fork_release_prefork(void) {
  const grpc_fork_state *s = fork_state();
  if (!s)
    return false;
  gpr_mu_lock(s->mu);
  intptr_t blocked = BLOCKED_BY_PREFORK;
  bool released = atomic_compare_exchange_strong(s->count, &blocked, UNBLOCKED_PREFORK_INSIDE);
  if (released) {
    *s->fork_complete = true;
    gpr_cv_broadcast(s->cv);
  }
  gpr_mu_unlock(s->mu);
  return released;
}
#else
long bgi_grpc_fork_inside_count(void) { return -1; }

bool bgi_grpc_fork_release_prefork(void) { return false; }
#endif
