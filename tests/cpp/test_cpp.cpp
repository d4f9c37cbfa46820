// The C++ API's sync client against the reference server: every descriptor both ways (the
// APIs of tests/integration/test_descriptors.c), borrowed inputs without copies, typed views
// and their checks, exceptions and the std::nothrow forms, options, interceptors as callables,
// move semantics.
//
// GoogleTest (Debian's libgtest-dev) rather than doctest or Catch2: it is already packaged and
// installed for this project's machines, CMake finds it with find_package(GTest), and its
// EXPECT_THROW / typed assertions fit an API whose errors are exceptions. Built as C++20 (so
// std::span inputs are exercised); the async tests (test_cpp_async.cpp) are built as C++17.
#if __has_include(<nlohmann/json.hpp>)
#include <nlohmann/json.hpp>
#endif
#include <bentogrpc/bentogrpc.hpp>

#include <atomic>
#include <cstring>
#include <future>
#include <thread>

#include "server_env.h"

using namespace std::chrono_literals;
using bentogrpc::Client;
using bentogrpc::DType;
using bentogrpc::Error;
using bentogrpc::Kind;
using bentogrpc::Value;

namespace {

Client &client() {
  static Client c = Client::from_url(bgt::ServerEnv::url());
  return c;
}

// Runs `f` and returns the Error it throws (fails the test when it throws nothing).
template <class F> Error error_of(F &&f) {
  try {
    f();
  } catch (const Error &e) {
    return e;
  }
  ADD_FAILURE() << "no bentogrpc::Error was thrown";
  return Error(BG_OK, "");
}

// The text of an output (a view into a temporary Value is refused at compile time).
std::string text_of(const Value &v) { return std::string(v.text()); }

bool contains(std::string_view text, std::string_view part) {
  return text.find(part) != std::string_view::npos;
}

// ---- discovery, health ----

TEST(Client, DiscoversApisWithDescriptorsAndDocs) {
  Client &c = client();
  EXPECT_EQ(c.service_name(), "reference_service");
  EXPECT_EQ(c.url(), bgt::ServerEnv::url());
  auto apis = c.apis();
  ASSERT_EQ(apis.size(), c.api_count());
  ASSERT_GE(apis.size(), 20u);
  EXPECT_EQ(apis[0].name(), "bonjour");
  auto predict = c.api_find("predict");
  ASSERT_TRUE(predict);
  EXPECT_EQ(predict->docs(), "Sum each row of an N×4 float32 batch.");
  EXPECT_EQ(predict->input_descriptor(), "bentoml.io.NumpyNdarray");
  EXPECT_TRUE(contains(predict->input_attributes_json(), "\"enforce_shape\":true"));
  EXPECT_TRUE(predict->is_supported());
  EXPECT_EQ(predict->unsupported_reason(), "");
  auto custom = c.api_find("custom_io");
  ASSERT_TRUE(custom);
  EXPECT_FALSE(custom->is_supported());
  EXPECT_FALSE(custom->unsupported_reason().empty());
  EXPECT_FALSE(c.api_find("nope"));
  EXPECT_FALSE(c.api_at(c.api_count()));
}

TEST(Client, HealthAndWaitUntilReady) {
  EXPECT_EQ(client().health(), bentogrpc::HealthStatus::serving);
  EXPECT_TRUE(client().health(std::nothrow).ok());
  client().wait_until_ready(2s);
  bentogrpc::wait_until_server_ready(bgt::ServerEnv::url(), 2s);
  Error e = error_of([] { client().health("no.such.Service"); });
  EXPECT_EQ(e.code(), BG_ERR_SERVER);
  EXPECT_EQ(e.grpc_status(), 5);
  EXPECT_STREQ(e.grpc_status_name(), "NOT_FOUND");
}

TEST(Client, ConnectFailureThrowsAndNothrowReturnsIt) {
  std::string dead = "127.0.0.1:" + std::to_string(bgt_unused_port());
  bentogrpc::Options opts;
  opts.set_discovery_timeout(2s);
  Error e = error_of([&] { Client::from_url(dead, opts); });
  EXPECT_EQ(e.code(), BG_ERR_UNAVAILABLE);
  EXPECT_TRUE(contains(e.what(), dead)) << e.what();
  auto r = Client::from_url(std::nothrow, dead, opts);
  ASSERT_FALSE(r.ok());
  EXPECT_FALSE(static_cast<bool>(r));
  EXPECT_EQ(r.error().code(), BG_ERR_UNAVAILABLE);
  EXPECT_THROW(r.value(), Error);
  auto bad_url = Client::from_url(std::nothrow, "grpc://user:pw@127.0.0.1:1");
  EXPECT_EQ(bad_url.error().code(), BG_ERR_INVALID_ARGUMENT);
  auto timeout = bentogrpc::wait_until_server_ready;
  Error t = error_of([&] { timeout(dead, 300ms, 50ms, bentogrpc::Options()); });
  EXPECT_EQ(t.code(), BG_ERR_TIMEOUT);
}

// ---- every descriptor both ways ----

TEST(Descriptors, Text) {
  Value out = client()["bonjour"](Value::text_new("BentoML"));
  EXPECT_EQ(out.kind(), Kind::text);
  EXPECT_EQ(out.text(), "Hello, BentoML!");
  const char *utf8 = "h\xc3\xa9llo \xf0\x9f\x8d\xb1";
  out = client().call("bonjour", Value::text_new(utf8));
  EXPECT_EQ(out.text(), std::string("Hello, ") + utf8 + "!");
  out = client().call("ensure_metrics_are_registered", Value::text_new("x"));
  EXPECT_EQ(out.text(), "");
  EXPECT_EQ(error_of([] { Value::text_new("bad \xff"); }).code(), BG_ERR_INVALID_ARGUMENT);
}

TEST(Descriptors, JsonAsText) {
  Value in = Value::json_parse(R"({"b": [1, 2.5, "x"], "a": {"n": null, "t": true}})");
  Value out = client().call("echo_json", in);
  EXPECT_EQ(out.kind(), Kind::json);
  EXPECT_EQ(out.json_text(), R"({"a":{"n":null,"t":true},"b":[1.0,2.5,"x"]})");
  EXPECT_TRUE(contains(out.json_format(2), "\n  \"a\": {"));
  EXPECT_EQ(error_of([] { Value::json_parse("{nope"); }).code(), BG_ERR_INVALID_ARGUMENT);
  // the server's own validation of echo_json_validate fails with its message
  Error e = error_of([] { client().call("echo_json_validate", Value::json_parse("{}")); });
  EXPECT_EQ(e.code(), BG_ERR_SERVER);
}

#if BENTOGRPC_HAS_NLOHMANN_JSON
TEST(Descriptors, JsonAsNlohmann) {
  nlohmann::json doc = {{"name", "iris"}, {"features", {5.9, 3.0, 5.1, 1.8}}};
  Value out = client().call("echo_json", Value::json_from(doc));
  nlohmann::json back = out.json();
  EXPECT_EQ(back["name"], "iris");
  EXPECT_DOUBLE_EQ(back["features"][2].get<double>(), 5.1);
}
#endif

template <class T> void echo_ndarray_of(std::vector<T> elems) {
  SCOPED_TRACE(bentogrpc::dtype_name(bentogrpc::dtype_of<T>::value));
  Value in = Value::ndarray_borrow(elems, {2, static_cast<int64_t>(elems.size() / 2)});
  // borrowed: the value points at the vector's own elements
  EXPECT_EQ(static_cast<const void *>(in.ndarray<T>().data()),
            static_cast<const void *>(elems.data()));
  Value out = client().call("echo_ndarray", in);
  auto v = out.ndarray<T>();
  EXPECT_EQ(v.dtype(), bentogrpc::dtype_of<T>::value);
  ASSERT_EQ(v.ndim(), 2u);
  EXPECT_EQ(v.shape()[0], 2);
  ASSERT_EQ(v.count(), elems.size());
  for (size_t i = 0; i < elems.size(); i++)
    EXPECT_EQ(v[i], elems[i]);
}

TEST(Descriptors, NdarrayEveryDtype) {
  echo_ndarray_of<float>({1.5f, -2, 3, 4});
  echo_ndarray_of<double>({1e300, -0.5});
  echo_ndarray_of<int32_t>({INT32_MIN, 7});
  echo_ndarray_of<int64_t>({INT64_MAX, -1, 0, 5});
  echo_ndarray_of<uint32_t>({UINT32_MAX, 1});
  echo_ndarray_of<uint64_t>({UINT64_MAX, 2});
  // strings go out (read back here from the borrowed input); BentoML cannot send them back
  std::vector<const char *> words = {"a", "b\xc3\xa9", "c", "d"};
  Value in = Value::ndarray_borrow(words, {2, 2});
  auto v = in.ndarray<const char *>();
  ASSERT_EQ(v.count(), 4u);
  EXPECT_STREQ(v.at(1, 0), "c");
  EXPECT_STREQ(v[1], "b\xc3\xa9");
  Error e = error_of([&] { client().call("echo_ndarray", in); });
  EXPECT_EQ(e.code(), BG_ERR_SERVER);
  EXPECT_TRUE(contains(e.what(), "Unsupported dtype")) << e.what();
  Value copied = Value::ndarray_copy(std::vector<std::string>{"x", "y"});
  EXPECT_STREQ(copied.ndarray<const char *>()[1], "y");
  Value out;
  bool flags[2][2] = {{true, false}, {false, true}};
  out = client().call("echo_ndarray", Value::ndarray_borrow(flags));
  EXPECT_TRUE(out.ndarray<bool>().at(1, 1));
  EXPECT_FALSE(out.ndarray<bool>().at(0, 1));
}

TEST(Descriptors, NdarrayInputsWithoutCopies) {
  // a C array, a pointer and shape, a vector, a span: each borrowed, none copied
  float batch[2][4] = {{5.9f, 3.0f, 5.1f, 1.8f}, {4.9f, 3.0f, 1.4f, 0.2f}};
  Value a = Value::ndarray_borrow(batch);
  EXPECT_EQ(a.ndarray<float>().data(), &batch[0][0]);
  EXPECT_EQ(a.ndarray<float>().shape()[1], 4);
  Value out = client()["predict"](a);
  EXPECT_FLOAT_EQ(out.ndarray<float>().at(0), 15.8f);
  EXPECT_FLOAT_EQ(out.ndarray<float>().at(1), 9.5f);
  const float *p = &batch[0][0];
  Value b = Value::ndarray_borrow(p, {2, 4});
  EXPECT_EQ(b.ndarray<float>().data(), p);
  std::vector<float> big(1 << 20, 0.25f); // 4 MiB
  Value c = Value::ndarray_borrow(big, {1 << 18, 4});
  EXPECT_EQ(c.ndarray<float>().data(), big.data());
  Value sums = client().call("predict", c);
  EXPECT_EQ(sums.ndarray<float>().count(), size_t{1} << 18);
  EXPECT_FLOAT_EQ(sums.ndarray<float>()[12345], 1.0f);
#if BENTOGRPC_HAS_SPAN
  std::span<const float> s(big.data(), 8);
  Value d = Value::ndarray_borrow(s, {2, 4});
  EXPECT_EQ(d.ndarray<float>().data(), big.data());
  std::span<const float> view = sums.ndarray<float>(); // views convert to std::span
  EXPECT_EQ(view.size(), size_t{1} << 18);
#endif
  Value copy = Value::ndarray_copy(p, {2, 4});
  EXPECT_NE(copy.ndarray<float>().data(), p);
  // a 0-d scalar
  double x = -1.25;
  Value scalar = Value::ndarray_borrow(&x, {});
  Value doubled = client().call("double_ndarray", scalar);
  EXPECT_EQ(doubled.ndarray<double>().shape()[0], 1); // a 0-d array comes back as (1,)
  EXPECT_DOUBLE_EQ(doubled.ndarray<double>()[0], -2.5);
}

TEST(Descriptors, Series) {
  std::vector<int64_t> v = {1, 2, 3};
  Value out = client().call("echo_series_from_sample", Value::series_borrow(v));
  EXPECT_EQ(out.kind(), Kind::series);
  EXPECT_EQ(out.dtype(), DType::int64);
  auto s = out.series<int64_t>();
  ASSERT_EQ(s.size(), 3u);
  EXPECT_EQ(s[2], 3);
  std::vector<int32_t> w = {7, -8, 9};
  out = client().call("echo_series_from_sample", Value::series_copy(w));
  EXPECT_EQ(out.series<int64_t>().at(1), -8);
  EXPECT_EQ(error_of([&] { (void)out.series<int32_t>(); }).code(), BG_ERR_INVALID_ARGUMENT);
}

TEST(Descriptors, DataFrameColumnsAsTypedViews) {
  std::vector<int64_t> col1 = {23};
  Value out = client().call("double_dataframe", Value::dataframe_new().dataframe_add_column(
                                                    "col1", Value::series_borrow(col1)));
  ASSERT_EQ(out.kind(), Kind::dataframe);
  auto df = out.dataframe();
  EXPECT_EQ(df.column_count(), 1u);
  EXPECT_EQ(df.column_name_at(0), "col1");
  EXPECT_EQ(df.column<int64_t>("col1")[0], 46);

  std::vector<int32_t> a = {1, 2, 3};
  std::vector<float> b = {0.5f, 1.5f, -2.0f};
  bool ok[3] = {true, false, true};
  Value in = Value::dataframe_new();
  in.dataframe_add_column("a", Value::series_copy(a))
      .dataframe_add_column("b", Value::series_copy(b))
      .dataframe_add_column("ok", Value::series_copy(ok, 3));
  out = client().call("echo_dataframe", in);
  df = out.dataframe();
  EXPECT_EQ(df.row_count(), 3u);
  EXPECT_EQ(df.column<int64_t>("a")[2], 3); // widened like pandas
  EXPECT_DOUBLE_EQ(df.column<double>("b")[1], 1.5);
  EXPECT_TRUE(df.column<bool>("ok")[2]);
  ASSERT_TRUE(df.column_find("ok"));
  EXPECT_EQ(df.column_find("ok")->dtype(), DType::boolean);
  EXPECT_FALSE(df.column_find("zz"));
  Error e = error_of([&] { (void)df.column<int64_t>("zz"); });
  EXPECT_TRUE(contains(e.what(), "no column 'zz'")) << e.what();
  EXPECT_EQ(error_of([&] { in.dataframe_add_column("a", Value::series_copy(a)); }).code(),
            BG_ERR_INVALID_ARGUMENT); // duplicate name
}

TEST(Descriptors, ImageAndFileWithMimeTypes) {
  std::string bmp = bgt::bmp(4, 3, 10);
  Value out = client().call("echo_image", Value::file_borrow(bmp, "image/bmp"));
  auto f = out.file();
  EXPECT_EQ(f.mime, "image/bmp");
  EXPECT_GT(f.data.size(), 54u);
  EXPECT_EQ(f.data.substr(0, 2), "BM");
  Error e = error_of([&] { client().call("echo_image", Value::file_borrow(bmp, "image/png")); });
  EXPECT_TRUE(contains(e.what(), "expects MIME type image/bmp")) << e.what();
  EXPECT_EQ(error_of([&] { Value::file_copy(bmp, "png"); }).code(), BG_ERR_INVALID_ARGUMENT);

  // File round trip on a server that takes `file` (BentoML's intended behaviour)
  bgt_server s;
  const char *args[] = {"--file-mode", "intended", nullptr};
  ASSERT_EQ(bgt_server_start(&s, args), 0);
  {
    Client c = Client::from_url(s.url);
    const std::string content("\x81\x30\x89\x39", 4);
    Value file = c.call("predict_file", Value::file_copy(content, "application/pdf"));
    EXPECT_EQ(file.file().data, content);
    EXPECT_EQ(file.file().mime, "application/octet-stream");
  }
  bgt_server_stop(&s);
}

TEST(Descriptors, MultipartPartsByName) {
  Value mp = Value::multipart_new()
                 .multipart_add("original", Value::file_copy(bgt::bmp(4, 3, 1), "image/bmp"))
                 .multipart_add("compared", Value::file_copy(bgt::bmp(4, 3, 2), "image/bmp"));
  Value out = client().call("predict_multi_images", mp);
  auto parts = out.multipart();
  EXPECT_EQ(parts.count(), 2u);
  EXPECT_EQ(parts["meta"].text(), "success");
  EXPECT_EQ(parts["result"].file().mime, "image/bmp");
  for (size_t i = 0; i < parts.count(); i++) // the server's order (a protobuf map) varies
    EXPECT_EQ(parts.part_at(i).get(), parts[std::string(parts.name_at(i))].get());
  EXPECT_EQ(parts.part_at(2).kind(), Kind::none);
  EXPECT_EQ(parts.name_at(2), "");
  EXPECT_FALSE(parts.find("nope"));
  EXPECT_EQ(error_of([&] { (void)parts["nope"]; }).code(), BG_ERR_INVALID_ARGUMENT);
  Value one = Value::multipart_new().multipart_add(
      "original", Value::file_copy(bgt::bmp(4, 3, 1), "image/bmp"));
  Error e = error_of([&] { client().call("predict_multi_images", one); });
  EXPECT_TRUE(contains(e.what(), "part 'compared' is missing")) << e.what();
}

TEST(Descriptors, RawCallsAndBytes) {
  Value out = client().call_raw("custom_io", Value::bytes_copy("abcdef"));
  EXPECT_EQ(out.text(), "custom:6");
  std::string raw = "abc";
  Value in = Value::bytes_borrow(raw);
  EXPECT_EQ(in.bytes().data(), raw.data()); // borrowed
  EXPECT_EQ(in.bytes(), "abc");
  Client open = Client::open(bgt::ServerEnv::url());
  EXPECT_EQ(open.api_count(), 0u);
  EXPECT_EQ(text_of(open.call_raw("bonjour", Value::text_new("raw"))), "Hello, raw!");
  auto r = open.call_raw(std::nothrow, "nope", Value::text_new("x"));
  EXPECT_EQ(r.error().code(), BG_ERR_UNKNOWN_API);
}

// ---- errors ----

TEST(Errors, ServerStatusCodeAndMessage) {
  Error e = error_of([] { client().call("fail_with_status", Value::text_new("NOT_FOUND|gone")); });
  EXPECT_EQ(e.code(), BG_ERR_SERVER);
  EXPECT_STREQ(e.code_name(), "BG_ERR_SERVER");
  EXPECT_EQ(e.grpc_status(), 5);
  EXPECT_TRUE(contains(e.message(), "gone")) << e.message();
  EXPECT_EQ(std::string(e.what()), e.message());
  auto r = client().call(std::nothrow, "fail_with_status", Value::text_new("UNAVAILABLE|later"));
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().grpc_status(), 14);
  auto ok = client().call(std::nothrow, "fail_with_status", Value::text_new("OK|fine"));
  ASSERT_TRUE(ok.ok());
  EXPECT_EQ(ok->text(), "fine");
  EXPECT_EQ(ok.error().code(), BG_OK);
  Error unknown = error_of([] { client()["nope"](Value::text_new("x")); });
  EXPECT_EQ(unknown.code(), BG_ERR_UNKNOWN_API);
  EXPECT_TRUE(contains(unknown.what(), "bonjour")) << unknown.what(); // lists the APIs
  auto bound = client()["nope"](std::nothrow, Value::text_new("x"));
  EXPECT_EQ(bound.error().code(), BG_ERR_UNKNOWN_API);
}

