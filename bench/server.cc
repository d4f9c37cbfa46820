// bench server: a fast BentoML-protocol echo on gRPC C++'s callback API.
//
//   /bentoml.grpc.v1.BentoService/Call             echo:      Request.ndarray -> Response.ndarray
//                                                  echo_json: Request.json    -> Response.json
//                                                  echo_df:   Request.dataframe ->
//                                                  Response.dataframe echo_text: Request.text    ->
//                                                  Response.text
//   /bentoml.grpc.v1.BentoService/ServiceMetadata  both APIs, attributes as PROTOCOL.md §3
//   /grpc.health.v1.Health/Check                   SERVING for "", the BentoService, Health
//
// Each Call's request and response live on one protobuf arena owned by a custom message
// holder, so the handler may take the request's payload: the echo is a pointer swap, never a
// copy. Message sizes are unlimited; freed memory is kept for reuse (KeepTouchedMemory).
// Prints "PORT <n>" once listening; on SIGTERM/SIGINT prints its CPU time and exits.
#include <malloc.h>
#include <signal.h>
#include <sys/resource.h>

#include <climits>
#include <cstdio>
#include <memory>
#include <string>

#include <google/protobuf/arena.h>
#include <google/protobuf/struct.pb.h>
#include <grpcpp/grpcpp.h>

#include "bentoml/grpc/v1/service.grpc.pb.h"
#include "grpc/health/v1/health.grpc.pb.h"

namespace v1 = bentoml::grpc::v1;
namespace hv1 = grpc::health::v1;
using google::protobuf::Struct;
using google::protobuf::Value;

namespace {

// Request and response of one Call on one arena; the handler reaches them through
// ServerContext::GetRpcAllocatorState() and may modify the request.
class CallMessages : public grpc::MessageHolder<v1::Request, v1::Response> {
public:
  CallMessages() {
    set_request(google::protobuf::Arena::CreateMessage<v1::Request>(&arena_));
    set_response(google::protobuf::Arena::CreateMessage<v1::Response>(&arena_));
  }
  void Release() override { delete this; }

private:
  google::protobuf::Arena arena_;
};

class CallAllocator : public grpc::MessageAllocator<v1::Request, v1::Response> {
public:
  grpc::MessageHolder<v1::Request, v1::Response> *AllocateMessages() override {
    return new CallMessages();
  }
};

grpc::Status Echo(v1::Request *request, v1::Response *response) {
  const std::string &api = request->api_name();
  if (api == "echo" && request->content_case() == v1::Request::kNdarray) {
    response->mutable_ndarray()->Swap(request->mutable_ndarray());
    return grpc::Status::OK;
  }
  if (api == "echo_json" && request->content_case() == v1::Request::kJson) {
    response->mutable_json()->Swap(request->mutable_json());
    return grpc::Status::OK;
  }
  if (api == "echo_df" && request->content_case() == v1::Request::kDataframe) {
    response->mutable_dataframe()->Swap(request->mutable_dataframe());
    return grpc::Status::OK;
  }
  if (api == "echo_text" && request->content_case() == v1::Request::kText) {
    response->mutable_text()->Swap(request->mutable_text());
    return grpc::Status::OK;
  }
  const char *field = api == "echo"        ? "ndarray"
                      : api == "echo_json" ? "json"
                      : api == "echo_df"   ? "dataframe"
                      : api == "echo_text" ? "text"
                                           : nullptr;
  if (!field)
    return grpc::Status(grpc::StatusCode::INTERNAL,
                        "API '" + api + "' is not defined in service 'bench_echo'");
  return grpc::Status(grpc::StatusCode::INVALID_ARGUMENT,
                      "'" + api + "' expects field '" + field + "'");
}

Value Bool(bool b) {
  Value v;
  v.set_bool_value(b);
  return v;
}

Value Null() {
  Value v;
  v.set_null_value(google::protobuf::NULL_VALUE);
  return v;
}

Value String(const char *s) {
  Value v;
  v.set_string_value(s);
  return v;
}

// attributes = {"args": {...}} as BentoML exports a descriptor's spec (PROTOCOL.md §3);
// no args (Text): attributes = {}.
void SetDescriptor(v1::ServiceMetadataResponse::DescriptorMetadata *d, const char *id,
                   const Struct *args) {
  d->set_descriptor_id(id);
  d->mutable_attributes();
  if (args)
    *(*d->mutable_attributes()->mutable_fields())["args"].mutable_struct_value() = *args;
}

v1::ServiceMetadataResponse MakeMetadata() {
  Struct ndarray_args, json_args, df_args;
  auto &nd = *ndarray_args.mutable_fields();
  nd["dtype"] = Null();
  nd["shape"] = Null();
  nd["enforce_dtype"] = Bool(false);
  nd["enforce_shape"] = Bool(false);
  auto &js = *json_args.mutable_fields();
  js["has_pydantic_model"] = Bool(false);
  js["has_json_encoder"] = Bool(false);
  // PandasDataFrame(orient="columns"), as BentoML exports it (PROTOCOL.md §3)
  auto &df = *df_args.mutable_fields();
  df["orient"] = String("columns");
  df["columns"] = Null();
  df["dtype"] = String("null");
  df["shape"] = Null();
  df["enforce_dtype"] = Bool(false);
  df["enforce_shape"] = Bool(false);
  df["default_format"] = String("json");

  v1::ServiceMetadataResponse m;
  m.set_name("bench_echo");
  m.set_docs("# bench_echo\n\nEcho service of the libbentogrpc benchmarks.");
  auto *echo = m.add_apis();
  echo->set_name("echo");
  SetDescriptor(echo->mutable_input(), "bentoml.io.NumpyNdarray", &ndarray_args);
  SetDescriptor(echo->mutable_output(), "bentoml.io.NumpyNdarray", &ndarray_args);
  auto *echo_json = m.add_apis();
  echo_json->set_name("echo_json");
  SetDescriptor(echo_json->mutable_input(), "bentoml.io.JSON", &json_args);
  SetDescriptor(echo_json->mutable_output(), "bentoml.io.JSON", &json_args);
  auto *echo_df = m.add_apis();
  echo_df->set_name("echo_df");
  SetDescriptor(echo_df->mutable_input(), "bentoml.io.PandasDataFrame", &df_args);
  SetDescriptor(echo_df->mutable_output(), "bentoml.io.PandasDataFrame", &df_args);
  auto *echo_text = m.add_apis();
  echo_text->set_name("echo_text");
  SetDescriptor(echo_text->mutable_input(), "bentoml.io.Text", nullptr);
  SetDescriptor(echo_text->mutable_output(), "bentoml.io.Text", nullptr);
  return m;
}

class BentoService final : public v1::BentoService::CallbackService {
public:
  BentoService() : metadata_(MakeMetadata()) { SetMessageAllocatorFor_Call(&allocator_); }

