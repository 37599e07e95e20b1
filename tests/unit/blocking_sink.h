// A sink whose writes block until Release() (a slow disk, a slow next
// stage): tests see what a stage does while the one after it waits, and that
// an abandoned stage drops what is queued behind the write in progress.
#pragma once

#include <condition_variable>
#include <cstddef>
#include <mutex>
#include <span>

#include "common/stream.h"

namespace custos {

class BlockingSink final : public ByteSink {
 public:
  Status Write(std::span<const std::uint8_t> d) override {
    std::unique_lock<std::mutex> l(mu_);
    ++writes_;
    cv_.notify_all();
    cv_.wait(l, [&] { return released_; });
    bytes_ += d.size();
    return Ok();
  }
  // Waits until `n` writes have started.
  void WaitWrites(int n) {
    std::unique_lock<std::mutex> l(mu_);
    cv_.wait(l, [&] { return writes_ >= n; });
  }
  void Release() {
    std::lock_guard<std::mutex> l(mu_);
    released_ = true;
    cv_.notify_all();
  }
  int writes() {
    std::lock_guard<std::mutex> l(mu_);
    return writes_;
  }
  std::size_t bytes() {
    std::lock_guard<std::mutex> l(mu_);
    return bytes_;
  }

 private:
  std::mutex mu_;
  std::condition_variable cv_;
  int writes_ = 0;
  std::size_t bytes_ = 0;
  bool released_ = false;
};

}  // namespace custos
