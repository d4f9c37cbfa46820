// libbentogrpc's C++ API (bentogrpc.hpp), sync client: the same calls as ours_sync.c, written as
// a C++ user would. Each call borrows the workload's floats (Value::ndarray_borrow: no copy,
// checked below) or parses the JSON text, calls through Client::call (std::nothrow form: no
// exception machinery on the path), reads the reply as a typed view; RAII frees both. The 16m
// replies go into a per-thread output buffer, as in ours_sync.c. Its cost against ours-sync is
// the C++ layer's own (bench/cpp_layer.sh, callgrind).
#include <bentogrpc/bentogrpc.hpp>

#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <vector>

#include "harness.h"

namespace {

struct Ctx {
  std::unique_ptr<bentogrpc::Client> client;
  const bench_workload *w = nullptr;
};

struct Thread {
  Ctx *ctx;
  bentogrpc::CallOptions co; // with the thread's output buffer (16m); empty otherwise
  std::vector<float> buffer;
};

void *setup(const bench_config *config, const bench_workload *w) {
  static Ctx ctx;
  double t0 = bench_now();
  auto c = bentogrpc::Client::from_url(std::nothrow, config->url);
  if (!c) {
    std::fprintf(stderr, "ours-cpp-sync: %s\n", c.error().what());
    return nullptr;
  }
  ctx.client = std::make_unique<bentogrpc::Client>(std::move(*c));
  bench_note("from_url_ms", (bench_now() - t0) * 1e3);
  ctx.w = w;
  return &ctx;
}

void teardown(void *p) { static_cast<Ctx *>(p)->client.reset(); }

void *thread_init(void *p) {
  auto *t = new Thread{static_cast<Ctx *>(p), {}, {}};
  const bench_workload *w = t->ctx->w;
  if (w->kind == BENCH_NDARRAY && std::strcmp(w->name, "16m") == 0) {
    t->buffer.assign(w->count, 0.0f); // touched here, before the timed section
    t->co.set_output_buffer(t->buffer.data(), w->count * sizeof(float));
  }
  return t;
}

void thread_fini(void *p) { delete static_cast<Thread *>(p); }

int call(void *p) {
  auto *t = static_cast<Thread *>(p);
  const bench_workload *w = t->ctx->w;
  bentogrpc::Value in = w->kind == BENCH_JSON
                            ? bentogrpc::Value::json_parse(w->json)
                            : bentogrpc::Value::ndarray_borrow(w->data, {w->shape[0], w->shape[1]});
  if (w->kind == BENCH_NDARRAY && in.ndarray<float>().data() != w->data) { // measure what we say
    std::fprintf(stderr, "ours-cpp-sync: the input was copied\n");
    return -1;
  }
  auto out = t->ctx->client->call(std::nothrow, w->api, in, t->co);
  if (!out) {
    std::fprintf(stderr, "ours-cpp-sync: %s\n", out.error().what());
    return -1;
  }
  if (w->kind == BENCH_JSON)
    return out->json_text(std::nothrow).ok() ? 0 : -1;
  auto view = out->ndarray<float>(std::nothrow);
  if (!view || bench_check_echo(w, view->data(), view->count()) != 0) {
    std::fprintf(stderr, "ours-cpp-sync: the reply is not the echo\n");
    return -1;
  }
  if (!t->buffer.empty() && view->data() != t->buffer.data()) {
    std::fprintf(stderr, "ours-cpp-sync: the reply was not decoded into the output buffer\n");
    return -1;
  }
  return 0;
}

} // namespace

int main(int argc, char **argv) {
  bench_contender c{};
  c.name = "ours-cpp-sync";
  c.setup = setup;
  c.teardown = teardown;
  c.thread_init = thread_init;
  c.thread_fini = thread_fini;
  c.call = call;
  return bench_main(argc, argv, &c);
}
