// The C++ async client (bentogrpc.hpp): futures on a library callback thread, callbacks in
// poll mode, and cancelling a call in flight.
//
//   c++ -std=c++17 async.cpp $(pkg-config --cflags --libs bentogrpc-cpp) -o async
//   ./async localhost:3000
#include <bentogrpc/bentogrpc.hpp>

#include <cstdio>
#include <future>
#include <vector>

using bentogrpc::AsyncClient;
using bentogrpc::AsyncFlags;
using bentogrpc::Result;
using bentogrpc::Value;

int main(int argc, char **argv) {
  const char *url = argc > 1 ? argv[1] : "localhost:3000";
  try {
    // 1. Futures: a library thread runs the callbacks that fulfil them.
    auto threaded = AsyncClient::from_url(url, {}, AsyncFlags::callback_thread);
    std::vector<float> rows(8 * 4, 1.0f);
    Value batch = Value::ndarray_borrow(rows, {8, 4}); // copied when each call starts
    std::vector<std::future<Value>> futures;
    for (int i = 0; i < 16; i++)
      futures.push_back(threaded.call("predict", batch));
    double total = 0;
    for (auto &f : futures) {
      Value scores = f.get(); // views point into the Value: keep it in a variable
      for (float s : scores.ndarray<float>())
        total += s;
    }
    std::printf("16 calls in flight: sum %.0f\n", total); // 16 x 8 rows x 4.0 = 512

    // 2. Callbacks in poll mode: they run inside poll(), on this thread.
    auto polled = AsyncClient::from_url(url);
    int done = 0;
    for (int i = 0; i < 4; i++)
      polled.call("bonjour", Value::text_new("async"), [&done](Result<Value> r) {
        if (r.ok() && r->text() == "Hello, async!")
          done++;
      });
    while (polled.pending() > 0)
      polled.poll(std::chrono::milliseconds(100));
    std::printf("4 callbacks ran: %d ok\n", done);

    // 3. Cancel: a slow call ends at once with BG_ERR_CANCELLED.
    bentogrpc::Operation op;
    float x[2] = {1, 2};
    auto slow = polled.call("slow_echo_ndarray", Value::ndarray_borrow(x), {}, &op);
    op.cancel();
    try {
      polled.wait(slow);
      std::printf("the slow call was not cancelled\n");
      return 1;
    } catch (const bentogrpc::Error &e) {
      std::printf("cancelled: %s\n", e.code_name());
    }
    return total == 512 && done == 4 ? 0 : 1;
  } catch (const bentogrpc::Error &e) {
    std::fprintf(stderr, "async: %s (%s)\n", e.what(), e.code_name());
    return 1;
  }
}
