/** @file bentogrpc.hpp
 * The C++ API: a header-only layer over the C API (bentogrpc.h) in namespace `bentogrpc`.
 *
 * C++17, with more where C++20 is on (std::span inputs and views). Nothing to link but
 * libbentogrpc itself (CMake target `bentogrpc::bentogrpc_cpp`).
 *
 * Names follow the C API (docs/INTERNALS.md "Public names"): the object of a C name becomes the
 * class, the rest becomes the method, in snake_case: bg_client_from_url() is
 * Client::from_url(), bg_client_call() is Client::call(), bg_options_set_tls() is
 * Options::set_tls(), bg_dataframe_column_find() is DataFrameView::column_find(), and the value
 * constructors keep their C names as static functions of Value (Value::ndarray_borrow(),
 * Value::text_new(), ...).
 *
 * @code{.cpp}
 *   auto client = bentogrpc::Client::from_url("localhost:3000");
 *   float x[1][4] = {{5.9f, 3.0f, 5.1f, 1.8f}};
 *   bentogrpc::Value out = client["predict"](bentogrpc::Value::ndarray_borrow(x));
 *   float sum = out.ndarray<float>()[0];
 * @endcode
 *
 * Resources: every class that owns a C handle (Client, AsyncClient, Value, Options, ...) is
 * move-only and frees it in its destructor; nothing needs a `_free`.
 *
 * Errors: the throwing forms throw bentogrpc::Error (our code, the gRPC status, the message).
 * Every fallible operation also has a non-throwing form, selected by `std::nothrow` as the first
 * argument, that returns a Result (`ok()`, `value()`, `error()`). Code built with
 * `-fno-exceptions` uses those; a throwing form used there writes the message to stderr and
 * aborts (as the standard library does). No exception ever crosses the C library: a callback or
 * hook that throws is caught at the boundary (interceptors: the call fails with the exception's
 * message) or ends the program (async callbacks are noexcept: report failures through the
 * Result they are given).
 *
 * Lifetimes: "borrowed" (the `_borrow` constructors) means the Value points at the caller's
 * memory, which must stay valid and unchanged until the Value is destroyed; views
 * (NdarrayView, Span, std::string_view, DataFrameView, ...) point into the Value they came from
 * and are valid until it is destroyed or moved from.
 *
 * JSON: values are JSON text (Value::json_parse(), Value::json_text()). When the program
 * includes nlohmann/json.hpp before this header, Value::json_from() and Value::json() convert
 * to and from nlohmann::json; nothing of nlohmann is needed otherwise. */
#ifndef BENTOGRPC_HPP
#define BENTOGRPC_HPP

#include <bentogrpc/bentogrpc.h>

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <functional>
#include <future>
#include <initializer_list>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <thread>
#include <type_traits>
#include <utility>
#include <variant>
#include <vector>

#if __cplusplus >= 202002L && __has_include(<span>)
#include <span>
/** Defined to 1 when std::span is available (C++20): Value::ndarray_borrow() takes spans and
 *  Span converts to std::span. */
#define BENTOGRPC_HAS_SPAN 1
#else
/** 0: no std::span here (before C++20). */
#define BENTOGRPC_HAS_SPAN 0
#endif

#if defined(__cpp_impl_coroutine) && __has_include(<coroutine>)
#include <coroutine>
/** Defined to 1 when C++20 coroutines are available: AsyncClient::co_call() can be
 *  `co_await`ed. */
#define BENTOGRPC_HAS_COROUTINES 1
#else
/** 0: no coroutines here (before C++20): AsyncClient::co_call() is not declared. */
#define BENTOGRPC_HAS_COROUTINES 0
#endif

#if defined(__cpp_exceptions) || defined(__EXCEPTIONS)
/** Defined to 1 when the program is compiled with exceptions: the throwing forms throw
 *  bentogrpc::Error; with 0 (`-fno-exceptions`) they print the message and abort, and the
 *  future-returning async calls exist only in their `std::nothrow` form. */
#define BENTOGRPC_EXCEPTIONS 1
#else
/** 0: compiled with `-fno-exceptions` (see the 1 case). */
#define BENTOGRPC_EXCEPTIONS 0
#endif

#if defined(NLOHMANN_JSON_VERSION_MAJOR)
/** Defined to 1 when nlohmann/json.hpp was included before this header: Value::json_from()
 *  and Value::json() then convert to and from nlohmann::json. */
#define BENTOGRPC_HAS_NLOHMANN_JSON 1
#else
/** 0: nlohmann/json.hpp was not included before this header: no conversions. */
#define BENTOGRPC_HAS_NLOHMANN_JSON 0
#endif

/** The C++ API over libbentogrpc (see bentogrpc.hpp). */
namespace bentogrpc {

/* ======================================================================== errors */

/** A failure: our code (bg_status), the gRPC status the server or transport gave (0 when none),
 *  the message (what happened and what to do) and the reason a front end may word in its own
 *  terms (bg_error_reason()). The one exception type of this API. */
class Error : public std::exception {
public:
  /** Copies a C error record.
   *  @param err the record (copied). */
  explicit Error(const bg_error &err)
      : code_(err.code), grpc_status_(err.grpc_status), message_(err.message),
        reason_(bg_error_reason(&err)) {}
  /** An error made by the C++ layer itself (e.g. reading an ndarray as the wrong type).
   *  @param code        our code.
   *  @param message     what happened and what to do.
   *  @param grpc_status the gRPC status, 0 when none. */
  Error(bg_status code, std::string message, int grpc_status = 0)
      : code_(code), grpc_status_(grpc_status), message_(std::move(message)),
        reason_(BG_REASON_NONE) {}
  /** Our code.
   *  @return never BG_OK. */
  bg_status code() const noexcept { return code_; }
  /** The code's name.
   *  @return e.g. "BG_ERR_DEADLINE" (static storage). */
  const char *code_name() const noexcept { return bg_status_name(code_); }
  /** The gRPC status.
   *  @return a grpc_status_code value; 0 when there was none. */
  int grpc_status() const noexcept { return grpc_status_; }
  /** The gRPC status's name.
   *  @return e.g. "NOT_FOUND" (static storage). */
  const char *grpc_status_name() const noexcept { return bg_grpc_status_name(grpc_status_); }
  /** The message.
   *  @return the text (what happened and what to do). */
  const std::string &message() const noexcept { return message_; }
  /** Why it failed, for front ends that word the remedy themselves.
   *  @return the reason, BG_REASON_NONE when none was recorded. */
  bg_reason reason() const noexcept { return reason_; }
  /** The message, as std::exception wants it.
   *  @return the message (valid while this error lives). */
  const char *what() const noexcept override { return message_.c_str(); }

private:
  bg_status code_;
  int grpc_status_;
  std::string message_;
  bg_reason reason_;
};

namespace detail {
/* Throws, or without exceptions prints and aborts. */
[[noreturn]] inline void raise(const Error &e) {
#if BENTOGRPC_EXCEPTIONS
  throw e;
#else
  std::fprintf(stderr, "bentogrpc: %s: %s\n", e.code_name(), e.what());
  std::abort();
#endif
}
[[noreturn]] inline void raise(const bg_error &err) { raise(Error(err)); }
inline void check(bg_status st, const bg_error &err) {
  if (st != BG_OK)
    raise(err);
}
/* What Options and CallOptions do with a setting's refusal: throw it, or without exceptions
 * keep the first one (their error()). */
inline void refused(std::optional<Error> &first, const bg_error &err) {
#if BENTOGRPC_EXCEPTIONS
  (void)first;
  throw Error(err);
#else
  if (!first)
    first.emplace(err);
#endif
}
} // namespace detail

/** The outcome of a non-throwing (`std::nothrow`) operation: a T or an Error.
 *  @tparam T the value on success. */
template <class T> class Result {
public:
  /** A success.
   *  @param value the value (moved in). */
  Result(T value) : v_(std::in_place_index<0>, std::move(value)) {}
  /** A failure.
   *  @param error the error (moved in). */
  Result(Error error) : v_(std::in_place_index<1>, std::move(error)) {}
  /** Whether it is a success.
   *  @return true when it holds a value. */
  bool ok() const noexcept { return v_.index() == 0; }
  /** Same as ok().
   *  @return true when it holds a value. */
  explicit operator bool() const noexcept { return ok(); }
  /** The value; throws the error when there is none (aborts without exceptions).
   *  @return the value. */
  T &value() & {
    if (!ok())
      detail::raise(error());
    return *std::get_if<0>(&v_);
  }
  /** The value; throws the error when there is none.
   *  @return the value. */
  const T &value() const & {
    if (!ok())
      detail::raise(error());
    return *std::get_if<0>(&v_);
  }
  /** The value, moved out; throws the error when there is none.
   *  @return the value. */
  T &&value() && {
    if (!ok())
      detail::raise(error());
    return std::move(*std::get_if<0>(&v_));
  }
  /** The value without a check (ok() must be true).
   *  @return the value. */
  T &operator*() &noexcept { return *std::get_if<0>(&v_); }
  /** The value's members without a check (ok() must be true).
   *  @return a pointer to the value. */
  T *operator->() noexcept { return std::get_if<0>(&v_); }
  /** The error (ok() must be false; on a success, an error with code BG_OK).
   *  @return the error. */
  const Error &error() const noexcept {
    if (const Error *e = std::get_if<1>(&v_))
      return *e;
    static const Error none(BG_OK, "");
    return none;
  }

private:
  std::variant<T, Error> v_;
};

/** The outcome of a non-throwing operation without a value. */
template <> class Result<void> {
public:
  /** A success. */
  Result() = default;
  /** A failure.
   *  @param error the error (moved in). */
  Result(Error error) : e_(std::move(error)) {}
  /** Whether it is a success.
   *  @return true on success. */
  bool ok() const noexcept { return !e_; }
  /** Same as ok().
   *  @return true on success. */
  explicit operator bool() const noexcept { return ok(); }
  /** Throws the error, if any (aborts without exceptions). */
  void value() const {
    if (e_)
      detail::raise(*e_);
  }
  /** The error (on a success, an error with code BG_OK).
   *  @return the error. */
  const Error &error() const noexcept {
    static const Error none(BG_OK, "");
    return e_ ? *e_ : none;
  }

private:
  std::optional<Error> e_;
};

/* ======================================================================== small types */

/** A read-only view of `size()` contiguous elements (std::span's subset, for C++17); with
 *  C++20 it converts to std::span.
 *  @tparam T the element type. */
template <class T> class Span {
public:
  /** An empty view. */
  constexpr Span() noexcept = default;
  /** A view of `size` elements at `data`.
   *  @param data the first element (borrowed).
   *  @param size number of elements. */
  constexpr Span(const T *data, size_t size) noexcept : data_(data), size_(size) {}
  /** The first element.
   *  @return a pointer (may be NULL when empty). */
  constexpr const T *data() const noexcept { return data_; }
  /** Number of elements.
   *  @return the count. */
  constexpr size_t size() const noexcept { return size_; }
  /** Whether there are no elements.
   *  @return true when size() is 0. */
  constexpr bool empty() const noexcept { return size_ == 0; }
  /** The start, for range-for.
   *  @return a pointer to the first element. */
  constexpr const T *begin() const noexcept { return data_; }
  /** The end, for range-for.
   *  @return a pointer past the last element. */
  constexpr const T *end() const noexcept { return data_ + size_; }
  /** Element `i`, unchecked.
   *  @param i index, < size().
   *  @return the element. */
  constexpr const T &operator[](size_t i) const noexcept { return data_[i]; }
  /** Element `i`, checked: an index past the end throws Error (BG_ERR_INVALID_ARGUMENT).
   *  @param i index.
   *  @return the element. */
  const T &at(size_t i) const {
    if (i >= size_)
      detail::raise(Error(BG_ERR_INVALID_ARGUMENT, "index " + std::to_string(i) +
                                                       " is out of range: the view has " +
                                                       std::to_string(size_) + " elements"));
    return data_[i];
  }
#if BENTOGRPC_HAS_SPAN
  /** The same elements as a std::span (C++20).
   *  @return the span. */
  operator std::span<const T>() const noexcept { return {data_, size_}; }
#endif

private:
  const T *data_ = nullptr;
  size_t size_ = 0;
};

/** The dimensions of an ndarray: from a braced list (`{2, 3}`, copied into the Shape), a
 *  std::vector or a pointer and a count (both viewed: they must outlive the Shape's use). The
 *  C API copies them when the value is made. */
class Shape {
public:
  /** No dimensions (a 0-d array, one element). */
  Shape() noexcept = default;
  /** From a braced list, e.g. `{2, 3}` (copied; more than BG_NDARRAY_MAX_DIMS are refused when
   *  the value is made).
   *  @param dims the dimensions. */
  Shape(std::initializer_list<int64_t> dims) noexcept : ndim_(dims.size()) {
    size_t i = 0;
    for (int64_t d : dims)
      if (i < BG_NDARRAY_MAX_DIMS)
        own_[i++] = d;
  }
  /** From a vector.
   *  @param dims the dimensions (borrowed while this Shape is used). */
  Shape(const std::vector<int64_t> &dims) noexcept : ext_(dims.data()), ndim_(dims.size()) {}
  /** From a pointer and a count.
   *  @param dims the dimensions (borrowed while this Shape is used).
   *  @param ndim their number. */
  Shape(const int64_t *dims, size_t ndim) noexcept : ext_(dims), ndim_(ndim) {}
  /** The dimensions.
   *  @return a pointer to ndim() values. */
  const int64_t *data() const noexcept { return ext_ ? ext_ : own_; }
  /** The number of dimensions.
   *  @return 0..BG_NDARRAY_MAX_DIMS for a valid shape. */
  size_t ndim() const noexcept { return ndim_; }
  /** The product of the dimensions (1 for no dimensions; 0 when any is negative or there are
   *  too many).
   *  @return the element count this shape needs. */
  size_t count() const noexcept {
    if (ndim_ > BG_NDARRAY_MAX_DIMS)
      return 0;
    size_t n = 1;
    for (size_t i = 0; i < ndim_; i++)
      n = data()[i] < 0 ? 0 : n * static_cast<size_t>(data()[i]);
    return n;
  }

private:
  const int64_t *ext_ = nullptr;
  size_t ndim_ = 0;
  int64_t own_[BG_NDARRAY_MAX_DIMS] = {};
};

/** Element types of ndarrays and series (bg_dtype); `string` elements are `const char *`. */
enum class DType : int {
  none = 0,                  /**< not an ndarray or series */
  float32 = BG_DTYPE_FLOAT,  /**< float */
  float64 = BG_DTYPE_DOUBLE, /**< double */
  boolean = BG_DTYPE_BOOL,   /**< bool */
  int32 = BG_DTYPE_INT32,    /**< int32_t */
  int64 = BG_DTYPE_INT64,    /**< int64_t */
  uint32 = BG_DTYPE_UINT32,  /**< uint32_t */
  uint64 = BG_DTYPE_UINT64,  /**< uint64_t */
  string = BG_DTYPE_STRING   /**< const char *, NUL-terminated UTF-8 */
};

/** The name of a dtype as numpy spells it.
 *  @param dtype the dtype.
 *  @return e.g. "float32" (static storage); "none" for DType::none. */
inline const char *dtype_name(DType dtype) noexcept {
  const char *n = bg_dtype_name(static_cast<bg_dtype>(dtype));
  return n ? n : "none";
}

/** The DType of a C++ element type: `dtype_of<float>::value` is DType::float32; defined for
 *  float, double, bool, int32_t, int64_t, uint32_t, uint64_t and const char *.
 *  @tparam T the element type. */
template <class T> struct dtype_of;
/** @cond INTERNAL */
template <> struct dtype_of<float> : std::integral_constant<DType, DType::float32> {};
template <> struct dtype_of<double> : std::integral_constant<DType, DType::float64> {};
template <> struct dtype_of<bool> : std::integral_constant<DType, DType::boolean> {};
template <> struct dtype_of<int32_t> : std::integral_constant<DType, DType::int32> {};
template <> struct dtype_of<int64_t> : std::integral_constant<DType, DType::int64> {};
template <> struct dtype_of<uint32_t> : std::integral_constant<DType, DType::uint32> {};
template <> struct dtype_of<uint64_t> : std::integral_constant<DType, DType::uint64> {};
template <> struct dtype_of<const char *> : std::integral_constant<DType, DType::string> {};
namespace detail {
template <class T, class = void> struct is_element : std::false_type {};
template <class T>
struct is_element<T, std::void_t<decltype(dtype_of<T>::value)>> : std::true_type {};
template <class T> constexpr bool is_element_v = is_element<std::remove_cv_t<T>>::value;
template <class T> constexpr bg_dtype c_dtype() {
  return static_cast<bg_dtype>(dtype_of<std::remove_cv_t<T>>::value);
}
inline std::string type_mismatch(const char *what, DType have, DType want, const char *how) {
  return std::string("the ") + what + " holds " + dtype_name(have) + " elements, not " +
         dtype_name(want) + ": read it with the element type of its dtype() (" + how + ")";
}
} // namespace detail
/** @endcond */

/** The kind of a value: which BentoML IO descriptor it is for (bg_value_kind). */
enum class Kind : int {
  none = 0,                       /**< no value (a moved-from Value) */
  ndarray = BG_VALUE_NDARRAY,     /**< NumpyNdarray */
  series = BG_VALUE_SERIES,       /**< PandasSeries */
  dataframe = BG_VALUE_DATAFRAME, /**< PandasDataFrame */
  json = BG_VALUE_JSON,           /**< JSON */
  text = BG_VALUE_TEXT,           /**< Text */
  file = BG_VALUE_FILE,           /**< File, Image */
  multipart = BG_VALUE_MULTIPART, /**< Multipart */
  bytes = BG_VALUE_BYTES          /**< raw serialized_bytes */
};

/** The name of a kind.
 *  @param kind the kind.
 *  @return "ndarray", "text", ... (static storage; "unknown" for Kind::none). */
inline const char *kind_name(Kind kind) noexcept {
  return bg_value_kind_name(static_cast<bg_value_kind>(kind));
}

/* ======================================================================== values */

class ValueView;

/** A typed view of an ndarray's elements and shape (from ValueView::ndarray()): row-major
 *  elements, indexable flat (`[i]`, `at(i)`) or by position (`at(i, j, ...)`, checked against
 *  the shape). Valid while the value it came from lives.
 *  @tparam T the element type (matches the ndarray's dtype: checked when the view is made). */
template <class T> class NdarrayView : public Span<T> {
public:
  /** A view of elements and shape (use ValueView::ndarray() rather than this).
   *  @param data  the elements.
   *  @param count their number.
   *  @param shape the dimensions. */
  NdarrayView(const T *data, size_t count, Span<int64_t> shape) noexcept
      : Span<T>(data, count), shape_(shape) {}
  /** The dimensions.
   *  @return ndim() values. */
  Span<int64_t> shape() const noexcept { return shape_; }
  /** The number of dimensions.
   *  @return 0 for a scalar. */
  size_t ndim() const noexcept { return shape_.size(); }
  /** The element count (product of the shape).
   *  @return the count. */
  size_t count() const noexcept { return this->size(); }
  /** The dtype.
   *  @return dtype_of<T>. */
  static constexpr DType dtype() noexcept { return dtype_of<T>::value; }
  using Span<T>::at;
  /** The element at a position, one index per dimension, each checked against the shape
   *  (Error BG_ERR_INVALID_ARGUMENT when out of range or when the count of indexes is not
   *  ndim()).
   *  @param i0   first index.
   *  @param i1   second index.
   *  @param rest more indexes.
   *  @return the element. */
  template <class... I> const T &at(size_t i0, size_t i1, I... rest) const {
    const size_t idx[] = {i0, i1, static_cast<size_t>(rest)...};
    const size_t n = sizeof idx / sizeof idx[0];
    if (n != shape_.size())
      detail::raise(
          Error(BG_ERR_INVALID_ARGUMENT, std::to_string(n) + " indexes given for an ndarray of " +
                                             std::to_string(shape_.size()) + " dimensions"));
    size_t flat = 0;
    for (size_t d = 0; d < n; d++) {
      if (idx[d] >= static_cast<size_t>(shape_[d]))
        detail::raise(Error(BG_ERR_INVALID_ARGUMENT, "index " + std::to_string(idx[d]) +
                                                         " of dimension " + std::to_string(d) +
                                                         " is out of range: it has " +
                                                         std::to_string(shape_[d]) + " elements"));
      flat = flat * static_cast<size_t>(shape_[d]) + idx[d];
    }
    return (*this)[flat];
  }

private:
  Span<int64_t> shape_;
};

/** A file or image value's bytes and MIME type (from ValueView::file()). */
struct FileView {
  std::string_view data; /**< the bytes (borrowed from the value) */
  std::string_view mime; /**< the MIME type, e.g. "image/png"; empty when none */
};

/** A borrowed, read-only value: a call's output part, a dataframe's column, a multipart's part,
 *  or any Value (which is one). Every accessor checks the kind (and, where typed, the dtype)
 *  and throws Error (BG_ERR_INVALID_ARGUMENT) on a mismatch; each also has a `std::nothrow`
 *  form returning a Result. Views it returns are valid while the underlying value lives. */
class ValueView {
public:
  /** A view of a C value.
   *  @param value the value (borrowed; may be NULL, then kind() is Kind::none). */
  explicit ValueView(const bg_value *value = nullptr) noexcept : v_(value) {}
  /** The C value, for calls into the C API.
   *  @return the value (borrowed), NULL for none. */
  const bg_value *get() const noexcept { return v_; }
  /** The kind (bg_value_get_kind()).
   *  @return the kind; Kind::none for no value. */
  Kind kind() const noexcept { return static_cast<Kind>(bg_value_get_kind(v_)); }
  /** The element type of an ndarray or series.
   *  @return the dtype; DType::none for other kinds. */
  DType dtype() const noexcept {
    bg_dtype d = kind() == Kind::series ? bg_series_dtype(v_) : bg_ndarray_dtype(v_);
    return static_cast<DType>(d);
  }

