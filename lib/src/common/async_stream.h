// Pipeline stages on their own thread, so reading and hashing overlap with
// encryption and writing (sealing) or with decryption (opening). Buffers are
// allocated once and recycled (first-touch of fresh memory is costly here);
// memory is bounded by the slots of 1 MiB each stage has.
#pragma once

#include <condition_variable>
#include <cstdint>
#include <deque>
#include <mutex>
#include <thread>
#include <vector>

#include "common/ordered_worker.h"
#include "common/page_aligned.h"
#include "common/stream.h"

namespace custos {

// Writes pass through a bounded queue to `downstream`, which runs on a worker
// thread (OrderedWorker). An error downstream is returned by a later Write()
// or by Finish(); the destructor abandons what is queued.
class AsyncSink final : public ByteSink {
 public:
  // `slots` buffers of 1 MiB (at least 2), allocated once, page-aligned so
  // that `downstream` may write them with O_DIRECT.
  explicit AsyncSink(ByteSink& downstream, std::size_t slots = 8);
  // Every buffer is written to stages[0], then to stages[1], ..., each stage
  // on a thread of its own (a tee in steps: hashing the bundle, then writing
  // it, so the two overlap). The buffer is not copied between stages.
  AsyncSink(std::vector<ByteSink*> stages, std::size_t slots);
  ~AsyncSink() override;
  Status Write(std::span<const std::uint8_t> data) override;
  std::span<std::uint8_t> NextBuffer() override;
  Status CommitBuffer(std::size_t n) override;
  // Flushes everything, stops the workers (on every path) and returns the
  // first error.
  Status Finish();

 private:
  // A buffer of 1 MiB allocated once; `len` bytes of it are data.
  struct Slot {
    std::vector<std::uint8_t, PageAlignedAllocator<std::uint8_t>> bytes;
    std::size_t len = 0;
  };
  static std::vector<Slot> Spares(std::size_t slots);
  Status Flush();
  // After an error (a failed hand-over may have taken cur_'s buffer along)
  // nothing more is taken: every call returns the first error.
  Status Broken(Status st);
  Status Refused();
  static std::vector<OrderedWorker<Slot>::Apply> Applies(const std::vector<ByteSink*>& stages);
  Slot cur_;
  bool broken_ = false;
  OrderedWorker<Slot> worker_;  // last: stopped before the rest goes
};

// Reads `upstream` ahead on a worker thread into a bounded queue.
class AsyncSource final : public ByteSource {
 public:
  explicit AsyncSource(ByteSource& upstream);
  ~AsyncSource() override;
  Result<std::size_t> Read(std::span<std::uint8_t> out) override;

 private:
  void Run();
  ByteSource& up_;
  std::mutex mu_;
  std::condition_variable cv_;
  std::deque<std::vector<std::uint8_t>> full_, free_;
  std::vector<std::uint8_t> cur_;
  std::size_t cur_pos_ = 0;
  Status error_;
  bool eof_ = false;
  bool failed_ = false;
  bool stop_ = false;
  std::thread worker_;
};

}  // namespace custos