TEST(Errors, ValidationBeforeTheCall) {
  float row[3] = {1, 2, 3};
  Error e = error_of([&] { client().call("predict", Value::ndarray_borrow(row)); });
  EXPECT_EQ(e.code(), BG_ERR_INVALID_ARGUMENT);
  EXPECT_TRUE(contains(e.what(), "expected shape (-1, 4)")) << e.what();
  // off: the server judges it itself
  auto r = client().call(std::nothrow, "predict", Value::ndarray_borrow(row),
                         bentogrpc::CallOptions().set_validate(false));
  EXPECT_EQ(r.error().code(), BG_ERR_SERVER);
}

TEST(Errors, TypedViewsAreCheckedAndBounded) {
  Value text = Value::text_new("x");
  Error kind = error_of([&] { (void)text.ndarray<float>(); });
  EXPECT_EQ(kind.code(), BG_ERR_INVALID_ARGUMENT);
  EXPECT_TRUE(contains(kind.what(), "the value is text, not an ndarray")) << kind.what();
  EXPECT_FALSE(text.ndarray<float>(std::nothrow).ok());
  EXPECT_EQ(error_of([&] { (void)text.json_text(); }).code(), BG_ERR_INVALID_ARGUMENT);
  EXPECT_EQ(error_of([&] { (void)text.bytes(); }).code(), BG_ERR_INVALID_ARGUMENT);
  EXPECT_EQ(error_of([&] { (void)text.file(); }).code(), BG_ERR_INVALID_ARGUMENT);
  EXPECT_EQ(error_of([&] { (void)text.dataframe(); }).code(), BG_ERR_INVALID_ARGUMENT);
  EXPECT_EQ(error_of([&] { (void)text.multipart(); }).code(), BG_ERR_INVALID_ARGUMENT);

  int64_t v[6] = {0, 1, 2, 3, 4, 5};
  Value a = Value::ndarray_borrow(&v[0], {2, 3});
  Error dtype = error_of([&] { (void)a.ndarray<float>(); });
  EXPECT_TRUE(contains(dtype.what(), "holds int64 elements, not float32")) << dtype.what();
  auto view = a.ndarray<int64_t>();
  EXPECT_EQ(view.at(1, 2), 5);
  EXPECT_EQ(view.at(5), 5);
  EXPECT_EQ(error_of([&] { (void)view.at(6); }).code(), BG_ERR_INVALID_ARGUMENT);
  EXPECT_EQ(error_of([&] { (void)view.at(2, 0); }).code(), BG_ERR_INVALID_ARGUMENT);
  EXPECT_EQ(error_of([&] { (void)view.at(0, 3); }).code(), BG_ERR_INVALID_ARGUMENT);
  EXPECT_EQ(error_of([&] { (void)view.at(0, 0, 0); }).code(), BG_ERR_INVALID_ARGUMENT);
  // the shape's product must match the vector
  std::vector<int64_t> five(5);
  EXPECT_EQ(error_of([&] { Value::ndarray_borrow(five, {2, 3}); }).code(), BG_ERR_INVALID_ARGUMENT);
}