  /** An ndarray's elements and shape as T (checked: the value is an ndarray of
   *  dtype_of<T>).
   *  @tparam T the element type.
   *  @return the view. */
  template <class T> NdarrayView<T> ndarray() const {
    auto r = ndarray<T>(std::nothrow);
    return std::move(r).value();
  }
  /** ndarray() without exceptions.
   *  @tparam T the element type.
   *  @return the view, or the error. */
  template <class T> Result<NdarrayView<T>> ndarray(const std::nothrow_t &) const noexcept {
    static_assert(detail::is_element_v<T>, "ndarray<T>: T must have a dtype_of<T>");
    if (kind() != Kind::ndarray)
      return kind_error("an ndarray", "ndarray<T>()");
    if (dtype() != dtype_of<T>::value)
      return Error(BG_ERR_INVALID_ARGUMENT,
                   detail::type_mismatch("ndarray", dtype(), dtype_of<T>::value,
                                         "e.g. value.ndarray<int64_t>() for int64"));
    return NdarrayView<T>(static_cast<const T *>(bg_ndarray_data(v_)), bg_ndarray_count(v_),
                          Span<int64_t>(bg_ndarray_shape(v_), bg_ndarray_ndim(v_)));
  }

  /** A series' elements as T (checked: the value is a series of dtype_of<T>).
   *  @tparam T the element type.
   *  @return the elements. */
  template <class T> Span<T> series() const {
    auto r = series<T>(std::nothrow);
    return std::move(r).value();
  }
  /** series() without exceptions.
   *  @tparam T the element type.
   *  @return the elements, or the error. */
  template <class T> Result<Span<T>> series(const std::nothrow_t &) const noexcept {
    static_assert(detail::is_element_v<T>, "series<T>: T must have a dtype_of<T>");
    if (kind() != Kind::series)
      return kind_error("a series", "series<T>()");
    if (dtype() != dtype_of<T>::value)
      return Error(BG_ERR_INVALID_ARGUMENT,
                   detail::type_mismatch("series", dtype(), dtype_of<T>::value,
                                         "e.g. column<int64_t>() for int64"));
    return Span<T>(static_cast<const T *>(bg_series_data(v_)), bg_series_count(v_));
  }

  /** A text value's UTF-8 (bg_text_data(), bg_text_length(); may contain NUL bytes).
   *  @return the text. */
  std::string_view text() const { return text(std::nothrow).value(); }
  /** text() without exceptions.
   *  @return the text, or the error. */
  Result<std::string_view> text(const std::nothrow_t &) const noexcept {
    if (kind() != Kind::text)
      return kind_error("text", "text()");
    return std::string_view(bg_text_data(v_), bg_text_length(v_));
  }
  /** A bytes value's bytes.
   *  @return the bytes. */
  std::string_view bytes() const { return bytes(std::nothrow).value(); }
  /** bytes() without exceptions.
   *  @return the bytes, or the error. */
  Result<std::string_view> bytes(const std::nothrow_t &) const noexcept {
    if (kind() != Kind::bytes)
      return kind_error("bytes", "bytes()");
    return std::string_view(static_cast<const char *>(bg_bytes_data(v_)), bg_bytes_size(v_));
  }
  /** A file or image value's bytes and MIME type.
   *  @return the view. */
  FileView file() const { return file(std::nothrow).value(); }
  /** file() without exceptions.
   *  @return the view, or the error. */
  Result<FileView> file(const std::nothrow_t &) const noexcept {
    if (kind() != Kind::file)
      return kind_error("a file", "file()");
    const char *mime = bg_file_mime(v_);
    return FileView{std::string_view(static_cast<const char *>(bg_file_data(v_)), bg_file_size(v_)),
                    mime ? std::string_view(mime) : std::string_view()};
  }
  /** A JSON value as compact text, keys sorted (bg_json_text()).
   *  @return the text. */
  std::string_view json_text() const { return json_text(std::nothrow).value(); }
  /** json_text() without exceptions.
   *  @return the text, or the error. */
  Result<std::string_view> json_text(const std::nothrow_t &) const noexcept {
    if (kind() != Kind::json)
      return kind_error("JSON", "json_text()");
    const char *t = bg_json_text(v_);
    if (!t)
      return Error(BG_ERR_NO_MEMORY, "out of memory rendering the JSON value as text");
    return std::string_view(t);
  }
  /** A JSON value as indented text, keys sorted (bg_json_format()).
   *  @param indent spaces per level, 0..16 (0: compact).
   *  @return the text. */
  std::string json_format(int indent) const {
    if (kind() != Kind::json)
      detail::raise(kind_error("JSON", "json_format()"));
    std::unique_ptr<char, void (*)(char *)> t(bg_json_format(v_, indent), bg_string_free);
    if (!t)
      detail::raise(Error(BG_ERR_INVALID_ARGUMENT, "json_format: indent must be 0..16"));
    return std::string(t.get());
  }
#if BENTOGRPC_HAS_NLOHMANN_JSON
  /** A JSON value as nlohmann::json (only when nlohmann/json.hpp was included first).
   *  @return the parsed document. */
  nlohmann::json json() const { return nlohmann::json::parse(json_text()); }
#endif

