// gRPC C++ client for reference, written as a C++ user would: every call builds its Request
// from the caller's floats (or JSON text, via JsonStringToMessage) and reads the Response.
// One call in flight: the generated blocking stub. More: one CompletionQueue on one thread
// with N AsyncCall()s outstanding.
#include <cstdio>
#include <memory>
#include <string>
#include <vector>

#include <google/protobuf/util/json_util.h>
#include <grpcpp/grpcpp.h>

#include "bentoml/grpc/v1/service.grpc.pb.h"
#include "harness.h"

namespace v1 = bentoml::grpc::v1;

namespace {

struct Slot {
  std::unique_ptr<grpc::ClientContext> context;
  v1::Response response;
  grpc::Status status;
  std::unique_ptr<grpc::ClientAsyncResponseReader<v1::Response>> rpc;
};

struct Ctx {
  const bench_workload *w = nullptr;
  std::unique_ptr<v1::BentoService::Stub> stub;
  grpc::CompletionQueue cq;
  std::vector<Slot> slots;
};

bool BuildRequest(const bench_workload *w, v1::Request *req) {
  req->set_api_name(w->api);
  if (w->kind == BENCH_JSON)
    return google::protobuf::util::JsonStringToMessage(w->json, req->mutable_json()).ok();
  v1::NDArray *nd = req->mutable_ndarray();
  nd->set_dtype(v1::NDArray::DTYPE_FLOAT);
  nd->add_shape(static_cast<int32_t>(w->shape[0]));
  nd->add_shape(static_cast<int32_t>(w->shape[1]));
  nd->mutable_float_values()->Add(w->data, w->data + w->count);
  return true;
}

// Reads the reply as a user would: the floats in place, or the JSON back to text.
int CheckResponse(const bench_workload *w, const grpc::Status &status, const v1::Response &resp) {
  if (!status.ok()) {
    std::fprintf(stderr, "cpp: %d %s\n", status.error_code(), status.error_message().c_str());
    return -1;
  }
  if (w->kind == BENCH_JSON) {
    std::string text;
    return google::protobuf::util::MessageToJsonString(resp.json(), &text).ok() && !text.empty()
               ? 0
               : -1;
  }
  const auto &values = resp.ndarray().float_values();
  return bench_check_echo(w, values.data(), static_cast<size_t>(values.size()));
}

void *Setup(const bench_config *config, const bench_workload *w) {
  auto *ctx = new Ctx;
  ctx->w = w;
  grpc::ChannelArguments args;
  args.SetMaxReceiveMessageSize(-1);
  ctx->stub = v1::BentoService::NewStub(
      grpc::CreateCustomChannel(config->url, grpc::InsecureChannelCredentials(), args));
  ctx->slots.resize(static_cast<size_t>(config->inflight));
  return ctx;
}

void Teardown(void *p) {
  auto *ctx = static_cast<Ctx *>(p);
  ctx->cq.Shutdown();
  void *tag;
  bool ok;
  while (ctx->cq.Next(&tag, &ok)) {
  }
  delete ctx;
}

int CallBlocking(void *p) {
  auto *ctx = static_cast<Ctx *>(p);
  v1::Request req;
  if (!BuildRequest(ctx->w, &req))
    return -1;
  v1::Response resp;
  grpc::ClientContext context;
  grpc::Status status = ctx->stub->Call(&context, req, &resp);
  return CheckResponse(ctx->w, status, resp);
}

int Submit(void *p, int slot) {
  auto *ctx = static_cast<Ctx *>(p);
  Slot &s = ctx->slots[static_cast<size_t>(slot)];
  v1::Request req; // serialized when the call starts; need not outlive AsyncCall
  if (!BuildRequest(ctx->w, &req))
    return -1;
  s.context = std::make_unique<grpc::ClientContext>();
  s.response.Clear();
  s.rpc = ctx->stub->AsyncCall(s.context.get(), req, &ctx->cq);
  s.rpc->Finish(&s.response, &s.status, reinterpret_cast<void *>(static_cast<intptr_t>(slot)));
  return 0;
}

int Wait(void *p, int *slot) {
  auto *ctx = static_cast<Ctx *>(p);
  void *tag;
  bool ok = false;
  if (!ctx->cq.Next(&tag, &ok) || !ok)
    return -1;
  *slot = static_cast<int>(reinterpret_cast<intptr_t>(tag));
  const Slot &s = ctx->slots[static_cast<size_t>(*slot)];
  return CheckResponse(ctx->w, s.status, s.response);
}

} // namespace

int main(int argc, char **argv) {
  bench_contender c{};
  c.name = "cpp-grpc";
  c.setup = Setup;
  c.teardown = Teardown;
  c.call = CallBlocking;
  c.submit = Submit;
  c.wait = Wait;
  return bench_main(argc, argv, &c);
}