// ---- options, per-call options, interceptors ----

TEST(Options, RefusedSettingsThrowWithTheCsMessage) {
  Error e = error_of([] { bentogrpc::Options().set_lb_policy("bogus"); });
  EXPECT_EQ(e.code(), BG_ERR_INVALID_ARGUMENT);
  EXPECT_TRUE(contains(e.what(), "round_robin")) << e.what();
  EXPECT_EQ(error_of([] { bentogrpc::CallOptions().set_deadline(0ms); }).code(),
            BG_ERR_INVALID_ARGUMENT);
  EXPECT_EQ(error_of([] { bentogrpc::CallOptions().add_metadata("Bad Key", "v"); }).code(),
            BG_ERR_INVALID_ARGUMENT);
}

TEST(Options, DeadlineMetadataAndResponseMetadata) {
  float x[2] = {1, 2};
  Error e = error_of([&] {
    client().call("slow_echo_ndarray", Value::ndarray_borrow(x),
                  bentogrpc::CallOptions().set_deadline(200ms));
  });
  EXPECT_EQ(e.code(), BG_ERR_DEADLINE);

  bentogrpc::ResponseMetadata sink;
  bentogrpc::CallOptions opts;
  opts.add_metadata("x-echo", "hello")
      .add_metadata("x-echo-color", "blue")
      .set_response_metadata(sink);
  Value out = client().call("echo_metadata", Value::text_new("x"), opts);
  EXPECT_EQ(out.text(), "hello");
  auto color = sink.find(BG_METADATA_TRAILING, "x-echo-color");
  ASSERT_TRUE(color);
  EXPECT_EQ(*color, "blue");
  EXPECT_GE(sink.count(BG_METADATA_INITIAL), 1u);
}