  class DataFrame;
  class Multipart;
  /** A dataframe's columns (checked: the value is a dataframe).
   *  @return the view. */
  DataFrame dataframe() const;
  /** A multipart's parts (checked: the value is a multipart).
   *  @return the view. */
  Multipart multipart() const;

protected:
  /** @cond INTERNAL */
  Error kind_error(const char *want, const char *accessor) const {
    return Error(BG_ERR_INVALID_ARGUMENT, std::string(accessor) + ": the value is " +
                                              kind_name(kind()) + ", not " + want +
                                              ": check kind() before reading it");
  }
  const bg_value *v_;
  /** @endcond */
};

/** A dataframe's named columns, each a series (from ValueView::dataframe()). */
class ValueView::DataFrame {
public:
  /** A view of a dataframe (use ValueView::dataframe()).
   *  @param df the dataframe (borrowed). */
  explicit DataFrame(const bg_value *df) noexcept : df_(df) {}
  /** Number of columns.
   *  @return the count. */
  size_t column_count() const noexcept { return bg_dataframe_column_count(df_); }
  /** Number of rows.
   *  @return the count (0 with no columns). */
  size_t row_count() const noexcept { return bg_dataframe_row_count(df_); }
  /** A column's name.
   *  @param index 0-based column index.
   *  @return the name; empty when unnamed or out of range. */
  std::string_view column_name_at(size_t index) const noexcept {
    const char *n = bg_dataframe_column_name_at(df_, index);
    return n ? n : std::string_view();
  }
  /** A column by position.
   *  @param index 0-based column index.
   *  @return the series; Kind::none when out of range. */
  ValueView column_at(size_t index) const noexcept {
    return ValueView(bg_dataframe_column_at(df_, index));
  }
  /** A column by name.
   *  @param name the exact name.
   *  @return the series, or nothing when there is no such column. */
  std::optional<ValueView> column_find(const std::string &name) const noexcept {
    const bg_value *c = bg_dataframe_column_find(df_, name.c_str());
    return c ? std::optional<ValueView>(ValueView(c)) : std::nullopt;
  }
  /** A column's elements as T, by name (checked: the column exists and holds dtype_of<T>).
   *  @tparam T the element type.
   *  @param name the exact name.
   *  @return the elements. */
  template <class T> Span<T> column(const std::string &name) const {
    auto c = column_find(name);
    if (!c)
      detail::raise(
          Error(BG_ERR_INVALID_ARGUMENT, "the dataframe has no column '" + name +
                                             "': see column_name_at() for the names it has"));
    return c->series<T>();
  }

private:
  const bg_value *df_;
};

/** A multipart's named parts (from ValueView::multipart()). */
class ValueView::Multipart {
public:
  /** A view of a multipart (use ValueView::multipart()).
   *  @param mp the multipart (borrowed). */
  explicit Multipart(const bg_value *mp) noexcept : mp_(mp) {}
  /** Number of parts.
   *  @return the count. */
  size_t count() const noexcept { return bg_multipart_count(mp_); }
  /** A part's name, in insertion (server) order.
   *  @param index 0-based index.
   *  @return the name; empty when out of range. */
  std::string_view name_at(size_t index) const noexcept {
    const char *n = bg_multipart_name_at(mp_, index);
    return n ? n : std::string_view();
  }
  /** A part by position.
   *  @param index 0-based index.
   *  @return the part; Kind::none when out of range. */
  ValueView part_at(size_t index) const noexcept {
    return ValueView(bg_multipart_part_at(mp_, index));
  }
  /** A part by name.
   *  @param name the exact name.
   *  @return the part, or nothing. */
  std::optional<ValueView> find(const std::string &name) const noexcept {
    const bg_value *p = bg_multipart_find(mp_, name.c_str());
    return p ? std::optional<ValueView>(ValueView(p)) : std::nullopt;
  }
  /** A part by name, checked (Error BG_ERR_INVALID_ARGUMENT when there is none).
   *  @param name the exact name.
   *  @return the part. */
  ValueView operator[](const std::string &name) const {
    auto p = find(name);
    if (!p)
      detail::raise(Error(BG_ERR_INVALID_ARGUMENT, "the multipart has no part '" + name +
                                                       "': see name_at() for the names it has"));
    return *p;
  }

private:
  const bg_value *mp_;
};

inline ValueView::DataFrame ValueView::dataframe() const {
  if (kind() != Kind::dataframe)
    detail::raise(kind_error("a dataframe", "dataframe()"));
  return DataFrame(v_);
}

inline ValueView::Multipart ValueView::multipart() const {
  if (kind() != Kind::multipart)
    detail::raise(kind_error("a multipart", "multipart()"));
  return Multipart(v_);
}

/** An owned value (bg_value): a call's input or output. Move-only; frees the C value in its
 *  destructor. Made by the static constructors, which keep the C names: `_borrow` ones point at
 *  the caller's memory (see each), `_copy` ones copy it. All accessors are ValueView's. */
class Value : public ValueView {
public:
  /** No value (kind() is Kind::none). */
  Value() noexcept = default;
  /** Takes ownership of a C value.
   *  @param value the value (taken; freed by this object); may be NULL. */
  explicit Value(bg_value *value) noexcept : ValueView(value) {}
  Value(const Value &) = delete;
  Value &operator=(const Value &) = delete;
  /** Moves the value; `other` is left empty.
   *  @param other the source. */
  Value(Value &&other) noexcept : ValueView(std::exchange(other.v_, nullptr)) {}
  /** Frees this value and takes `other`'s.
   *  @param other the source.
   *  @return this. */
  Value &operator=(Value &&other) noexcept {
    if (this != &other)
      bg_value_free(mut(std::exchange(v_, std::exchange(other.v_, nullptr))));
    return *this;
  }
  /** Frees the value (bg_value_free()). */
  ~Value() { bg_value_free(mut(v_)); }
  /** Gives up ownership.
   *  @return the C value (the caller frees it with bg_value_free()). */
  bg_value *release() noexcept { return mut(std::exchange(v_, nullptr)); }
  /** The C value, mutable (for bg_dataframe_add_column() and similar).
   *  @return the value (still owned by this object). */
  bg_value *get_mut() noexcept { return mut(v_); }

  /* ---- reading: ValueView's accessors, refused on a temporary Value ----
   * A view into a temporary Value would dangle at the end of the statement (e.g. in
   * `for (float x : future.get().ndarray<float>())`): keep the Value in a variable first. */

  /** ValueView::ndarray(), on a Value that outlives the view.
   *  @tparam T the element type.
   *  @return the view. */
  template <class T> NdarrayView<T> ndarray() const & { return ValueView::ndarray<T>(); }
  /** Refused: the view would outlive this temporary. */
  template <class T> NdarrayView<T> ndarray() const && = delete;
  /** ValueView::ndarray() without exceptions.
   *  @tparam T the element type.
   *  @param nothrow std::nothrow.
   *  @return the view, or the error. */
  template <class T> Result<NdarrayView<T>> ndarray(const std::nothrow_t &nothrow) const &noexcept {
    return ValueView::ndarray<T>(nothrow);
  }
  /** Refused: the view would outlive this temporary. */
  template <class T> Result<NdarrayView<T>> ndarray(const std::nothrow_t &) const && = delete;
  /** ValueView::series().
   *  @tparam T the element type.
   *  @return the elements. */
  template <class T> Span<T> series() const & { return ValueView::series<T>(); }
  /** Refused: the view would outlive this temporary. */
  template <class T> Span<T> series() const && = delete;
  /** ValueView::series() without exceptions.
   *  @tparam T the element type.
   *  @param nothrow std::nothrow.
   *  @return the elements, or the error. */
  template <class T> Result<Span<T>> series(const std::nothrow_t &nothrow) const &noexcept {
    return ValueView::series<T>(nothrow);
  }
  /** Refused: the view would outlive this temporary. */
  template <class T> Result<Span<T>> series(const std::nothrow_t &) const && = delete;
  /** ValueView::text().
   *  @return the text. */
  std::string_view text() const & { return ValueView::text(); }
  /** Refused: the view would outlive this temporary. */
  std::string_view text() const && = delete;
  /** ValueView::text() without exceptions.
   *  @param nothrow std::nothrow.
   *  @return the text, or the error. */
  Result<std::string_view> text(const std::nothrow_t &nothrow) const &noexcept {
    return ValueView::text(nothrow);
  }
  /** Refused: the view would outlive this temporary. */
  Result<std::string_view> text(const std::nothrow_t &) const && = delete;
  /** ValueView::bytes().
   *  @return the bytes. */
  std::string_view bytes() const & { return ValueView::bytes(); }
  /** Refused: the view would outlive this temporary. */
  std::string_view bytes() const && = delete;
  /** ValueView::bytes() without exceptions.
   *  @param nothrow std::nothrow.
   *  @return the bytes, or the error. */
  Result<std::string_view> bytes(const std::nothrow_t &nothrow) const &noexcept {
    return ValueView::bytes(nothrow);
  }
  /** Refused: the view would outlive this temporary. */
  Result<std::string_view> bytes(const std::nothrow_t &) const && = delete;
  /** ValueView::file().
   *  @return the view. */
  FileView file() const & { return ValueView::file(); }
  /** Refused: the view would outlive this temporary. */
  FileView file() const && = delete;
  /** ValueView::file() without exceptions.
   *  @param nothrow std::nothrow.
   *  @return the view, or the error. */
  Result<FileView> file(const std::nothrow_t &nothrow) const &noexcept {
    return ValueView::file(nothrow);
  }
  /** Refused: the view would outlive this temporary. */
  Result<FileView> file(const std::nothrow_t &) const && = delete;
  /** ValueView::json_text().
   *  @return the text. */
  std::string_view json_text() const & { return ValueView::json_text(); }
  /** Refused: the view would outlive this temporary. */
  std::string_view json_text() const && = delete;
  /** ValueView::json_text() without exceptions.
   *  @param nothrow std::nothrow.
   *  @return the text, or the error. */
  Result<std::string_view> json_text(const std::nothrow_t &nothrow) const &noexcept {
    return ValueView::json_text(nothrow);
  }
  /** Refused: the view would outlive this temporary. */
  Result<std::string_view> json_text(const std::nothrow_t &) const && = delete;
  /** ValueView::dataframe().
   *  @return the view. */
  DataFrame dataframe() const & { return ValueView::dataframe(); }
  /** Refused: the view would outlive this temporary. */
  DataFrame dataframe() const && = delete;
  /** ValueView::multipart().
   *  @return the view. */
  Multipart multipart() const & { return ValueView::multipart(); }
  /** Refused: the view would outlive this temporary. */
  Multipart multipart() const && = delete;

  /* ---- ndarrays ---- */

  /** An ndarray over the caller's elements, WITHOUT copying them (bg_ndarray_borrow()).
   *  Lifetime: `data` (and, for strings, every string) must stay valid and unchanged until this
   *  Value is destroyed; an async client without AsyncFlags::borrow_inputs copies the input
   *  when the call starts, so then only until call() returns.
   *  @tparam T    float, double, bool, int32_t, int64_t, uint32_t, uint64_t or const char *.
   *  @param data  shape.count() elements, row-major (BORROWED).
   *  @param shape the dimensions (copied); `{}` for a scalar.
   *  @return the value. */
  template <class T, class = std::enable_if_t<detail::is_element_v<T>>>
  static Value ndarray_borrow(const T *data, Shape shape) {
    return make(bg_ndarray_borrow, detail::c_dtype<T>(), shape, data, shape.count());
  }
  /** A 1-d ndarray over a vector's elements, without copying (borrowed as above).
   *  @param data the elements (BORROWED: the vector must not be resized or destroyed while
   *              the Value lives).
   *  @return the value. */
  template <class T> static Value ndarray_borrow(const std::vector<T> &data) {
    return ndarray_borrow(data, line(data.size()));
  }
  /** An ndarray of a given shape over a vector's elements, without copying (borrowed).
   *  @param data  the elements (BORROWED, as above).
   *  @param shape the dimensions (copied); their product must be data.size().
   *  @return the value. */
  template <class T> static Value ndarray_borrow(const std::vector<T> &data, Shape shape) {
    return of_vector(bg_ndarray_borrow, data, shape);
  }
  /** Refused: a temporary vector would be gone before the call. Use ndarray_copy(). */
  template <class T> static Value ndarray_borrow(std::vector<T> &&, Shape = {}) = delete;
  /** A 1-d ndarray over a C array, without copying (borrowed).
   *  @param data the array (BORROWED).
   *  @return the value. */
  template <class T, size_t N, class = std::enable_if_t<detail::is_element_v<T>>>
  static Value ndarray_borrow(const T (&data)[N]) {
    return make(bg_ndarray_borrow, detail::c_dtype<T>(), line(N), data, N);
  }
  /** A 2-d ndarray over a C array `T[R][C]`, without copying (borrowed).
   *  @param data the array (BORROWED).
   *  @return the value of shape (R, C). */
  template <class T, size_t R, size_t C, class = std::enable_if_t<detail::is_element_v<T>>>
  static Value ndarray_borrow(const T (&data)[R][C]) {
    const int64_t n[2] = {static_cast<int64_t>(R), static_cast<int64_t>(C)};
    return make(bg_ndarray_borrow, detail::c_dtype<T>(), Shape(n, 2), &data[0][0], R * C);
  }
#if BENTOGRPC_HAS_SPAN
  /** An ndarray over a std::span's elements, without copying (C++20; borrowed).
   *  @param data  the elements (BORROWED).
   *  @param shape the dimensions (copied); their product must be data.size().
   *  @return the value. */
  template <class T, size_t E, class = std::enable_if_t<detail::is_element_v<T>>>
  static Value ndarray_borrow(std::span<T, E> data, Shape shape) {
    return make(bg_ndarray_borrow, detail::c_dtype<T>(), shape, data.data(), data.size());
  }
  /** A 1-d ndarray over a std::span's elements, without copying (C++20; borrowed).
   *  @param data the elements (BORROWED).
   *  @return the value. */
  template <class T, size_t E, class = std::enable_if_t<detail::is_element_v<T>>>
  static Value ndarray_borrow(std::span<T, E> data) {
    return ndarray_borrow(data, line(data.size()));
  }
#endif
  /** An ndarray holding a copy of the elements (bg_ndarray_copy()).
   *  @param data  shape.count() elements (copied).
   *  @param shape the dimensions (copied).
   *  @return the value. */
  template <class T, class = std::enable_if_t<detail::is_element_v<T>>>
  static Value ndarray_copy(const T *data, Shape shape) {
    return make(bg_ndarray_copy, detail::c_dtype<T>(), shape, data, shape.count());
  }
  /** A 1-d ndarray holding a copy of a vector's elements.
   *  @param data the elements (copied).
   *  @return the value. */
  template <class T> static Value ndarray_copy(const std::vector<T> &data) {
    return ndarray_copy(data, line(data.size()));
  }
  /** An ndarray of a given shape holding a copy of a vector's elements.
   *  @param data  the elements (copied).
   *  @param shape the dimensions; their product must be data.size().
   *  @return the value. */
  template <class T> static Value ndarray_copy(const std::vector<T> &data, Shape shape) {
    return of_vector(bg_ndarray_copy, data, shape);
  }
  /** A 1-d string ndarray holding a copy of the strings.
   *  @param data the strings (copied; each valid UTF-8 without NUL bytes).
   *  @return the value. */
  static Value ndarray_copy(const std::vector<std::string> &data) {
    return ndarray_copy(data, line(data.size()));
  }
  /** A string ndarray of a given shape holding a copy of the strings.
   *  @param data  the strings (copied; each valid UTF-8 without NUL bytes).
   *  @param shape the dimensions; their product must be data.size().
   *  @return the value. */
  static Value ndarray_copy(const std::vector<std::string> &data, Shape shape) {
    std::vector<const char *> p;
    p.reserve(data.size());
    for (const auto &s : data)
      p.push_back(s.c_str());
    return ndarray_copy(p, shape);
  }

