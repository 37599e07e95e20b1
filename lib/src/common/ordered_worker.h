// Worker threads that apply slots (buffers, batches) in the order they are
// handed over and give them back for reuse: the common part of AsyncSink
// (sealing's encryption and write stages) and the reader's EntryStage. Memory
// is bounded by the slots the owner creates; nothing is allocated per
// hand-over.
//
// There may be several applies, each on a thread of its own: a slot goes
// through apply 0, then apply 1, ... (a slot is never copied between them), so
// for example hashing a buffer and writing it to the disk overlap instead of
// taking turns on one thread.
//
// The first error of any apply is sticky: it is returned by the next Hand()
// or by Finish(), and nothing handed over after it is applied. The destructor
// discards what is still queued (the owner is abandoning the work) and joins.
// With `threaded == false` Hand() applies on the caller's thread (same code,
// no thread: --threads 1, fuzzing).
#pragma once

#include <condition_variable>
#include <cstddef>
#include <deque>
#include <functional>
#include <mutex>
#include <new>
#include <string>
#include <system_error>
#include <thread>
#include <utility>
#include <vector>

#include "common/thread_error.h"
#include "custos/error.h"

namespace custos {

template <class Slot>
class OrderedWorker {
 public:
  using Apply = std::function<Status(Slot&)>;  // on a worker thread
  using Reset = std::function<void(Slot&)>;    // empties a slot for reuse

  // `spares`: the slots besides the one the owner is filling (at least one
  // when threaded).
  OrderedWorker(Apply apply, Reset reset, std::vector<Slot> spares, bool threaded)
      : OrderedWorker(std::vector<Apply>{std::move(apply)}, std::move(reset), std::move(spares),
                      threaded) {}
  // `applies`: at least one; each runs on its own thread, in this order.
  OrderedWorker(std::vector<Apply> applies, Reset reset, std::vector<Slot> spares, bool threaded)
      : applies_(std::move(applies)), reset_(std::move(reset)), threaded_(threaded),
        queues_(applies_.size()) {
    if (!threaded_) return;
    for (Slot& s : spares) free_.push_back(std::move(s));
    workers_.reserve(applies_.size());
    // Out of threads (a process limit) or of memory for one: the stage
    // refuses work with an error. Nothing may escape from here: the threads
    // already started would be destroyed joinable (std::terminate).
    try {
      for (std::size_t i = 0; i < applies_.size(); ++i) workers_.emplace_back([this, i] { Run(i); });
    } catch (const std::system_error& e) {
      StartFailed(ThreadStartError(e));
    } catch (const std::bad_alloc&) {
      StartFailed(OutOfMemoryError());
    }
  }
  ~OrderedWorker() {
    {
      std::lock_guard<std::mutex> l(mu_);
      stop_ = true;
      for (auto& q : queues_) q.clear();
    }
    cv_.notify_all();
    for (std::thread& t : workers_)
      if (t.joinable()) t.join();
  }
  OrderedWorker(const OrderedWorker&) = delete;
  OrderedWorker& operator=(const OrderedWorker&) = delete;

  // Hands `cur` over to be applied and puts an empty slot in its place.
  Status Hand(Slot& cur) {
    if (!threaded_) {
      if (failed_) return error_;
      Status st;
      for (Apply& a : applies_) {
        st = a(cur);
        if (!st.ok()) break;
      }
      reset_(cur);
      if (!st.ok()) {
        failed_ = true;
        error_ = st;
      }
      return st;
    }
    std::unique_lock<std::mutex> l(mu_);
    if (failed_) return error_;
    queues_[0].push_back(std::move(cur));
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

  // Waits until everything handed over is applied, stops the workers and
  // returns the first error.
  Status Finish() {
    if (threaded_) {
      {
        std::unique_lock<std::mutex> l(mu_);
        cv_.wait(l, [&] { return outstanding_ == 0 || failed_; });
        stop_ = true;
      }
      cv_.notify_all();
      for (std::thread& t : workers_)
        if (t.joinable()) t.join();
    }
    return failed_ ? error_ : Ok();
  }

 private:
  void StartFailed(Error e) {
    {
      std::lock_guard<std::mutex> l(mu_);
      failed_ = true;
      error_ = std::move(e);
      stop_ = true;
    }
    cv_.notify_all();
    for (std::thread& t : workers_) t.join();
    workers_.clear();
  }

  void Run(std::size_t stage) {
    const bool last = stage + 1 == applies_.size();
    for (;;) {
      Slot s;
      bool skip;
      {
        std::unique_lock<std::mutex> l(mu_);
        cv_.wait(l, [&] { return !queues_[stage].empty() || stop_; });
        if (queues_[stage].empty()) return;
        s = std::move(queues_[stage].front());
        queues_[stage].pop_front();
        // stop_ with a slot queued: the destructor abandons the work (Finish
        // sets it only once every queue is empty).
        skip = failed_ || stop_;
      }
      Status st = skip ? Ok() : applies_[stage](s);
      if (last) reset_(s);
      {
        std::lock_guard<std::mutex> l(mu_);
        if (!st.ok() && !failed_) {
          error_ = std::move(st);
          failed_ = true;
        }
        // After an error the later stages skip the slot (skip above); after
        // abandoning, a slot may stay in a queue no thread reads any more:
        // it goes with the queue.
        if (last) {
          free_.push_back(std::move(s));
          --outstanding_;
        } else {
          queues_[stage + 1].push_back(std::move(s));
        }
      }
      cv_.notify_all();
    }
  }

  std::vector<Apply> applies_;
  Reset reset_;
  const bool threaded_;
  std::mutex mu_;
  std::condition_variable cv_;
  std::vector<std::deque<Slot>> queues_;  // queues_[i]: waiting for applies_[i]
  std::deque<Slot> free_;
  std::size_t outstanding_ = 0;  // handed over, not yet back in free_
  bool stop_ = false;
  bool failed_ = false;
  Status error_;
  std::vector<std::thread> workers_;
};

}  // namespace custos