TEST(Options, CredentialsOnlyOverTlsOrAllowedLoopback) {
  bentogrpc::CallOptions token;
  token.set_bearer_token("secret");
  Error e = error_of([&] { client().call("bonjour", Value::text_new("x"), token); });
  EXPECT_EQ(e.code(), BG_ERR_INVALID_ARGUMENT);
  EXPECT_EQ(e.reason(), BG_REASON_INSECURE_CREDENTIALS);
  Client allowed = Client::from_url(bgt::ServerEnv::url(),
                                    bentogrpc::Options().set_allow_insecure_credentials(true));
  // a credentials callable adds metadata to each call
  bentogrpc::CallOptions creds;
  creds.set_credentials(
      [](bentogrpc::CallContext &ctx) { ctx.add_metadata("x-echo", "from-callable"); });
  EXPECT_EQ(text_of(allowed.call("echo_metadata", Value::text_new("x"), creds)), "from-callable");
}

TEST(Options, InterceptorsAsCallables) {
  std::atomic<int> before{0}, after{0};
  std::string seen_api;
  bentogrpc::Options opts;
  opts.add_interceptor(
      "count",
      [&](bentogrpc::CallContext &ctx) {
        before++;
        if (ctx.api() == "fail_with_status")
          ctx.fail(BG_ERR_INVALID_ARGUMENT, "refused by the test interceptor");
        ctx.add_metadata("x-echo", "intercepted");
      },
      [&](bentogrpc::CallContext &ctx) {
        after++;
        seen_api = std::string(ctx.api());
        EXPECT_GE(ctx.elapsed_ms(), 0.0);
      });
  opts.add_interceptor("thrower", [](bentogrpc::CallContext &ctx) {
    if (ctx.api() == "bonjour")
      throw std::runtime_error("the hook threw");
  });
  Client c = Client::from_url(bgt::ServerEnv::url(), opts);
  EXPECT_EQ(text_of(c.call("echo_metadata", Value::text_new("x"))), "intercepted");
  EXPECT_EQ(before.load(), 1);
  EXPECT_EQ(after.load(), 1);
  EXPECT_EQ(seen_api, "echo_metadata");
  Error refused = error_of([&] { c.call("fail_with_status", Value::text_new("OK|x")); });
  EXPECT_EQ(refused.code(), BG_ERR_INVALID_ARGUMENT);
  EXPECT_TRUE(contains(refused.what(), "refused by the test interceptor")) << refused.what();
  Error threw = error_of([&] { c.call("bonjour", Value::text_new("x")); });
  EXPECT_TRUE(contains(threw.what(), "the hook threw")) << threw.what();
  EXPECT_EQ(after.load(), 3); // after hooks run for refused calls too
}