  /* ---- series and dataframes ---- */

  /** A series over the caller's elements, without copying (bg_series_borrow(); borrowed as
   *  ndarray_borrow()).
   *  @param data  the elements (BORROWED); bool, float, double, int32_t, int64_t or strings.
   *  @param count their number.
   *  @return the value. */
  template <class T, class = std::enable_if_t<detail::is_element_v<T>>>
  static Value series_borrow(const T *data, size_t count) {
    return build(bg_series_borrow, detail::c_dtype<T>(), data, count);
  }
  /** A series over a vector's elements, without copying (borrowed as ndarray_borrow()).
   *  @param data the elements (BORROWED).
   *  @return the value. */
  template <class T> static Value series_borrow(const std::vector<T> &data) {
    static_assert(!std::is_same_v<T, bool>, "std::vector<bool> stores bits, not bool elements");
    return series_borrow(data.data(), data.size());
  }
  /** Refused: a temporary vector would be gone before the call. Use series_copy(). */
  template <class T> static Value series_borrow(std::vector<T> &&) = delete;
  /** A series holding a copy of the elements (bg_series_copy()).
   *  @param data  the elements (copied).
   *  @param count their number.
   *  @return the value. */
  template <class T, class = std::enable_if_t<detail::is_element_v<T>>>
  static Value series_copy(const T *data, size_t count) {
    return build(bg_series_copy, detail::c_dtype<T>(), data, count);
  }
  /** A series holding a copy of a vector's elements.
   *  @param data the elements (copied).
   *  @return the value. */
  template <class T> static Value series_copy(const std::vector<T> &data) {
    static_assert(!std::is_same_v<T, bool>, "std::vector<bool> stores bits, not bool elements");
    return series_copy(data.data(), data.size());
  }
  /** An empty dataframe (bg_dataframe_new()); add columns with dataframe_add_column(), e.g.
   *  `Value::dataframe_new().dataframe_add_column("a", Value::series_copy(a))`.
   *  @return the value. */
  static Value dataframe_new() { return build(bg_dataframe_new); }
  /** Appends a column to a dataframe being built (bg_dataframe_add_column()).
   *  @param name   the column name (copied).
   *  @param series a series (moved in: taken even when this fails).
   *  @return this, for chaining. */
  Value &dataframe_add_column(const std::string &name, Value series) & {
    bg_error err;
    detail::check(bg_dataframe_add_column(get_mut(), name.c_str(), series.release(), &err), err);
    return *this;
  }
  /** dataframe_add_column() on a temporary (a chain from dataframe_new()).
   *  @param name   the column name (copied).
   *  @param series a series (moved in).
   *  @return this, moved, for chaining. */
  Value &&dataframe_add_column(const std::string &name, Value series) && {
    return std::move(dataframe_add_column(name, std::move(series)));
  }

  /* ---- JSON, text, files, bytes, multipart ---- */

  /** Parses JSON text (bg_json_parse()).
   *  @param text UTF-8 JSON (copied).
   *  @return the value. */
  static Value json_parse(std::string_view text) {
    return build(bg_json_parse, text.data(), text.size());
  }
#if BENTOGRPC_HAS_NLOHMANN_JSON
  /** A JSON value from nlohmann::json (only when nlohmann/json.hpp was included first).
   *  @param doc the document (serialised and parsed: copied).
   *  @return the value. */
  static Value json_from(const nlohmann::json &doc) { return json_parse(doc.dump()); }
#endif
  /** A text value (bg_text_new()).
   *  @param utf8 the text (copied; valid UTF-8 without NUL bytes).
   *  @return the value. */
  static Value text_new(std::string_view utf8) {
    return build(bg_text_new, utf8.data(), utf8.size());
  }
  /** A file over the caller's bytes, without copying (bg_file_borrow()).
   *  @param data the bytes (BORROWED until this Value is destroyed).
   *  @param mime MIME type such as "image/png"; empty for none.
   *  @return the value. */
  static Value file_borrow(std::string_view data, const std::string &mime = {}) {
    return build(bg_file_borrow, data.data(), data.size(), mime.empty() ? nullptr : mime.c_str());
  }
  /** A file holding a copy of the bytes (bg_file_copy()).
   *  @param data the bytes (copied).
   *  @param mime MIME type; empty for none.
   *  @return the value. */
  static Value file_copy(std::string_view data, const std::string &mime = {}) {
    return build(bg_file_copy, data.data(), data.size(), mime.empty() ? nullptr : mime.c_str());
  }
  /** A file read from disk (bg_file_from_path()).
   *  @param path the file.
   *  @param mime MIME type; empty for none.
   *  @return the value. */
  static Value file_from_path(const std::string &path, const std::string &mime = {}) {
    return build(bg_file_from_path, path.c_str(), mime.empty() ? nullptr : mime.c_str());
  }
  /** Raw serialized_bytes over the caller's bytes, without copying (bg_bytes_borrow()).
   *  @param data the bytes (BORROWED until this Value is destroyed).
   *  @return the value. */
  static Value bytes_borrow(std::string_view data) {
    return build(bg_bytes_borrow, data.data(), data.size());
  }
  /** Raw serialized_bytes holding a copy (bg_bytes_copy()).
   *  @param data the bytes (copied).
   *  @return the value. */
  static Value bytes_copy(std::string_view data) {
    return build(bg_bytes_copy, data.data(), data.size());
  }
  /** An empty multipart (bg_multipart_new()); add parts with multipart_add(), e.g.
   *  `Value::multipart_new().multipart_add("a", Value::text_new("x"))`.
   *  @return the value. */
  static Value multipart_new() { return build(bg_multipart_new); }
  /** Adds a named part to a multipart being built (bg_multipart_add()).
   *  @param name the part's name (copied).
   *  @param part the part (moved in: taken even when this fails).
   *  @return this, for chaining. */
  Value &multipart_add(const std::string &name, Value part) & {
    bg_error err;
    detail::check(bg_multipart_add(get_mut(), name.c_str(), part.release(), &err), err);
    return *this;
  }
  /** multipart_add() on a temporary (a chain from multipart_new()).
   *  @param name the part's name (copied).
   *  @param part the part (moved in).
   *  @return this, moved, for chaining. */
  Value &&multipart_add(const std::string &name, Value part) && {
    return std::move(multipart_add(name, std::move(part)));
  }

private:
  static bg_value *mut(const bg_value *v) noexcept { return const_cast<bg_value *>(v); }
  /* The value a C constructor `f` makes of `args`, owned; its failure raised. */
  template <class F, class... A> static Value build(F f, A... args) {
    bg_error err;
    bg_value *v = f(args..., &err);
    return v ? Value(v) : (detail::raise(err), Value());
  }
  /* An ndarray made by bg_ndarray_borrow or bg_ndarray_copy (`f`): the one body of each
   * family's overloads. */
  template <class F>
  static Value make(F f, bg_dtype dtype, Shape shape, const void *data, size_t count) {
    return build(f, dtype, shape.data(), shape.ndim(), data, count);
  }
  template <class F, class T> static Value of_vector(F f, const std::vector<T> &data, Shape shape) {
    static_assert(!std::is_same_v<T, bool>, "std::vector<bool> stores bits, not bool elements: "
                                            "use a bool array or std::unique_ptr<bool[]>");
    static_assert(detail::is_element_v<T>,
                  "ndarray_borrow/ndarray_copy: no dtype for this element type");
    return make(f, detail::c_dtype<T>(), shape, data.data(), data.size());
  }
  /* The shape of n elements in a row (1-d; Shape owns its dimensions). */
  static Shape line(size_t n) noexcept { return Shape{static_cast<int64_t>(n)}; }
};

/* ======================================================================== call plumbing */

/** Serving status of the gRPC health protocol (bg_health_status). */
enum class HealthStatus : int {
  unknown = BG_HEALTH_UNKNOWN,                /**< UNKNOWN, or no answer */
  serving = BG_HEALTH_SERVING,                /**< ready for calls */
  not_serving = BG_HEALTH_NOT_SERVING,        /**< up, but not taking calls */
  service_unknown = BG_HEALTH_SERVICE_UNKNOWN /**< the server does not know the service */
};

/** The name of a health status.
 *  @param status the status.
 *  @return "SERVING", ... (static storage). */
inline const char *health_status_name(HealthStatus status) noexcept {
  return bg_health_status_name(static_cast<bg_health_status>(status));
}

/** Compression of requests (bg_compression). */
enum class Compression : int {
  none = BG_COMPRESSION_NONE,       /**< no compression */
  deflate = BG_COMPRESSION_DEFLATE, /**< deflate */
  gzip = BG_COMPRESSION_GZIP        /**< gzip */
};

/** A reply's initial and trailing metadata, filled by calls whose CallOptions name it
 *  (bg_response_metadata). Move-only. */
class ResponseMetadata {
public:
  /** An empty sink. */
  ResponseMetadata() : m_(bg_response_metadata_new()) {
    if (!m_)
      detail::raise(Error(BG_ERR_NO_MEMORY, "out of memory making a response metadata sink"));
  }
  /** A borrowed view of a C sink (an interceptor's CallContext::response_metadata()).
   *  @param m the sink (borrowed, not freed). */
  explicit ResponseMetadata(const bg_response_metadata *m) noexcept
      : m_(const_cast<bg_response_metadata *>(m)), owned_(false) {}
  ResponseMetadata(const ResponseMetadata &) = delete;
  ResponseMetadata &operator=(const ResponseMetadata &) = delete;
  /** Moves the sink.
   *  @param o the source, left empty. */
  ResponseMetadata(ResponseMetadata &&o) noexcept
      : m_(std::exchange(o.m_, nullptr)), owned_(o.owned_) {}
  /** Frees an owned sink. */
  ~ResponseMetadata() {
    if (owned_)
      bg_response_metadata_free(m_);
  }
  /** The C sink.
   *  @return the sink. */
  bg_response_metadata *get() const noexcept { return m_; }
  /** Number of entries.
   *  @param kind BG_METADATA_INITIAL or BG_METADATA_TRAILING.
   *  @return the count. */
  size_t count(bg_metadata_kind kind) const noexcept {
    return bg_response_metadata_count(m_, kind);
  }
  /** Key of entry `index`.
   *  @param kind  initial or trailing.
   *  @param index 0-based index.
   *  @return the key; empty when out of range. */
  std::string_view key(bg_metadata_kind kind, size_t index) const noexcept {
    const char *k = bg_response_metadata_key(m_, kind, index);
    return k ? k : std::string_view();
  }
  /** Value of entry `index` (binary for "-bin" keys).
   *  @param kind  initial or trailing.
   *  @param index 0-based index.
   *  @return the value; empty when out of range. */
  std::string_view value(bg_metadata_kind kind, size_t index) const noexcept {
    size_t len = 0;
    const char *v = bg_response_metadata_value(m_, kind, index, &len);
    return v ? std::string_view(v, len) : std::string_view();
  }
  /** The first value of `key`.
   *  @param kind initial or trailing.
   *  @param key  the exact key.
   *  @return the value, or nothing. */
  std::optional<std::string_view> find(bg_metadata_kind kind, const std::string &key) const {
    size_t len = 0;
    const char *v = bg_response_metadata_find(m_, kind, key.c_str(), &len);
    return v ? std::optional<std::string_view>(std::string_view(v, len)) : std::nullopt;
  }

private:
  bg_response_metadata *m_;
  bool owned_ = true;
};

/** A token that cancels sync calls from another thread (bg_cancel_token). Move-only. */
class CancelToken {
public:
  /** A new, not-cancelled token. */
  CancelToken() : t_(bg_cancel_token_new(), bg_cancel_token_free) {
    if (!t_)
      detail::raise(Error(BG_ERR_NO_MEMORY, "out of memory making a cancel token"));
  }
  /** Cancels every sync call running with this token, and later ones until reset(). Any
   *  thread. */
  void cancel() noexcept { bg_cancel_token_cancel(t_.get()); }
  /** Whether the token is cancelled.
   *  @return true after cancel() until reset(). */
  bool is_cancelled() const noexcept { return bg_cancel_token_is_cancelled(t_.get()); }
  /** Makes the token usable for new calls. */
  void reset() noexcept { bg_cancel_token_reset(t_.get()); }
  /** The C token.
   *  @return the token. */
  bg_cancel_token *get() const noexcept { return t_.get(); }

private:
  std::unique_ptr<bg_cancel_token, void (*)(bg_cancel_token *)> t_;
};

/** One call as interceptors and credentials callbacks see it (bg_call_context); valid only
 *  during the hook. A hook fails the call with fail(). */
class CallContext {
public:
  /** A view of a C context (made by the hook trampolines).
   *  @param ctx the context (borrowed). */
  explicit CallContext(bg_call_context *ctx) noexcept : c_(ctx) {}
  /** The API name.
   *  @return the name. */
  std::string_view api() const noexcept { return bg_call_context_api(c_); }
  /** The method path.
   *  @return e.g. "/bentoml.grpc.v1.BentoService/Call". */
  std::string_view method() const noexcept { return bg_call_context_method(c_); }
  /** The server address given to the client.
   *  @return the address. */
  std::string_view target() const noexcept { return bg_call_context_target(c_); }
  /** Adds request metadata (only in `before` hooks and credentials callbacks). A failure
   *  (bad key or value) fails the call with that error.
   *  @param key   the key (copied).
   *  @param value the value (copied).
   *  @return true when added. */
  bool add_metadata(const std::string &key, std::string_view value) noexcept {
    bg_error err;
    if (bg_call_context_add_metadata(c_, key.c_str(), value.data(), value.size(), &err) == BG_OK)
      return true;
    failure_ = err.code;
    message_ = err.message;
    return false;
  }
  /** Number of request metadata entries so far.
   *  @return the count. */
  size_t metadata_count() const noexcept { return bg_call_context_metadata_count(c_); }
  /** Key of request metadata entry `index`.
   *  @param index 0-based index.
   *  @return the key; empty when out of range. */
  std::string_view metadata_key(size_t index) const noexcept {
    const char *k = bg_call_context_metadata_key(c_, index);
    return k ? k : std::string_view();
  }
  /** Value of request metadata entry `index`.
   *  @param index 0-based index.
   *  @return the value; empty when out of range. */
  std::string_view metadata_value(size_t index) const noexcept {
    size_t len = 0;
    const char *v = bg_call_context_metadata_value(c_, index, &len);
    return v ? std::string_view(v, len) : std::string_view();
  }
  /** The outcome so far (BG_OK in `before` hooks).
   *  @return the status. */
  bg_status status() const noexcept { return bg_call_context_status(c_); }
  /** The gRPC status after the call (0 when none or in `before` hooks).
   *  @return the code. */
  int grpc_status() const noexcept { return bg_call_context_grpc_status(c_); }
  /** The error message after a failed call ("" otherwise).
   *  @return the message. */
  std::string_view message() const noexcept { return bg_call_context_message(c_); }
  /** The reply's metadata, when the call was sent.
   *  @return a borrowed view, or nothing (in `before` hooks, or when nothing was sent). */
  std::optional<ResponseMetadata> response_metadata() const noexcept {
    const bg_response_metadata *m = bg_call_context_response_metadata(c_);
    return m ? std::optional<ResponseMetadata>(ResponseMetadata(m)) : std::nullopt;
  }
  /** Time since the call began.
   *  @return milliseconds. */
  double elapsed_ms() const noexcept { return bg_call_context_elapsed_ms(c_); }
  /** Fails the call with `code` and `message` once the hook returns (a `before` hook: nothing
   *  is sent; an `after` hook: the outcome becomes this error).
   *  @param code    the code (not BG_OK).
   *  @param message what happened and what to do. */
  void fail(bg_status code, std::string message) {
    failure_ = code;
    message_ = std::move(message);
  }

