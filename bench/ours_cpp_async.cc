// libbentogrpc's C++ API (bentogrpc.hpp), async client in poll mode: the same calls as
// ours_async.c, written as a C++ user would. submit starts AsyncClient::call with a callback (a
// lambda taking Result<Value>) for a slot; wait runs AsyncClient::poll() until a callback has
// finished one. Large inputs are borrowed (AsyncFlags::borrow_inputs; each slot's input Value
// lives until its callback) and the 16m replies go into a per-slot output buffer, as in
// ours_async.c. Its cost against ours-async is the C++ layer's own (bench/cpp_layer.sh).
#include <bentogrpc/bentogrpc.hpp>

#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <vector>

#include "harness.h"

namespace {

struct Slot {
  int index = 0;
  bentogrpc::Value input; // borrowed by the call until its callback
  bentogrpc::CallOptions co;
  std::vector<float> buffer;
};

struct Ctx {
  std::unique_ptr<bentogrpc::AsyncClient> client;
  const bench_workload *w = nullptr;
  std::vector<Slot> slots;
  std::vector<int> done; // finished slots not yet handed to wait(), a FIFO
  size_t head = 0, tail = 0;
};

int check(const bench_workload *w, const Slot &s, const bentogrpc::Value &out) {
  if (w->kind == BENCH_JSON)
    return out.json_text(std::nothrow).ok() ? 0 : -1;
  auto view = out.ndarray<float>(std::nothrow);
  if (!view || bench_check_echo(w, view->data(), view->count()) != 0)
    return -1;
  return s.buffer.empty() || view->data() == s.buffer.data() ? 0 : -1;
}

void *setup(const bench_config *config, const bench_workload *w) {
  static Ctx ctx;
  double t0 = bench_now();
  bentogrpc::Options opts;
  if (const char *lb = std::getenv("BENCH_LB_POLICY"); lb && *lb)
    opts.set_lb_policy(lb);
  auto c = bentogrpc::AsyncClient::from_url(std::nothrow, config->url, opts,
                                            bentogrpc::AsyncFlags::borrow_inputs);
  if (!c) {
    std::fprintf(stderr, "ours-cpp-async: %s\n", c.error().what());
    return nullptr;
  }
  ctx.client = std::make_unique<bentogrpc::AsyncClient>(std::move(*c));
  bench_note("from_url_ms", (bench_now() - t0) * 1e3);
  ctx.w = w;
  ctx.slots.resize(static_cast<size_t>(config->inflight));
  ctx.done.resize(static_cast<size_t>(config->inflight) + 1);
  bool reuse = w->kind == BENCH_NDARRAY && std::strcmp(w->name, "16m") == 0;
  for (size_t i = 0; i < ctx.slots.size(); i++) {
    ctx.slots[i].index = static_cast<int>(i);
    if (reuse) {
      ctx.slots[i].buffer.assign(w->count, 0.0f); // touched before the timed section
      ctx.slots[i].co.set_output_buffer(ctx.slots[i].buffer.data(), w->count * sizeof(float));
    }
  }
  return &ctx;
}

void teardown(void *p) {
  auto *ctx = static_cast<Ctx *>(p);
  ctx->client.reset();
  ctx->slots.clear();
}

int submit(void *p, int slot) {
  auto *ctx = static_cast<Ctx *>(p);
  const bench_workload *w = ctx->w;
  Slot &s = ctx->slots[static_cast<size_t>(slot)];
  s.input = w->kind == BENCH_JSON
                ? bentogrpc::Value::json_parse(w->json)
                : bentogrpc::Value::ndarray_borrow(w->data, {w->shape[0], w->shape[1]});
  auto started = ctx->client->call(
      std::nothrow, w->api, s.input,
      [ctx, &s](bentogrpc::Result<bentogrpc::Value> r) {
        int rc = r.ok() ? check(ctx->w, s, *r) : -1;
        if (!r.ok())
          std::fprintf(stderr, "ours-cpp-async: %s\n", r.error().what());
        else if (rc != 0)
          std::fprintf(stderr, "ours-cpp-async: the reply is not the echo\n");
        s.input = bentogrpc::Value(); // the call is done with it
        ctx->done[ctx->tail] = rc == 0 ? s.index : -1;
        ctx->tail = (ctx->tail + 1) % ctx->done.size();
      },
      s.co);
  if (!started) {
    std::fprintf(stderr, "ours-cpp-async: %s\n", started.error().what());
    return -1;
  }
  return 0;
}

int wait(void *p, int *slot) {
  auto *ctx = static_cast<Ctx *>(p);
  while (ctx->head == ctx->tail)
    if (!ctx->client->poll(std::chrono::milliseconds(-1)) && ctx->head == ctx->tail &&
        ctx->client->pending() == 0)
      return -1;
  *slot = ctx->done[ctx->head];
  ctx->head = (ctx->head + 1) % ctx->done.size();
  return *slot >= 0 ? 0 : -1;
}

} // namespace

int main(int argc, char **argv) {
  bench_contender c{};
  c.name = "ours-cpp-async";
  c.setup = setup;
  c.teardown = teardown;
  c.submit = submit;
  c.wait = wait;
  return bench_main(argc, argv, &c);
}
