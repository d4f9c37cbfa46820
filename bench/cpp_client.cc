// gRPC C++ client for reference, written as a C++ user would: every call builds its Request
// from the caller's floats (or JSON text, via JsonStringToMessage; the text; the DataFrame's
// columns copied into Series fields) and reads the Response.
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
  if (w->kind == BENCH_TEXT) {
    req->mutable_text()->set_value(w->text, w->payload_bytes);
    return true;
  }
  if (w->kind == BENCH_DATAFRAME) {
    v1::DataFrame *df = req->mutable_dataframe();
    for (size_t i = 0; i < w->n_columns; i++) {
      const bench_column &c = w->columns[i];
      df->add_column_names(c.name);
      v1::Series *s = df->add_columns();
      switch (c.type) {
      case BENCH_COL_F64: {
        auto *v = static_cast<const double *>(c.data);
        s->mutable_double_values()->Add(v, v + w->rows);
        break;
      }
      case BENCH_COL_I64: {
        auto *v = static_cast<const int64_t *>(c.data);
        s->mutable_int64_values()->Add(v, v + w->rows);
        break;
      }
      case BENCH_COL_BOOL: {
        auto *v = static_cast<const bool *>(c.data);
        s->mutable_bool_values()->Add(v, v + w->rows);
        break;
      }
      case BENCH_COL_STR: {
        auto *v = static_cast<const char *const *>(c.data);
        auto *out = s->mutable_string_values();
        out->Reserve(static_cast<int>(w->rows));
        for (size_t r = 0; r < w->rows; r++)
          out->Add(v[r]);
        break;
      }
      }
    }
    return true;
  }
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
  if (w->kind == BENCH_TEXT)
    return resp.text().value() == w->text ? 0 : -1;
  if (w->kind == BENCH_DATAFRAME) {
    const v1::DataFrame &df = resp.dataframe();
    if (static_cast<size_t>(df.columns_size()) != w->n_columns ||
        df.column_names_size() != df.columns_size())
      return -1;
    for (size_t i = 0; i < w->n_columns; i++) {
      const v1::Series &s = df.columns(static_cast<int>(i));
      int bad = df.column_names(static_cast<int>(i)) != w->columns[i].name;
      switch (w->columns[i].type) {
      case BENCH_COL_F64:
        bad |= bench_check_column(w, i, s.double_values().data(),
                                  static_cast<size_t>(s.double_values_size()));
        break;
      case BENCH_COL_I64:
        bad |= bench_check_column(w, i, s.int64_values().data(),
                                  static_cast<size_t>(s.int64_values_size()));
        break;
      case BENCH_COL_BOOL:
        bad |= bench_check_column(w, i, s.bool_values().data(),
                                  static_cast<size_t>(s.bool_values_size()));
        break;
      case BENCH_COL_STR: { // a C++ user reads the std::strings in place
        std::vector<const char *> v;
        v.reserve(static_cast<size_t>(s.string_values_size()));
        for (const std::string &e : s.string_values())
          v.push_back(e.c_str());
        bad |= bench_check_column(w, i, v.data(), v.size());
        break;
      }
      }
      if (bad)
        return -1;
    }
    return 0;
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
