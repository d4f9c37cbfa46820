// The C++ API (bentogrpc.hpp): discover a server, list its APIs, call `predict` with a 2x4
// float32 batch borrowed from a C array (no copy of the elements), read the scores as a typed
// view, and see a failure both as an exception and as a Result.
//
//   c++ -std=c++17 predict.cpp $(pkg-config --cflags --libs bentogrpc-cpp) -o predict
//   ./predict localhost:3000
#include <bentogrpc/bentogrpc.hpp>

#include <cstdio>

int main(int argc, char **argv) {
  const char *url = argc > 1 ? argv[1] : "localhost:3000";
  try {
    auto client = bentogrpc::Client::from_url(url);
    std::printf("%s: %zu APIs\n", std::string(client.service_name()).c_str(), client.api_count());
    for (const bentogrpc::Api &api : client.apis())
      std::printf("  %-30s %s -> %s\n", std::string(api.name()).c_str(),
                  std::string(api.input_descriptor()).c_str(),
                  std::string(api.output_descriptor()).c_str());

    float batch[2][4] = {{5.9f, 3.0f, 5.1f, 1.8f}, {4.9f, 3.0f, 1.4f, 0.2f}};
    bentogrpc::Value input = bentogrpc::Value::ndarray_borrow(batch); // shape (2, 4), borrowed
    bentogrpc::Value scores = client["predict"](input);
    auto view = scores.ndarray<float>(); // checked: an ndarray of float32
    for (size_t i = 0; i < view.count(); i++)
      std::printf("row %zu: %g\n", i, static_cast<double>(view[i]));
    std::printf("predict -> %.1f\n", static_cast<double>(view.at(0)));

    // The same call with a bad shape, without exceptions: the client-side check refuses it.
    float row[3] = {1, 2, 3};
    auto bad = client.call(std::nothrow, "predict", bentogrpc::Value::ndarray_borrow(row));
    if (!bad.ok())
      std::printf("refused as expected: %s\n", bad.error().code_name());
    return bad.ok() ? 1 : 0;
  } catch (const bentogrpc::Error &e) {
    std::fprintf(stderr, "predict: %s (%s)\n", e.what(), e.code_name());
    return 1;
  }
}