  /** @cond INTERNAL */
  template <class F> static bg_status run(F &f, bg_call_context *ctx, bg_error *err) noexcept {
    CallContext c(ctx);
#if BENTOGRPC_EXCEPTIONS
    try {
      f(c);
    } catch (const Error &e) {
      c.fail(e.code(), e.message());
    } catch (const std::exception &e) {
      c.fail(BG_ERR_INVALID_ARGUMENT, std::string("a hook threw: ") + e.what());
    } catch (...) {
      c.fail(BG_ERR_INVALID_ARGUMENT, "a hook threw an exception that is not std::exception");
    }
#else
    f(c);
#endif
    if (c.failure_ == BG_OK)
      return BG_OK;
    err->code = c.failure_;
    err->grpc_status = 0;
    std::snprintf(err->message, BG_ERROR_MESSAGE_SIZE - 3, "%s", c.message_.c_str());
    return c.failure_;
  }
  /** @endcond */

private:
  bg_call_context *c_;
  bg_status failure_ = BG_OK;
  std::string message_;
};

/** A hook: sees the call and may fail it with CallContext::fail() (or by throwing). */
using Hook = std::function<void(CallContext &)>;

/** A pair of hooks run around every call of the clients whose Options it was added to
 *  (bg_interceptor; see interceptor.h for the order and threads). Move-only. */
class Interceptor {
public:
  /** An interceptor from C++ callables (bg_interceptor_new()).
   *  @param name   shown in errors.
   *  @param before runs before the request is sent; may be empty (but not both).
   *  @param after  runs once the call has finished; may be empty (but not both). */
  Interceptor(const std::string &name, Hook before, Hook after) {
    auto *st = new Hooks{std::move(before), std::move(after)};
    bg_error err;
    i_ = bg_interceptor_new(name.c_str(), st->before ? &Interceptor::on_before : nullptr,
                            st->after ? &Interceptor::on_after : nullptr, st, &Interceptor::destroy,
                            &err);
    if (!i_) {
      delete st;
      detail::raise(err);
    }
  }
  /** Takes one reference to a C interceptor.
   *  @param i the interceptor (its reference is taken). */
  explicit Interceptor(bg_interceptor *i) noexcept : i_(i) {}
  Interceptor(const Interceptor &) = delete;
  Interceptor &operator=(const Interceptor &) = delete;
  /** Moves the reference.
   *  @param o the source, left empty. */
  Interceptor(Interceptor &&o) noexcept : i_(std::exchange(o.i_, nullptr)) {}
  /** Drops this reference (options that hold the interceptor keep theirs). */
  ~Interceptor() { bg_interceptor_release(i_); }
  /** W3C trace-context propagation (bg_interceptor_traceparent()).
   *  @return the interceptor. */
  static Interceptor traceparent() {
    bg_error err;
    bg_interceptor *i = bg_interceptor_traceparent(&err);
    if (!i)
      detail::raise(err);
    return Interceptor(i);
  }
  /** The C interceptor.
   *  @return the interceptor (borrowed). */
  bg_interceptor *get() const noexcept { return i_; }

private:
  struct Hooks {
    Hook before, after;
  };
  static bg_status on_before(void *s, bg_call_context *c, bg_error *e) {
    return CallContext::run(static_cast<Hooks *>(s)->before, c, e);
  }
  static bg_status on_after(void *s, bg_call_context *c, bg_error *e) {
    return CallContext::run(static_cast<Hooks *>(s)->after, c, e);
  }
  static void destroy(void *s) { delete static_cast<Hooks *>(s); }
  bg_interceptor *i_;
};

/** How a client connects (bg_options): a fluent builder, e.g.
 *  `Options().set_default_deadline(std::chrono::seconds(2)).set_lb_policy("round_robin")`.
 *  Each setter mirrors the C one of the same name. A refused setting throws Error; without
 *  exceptions the first refusal is kept (error()) and the std::nothrow constructors of the
 *  clients return it. Move-only; the clients copy it. */
class Options {
public:
  /** Default options. */
  Options() : o_(bg_options_new(), bg_options_free) {
    if (!o_)
      detail::raise(Error(BG_ERR_NO_MEMORY, "out of memory making options"));
  }
  /** The C options.
   *  @return the options (borrowed). */
  const bg_options *get() const noexcept { return o_.get(); }
  /** The first refused setting, when exceptions are off.
   *  @return the error, or NULL when every setting was taken. */
  const Error *error() const noexcept { return first_error_ ? &*first_error_ : nullptr; }

