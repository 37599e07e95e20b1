// A worker thread that applies slots (buffers, batches) in the order they are
// handed over and gives them back for reuse: the common part of AsyncSink
// (sealing's encryption stage) and the reader's EntryStage. Memory is bounded
// by the slots the owner creates; nothing is allocated per hand-over.
//
// The first error of `apply` is sticky: it is returned by the next Hand() or
// by Finish(), and nothing handed over after it is applied. The destructor
// discards what is still queued (the owner is abandoning the work) and joins.
// With `threaded == false` Hand() applies on the caller's thread (same code,
// no thread: --threads 1, fuzzing).
#pragma once

#include <condition_variable>
#include <cstddef>
#include <deque>
#include <functional>
#include <mutex>
#include <thread>
#include <utility>
#include <vector>

#include "custos/error.h"

namespace custos {

template <class Slot>
class OrderedWorker {
 public:
  using Apply = std::function<Status(Slot&)>;  // on the worker thread
  using Reset = std::function<void(Slot&)>;    // empties a slot for reuse

  // `spares`: the slots besides the one the owner is filling (at least one
  // when threaded).
  OrderedWorker(Apply apply, Reset reset, std::vector<Slot> spares, bool threaded)
      : apply_(std::move(apply)), reset_(std::move(reset)), threaded_(threaded) {
    if (!threaded_) return;
    for (Slot& s : spares) free_.push_back(std::move(s));
    worker_ = std::thread([this] { Run(); });
  }
  ~OrderedWorker() {
    {
      std::lock_guard<std::mutex> l(mu_);
      stop_ = true;
      full_.clear();
    }
    cv_.notify_all();
    if (worker_.joinable()) worker_.join();
  }
  OrderedWorker(const OrderedWorker&) = delete;
  OrderedWorker& operator=(const OrderedWorker&) = delete;

  // Hands `cur` over to be applied and puts an empty slot in its place.
  Status Hand(Slot& cur) {
    if (!threaded_) {
      if (failed_) return error_;
      Status st = apply_(cur);
      reset_(cur);
      if (!st.ok()) {
        failed_ = true;
        error_ = st;
      }
      return st;
    }
    std::unique_lock<std::mutex> l(mu_);
    if (failed_) return error_;
    full_.push_back(std::move(cur));
    ++outstanding_;
    cv_.notify_all();
    cv_.wait(l, [&] { return !free_.empty() || failed_; });
    if (failed_) return error_;
    cur = std::move(free_.front());
    free_.pop_front();
    return Ok();
  }

  // The first error so far (Ok while none).
  Status status() {
    std::lock_guard<std::mutex> l(mu_);
    return failed_ ? error_ : Ok();
  }

  // Waits until everything handed over is applied, stops the worker and
  // returns the first error.
  Status Finish() {
    if (threaded_) {
      {
        std::unique_lock<std::mutex> l(mu_);
        cv_.wait(l, [&] { return outstanding_ == 0 || failed_; });
        stop_ = true;
      }
      cv_.notify_all();
      if (worker_.joinable()) worker_.join();
    }
    return failed_ ? error_ : Ok();
  }

 private:
  void Run() {
    for (;;) {
      Slot s;
      bool skip;
      {
        std::unique_lock<std::mutex> l(mu_);
        cv_.wait(l, [&] { return !full_.empty() || stop_; });
        if (full_.empty()) return;
        s = std::move(full_.front());
        full_.pop_front();
        skip = failed_;
      }
      Status st = skip ? Ok() : apply_(s);
      reset_(s);
      {
        std::lock_guard<std::mutex> l(mu_);
        if (!st.ok() && !failed_) {
          error_ = std::move(st);
          failed_ = true;
        }
        free_.push_back(std::move(s));
        --outstanding_;
      }
      cv_.notify_all();
    }
  }

  Apply apply_;
  Reset reset_;
  const bool threaded_;
  std::mutex mu_;
  std::condition_variable cv_;
  std::deque<Slot> full_, free_;
  std::size_t outstanding_ = 0;
  bool stop_ = false;
  bool failed_ = false;
  Status error_;
  std::thread worker_;
};

}  // namespace custos
