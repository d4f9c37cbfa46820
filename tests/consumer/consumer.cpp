// A C++ program outside the libbentogrpc tree, built by tests/consumer/run.sh against an
// installed copy only (CMake's bentogrpc::bentogrpc_cpp, and pkg-config's bentogrpc-cpp): it
// calls the reference server's `predict` through bentogrpc.hpp and prints the first score.
#include <bentogrpc/bentogrpc.hpp>

#include <cstdio>

int main(int argc, char **argv) {
  if (argc != 2) {
    std::fprintf(stderr, "usage: consumer URL\n");
    return 2;
  }
  auto client = bentogrpc::Client::from_url(std::nothrow, argv[1]);
  if (!client) {
    std::fprintf(stderr, "consumer: %s\n", client.error().what());
    return 1;
  }
  float row[1][4] = {{5.9f, 3.0f, 5.1f, 1.8f}};
  auto out = client->call(std::nothrow, "predict", bentogrpc::Value::ndarray_borrow(row));
  if (!out) {
    std::fprintf(stderr, "consumer: %s\n", out.error().what());
    return 1;
  }
  std::printf("bentogrpc %s (C++): predict -> %g\n", bg_version(),
              static_cast<double>(out->ndarray<float>().at(0)));
  return 0;
}