  /** bg_options_set_protocol_version().
   *  @param version "v1" or "v1alpha1".
   *  @return this. */
  Options &set_protocol_version(const std::string &version) {
    return set(bg_options_set_protocol_version, version.c_str());
  }
  /** bg_options_set_discovery_timeout_ms().
   *  @param timeout > 0.
   *  @return this. */
  Options &set_discovery_timeout(std::chrono::milliseconds timeout) {
    return set(bg_options_set_discovery_timeout_ms, static_cast<int64_t>(timeout.count()));
  }
  /** bg_options_set_default_deadline_ms().
   *  @param deadline >= 0 (0: none).
   *  @return this. */
  Options &set_default_deadline(std::chrono::milliseconds deadline) {
    return set(bg_options_set_default_deadline_ms, static_cast<int64_t>(deadline.count()));
  }
  /** bg_options_set_max_receive_size().
   *  @param bytes 1..INT32_MAX, or BG_NO_LIMIT.
   *  @return this. */
  Options &set_max_receive_size(size_t bytes) {
    return set(bg_options_set_max_receive_size, bytes);
  }
  /** bg_options_set_max_send_size().
   *  @param bytes 1..INT32_MAX, or BG_NO_LIMIT.
   *  @return this. */
  Options &set_max_send_size(size_t bytes) { return set(bg_options_set_max_send_size, bytes); }
  /** bg_options_set_max_metadata_size().
   *  @param bytes 1..INT32_MAX.
   *  @return this. */
  Options &set_max_metadata_size(size_t bytes) {
    return set(bg_options_set_max_metadata_size, bytes);
  }
  /** bg_options_set_tls().
   *  @param enable TLS on or off.
   *  @return this. */
  Options &set_tls(bool enable) { return set(bg_options_set_tls, enable); }
  /** bg_options_set_root_certs_file().
   *  @param path PEM file.
   *  @return this. */
  Options &set_root_certs_file(const std::string &path) {
    return set(bg_options_set_root_certs_file, path.c_str());
  }
  /** bg_options_set_root_certs_pem().
   *  @param pem PEM text (copied).
   *  @return this. */
  Options &set_root_certs_pem(std::string_view pem) {
    return set(bg_options_set_root_certs_pem, pem.data(), pem.size());
  }
  /** bg_options_set_client_cert_file().
   *  @param cert_path PEM certificate chain.
   *  @param key_path  PEM private key.
   *  @return this. */
  Options &set_client_cert_file(const std::string &cert_path, const std::string &key_path) {
    return set(bg_options_set_client_cert_file, cert_path.c_str(), key_path.c_str());
  }
  /** bg_options_set_client_cert_pem().
   *  @param cert_pem the certificate chain (copied).
   *  @param key_pem  the private key (copied).
   *  @return this. */
  Options &set_client_cert_pem(std::string_view cert_pem, std::string_view key_pem) {
    return set(bg_options_set_client_cert_pem, cert_pem.data(), cert_pem.size(), key_pem.data(),
               key_pem.size());
  }
  /** bg_options_set_authority().
   *  @param authority the name.
   *  @return this. */
  Options &set_authority(const std::string &authority) {
    return set(bg_options_set_authority, authority.c_str());
  }
  /** bg_options_set_allow_insecure_credentials().
   *  @param allow allow credentials over plaintext loopback/unix:.
   *  @return this. */
  Options &set_allow_insecure_credentials(bool allow) {
    return set(bg_options_set_allow_insecure_credentials, allow);
  }
  /** bg_options_set_keepalive().
   *  @param time                 interval between pings.
   *  @param timeout              wait for the answer (0: gRPC's 20 s).
   *  @param permit_without_calls ping even without calls.
   *  @return this. */
  Options &set_keepalive(std::chrono::milliseconds time, std::chrono::milliseconds timeout,
                         bool permit_without_calls = false) {
    return set(bg_options_set_keepalive, static_cast<int64_t>(time.count()),
               static_cast<int64_t>(timeout.count()), permit_without_calls);
  }
  /** bg_options_set_user_agent().
   *  @param user_agent the prefix.
   *  @return this. */
  Options &set_user_agent(const std::string &user_agent) {
    return set(bg_options_set_user_agent, user_agent.c_str());
  }
  /** bg_options_set_lb_policy().
   *  @param policy "pick_first" or "round_robin".
   *  @return this. */
  Options &set_lb_policy(const std::string &policy) {
    return set(bg_options_set_lb_policy, policy.c_str());
  }
  /** bg_options_set_service_config().
   *  @param json a JSON object.
   *  @return this. */
  Options &set_service_config(const std::string &json) {
    return set(bg_options_set_service_config, json.c_str());
  }
  /** bg_options_set_channel_arg_int().
   *  @param key   a gRPC channel argument name.
   *  @param value the value.
   *  @return this. */
  Options &set_channel_arg_int(const std::string &key, int value) {
    return set(bg_options_set_channel_arg_int, key.c_str(), value);
  }
  /** bg_options_set_channel_arg_string().
   *  @param key   a gRPC channel argument name.
   *  @param value the value.
   *  @return this. */
  Options &set_channel_arg_string(const std::string &key, const std::string &value) {
    return set(bg_options_set_channel_arg_string, key.c_str(), value.c_str());
  }
  /** bg_options_set_compression().
   *  @param compression the channel's default request compression.
   *  @return this. */
  Options &set_compression(Compression compression) {
    return set(bg_options_set_compression, static_cast<bg_compression>(compression));
  }
  /** bg_options_set_retry().
   *  @param max_attempts       2..5; 0 or 1 turns retries off.
   *  @param initial_backoff    the first backoff.
   *  @param max_backoff        the largest backoff.
   *  @param backoff_multiplier growth per attempt.
   *  @param status_codes       comma-separated gRPC status names; empty: "UNAVAILABLE".
   *  @return this. */
  Options &set_retry(int max_attempts, std::chrono::milliseconds initial_backoff,
                     std::chrono::milliseconds max_backoff, double backoff_multiplier = 2.0,
                     const std::string &status_codes = {}) {
    return set(bg_options_set_retry, max_attempts, static_cast<int64_t>(initial_backoff.count()),
               static_cast<int64_t>(max_backoff.count()), backoff_multiplier,
               status_codes.empty() ? nullptr : status_codes.c_str());
  }
  /** bg_options_set_health_check().
   *  @param enable       on or off.
   *  @param service_name the service to watch; empty: the server's overall health.
   *  @return this. */
  Options &set_health_check(bool enable, const std::string &service_name = {}) {
    return set(bg_options_set_health_check, enable, service_name.c_str());
  }
  /** bg_options_add_interceptor(): the options take their own reference.
   *  @param interceptor the interceptor.
   *  @return this. */
  Options &add_interceptor(const Interceptor &interceptor) {
    return set(bg_options_add_interceptor, interceptor.get());
  }
  /** Adds an interceptor made from two hooks (Interceptor's constructor).
   *  @param name   shown in errors.
   *  @param before runs before the request is sent; may be empty.
   *  @param after  runs once the call has finished; may be empty.
   *  @return this. */
  Options &add_interceptor(const std::string &name, Hook before, Hook after = {}) {
    return add_interceptor(Interceptor(name, std::move(before), std::move(after)));
  }

private:
  template <class F, class... A> Options &set(F f, A... args) {
    bg_error err;
    if (f(o_.get(), args..., &err) != BG_OK)
      detail::refused(first_error_, err);
    return *this;
  }
  std::unique_ptr<bg_options, void (*)(bg_options *)> o_;
  std::optional<Error> first_error_;
};

/** How one call is made (bg_call_options): deadline, metadata, compression, credentials,
 *  validation, output buffer, cancel token. A fluent builder like Options; an empty one costs
 *  nothing (the C object is made at the first setting, and calls then pass NULL). Move-only.
 *  Used by one call at a time when it holds a response-metadata sink or an output buffer. */
class CallOptions {
public:
  /** No settings. */
  CallOptions() noexcept = default;
  /** The C options.
   *  @return the options, or NULL when nothing was set. */
  const bg_call_options *get() const noexcept { return o_.get(); }
  /** The first refused setting, when exceptions are off.
   *  @return the error, or NULL. */
  const Error *error() const noexcept { return first_error_ ? &*first_error_ : nullptr; }
  /** bg_call_options_set_deadline_ms().
   *  @param deadline > 0.
   *  @return this. */
  CallOptions &set_deadline(std::chrono::milliseconds deadline) {
    return set(bg_call_options_set_deadline_ms, static_cast<int64_t>(deadline.count()));
  }
  /** bg_call_options_add_metadata().
   *  @param key   lower-case key (copied).
   *  @param value the value (copied; binary for "-bin" keys).
   *  @return this. */
  CallOptions &add_metadata(const std::string &key, std::string_view value) {
    return set(bg_call_options_add_metadata, key.c_str(), value.data(), value.size());
  }
  /** bg_call_options_set_validate().
   *  @param validate false to let the server judge the input.
   *  @return this. */
  CallOptions &set_validate(bool validate) { return set(bg_call_options_set_validate, validate); }
  /** bg_call_options_set_wait_for_ready().
   *  @param wait_for_ready wait for the server within the deadline.
   *  @return this. */
  CallOptions &set_wait_for_ready(bool wait_for_ready) {
    return set(bg_call_options_set_wait_for_ready, wait_for_ready);
  }
  /** bg_call_options_set_compression().
   *  @param compression this call's request compression.
   *  @return this. */
  CallOptions &set_compression(Compression compression) {
    return set(bg_call_options_set_compression, static_cast<bg_compression>(compression));
  }
  /** bg_call_options_set_bearer_token().
   *  @param token the token (copied).
   *  @return this. */
  CallOptions &set_bearer_token(const std::string &token) {
    return set(bg_call_options_set_bearer_token, token.c_str());
  }
  /** bg_call_options_set_credentials(): a callable that adds metadata to each call
   *  (CallContext::add_metadata()) or fails it.
   *  @param credentials the callable (kept by these options).
   *  @return this. */
  CallOptions &set_credentials(Hook credentials) {
    creds_ = std::make_unique<Hook>(std::move(credentials));
    return set(bg_call_options_set_credentials, &CallOptions::on_credentials,
               static_cast<void *>(creds_.get()));
  }
  /** bg_call_options_set_response_metadata().
   *  @param sink the sink (borrowed: it must outlive the calls).
   *  @return this. */
  CallOptions &set_response_metadata(ResponseMetadata &sink) {
    return set(bg_call_options_set_response_metadata, sink.get());
  }
  /** bg_call_options_set_output_buffer(): a float or double ndarray reply is decoded into
   *  `buffer` (borrowed; see options.h for the rules).
   *  @param buffer   the memory, aligned for double.
   *  @param capacity its size in bytes.
   *  @return this. */
  CallOptions &set_output_buffer(void *buffer, size_t capacity) {
    return set(bg_call_options_set_output_buffer, buffer, capacity);
  }
  /** bg_call_options_set_cancel_token() (sync calls).
   *  @param token the token (borrowed: it must outlive the calls).
   *  @return this. */
  CallOptions &set_cancel_token(CancelToken &token) {
    return set(bg_call_options_set_cancel_token, token.get());
  }

private:
  static bg_status on_credentials(void *h, bg_call_context *c, bg_error *e) {
    return CallContext::run(*static_cast<Hook *>(h), c, e);
  }
  template <class F, class... A> CallOptions &set(F f, A... args) {
    if (!o_) {
      o_.reset(bg_call_options_new());
      if (!o_)
        detail::raise(Error(BG_ERR_NO_MEMORY, "out of memory making call options"));
    }
    bg_error err;
    if (f(o_.get(), args..., &err) != BG_OK)
      detail::refused(first_error_, err);
    return *this;
  }
  struct Free {
    void operator()(bg_call_options *o) const noexcept { bg_call_options_free(o); }
  };
  std::unique_ptr<bg_call_options, Free> o_;
  std::unique_ptr<Hook> creds_;
  std::optional<Error> first_error_;
};

/** An API name as the C API wants it, NUL-terminated: from a string literal, a `const char *`
 *  or a std::string (borrowed for the call; no copy). */
class Name {
public:
  /** From a C string.
   *  @param name the name (borrowed for the call). */
  Name(const char *name) noexcept : p_(name) {}
  /** From a std::string.
   *  @param name the name (borrowed for the call). */
  Name(const std::string &name) noexcept : p_(name.c_str()) {}
  /** The C string.
   *  @return the name. */
  const char *c_str() const noexcept { return p_; }

private:
  const char *p_;
};

/** One API of a server (bg_api): a borrowed view, valid while its client is open. */
class Api {
public:
  /** A view of a C API.
   *  @param api the API (borrowed). */
  explicit Api(const bg_api *api) noexcept : a_(api) {}
  /** The name.
   *  @return the name. */
  std::string_view name() const noexcept { return str(bg_api_name(a_)); }
  /** The documentation.
   *  @return the docs; empty when none. */
  std::string_view docs() const noexcept { return str(bg_api_docs(a_)); }
  /** The input descriptor id.
   *  @return e.g. "bentoml.io.NumpyNdarray"; empty when none. */
  std::string_view input_descriptor() const noexcept { return str(bg_api_input_descriptor(a_)); }
  /** The output descriptor id.
   *  @return e.g. "bentoml.io.JSON"; empty when none. */
  std::string_view output_descriptor() const noexcept { return str(bg_api_output_descriptor(a_)); }
  /** The input descriptor's attributes as compact JSON.
   *  @return a JSON object ("{}" when empty). */
  std::string_view input_attributes_json() const noexcept {
    return str(bg_api_input_attributes_json(a_));
  }
  /** The output descriptor's attributes as compact JSON.
   *  @return a JSON object ("{}" when empty). */
  std::string_view output_attributes_json() const noexcept {
    return str(bg_api_output_attributes_json(a_));
  }
  /** Whether call() can encode and decode this API.
   *  @return true when supported. */
  bool is_supported() const noexcept { return bg_api_is_supported(a_); }
  /** Why it is unsupported.
   *  @return the reason; empty when supported. */
  std::string_view unsupported_reason() const noexcept {
    return str(bg_api_unsupported_reason(a_));
  }
  /** The C API.
   *  @return the API (borrowed). */
  const bg_api *get() const noexcept { return a_; }

private:
  static std::string_view str(const char *s) noexcept { return s ? s : std::string_view(); }
  const bg_api *a_;
};

/* ======================================================================== the sync client */

class Client;

/** An API bound to its client: `client["predict"](input)` (from Client::operator[]). Valid
 *  while the client lives. */
class BoundApi {
public:
  /** Binds a name (use Client::operator[]).
   *  @param client the client.
   *  @param name   the API name. */
  BoundApi(Client &client, std::string name) : c_(&client), name_(std::move(name)) {}
  /** Calls the API (Client::call()).
   *  @param input the input (borrowed for the call).
   *  @param opts  per-call options.
   *  @return the output. */
  Value operator()(const ValueView &input, const CallOptions &opts = CallOptions()) const;
  /** Calls the API without exceptions.
   *  @param nothrow std::nothrow.
   *  @param input   the input.
   *  @param opts    per-call options.
   *  @return the output, or the error. */
  Result<Value> operator()(const std::nothrow_t &nothrow, const ValueView &input,
                           const CallOptions &opts = CallOptions()) const noexcept;

private:
  Client *c_;
  std::string name_;
};

/** A connection to one BentoML server and its APIs (bg_client). Move-only; closes in its
 *  destructor. Thread-safe like the C client: any number of threads may call at once. */
class Client {
public:
  /** Connects and discovers the APIs (bg_client_from_url()); throws Error on failure.
   *  @param url  the address ("host:port", "grpcs://...", "unix:/path", "dns:///...").
   *  @param opts connection options (copied).
   *  @return the client. */
  static Client from_url(const std::string &url, const Options &opts = Options()) {
    return from_url(std::nothrow, url, opts).value();
  }
  /** from_url() without exceptions.
   *  @param nothrow std::nothrow.
   *  @param url     the address.
   *  @param opts    connection options (copied).
   *  @return the client, or the error. */
  static Result<Client> from_url(const std::nothrow_t &nothrow, const std::string &url,
                                 const Options &opts = Options()) noexcept {
    return open_with(nothrow, bg_client_from_url, url, opts);
  }
  /** Connects without discovery (bg_client_open()): for call_raw() and health checks.
   *  @param url  the address.
   *  @param opts connection options (copied).
   *  @return the client. */
  static Client open(const std::string &url, const Options &opts = Options()) {
    return open(std::nothrow, url, opts).value();
  }
  /** open() without exceptions.
   *  @param nothrow std::nothrow.
   *  @param url     the address.
   *  @param opts    connection options (copied).
   *  @return the client, or the error. */
  static Result<Client> open(const std::nothrow_t &nothrow, const std::string &url,
                             const Options &opts = Options()) noexcept {
    return open_with(nothrow, bg_client_open, url, opts);
  }
  /** Takes ownership of a C client.
   *  @param client the client (taken; closed by this object). */
  explicit Client(bg_client *client) noexcept : c_(client) {}
  Client(const Client &) = delete;
  Client &operator=(const Client &) = delete;
  /** Moves the client; `other` is left closed.
   *  @param other the source. */
  Client(Client &&other) noexcept : c_(std::exchange(other.c_, nullptr)) {}
  /** Closes this client and takes `other`'s.
   *  @param other the source.
   *  @return this. */
  Client &operator=(Client &&other) noexcept {
    if (this != &other)
      bg_client_close(std::exchange(c_, std::exchange(other.c_, nullptr)));
    return *this;
  }
  /** Closes the client (bg_client_close()); no call may still be running. */
  ~Client() { bg_client_close(c_); }
  /** The C client.
   *  @return the client (borrowed); NULL after a move. */
  bg_client *get() const noexcept { return c_; }

  /** Calls an API (bg_client_call()): validates, encodes, sends, decodes.
   *  @param api   the API name.
   *  @param input the input (borrowed for the call; a borrowing Value's buffer may be freed as
   *               soon as this returns).
   *  @param opts  per-call options.
   *  @return the output. */
  Value call(Name api, const ValueView &input, const CallOptions &opts = CallOptions()) const {
    return call(std::nothrow, api, input, opts).value();
  }
  /** call() without exceptions.
   *  @param nothrow std::nothrow.
   *  @param api     the API name.
   *  @param input   the input.
   *  @param opts    per-call options.
   *  @return the output, or the error. */
  Result<Value> call(const std::nothrow_t &nothrow, Name api, const ValueView &input,
                     const CallOptions &opts = CallOptions()) const noexcept {
    (void)nothrow;
    return finish(opts, bg_client_call, api, input);
  }
  /** Calls an API without its descriptors (bg_client_call_raw()).
   *  @param api   the API name.
   *  @param input the input.
   *  @param opts  per-call options.
   *  @return the output. */
  Value call_raw(Name api, const ValueView &input, const CallOptions &opts = CallOptions()) const {
    return call_raw(std::nothrow, api, input, opts).value();
  }
  /** call_raw() without exceptions.
   *  @param nothrow std::nothrow.
   *  @param api     the API name.
   *  @param input   the input.
   *  @param opts    per-call options.
   *  @return the output, or the error. */
  Result<Value> call_raw(const std::nothrow_t &nothrow, Name api, const ValueView &input,
                         const CallOptions &opts = CallOptions()) const noexcept {
    (void)nothrow;
    return finish(opts, bg_client_call_raw, api, input);
  }
  /** The API `api` as a callable: `client["predict"](input)`.
   *  @param api the API name.
   *  @return the bound API. */
  BoundApi operator[](std::string api) { return BoundApi(*this, std::move(api)); }

