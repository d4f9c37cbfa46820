// The reference server for the C++ tests: one per test program, started before the first test
// on a free loopback port (tests/support/test_server.h) and stopped by PID after the last.
#ifndef BGT_CPP_SERVER_ENV_H
#define BGT_CPP_SERVER_ENV_H

#include <gtest/gtest.h>

#include <cstdlib>
#include <string>
#include <vector>

extern "C" {
#include "bmp.h"
#include "test_server.h"
}

namespace bgt {

class ServerEnv : public ::testing::Environment {
public:
  explicit ServerEnv(std::vector<const char *> args) : args_(std::move(args)) {
    args_.push_back(nullptr);
  }
  void SetUp() override {
    if (bgt_server_start(&server_, args_.data()) != 0) {
      std::fprintf(stderr, "the reference server did not start\n");
      std::exit(1); // nothing can run without it
    }
    url_ = server_.url;
  }
  void TearDown() override { bgt_server_stop(&server_); }
  static const std::string &url() { return url_; }

private:
  std::vector<const char *> args_;
  bgt_server server_{};
  static inline std::string url_;
};

// A w x h BMP (tests/support/bmp.c) as bytes.
inline std::string bmp(int w, int h, uint8_t seed) {
  std::string out(bgt_bmp_size(w, h), '\0');
  out.resize(bgt_bmp(w, h, seed, reinterpret_cast<uint8_t *>(out.data())));
  return out;
}

} // namespace bgt

#endif
