// Instantiates every template of bentogrpc.hpp once, so that tests/cpp/check_headers.sh can
// compile the header warning-free with each compiler and standard (the templates' bodies are
// checked only when instantiated). Compiled, never run. With -DBGT_WITH_NLOHMANN the
// nlohmann::json conversions are instantiated too; with -fno-exceptions only the forms that
// exist there.
#ifdef BGT_WITH_NLOHMANN
#include <nlohmann/json.hpp>
#endif
#include <bentogrpc/bentogrpc.hpp>

#include <cstdint>
#include <string>
#include <vector>

namespace bg = bentogrpc;

template <class T> static size_t read_all(const bg::ValueView &v) {
  size_t n = 0;
  if (auto a = v.ndarray<T>(std::nothrow); a.ok())
    n += a->count() + a->shape().size();
  if (auto s = v.series<T>(std::nothrow); s.ok())
    n += s->size();
  return n;
}

template <class T> static bg::Value make_all(const T *p, const std::vector<T> &v) {
  T arr1[2] = {};
  T arr2[2][3] = {};
  bg::Value a = bg::Value::ndarray_borrow(p, {1});
  a = bg::Value::ndarray_borrow(v);
  a = bg::Value::ndarray_borrow(v, {static_cast<int64_t>(v.size())});
  a = bg::Value::ndarray_borrow(arr1);
  a = bg::Value::ndarray_borrow(arr2);
  a = bg::Value::ndarray_copy(p, {1});
  a = bg::Value::ndarray_copy(v);
#if BENTOGRPC_HAS_SPAN
  a = bg::Value::ndarray_borrow(std::span<const T>(v));
  a = bg::Value::ndarray_borrow(std::span<const T>(v), {1, static_cast<int64_t>(v.size())});
#endif
  return a;
}

template <class T> static bg::Value series_all(const std::vector<T> &v) {
  bg::Value s = bg::Value::series_borrow(v);
  s = bg::Value::series_copy(v);
  s = bg::Value::series_borrow(v.data(), v.size());
  return bg::Value::series_copy(v.data(), v.size());
}

size_t use_everything(bg::Client &c, bg::AsyncClient &ac, const bg::Value &v);
size_t use_everything(bg::Client &c, bg::AsyncClient &ac, const bg::Value &v) {
  size_t n = read_all<float>(v) + read_all<double>(v) + read_all<bool>(v) + read_all<int32_t>(v) +
             read_all<int64_t>(v) + read_all<uint32_t>(v) + read_all<uint64_t>(v) +
             read_all<const char *>(v);
  float f = 0;
  double d = 0;
  int32_t i32 = 0;
  int64_t i64 = 0;
  uint32_t u32 = 0;
  uint64_t u64 = 0;
  const char *str = "x";
  make_all(&f, std::vector<float>{1});
  make_all(&d, std::vector<double>{1});
  make_all(&i32, std::vector<int32_t>{1});
  make_all(&i64, std::vector<int64_t>{1});
  make_all(&u32, std::vector<uint32_t>{1});
  make_all(&u64, std::vector<uint64_t>{1});
  make_all(&str, std::vector<const char *>{str});
  series_all(std::vector<float>{1});
  series_all(std::vector<double>{1});
  series_all(std::vector<int32_t>{1});
  series_all(std::vector<int64_t>{1});
  series_all(std::vector<const char *>{str});
  bg::Value strings = bg::Value::ndarray_copy(std::vector<std::string>{"a", "b"});
  bg::Value df = bg::Value::dataframe_new().dataframe_add_column(
      "a", bg::Value::series_copy(std::vector<int64_t>{1}));
  bg::Value mp = bg::Value::multipart_new().multipart_add("t", bg::Value::text_new("x"));
  df.dataframe_add_column("b", bg::Value::series_copy(std::vector<double>{1}));
  n += df.dataframe().column<int64_t>("a").size() + mp.multipart()["t"].text().size();
  if (auto col = df.dataframe().column_find("a"))
    n += col->series<int64_t>().size();
  n += v.ndarray<float>().at(0, 1) > 0;
  n += v.file().mime.size() + v.bytes().size() + v.json_text().size();
  n += v.json_format(2).size();

  bg::CallOptions o;
  o.set_deadline(std::chrono::seconds(1))
      .add_metadata("k", "v")
      .set_credentials([](bg::CallContext &ctx) { ctx.add_metadata("authorization", "Bearer x"); });
  bg::Value out = c.call("predict", v, o);
  bg::Result<bg::Value> r = c.call(std::nothrow, "predict", v);
  n += r.ok() + c["predict"](std::nothrow, v).ok() + c.call_raw(std::nothrow, "x", v).ok();
  n += c.health(std::nothrow).ok() + c.wait_until_ready(std::nothrow, std::chrono::seconds(1)).ok();

  bg::Operation op = ac.call("predict", v, [&n](bg::Result<bg::Value> res) { n += res.ok(); });
  op.cancel();
  auto started = ac.call(std::nothrow, "predict", v, [](bg::Result<bg::Value>) {});
  n += started.ok();
  std::future<bg::Result<bg::Value>> fr = ac.call(std::nothrow, "predict", v);
  n += ac.wait(fr).ok();
  ac.health([](bg::Result<bg::HealthStatus>) {});
  ac.wait_until_ready([](bg::Result<bg::HealthStatus>) {}, std::chrono::seconds(1));
  ac.call_raw("x", v, [](bg::Result<bg::Value>) {});
#if BENTOGRPC_EXCEPTIONS
  std::future<bg::Value> fv = ac.call("predict", v, {}, &op);
  bg::Value got = ac.wait(fv);
  n += got.ndarray<float>(std::nothrow).ok();
  std::future<bg::HealthStatus> fh = ac.health();
  n += ac.wait(fh) == bg::HealthStatus::serving;
  auto fw = ac.wait_until_ready(std::chrono::seconds(1));
  n += ac.wait(fw) == bg::HealthStatus::serving;
#endif
  bg::Options opts;
  opts.set_tls(false)
      .set_lb_policy("round_robin")
      .set_retry(3, std::chrono::milliseconds(10), std::chrono::milliseconds(100))
      .set_compression(bg::Compression::gzip)
      .add_interceptor("count", [&n](bg::CallContext &) { n++; });
  n += bg::AsyncClient::from_url(std::nothrow, "x", opts).ok();
#if BGT_WITH_NLOHMANN
  nlohmann::json j = v.json();
  bg::Value from_json = bg::Value::json_from(j);
  n += from_json.json_text().size() + bg::Value::json_from(j).json().size();
#endif
  return n + out.ndarray<float>().size();
}