TEST(Options, CancelTokenFromAnotherThread) {
  bentogrpc::CancelToken token;
  float x[2] = {1, 2};
  std::thread canceller([&] {
    std::this_thread::sleep_for(200ms);
    token.cancel();
  });
  auto t0 = std::chrono::steady_clock::now();
  Error e = error_of([&] {
    client().call("slow_echo_ndarray", Value::ndarray_borrow(x),
                  bentogrpc::CallOptions().set_cancel_token(token));
  });
  canceller.join();
  EXPECT_EQ(e.code(), BG_ERR_CANCELLED);
  EXPECT_LT(std::chrono::steady_clock::now() - t0, 2500ms); // the slow call takes 3 s
  EXPECT_TRUE(token.is_cancelled());
  token.reset();
  EXPECT_FALSE(token.is_cancelled());
}

// ---- move semantics ----

TEST(Move, ValueMovesOwnership) {
  Value a = Value::text_new("moved");
  const bg_value *raw = a.get();
  Value b = std::move(a);
  EXPECT_EQ(b.get(), raw);
  EXPECT_EQ(a.get(), nullptr); // NOLINT(bugprone-use-after-move): the moved-from state
  EXPECT_EQ(a.kind(), Kind::none);
  b = Value::text_new("replaced"); // frees the old value (ASan would see a leak otherwise)
  EXPECT_EQ(b.text(), "replaced");
  bg_value *released = b.release();
  EXPECT_EQ(b.get(), nullptr);
  Value again(released);
  EXPECT_EQ(again.text(), "replaced");
  static_assert(!std::is_copy_constructible_v<Value>);
  static_assert(std::is_nothrow_move_constructible_v<Value>);
}