  /** One health check (bg_client_health_service()).
   *  @param service the service; empty: the server's BentoService, whichever name it has.
   *  @param timeout bound of the check.
   *  @return the reported status. */
  HealthStatus health(const std::string &service = {},
                      std::chrono::milliseconds timeout = std::chrono::seconds(5)) const {
    return health(std::nothrow, service, timeout).value();
  }
  /** health() without exceptions.
   *  @param nothrow std::nothrow.
   *  @param service the service; empty: the server's BentoService.
   *  @param timeout bound of the check.
   *  @return the status, or the error. */
  Result<HealthStatus>
  health(const std::nothrow_t &nothrow, const std::string &service = {},
         std::chrono::milliseconds timeout = std::chrono::seconds(5)) const noexcept {
    (void)nothrow;
    bg_health_status st = BG_HEALTH_UNKNOWN;
    bg_error err;
    if (bg_client_health(c_, service.empty() ? nullptr : service.c_str(),
                         static_cast<int64_t>(timeout.count()), &st, &err) != BG_OK)
      return Error(err);
    return static_cast<HealthStatus>(st);
  }
  /** Checks health on this client's channel every `interval` until the server's BentoService
   *  reports SERVING; BG_ERR_TIMEOUT after `timeout` (the last failure's message with it).
   *  @param timeout  how long to wait in all.
   *  @param interval pause between checks.
   *  Throws Error (BG_ERR_TIMEOUT) when not ready in time. */
  void wait_until_ready(std::chrono::milliseconds timeout,
                        std::chrono::milliseconds interval = std::chrono::milliseconds(100)) const {
    wait_until_ready(std::nothrow, timeout, interval).value();
  }
  /** wait_until_ready() without exceptions.
   *  @param nothrow  std::nothrow.
   *  @param timeout  how long to wait in all.
   *  @param interval pause between checks.
   *  @return success, or the error (BG_ERR_TIMEOUT). */
  Result<void> wait_until_ready(
      const std::nothrow_t &nothrow, std::chrono::milliseconds timeout,
      std::chrono::milliseconds interval = std::chrono::milliseconds(100)) const noexcept {
    (void)nothrow;
    auto end = std::chrono::steady_clock::now() + timeout;
    std::string last = "no check completed";
    for (;;) {
      auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
          end - std::chrono::steady_clock::now());
      if (left.count() <= 0)
        break;
      bg_health_status st = BG_HEALTH_UNKNOWN;
      bg_error err;
      if (bg_client_health(c_, nullptr, left.count(), &st, &err) == BG_OK) {
        if (st == BG_HEALTH_SERVING)
          return Result<void>();
        last = std::string("the server reported ") + bg_health_status_name(st);
      } else {
        last = err.message;
      }
      std::this_thread::sleep_for(std::min(interval, left));
    }
    return Error(BG_ERR_TIMEOUT, "the server at " + std::string(url()) +
                                     " was not SERVING within " + std::to_string(timeout.count()) +
                                     " ms: " + last);
  }
  /** Waits until the channel is connected (bg_client_wait_connected()), for a client made by
   *  open().
   *  @param timeout how long to wait. */
  void wait_connected(std::chrono::milliseconds timeout) const {
    bg_error err;
    detail::check(bg_client_wait_connected(c_, static_cast<int64_t>(timeout.count()), &err), err);
  }
  /** The channel's state (bg_client_channel_state()).
   *  @param try_to_connect start connecting when IDLE.
   *  @return the state. */
  bg_channel_state channel_state(bool try_to_connect = false) const noexcept {
    return bg_client_channel_state(c_, try_to_connect);
  }

  /** The service name the server reported.
   *  @return the name. */
  std::string_view service_name() const noexcept { return bg_client_service_name(c_); }
  /** The service documentation.
   *  @return the docs ("" when none). */
  std::string_view service_docs() const noexcept { return bg_client_service_docs(c_); }
  /** The address as given.
   *  @return the URL. */
  std::string_view url() const noexcept { return bg_client_url(c_); }
  /** Number of APIs.
   *  @return the count (0 for a client made by open()). */
  size_t api_count() const noexcept { return bg_client_api_count(c_); }
  /** The index-th API in server order.
   *  @param index 0-based index.
   *  @return the API, or nothing when out of range. */
  std::optional<Api> api_at(size_t index) const noexcept {
    const bg_api *a = bg_client_api_at(c_, index);
    return a ? std::optional<Api>(Api(a)) : std::nullopt;
  }
  /** The API named `name`.
   *  @param name exact name.
   *  @return the API, or nothing. */
  std::optional<Api> api_find(const std::string &name) const noexcept {
    const bg_api *a = bg_client_api_find(c_, name.c_str());
    return a ? std::optional<Api>(Api(a)) : std::nullopt;
  }
  /** Every API, in server order, with its descriptors and docs.
   *  @return the APIs (views valid while the client is open). */
  std::vector<Api> apis() const {
    std::vector<Api> out;
    for (size_t i = 0; i < api_count(); i++)
      out.emplace_back(bg_client_api_at(c_, i));
    return out;
  }

private:
  friend class AsyncClient;
  static Result<Client> open_with(const std::nothrow_t &,
                                  bg_client *(*f)(const char *, const bg_options *, bg_error *),
                                  const std::string &url, const Options &opts) noexcept {
    if (const Error *e = opts.error())
      return *e;
    bg_error err;
    bg_client *c = f(url.c_str(), opts.get(), &err);
    if (!c)
      return Error(err);
    return Client(c);
  }
  template <class F>
  Result<Value> finish(const CallOptions &opts, F f, Name api,
                       const ValueView &input) const noexcept {
    if (const Error *e = opts.error())
      return *e;
    bg_value *out = nullptr;
    bg_error err;
    if (f(c_, api.c_str(), input.get(), &out, opts.get(), &err) != BG_OK)
      return Error(err);
    return Value(out);
  }
  bg_client *c_;
};

inline Value BoundApi::operator()(const ValueView &input, const CallOptions &opts) const {
  return c_->call(name_, input, opts);
}

inline Result<Value> BoundApi::operator()(const std::nothrow_t &nothrow, const ValueView &input,
                                          const CallOptions &opts) const noexcept {
  return c_->call(nothrow, name_, input, opts);
}

/** Polls health at `url` until the server's BentoService reports SERVING
 *  (bg_wait_until_server_ready()), before a client is made: a server still starting answers
 *  health checks before discovery works.
 *  @param url      the server address.
 *  @param timeout  how long to wait in all.
 *  @param interval pause between polls.
 *  @param opts     connection options (copied).
 *  Throws Error (BG_ERR_TIMEOUT) when not ready in time. */
inline void
wait_until_server_ready(const std::string &url, std::chrono::milliseconds timeout,
                        std::chrono::milliseconds interval = std::chrono::milliseconds(100),
                        const Options &opts = Options()) {
  bg_error err;
  detail::check(bg_wait_until_server_ready(url.c_str(), static_cast<int64_t>(timeout.count()),
                                           static_cast<int64_t>(interval.count()), opts.get(),
                                           &err),
                err);
}

/* ======================================================================== the async client */

/** Creation flags of an AsyncClient (BG_ASYNC_CALLBACK_THREAD, BG_ASYNC_BORROW_INPUTS);
 *  combine with `|`. */
enum class AsyncFlags : unsigned {
  none = 0,                                   /**< poll mode (and fd mode: see AsyncClient::fd()) */
  callback_thread = BG_ASYNC_CALLBACK_THREAD, /**< a library thread runs the callbacks */
  borrow_inputs = BG_ASYNC_BORROW_INPUTS      /**< large float/double ndarrays are sent from their
                                                   buffer: keep the input until the callback starts */
};

/** Both sets of flags.
 *  @param a flags.
 *  @param b more flags.
 *  @return the union. */
constexpr AsyncFlags operator|(AsyncFlags a, AsyncFlags b) noexcept {
  return static_cast<AsyncFlags>(static_cast<unsigned>(a) | static_cast<unsigned>(b));
}

/** The handle of one async operation (bg_async_op): cancels it from any thread, also after its
 *  callback ran or its client closed. Move-only; releases the handle in its destructor (the
 *  operation itself goes on). */
class Operation {
public:
  /** No operation. */
  Operation() noexcept = default;
  Operation(const Operation &) = delete;
  Operation &operator=(const Operation &) = delete;
  /** Moves the handle.
   *  @param o the source, left empty. */
  Operation(Operation &&o) noexcept : op_(std::exchange(o.op_, nullptr)) {}
  /** Releases this handle and takes `o`'s.
   *  @param o the source.
   *  @return this. */
  Operation &operator=(Operation &&o) noexcept {
    if (this != &o)
      bg_async_op_release(std::exchange(op_, std::exchange(o.op_, nullptr)));
    return *this;
  }
  /** Releases the handle (bg_async_op_release()). */
  ~Operation() { bg_async_op_release(op_); }
  /** Cancels the operation (bg_async_op_cancel()).
   *  @return true when its callback has not started: it will report BG_ERR_CANCELLED. */
  bool cancel() noexcept { return bg_async_op_cancel(op_); }
  /** The service name a health operation checked (bg_async_health_service()).
   *  @return the name; empty for other operations or before the check answered. */
  std::string_view health_service() const noexcept {
    const char *s = bg_async_health_service(op_);
    return s ? s : std::string_view();
  }
  /** The C handle.
   *  @return the handle (borrowed); NULL for no operation. */
  bg_async_op *get() const noexcept { return op_; }
  /** @cond INTERNAL */
  bg_async_op **out() noexcept {
    bg_async_op_release(std::exchange(op_, nullptr));
    return &op_;
  }
  /** @endcond */

private:
  bg_async_op *op_ = nullptr;
};

/** @cond INTERNAL */
namespace detail {
template <class F>
void on_call(bg_async_op *, bg_status st, bg_value *out, const bg_error *err, void *box) noexcept {
  std::unique_ptr<F> f(static_cast<F *>(box));
  if (st == BG_OK)
    (*f)(Result<Value>(Value(out)));
  else
    (*f)(Result<Value>(Error(*err)));
}
template <class F>
void on_health(bg_async_op *, bg_status st, bg_health_status h, const bg_error *err,
               void *box) noexcept {
  std::unique_ptr<F> f(static_cast<F *>(box));
  if (st == BG_OK)
    (*f)(Result<HealthStatus>(static_cast<HealthStatus>(h)));
  else
    (*f)(Result<HealthStatus>(Error(*err)));
}
template <class F, class T>
using if_callback = std::enable_if_t<std::is_invocable_v<std::decay_t<F> &, Result<T>>, int>;
/* Fulfils a promise of T (throwing form) or of Result<T> (std::nothrow form). */
template <class T, bool Nothrow> struct Fulfil {
  using type = std::conditional_t<Nothrow, Result<T>, T>;
  std::promise<type> p;
  void operator()(Result<T> r) noexcept {
    if constexpr (Nothrow)
      p.set_value(std::move(r));
#if BENTOGRPC_EXCEPTIONS
    else if (r.ok())
      p.set_value(std::move(*r));
    else
      p.set_exception(std::make_exception_ptr(r.error()));
#endif
  }
};
} // namespace detail
/** @endcond */

/** A client that keeps many calls in flight on one channel (bg_async_client). Move-only; its
 *  destructor closes it, which cancels the operations still in flight and runs their callbacks
 *  (BG_ERR_CANCELLED) before it returns.
 *
 *  Results come as callbacks or as futures. Callbacks get a Result (Result<Value> for calls,
 *  Result<HealthStatus> for health) and run once per started operation, on the path chosen at
 *  creation (async.h): in poll mode inside poll()/dispatch() on the caller's thread, in fd mode
 *  when an event loop sees fd() readable and calls dispatch(), with AsyncFlags::callback_thread
 *  on a library thread. A callback must not throw (it is noexcept: the program ends) and must
 *  not close its own client. Futures are fulfilled by the same callbacks, so in poll and fd
 *  mode someone must poll: wait() does so until the future is ready. */
class AsyncClient {
public:
  /** Connects and discovers (blocking, bounded by the discovery timeout), then starts the
   *  engine (bg_async_client_from_url()).
   *  @param url   the server address.
   *  @param opts  connection options (copied).
   *  @param flags AsyncFlags.
   *  @return the client. */
  static AsyncClient from_url(const std::string &url, const Options &opts = Options(),
                              AsyncFlags flags = AsyncFlags::none) {
    return from_url(std::nothrow, url, opts, flags).value();
  }
  /** from_url() without exceptions.
   *  @param nothrow std::nothrow.
   *  @param url     the server address.
   *  @param opts    connection options (copied).
   *  @param flags   AsyncFlags.
   *  @return the client, or the error. */
  static Result<AsyncClient> from_url(const std::nothrow_t &nothrow, const std::string &url,
                                      const Options &opts = Options(),
                                      AsyncFlags flags = AsyncFlags::none) noexcept {
    (void)nothrow;
    if (const Error *e = opts.error())
      return *e;
    bg_error err;
    bg_async_client *c =
        bg_async_client_from_url(url.c_str(), opts.get(), static_cast<unsigned>(flags), &err);
    if (!c)
      return Error(err);
    return AsyncClient(c, flags);
  }
  /** Opens a channel without discovery and without blocking (bg_async_client_connect()):
   *  health, wait_until_ready() and call_raw() work; call() is refused.
   *  @param url   the server address.
   *  @param opts  connection options (copied).
   *  @param flags AsyncFlags.
   *  @return the client. */
  static AsyncClient connect(const std::string &url, const Options &opts = Options(),
                             AsyncFlags flags = AsyncFlags::none) {
    bg_error err;
    if (const Error *e = opts.error())
      detail::raise(*e);
    bg_async_client *c =
        bg_async_client_connect(url.c_str(), opts.get(), static_cast<unsigned>(flags), &err);
    if (!c)
      detail::raise(err);
    return AsyncClient(c, flags);
  }
  /** An async client on a sync client's channel and APIs (bg_async_client_from_client()).
   *  @param client the sync client (BORROWED: it must outlive this async client).
   *  @param flags  AsyncFlags (borrow_inputs is not available here).
   *  @return the client. */
  static AsyncClient from_client(Client &client, AsyncFlags flags = AsyncFlags::none) {
    bg_error err;
    bg_async_client *c =
        bg_async_client_from_client(client.get(), static_cast<unsigned>(flags), &err);
    if (!c)
      detail::raise(err);
    return AsyncClient(c, flags);
  }
  AsyncClient(const AsyncClient &) = delete;
  AsyncClient &operator=(const AsyncClient &) = delete;
  /** Moves the client; `o` is left closed.
   *  @param o the source. */
  AsyncClient(AsyncClient &&o) noexcept : c_(std::exchange(o.c_, nullptr)), flags_(o.flags_) {}
  /** Closes this client and takes `o`'s.
   *  @param o the source.
   *  @return this. */
  AsyncClient &operator=(AsyncClient &&o) noexcept {
    if (this != &o) {
      bg_async_client_close(std::exchange(c_, std::exchange(o.c_, nullptr)));
      flags_ = o.flags_;
    }
    return *this;
  }
  /** Closes the client (bg_async_client_close()): every callback not yet run runs now
   *  (cancelled), so every future is ready afterwards. Not from inside its own callback. */
  ~AsyncClient() { bg_async_client_close(c_); }
  /** The C client.
   *  @return the client (borrowed); NULL after a move. */
  bg_async_client *get() const noexcept { return c_; }

