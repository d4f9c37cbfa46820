// The C++ async client against the reference server (slow_echo_ndarray takes 4 s): futures
// on a callback thread, callbacks in poll mode, the fd mode with poll(2) and dispatch(),
// cancellation through Operation handles, refusals as exceptions and as Results, closing with
// calls in flight, health and wait-until-ready, move semantics. Built as C++17; run under TSan
// too (scripts/test.sh's TSan stage runs ctest -R 'async').
#include <bentogrpc/bentogrpc.hpp>

#include <poll.h>

#include <atomic>
#include <mutex>
#include <thread>

#include "server_env.h"

using namespace std::chrono_literals;
using bentogrpc::AsyncClient;
using bentogrpc::AsyncFlags;
using bentogrpc::Error;
using bentogrpc::Operation;
using bentogrpc::Result;
using bentogrpc::Value;

namespace {

template <class F> Error error_of(F &&f) {
  try {
    f();
  } catch (const Error &e) {
    return e;
  }
  ADD_FAILURE() << "no bentogrpc::Error was thrown";
  return Error(BG_OK, "");
}

// A 1 x 4 batch whose row sums to `k` * 4.
Value batch_of(float k) {
  std::vector<float> row(4, k);
  return Value::ndarray_copy(row, {1, 4});
}

TEST(Futures, ManyCallsInFlightOnTheCallbackThread) {
  auto ac = AsyncClient::from_url(bgt::ServerEnv::url(), {}, AsyncFlags::callback_thread);
  std::vector<std::future<Value>> futures;
  for (int i = 0; i < 32; i++)
    futures.push_back(ac.call("predict", batch_of(static_cast<float>(i))));
  for (int i = 0; i < 32; i++) {
    Value out = futures[static_cast<size_t>(i)].get();
    EXPECT_FLOAT_EQ(out.ndarray<float>().at(0), 4.0f * static_cast<float>(i));
  }
  // (pending() may still count the last callback: it ends just after fulfilling its future)
  // poll() is for poll mode: refused on a callback-thread client
  EXPECT_EQ(error_of([&] { ac.poll(); }).code(), BG_ERR_INVALID_ARGUMENT);
  EXPECT_EQ(ac.fd(), -1);
}

TEST(Futures, ErrorsComeOutOfGetAndNothrowFuturesHoldThem) {
  auto ac = AsyncClient::from_url(bgt::ServerEnv::url());
  auto f = ac.call("fail_with_status", Value::text_new("NOT_FOUND|gone"));
  Error e = error_of([&] { ac.wait(f); });
  EXPECT_EQ(e.code(), BG_ERR_SERVER);
  EXPECT_EQ(e.grpc_status(), 5);
  auto r = ac.call(std::nothrow, "fail_with_status", Value::text_new("OK|fine"));
  Result<Value> got = ac.wait(r);
  ASSERT_TRUE(got.ok());
  EXPECT_EQ(got->text(), "fine");
  // a call that cannot start: the throwing form throws at once, the nothrow future is ready
  EXPECT_EQ(error_of([&] { ac.call("nope", Value::text_new("x")); }).code(), BG_ERR_UNKNOWN_API);
  auto refused = ac.call(std::nothrow, "nope", Value::text_new("x"));
  ASSERT_EQ(refused.wait_for(0s), std::future_status::ready);
  EXPECT_EQ(refused.get().error().code(), BG_ERR_UNKNOWN_API);
  EXPECT_EQ(ac.pending(), 0u);
}

TEST(Callbacks, RunInPollOnTheCallersThread) {
  auto ac = AsyncClient::from_url(bgt::ServerEnv::url());
  const auto me = std::this_thread::get_id();
  int ok = 0, on_my_thread = 0;
  for (int i = 0; i < 8; i++)
    ac.call("bonjour", Value::text_new("cb" + std::to_string(i)), [&, i](Result<Value> r) {
      on_my_thread += std::this_thread::get_id() == me;
      ok += r.ok() && r->text() == "Hello, cb" + std::to_string(i) + "!";
    });
  EXPECT_EQ(ac.pending(), 8u);
  size_t ran = 0;
  auto end = std::chrono::steady_clock::now() + 20s;
  while (ac.pending() > 0 && std::chrono::steady_clock::now() < end)
    ran += ac.poll(100ms);
  EXPECT_EQ(ran, 8u);
  EXPECT_EQ(ok, 8);
  EXPECT_EQ(on_my_thread, 8);
  // the nothrow callback form returns the refusal and never runs the callback
  bool ran_refused = false;
  auto refused = ac.call(std::nothrow, "nope", Value::text_new("x"),
                         [&](Result<Value>) { ran_refused = true; });
  EXPECT_EQ(refused.error().code(), BG_ERR_UNKNOWN_API);
  ac.poll();
  EXPECT_FALSE(ran_refused);
}

TEST(Callbacks, FdModeWithPollAndDispatch) {
  auto ac = AsyncClient::from_url(bgt::ServerEnv::url());
  int fd = ac.fd();
  ASSERT_GE(fd, 0);
  std::atomic<int> done{0};
  for (int i = 0; i < 4; i++)
    ac.call("predict", batch_of(1), [&](Result<Value> r) { done += r.ok(); });
  auto end = std::chrono::steady_clock::now() + 20s;
  while (done < 4 && std::chrono::steady_clock::now() < end) {
    struct pollfd p = {fd, POLLIN, 0};
    if (::poll(&p, 1, 100) == 1)
      ac.dispatch();
  }
  EXPECT_EQ(done.load(), 4);
}

TEST(Cancel, AnOperationHandleCancelsASlowCall) {
  auto ac = AsyncClient::from_url(bgt::ServerEnv::url(), {}, AsyncFlags::callback_thread);
  Operation op;
  auto t0 = std::chrono::steady_clock::now();
  auto f = ac.call("slow_echo_ndarray", batch_of(1), {}, &op);
  ASSERT_NE(op.get(), nullptr);
  EXPECT_TRUE(op.cancel());
  Error e = error_of([&] { f.get(); });
  EXPECT_EQ(e.code(), BG_ERR_CANCELLED);
  EXPECT_LT(std::chrono::steady_clock::now() - t0, 3s); // the call takes 4 s
  EXPECT_FALSE(op.cancel());                            // its callback has run: nothing to cancel

  // the callback form: the handle it returns; cancel from another thread
  std::promise<bg_status> status;
  Operation op2 = ac.call("slow_echo_ndarray", batch_of(1), [&](Result<Value> r) {
    status.set_value(r.ok() ? BG_OK : r.error().code());
  });
  std::thread([&] { op2.cancel(); }).join();
  auto fs = status.get_future();
  ASSERT_EQ(fs.wait_for(3s), std::future_status::ready);
  EXPECT_EQ(fs.get(), BG_ERR_CANCELLED);
}

TEST(Cancel, ClosingTheClientEndsCallsInFlight) {
  std::atomic<int> cancelled{0};
  std::future<Result<Value>> pending;
  {
    auto ac = AsyncClient::from_url(bgt::ServerEnv::url());
    for (int i = 0; i < 3; i++)
      ac.call("slow_echo_ndarray", batch_of(1), [&](Result<Value> r) {
        cancelled += !r.ok() && r.error().code() == BG_ERR_CANCELLED;
      });
    pending = ac.call(std::nothrow, "slow_echo_ndarray", batch_of(1));
  } // the destructor runs every callback
  EXPECT_EQ(cancelled.load(), 3);
  ASSERT_EQ(pending.wait_for(0s), std::future_status::ready);
  EXPECT_EQ(pending.get().error().code(), BG_ERR_CANCELLED);
}

TEST(Health, FuturesAndCallbacks) {
  auto ac = AsyncClient::from_url(bgt::ServerEnv::url(), {}, AsyncFlags::callback_thread);
  EXPECT_EQ(ac.health().get(), bentogrpc::HealthStatus::serving);
  EXPECT_EQ(ac.wait_until_ready(5s).get(), bentogrpc::HealthStatus::serving);
  std::promise<bentogrpc::HealthStatus> got;
  Operation op = ac.health([&](Result<bentogrpc::HealthStatus> r) { got.set_value(*r); });
  EXPECT_EQ(got.get_future().get(), bentogrpc::HealthStatus::serving);
  EXPECT_EQ(op.health_service(), "bentoml.grpc.v1.BentoService");
  auto unknown = ac.health("no.such.Service");
  EXPECT_EQ(error_of([&] { unknown.get(); }).grpc_status(), 5);
}

TEST(Clients, ConnectWithoutDiscoveryAndFromASyncClient) {
  auto raw = AsyncClient::connect(bgt::ServerEnv::url());
  EXPECT_EQ(raw.api_count(), 0u);
  EXPECT_EQ(raw.wait(raw.wait_until_ready(5s)), bentogrpc::HealthStatus::serving);
  auto f = raw.call_raw("bonjour", Value::text_new("raw"));
  Value out = raw.wait(f);
  EXPECT_EQ(out.text(), "Hello, raw!");
  EXPECT_EQ(error_of([&] { raw.call("bonjour", Value::text_new("x")); }).code(),
            BG_ERR_UNSUPPORTED);

  auto sync = bentogrpc::Client::from_url(bgt::ServerEnv::url());
  {
    auto shared = AsyncClient::from_client(sync, AsyncFlags::callback_thread);
    EXPECT_EQ(shared.api_count(), sync.api_count());
    ASSERT_TRUE(shared.api_find("predict"));
    Value out2 = shared.call("predict", batch_of(2)).get();
    EXPECT_FLOAT_EQ(out2.ndarray<float>()[0], 8.0f);
  }
  EXPECT_EQ(sync.health(), bentogrpc::HealthStatus::serving); // still open
}

TEST(Move, AsyncClientAndOperation) {
  auto a = AsyncClient::from_url(bgt::ServerEnv::url(), {}, AsyncFlags::callback_thread);
  bg_async_client *raw = a.get();
  AsyncClient b = std::move(a);
  EXPECT_EQ(b.get(), raw);
  EXPECT_EQ(a.get(), nullptr); // NOLINT(bugprone-use-after-move)
  Operation op;
  auto f = b.call("predict", batch_of(3), {}, &op);
  Operation moved = std::move(op);
  EXPECT_EQ(op.get(), nullptr); // NOLINT(bugprone-use-after-move)
  EXPECT_NE(moved.get(), nullptr);
  Value out = f.get();
  EXPECT_FLOAT_EQ(out.ndarray<float>()[0], 12.0f);
  b = AsyncClient::from_url(bgt::ServerEnv::url()); // closes the first; the handle stays valid
  EXPECT_FALSE(moved.cancel());
  static_assert(!std::is_copy_constructible_v<AsyncClient>);
  static_assert(!std::is_copy_constructible_v<Operation>);
}

} // namespace

int main(int argc, char **argv) {
  ::testing::InitGoogleTest(&argc, argv);
  ::testing::AddGlobalTestEnvironment(new bgt::ServerEnv({"--slow-ms", "4000"}));
  return RUN_ALL_TESTS();
}