  grpc::ServerUnaryReactor *Call(grpc::CallbackServerContext *ctx, const v1::Request *,
                                 v1::Response *) override {
    auto *messages = static_cast<CallMessages *>(ctx->GetRpcAllocatorState());
    auto *reactor = ctx->DefaultReactor();
    reactor->Finish(Echo(messages->request(), messages->response()));
    return reactor;
  }

  grpc::ServerUnaryReactor *ServiceMetadata(grpc::CallbackServerContext *ctx,
                                            const v1::ServiceMetadataRequest *,
                                            v1::ServiceMetadataResponse *response) override {
    *response = metadata_;
    auto *reactor = ctx->DefaultReactor();
    reactor->Finish(grpc::Status::OK);
    return reactor;
  }

private:
  CallAllocator allocator_;
  const v1::ServiceMetadataResponse metadata_;
};

class HealthService final : public hv1::Health::CallbackService {
  grpc::ServerUnaryReactor *Check(grpc::CallbackServerContext *ctx,
                                  const hv1::HealthCheckRequest *request,
                                  hv1::HealthCheckResponse *response) override {
    const std::string &name = request->service();
    auto *reactor = ctx->DefaultReactor();
    if (name.empty() || name == "bentoml.grpc.v1.BentoService" || name == "grpc.health.v1.Health") {
      response->set_status(hv1::HealthCheckResponse::SERVING);
      reactor->Finish(grpc::Status::OK);
    } else {
      reactor->Finish(grpc::Status(grpc::StatusCode::NOT_FOUND, ""));
    }
    return reactor;
  }
};

void PrintCpu() {
  struct rusage ru;
  getrusage(RUSAGE_SELF, &ru);
  std::printf("SERVER_CPU user=%.3f sys=%.3f maxrss_kb=%ld\n",
              ru.ru_utime.tv_sec + ru.ru_utime.tv_usec * 1e-6,
              ru.ru_stime.tv_sec + ru.ru_stime.tv_usec * 1e-6, ru.ru_maxrss);
  std::fflush(stdout);
}

} // namespace

// glibc hands every allocation of 32 MiB or more (and, in gRPC's threads' arenas, smaller
// ones) back to the kernel when freed, so each 64 MB echo would page-fault ~150 MB of fresh
// memory: that doubled the server's CPU per call and made it the bottleneck of the big-payload
// cells. One arena that never unmaps or trims keeps the pages it has touched.
void KeepTouchedMemory() {
  mallopt(M_ARENA_MAX, 1);
  mallopt(M_MMAP_MAX, 0);
  mallopt(M_TRIM_THRESHOLD, INT_MAX);
}

int main(int argc, char **argv) {
  KeepTouchedMemory();
  std::string address = argc > 1 ? argv[1] : "127.0.0.1:0";
  // Block the stop signals in every thread; the main thread waits for them below.
  sigset_t stop;
  sigemptyset(&stop);
  sigaddset(&stop, SIGTERM);
  sigaddset(&stop, SIGINT);
  pthread_sigmask(SIG_BLOCK, &stop, nullptr);

  BentoService bento;
  HealthService health;
  int port = 0;
  grpc::ServerBuilder builder;
  builder.AddListeningPort(address, grpc::InsecureServerCredentials(), &port);
  builder.SetMaxReceiveMessageSize(-1);
  builder.SetMaxSendMessageSize(-1);
  builder.RegisterService(&bento);
  builder.RegisterService(&health);
  std::unique_ptr<grpc::Server> server = builder.BuildAndStart();
  if (!server || port == 0) {
    std::fprintf(stderr, "bench_server: cannot listen on %s\n", address.c_str());
    return 1;
  }
  std::printf("PORT %d\n", port);
  std::fflush(stdout);

  int sig = 0;
  sigwait(&stop, &sig);
  server->Shutdown();
  PrintCpu();
  return 0;
}