TEST(Move, ClientMovesAndClosesOnce) {
  Client a = Client::from_url(bgt::ServerEnv::url());
  bg_client *raw = a.get();
  Client b = std::move(a);
  EXPECT_EQ(b.get(), raw);
  EXPECT_EQ(a.get(), nullptr); // NOLINT(bugprone-use-after-move)
  EXPECT_EQ(text_of(b.call("bonjour", Value::text_new("moved"))), "Hello, moved!");
  b = Client::open(bgt::ServerEnv::url()); // closes the first
  EXPECT_EQ(b.api_count(), 0u);
  std::vector<Client> many;
  for (int i = 0; i < 3; i++)
    many.push_back(Client::open(bgt::ServerEnv::url())); // moved into the vector's storage
  EXPECT_EQ(many[2].health(), bentogrpc::HealthStatus::serving);
  auto r = Client::from_url(std::nothrow, bgt::ServerEnv::url());
  ASSERT_TRUE(r.ok());
  Client c = std::move(r).value();
  EXPECT_EQ(c.api_count(), client().api_count());
  static_assert(!std::is_copy_constructible_v<Client>);
  static_assert(!std::is_copy_constructible_v<bentogrpc::Options>);
}

#if BENTOGRPC_HAS_COROUTINES
// A minimal eager coroutine type for the test: runs until its first co_await, and reports the
// end through a promise.
struct Task {
  struct promise_type {
    std::promise<void> done;
    Task get_return_object() { return Task{done.get_future()}; }
    std::suspend_never initial_suspend() noexcept { return {}; }
    std::suspend_never final_suspend() noexcept { return {}; }
    void return_void() { done.set_value(); }
    void unhandled_exception() { done.set_exception(std::current_exception()); }
  };
  std::future<void> finished;
};