  /** Starts a call (bg_async_call()); `callback` runs once with its Result<Value>.
   *  @param api      the API name.
   *  @param input    the input (copied before this returns, unless borrow_inputs: then
   *                  borrowed until the callback starts).
   *  @param callback a callable taking Result<Value> (moved in; runs once, must not throw).
   *  @param opts     per-call options (see bg_async_call() for what must outlive the call).
   *  @return the operation's handle (may be dropped: the call goes on). */
  template <class F, detail::if_callback<F, Value> = 0>
  Operation call(Name api, const ValueView &input, F &&callback,
                 const CallOptions &opts = CallOptions()) {
    return call(std::nothrow, api, input, std::forward<F>(callback), opts).value();
  }
  /** call() with a callback, without exceptions: when the call cannot start, the error is
   *  returned and the callback never runs.
   *  @param nothrow  std::nothrow.
   *  @param api      the API name.
   *  @param input    the input.
   *  @param callback a callable taking Result<Value>.
   *  @param opts     per-call options.
   *  @return the handle, or the error. */
  template <class F, detail::if_callback<F, Value> = 0>
  Result<Operation> call(const std::nothrow_t &nothrow, Name api, const ValueView &input,
                         F &&callback, const CallOptions &opts = CallOptions()) noexcept {
    (void)nothrow;
    return start_call(bg_async_call, api, input, std::forward<F>(callback), opts);
  }
  /** call_raw() with a callback (bg_async_call_raw()): no descriptors, no lookup.
   *  @param api      the API name.
   *  @param input    the input.
   *  @param callback a callable taking Result<Value>.
   *  @param opts     per-call options.
   *  @return the handle. */
  template <class F, detail::if_callback<F, Value> = 0>
  Operation call_raw(Name api, const ValueView &input, F &&callback,
                     const CallOptions &opts = CallOptions()) {
    return start_call(bg_async_call_raw, api, input, std::forward<F>(callback), opts).value();
  }
#if BENTOGRPC_EXCEPTIONS
  /** Starts a call whose output comes as a future (it throws Error from get() on failure).
   *  In poll and fd mode, get it with wait() (or keep polling).
   *  @param api   the API name.
   *  @param input the input.
   *  @param opts  per-call options.
   *  @param op    receives the handle, to cancel the call; may be NULL.
   *  @return the future. */
  std::future<Value> call(Name api, const ValueView &input, const CallOptions &opts = CallOptions(),
                          Operation *op = nullptr) {
    detail::Fulfil<Value, false> f;
    std::future<Value> fut = f.p.get_future();
    Operation h = start_call(bg_async_call, api, input, std::move(f), opts).value();
    if (op)
      *op = std::move(h);
    return fut;
  }
  /** call_raw() with a future.
   *  @param api   the API name.
   *  @param input the input.
   *  @param opts  per-call options.
   *  @param op    receives the handle; may be NULL.
   *  @return the future. */
  std::future<Value> call_raw(Name api, const ValueView &input,
                              const CallOptions &opts = CallOptions(), Operation *op = nullptr) {
    detail::Fulfil<Value, false> f;
    std::future<Value> fut = f.p.get_future();
    Operation h = start_call(bg_async_call_raw, api, input, std::move(f), opts).value();
    if (op)
      *op = std::move(h);
    return fut;
  }
#endif
  /** call() with a future of a Result, without exceptions: a call that cannot start gives a
   *  future that is ready with the error.
   *  @param nothrow std::nothrow.
   *  @param api     the API name.
   *  @param input   the input.
   *  @param opts    per-call options.
   *  @param op      receives the handle; may be NULL.
   *  @return the future. */
  std::future<Result<Value>> call(const std::nothrow_t &nothrow, Name api, const ValueView &input,
                                  const CallOptions &opts = CallOptions(),
                                  Operation *op = nullptr) noexcept {
    (void)nothrow;
    detail::Fulfil<Value, true> f;
    std::future<Result<Value>> fut = f.p.get_future();
    detail::Fulfil<Value, true> *refused = nullptr;
    Result<Operation> h = start_call(bg_async_call, api, input, std::move(f), opts, &refused);
    if (refused) {
      refused->p.set_value(h.error());
      delete refused;
    } else if (op && h.ok()) {
      *op = std::move(*h);
    }
    return fut;
  }

#if BENTOGRPC_HAS_COROUTINES
  /** What AsyncClient::co_call() returns: `co_await` it for the call's Result<Value>. The call
   *  starts when the coroutine suspends; the coroutine resumes where the callback runs (inside
   *  poll()/dispatch() in poll and fd mode, on the library thread with callback_thread), or at
   *  once with the error when the call cannot start. */
  class CallAwaiter {
  public:
    /** @cond INTERNAL */
    CallAwaiter(AsyncClient &c, Name api, const ValueView &input, const CallOptions &opts)
        : c_(c), api_(api), input_(input), opts_(opts) {}
    /** @endcond */
    /** Never ready before the call.
     *  @return false. */
    bool await_ready() const noexcept { return false; }
    /** Starts the call; its callback resumes `h`.
     *  @param h the awaiting coroutine.
     *  @return false (no suspension) when the call could not start. */
    bool await_suspend(std::coroutine_handle<> h) noexcept {
      auto started = c_.call(
          std::nothrow, api_, input_,
          [this, h](Result<Value> r) {
            result_.emplace(std::move(r));
            h.resume();
          },
          opts_);
      if (started.ok())
        return true; // from here on the callback may already have resumed h: touch nothing
      result_.emplace(started.error());
      return false;
    }
    /** The call's outcome.
     *  @return the output, or the error. */
    Result<Value> await_resume() noexcept { return std::move(*result_); }

  private:
    AsyncClient &c_;
    Name api_;
    const ValueView &input_;
    const CallOptions &opts_;
    std::optional<Result<Value>> result_;
  };
  /** A call to `co_await` (C++20): `Result<Value> r = co_await client.co_call("predict", in);`.
   *  `input` and `opts` must live until the co_await completes (temporaries in the co_await
   *  expression do).
   *  @param api   the API name.
   *  @param input the input.
   *  @param opts  per-call options.
   *  @return the awaitable. */
  CallAwaiter co_call(Name api, const ValueView &input, const CallOptions &opts = CallOptions()) {
    return CallAwaiter(*this, api, input, opts);
  }
#endif

  /** Starts one health check (bg_async_health()).
   *  @param callback a callable taking Result<HealthStatus>.
   *  @param service  the service; empty: the server's BentoService.
   *  @param timeout  bound of the check.
   *  @return the handle (health_service() names the service checked). */
  template <class F, detail::if_callback<F, HealthStatus> = 0>
  Operation health(F &&callback, const std::string &service = {},
                   std::chrono::milliseconds timeout = std::chrono::seconds(5)) {
    return start_health(
        [&](bg_async_health_cb cb, void *box, bg_async_op **op, bg_error *err) {
          return bg_async_health(c_, service.empty() ? nullptr : service.c_str(),
                                 static_cast<int64_t>(timeout.count()), cb, box, op, err);
        },
        std::forward<F>(callback));
  }
  /** Waits without blocking until the server's BentoService is SERVING
   *  (bg_async_wait_until_ready()); the callback gets HealthStatus::serving or the error
   *  (BG_ERR_TIMEOUT).
   *  @param callback a callable taking Result<HealthStatus>.
   *  @param timeout  how long to wait in all.
   *  @param interval pause after a check that did not see SERVING.
   *  @return the handle. */
  template <class F, detail::if_callback<F, HealthStatus> = 0>
  Operation wait_until_ready(F &&callback, std::chrono::milliseconds timeout,
                             std::chrono::milliseconds interval = std::chrono::milliseconds(100)) {
    return start_health(
        [&](bg_async_health_cb cb, void *box, bg_async_op **op, bg_error *err) {
          return bg_async_wait_until_ready(c_, static_cast<int64_t>(timeout.count()),
                                           static_cast<int64_t>(interval.count()), cb, box, op,
                                           err);
        },
        std::forward<F>(callback));
  }
#if BENTOGRPC_EXCEPTIONS
  /** health() with a future.
   *  @param service the service; empty: the server's BentoService.
   *  @param timeout bound of the check.
   *  @return the future of the reported status. */
  std::future<HealthStatus> health(const std::string &service = {},
                                   std::chrono::milliseconds timeout = std::chrono::seconds(5)) {
    detail::Fulfil<HealthStatus, false> f;
    auto fut = f.p.get_future();
    health(std::move(f), service, timeout);
    return fut;
  }
  /** wait_until_ready() with a future.
   *  @param timeout  how long to wait in all.
   *  @param interval pause after a check that did not see SERVING.
   *  @return the future (HealthStatus::serving, or it throws Error from get()). */
  std::future<HealthStatus>
  wait_until_ready(std::chrono::milliseconds timeout,
                   std::chrono::milliseconds interval = std::chrono::milliseconds(100)) {
    detail::Fulfil<HealthStatus, false> f;
    auto fut = f.p.get_future();
    wait_until_ready(std::move(f), timeout, interval);
    return fut;
  }
#endif

  /** Runs the ready callbacks on this thread (bg_async_client_poll()), waiting up to `timeout`
   *  for one (negative: no limit); returns at once when nothing is outstanding. Poll and fd mode.
   *  @param timeout how long to wait for a callback.
   *  @return the number of callbacks run. */
  size_t poll(std::chrono::milliseconds timeout = std::chrono::milliseconds(0)) {
    size_t n = 0;
    bg_error err;
    detail::check(bg_async_client_poll(c_, timeout.count() < 0 ? -1 : timeout.count(), &n, &err),
                  err);
    return n;
  }
  /** The eventfd for an event loop (bg_async_client_fd()): readable while callbacks are ready;
   *  call dispatch() then. Owned by the client.
   *  @return the fd, or -1 with AsyncFlags::callback_thread. */
  int fd() const noexcept { return bg_async_client_fd(c_); }
  /** Runs the ready callbacks without waiting (bg_async_client_dispatch()).
   *  @return the number run. */
  size_t dispatch() {
    size_t n = 0;
    bg_error err;
    detail::check(bg_async_client_dispatch(c_, &n, &err), err);
    return n;
  }
  /** Operations whose callbacks have not finished (bg_async_client_pending()).
   *  @return the number. */
  size_t pending() const noexcept { return bg_async_client_pending(c_); }
  /** Waits for a future of this client's operation: in poll and fd mode it polls until the
   *  future is ready (running other callbacks as they come), with callback_thread it just
   *  waits. Not from inside a callback.
   *  @param future the future (consumed).
   *  @return what future.get() returns (it throws the call's Error in the throwing form). */
  template <class T> T wait(std::future<T> &future) {
    if ((static_cast<unsigned>(flags_) & BG_ASYNC_CALLBACK_THREAD) == 0)
      while (future.wait_for(std::chrono::seconds(0)) != std::future_status::ready)
        poll(std::chrono::milliseconds(50));
    return future.get();
  }
  /** wait() on a future not kept in a variable (`client.wait(client.call(...))`).
   *  @param future the future (consumed).
   *  @return what future.get() returns. */
  template <class T> T wait(std::future<T> &&future) { return wait(future); }

  /** Number of APIs of the server (0 for a client made by connect()).
   *  @return the count. */
  size_t api_count() const noexcept { return bg_client_api_count(bg_async_client_sync(c_)); }
  /** The API named `name`.
   *  @param name exact name.
   *  @return the API, or nothing (always nothing for a client made by connect()). */
  std::optional<Api> api_find(const std::string &name) const noexcept {
    bg_client *s = bg_async_client_sync(c_);
    const bg_api *a = s ? bg_client_api_find(s, name.c_str()) : nullptr;
    return a ? std::optional<Api>(Api(a)) : std::nullopt;
  }

private:
  AsyncClient(bg_async_client *c, AsyncFlags flags) noexcept : c_(c), flags_(flags) {}
  template <class S, class F>
  Result<Operation> start_call(S start, Name api, const ValueView &input, F &&callback,
                               const CallOptions &opts,
                               std::decay_t<F> **keep_on_failure = nullptr) noexcept {
    using Box = std::decay_t<F>;
    if (const Error *e = opts.error())
      return *e;
    Box *box = new Box(std::forward<F>(callback));
    Operation op;
    bg_error err;
    if (start(c_, api.c_str(), input.get(), opts.get(), &detail::on_call<Box>, box, op.out(),
              &err) != BG_OK) {
      if (keep_on_failure)
        *keep_on_failure = box; // the caller reports the error through it, then deletes it
      else
        delete box;
      return Error(err);
    }
    return op;
  }
  template <class S, class F> Operation start_health(S start, F &&callback) {
    using Box = std::decay_t<F>;
    Box *box = new Box(std::forward<F>(callback));
    Operation op;
    bg_error err;
    if (start(&detail::on_health<Box>, box, op.out(), &err) != BG_OK) {
      delete box;
      detail::raise(err);
    }
    return op;
  }
  bg_async_client *c_;
  AsyncFlags flags_;
};

} // namespace bentogrpc

#endif