Task two_calls(bentogrpc::AsyncClient &ac, std::vector<std::string> &log) {
  bentogrpc::Result<Value> a = co_await ac.co_call("bonjour", Value::text_new("co"));
  log.push_back(a.ok() ? std::string(a->text()) : a.error().message());
  bentogrpc::Result<Value> b = co_await ac.co_call("nope", Value::text_new("x"));
  log.push_back(b.ok() ? "?" : b.error().code_name());
}

TEST(Coroutines, CoAwaitACallInPollModeAndOnTheCallbackThread) {
  for (auto flags : {bentogrpc::AsyncFlags::none, bentogrpc::AsyncFlags::callback_thread}) {
    auto ac = bentogrpc::AsyncClient::from_url(bgt::ServerEnv::url(), {}, flags);
    std::vector<std::string> log;
    Task t = two_calls(ac, log);
    if (flags == bentogrpc::AsyncFlags::none)
      ac.wait(t.finished); // polls: the coroutine resumes inside poll()
    else
      t.finished.get();
    ASSERT_EQ(log.size(), 2u);
    EXPECT_EQ(log[0], "Hello, co!");
    EXPECT_EQ(log[1], "BG_ERR_UNKNOWN_API"); // refused at start: resumed at once
  }
}
#endif

} // namespace

int main(int argc, char **argv) {
  ::testing::InitGoogleTest(&argc, argv);
  ::testing::AddGlobalTestEnvironment(new bgt::ServerEnv({}));
  return RUN_ALL_TESTS();
}
