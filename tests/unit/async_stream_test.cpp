// The pipeline stages on threads of their own (common/async_stream,
// common/ordered_worker): bytes arrive whole and in order, a downstream error
// is returned and stops the stage, an abandoned stage stops without hanging.
#include "common/async_stream.h"

#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstring>
#include <mutex>
#include <thread>
#include <utility>
#include <string>
#include <vector>

#include "blocking_sink.h"

namespace custos {
namespace {

using Bytes = std::vector<std::uint8_t>;

Bytes Pattern(std::size_t n) {
  Bytes b(n);
  for (std::size_t i = 0; i < n; ++i) b[i] = static_cast<std::uint8_t>(i * 31 + (i >> 13));
  return b;
}

// Collects what it is given; fails the write that would pass `fail_after` bytes.
class Collect final : public ByteSink {
 public:
  Status Write(std::span<const std::uint8_t> d) override {
    ++calls;
    if (fail_after != 0 && bytes.size() + d.size() > fail_after)
      return Error(ErrorCode::kIo, "disk full");
    bytes.insert(bytes.end(), d.begin(), d.end());
    ++writes;
    return Ok();
  }
  Bytes bytes;
  std::size_t fail_after = 0;
  std::atomic<int> writes{0};  // accepted (read by a test while a stage runs)
  std::atomic<int> calls{0};   // accepted or refused
};

// Writes 1 MiB buffers until one is refused (64 MiB cannot all fit in the
// queue), then finishes: {the refused Write's status, Finish's}.
std::pair<Status, Status> WriteUntilRefused(AsyncSink& sink) {
  const Bytes chunk = Pattern(1 << 20);
  Status st = Ok();
  for (int i = 0; i < 64 && st.ok(); ++i) st = sink.Write(chunk);
  return {st, sink.Finish()};
}

TEST(AsyncSink, WritesAndInPlaceBuffersArriveInOrder) {
  Collect down;
  AsyncSink sink(down);
  Bytes want = Pattern(20'000'000);
  std::size_t at = 0;
  bool in_place = false;
  while (at < want.size()) {
    std::size_t n = std::min<std::size_t>(want.size() - at, 777'777);
    if (in_place) {
      auto dst = sink.NextBuffer();
      ASSERT_FALSE(dst.empty());
      n = std::min(n, dst.size());
      std::memcpy(dst.data(), want.data() + at, n);
      ASSERT_TRUE(sink.CommitBuffer(n).ok());
    } else {
      ASSERT_TRUE(sink.Write({want.data() + at, n}).ok());
    }
    at += n;
    in_place = !in_place;
  }
  ASSERT_TRUE(sink.Finish().ok());
  EXPECT_EQ(down.bytes, want);
  EXPECT_GT(down.writes, 1);
}

TEST(AsyncSink, CommitPastTheBufferIsRefused) {
  Collect down;
  AsyncSink sink(down);
  auto dst = sink.NextBuffer();
  EXPECT_EQ(sink.CommitBuffer(dst.size() + 1).error().code(), ErrorCode::kInternal);
  ASSERT_TRUE(sink.Finish().ok());
  EXPECT_TRUE(down.bytes.empty());
}

TEST(AsyncSink, ADownstreamErrorIsReturnedAndStopsTheStage) {
  Collect down;
  down.fail_after = 3u << 20;
  AsyncSink sink(down);
  auto [first, fin] = WriteUntilRefused(sink);
  ASSERT_FALSE(fin.ok());
  EXPECT_EQ(fin.error().message(), "disk full");
  EXPECT_FALSE(first.ok());  // 64 MiB cannot all fit in the queue
  // Three 1 MiB slots applied, the fourth refused, and no slot offered after it.
  EXPECT_EQ(down.bytes.size(), 3u << 20);
  EXPECT_EQ(down.writes, 3);
  EXPECT_EQ(down.calls, 4);
}

// seal failed upstream: the bundle is about to be removed, so what is queued
// is dropped rather than encrypted and written.
TEST(AsyncSink, AbandonedWithoutFinishDropsWhatIsQueued) {
  BlockingSink down;
  std::thread releaser;
  {
    AsyncSink sink(down);
    Bytes chunk = Pattern(1 << 20);
    for (int i = 0; i < 5; ++i) ASSERT_TRUE(sink.Write(chunk).ok());  // 5 slots handed over
    down.WaitWrites(1);
    releaser = std::thread([&] {
      std::this_thread::sleep_for(std::chrono::milliseconds(100));
      down.Release();
    });
  }
  releaser.join();
  EXPECT_EQ(down.bytes(), 1u << 20);  // the slot being written, nothing queued after it
}

// Stages in steps (hash, then write): every stage gets every buffer, whole
// and in order.
TEST(AsyncSinkStages, EveryStageGetsTheWholeStreamInOrder) {
  Collect a, b, c;
  AsyncSink sink({&a, &b, &c}, 3);
  Bytes want = Pattern(9'500'000);
  for (std::size_t at = 0; at < want.size(); at += 333'333)
    ASSERT_TRUE(sink.Write({want.data() + at, std::min<std::size_t>(333'333, want.size() - at)}).ok());
  ASSERT_TRUE(sink.Finish().ok());
  EXPECT_EQ(a.bytes, want);
  EXPECT_EQ(b.bytes, want);
  EXPECT_EQ(c.bytes, want);
  EXPECT_EQ(a.writes, 10);
}

// The first stage fails on its fourth buffer: the later stage never sees it
// nor anything after it (what it had not yet taken is dropped too: nothing is
// applied after an error), and the error is returned.
TEST(AsyncSinkStages, AnErrorOfAnEarlierStageStopsTheLaterOnes) {
  Collect first, second;
  first.fail_after = 3u << 20;
  AsyncSink sink({&first, &second}, 4);
  auto [st, fin] = WriteUntilRefused(sink);
  ASSERT_FALSE(fin.ok());
  EXPECT_EQ(fin.error().message(), "disk full");
  EXPECT_EQ(first.calls, 4);
  EXPECT_LE(second.calls, 3);
  EXPECT_EQ(second.bytes.size(), static_cast<std::size_t>(second.calls) << 20);
}

TEST(AsyncSinkStages, AnErrorOfTheLastStageIsReturned) {
  Collect first, second;
  second.fail_after = 2u << 20;
  AsyncSink sink({&first, &second}, 4);
  auto [st, fin] = WriteUntilRefused(sink);
  ASSERT_FALSE(fin.ok());
  EXPECT_EQ(fin.error().message(), "disk full");
  EXPECT_FALSE(st.ok());
  EXPECT_EQ(second.writes, 2);
  EXPECT_EQ(second.calls, 3);
  EXPECT_GE(first.writes, 3);
}

// The point of stages: while the last stage waits (the disk), the first one
// goes on with the next buffers instead of waiting its turn.
TEST(AsyncSinkStages, AnEarlierStageRunsAheadOfABlockedLaterOne) {
  Collect first;
  BlockingSink second;
  AsyncSink sink({&first, &second}, 4);
  Bytes chunk = Pattern(1 << 20);
  for (int i = 0; i < 3; ++i) ASSERT_TRUE(sink.Write(chunk).ok());
  second.WaitWrites(1);
  for (int i = 0; i < 500; ++i) {
    if (first.writes == 3) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  EXPECT_EQ(first.writes, 3);  // all three hashed while the first is still being written
  EXPECT_EQ(second.bytes(), 0u);
  second.Release();
  ASSERT_TRUE(sink.Finish().ok());
  EXPECT_EQ(second.bytes(), 3u << 20);
  EXPECT_EQ(first.bytes.size(), 3u << 20);
}

// Abandoned while the last stage is blocked: it finishes the buffer it has;
// what the first stage passed on meanwhile is dropped, not written.
TEST(AsyncSinkStages, AbandonedWithoutFinishDropsWhatIsQueued) {
  Collect first;
  BlockingSink second;
  std::thread releaser;
  {
    AsyncSink sink({&first, &second}, 5);
    Bytes chunk = Pattern(1 << 20);
    for (int i = 0; i < 4; ++i) ASSERT_TRUE(sink.Write(chunk).ok());
    second.WaitWrites(1);
    releaser = std::thread([&] {
      std::this_thread::sleep_for(std::chrono::milliseconds(100));
      second.Release();
    });
  }
  releaser.join();
  EXPECT_EQ(second.bytes(), 1u << 20);
}

// A downstream that refuses its first write once released (a disk that
// fills while the next buffer is already queued).
class RefusingSink final : public ByteSink {
 public:
  Status Write(std::span<const std::uint8_t>) override {
    std::unique_lock<std::mutex> l(mu);
    ++writes;
    cv.notify_all();
    cv.wait(l, [&] { return released; });
    return Error(ErrorCode::kNoSpace, "no space left (test)");
  }
  std::mutex mu;
  std::condition_variable cv;
  int writes = 0;
  bool released = false;
};

// The hand-over that meets the error may take the caller's buffer along;
// whatever is called afterwards returns the error and touches no memory
// (under ASan a write into the lost buffer would be caught).
TEST(AsyncSink, AfterAnErrorEveryCallReturnsItAndNothingIsTaken) {
  RefusingSink down;
  AsyncSink sink(down, /*slots=*/2);
  Bytes chunk = Pattern(1 << 20);
  ASSERT_TRUE(sink.Write(chunk).ok());  // the first slot goes, blocks in the sink
  {
    std::unique_lock<std::mutex> l(down.mu);
    down.cv.wait(l, [&] { return down.writes == 1; });
  }
  ASSERT_TRUE(sink.Write({chunk.data(), 100}).ok());  // part of the second slot
  std::thread releaser([&] {
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
    std::lock_guard<std::mutex> l(down.mu);
    down.released = true;
    down.cv.notify_all();
  });
  Status fin = sink.Finish();  // hands the partial slot over, then meets the error
  releaser.join();
  ASSERT_FALSE(fin.ok());
  EXPECT_EQ(fin.error().code(), ErrorCode::kNoSpace);
  Status again = sink.Write({chunk.data(), 100});
  ASSERT_FALSE(again.ok());
  EXPECT_EQ(again.error().code(), ErrorCode::kNoSpace);
  EXPECT_TRUE(sink.NextBuffer().empty());
  EXPECT_EQ(sink.CommitBuffer(1).error().code(), ErrorCode::kNoSpace);
  EXPECT_EQ(sink.Finish().error().code(), ErrorCode::kNoSpace);
  EXPECT_EQ(down.writes, 1);
}

class ChunkedSource final : public ByteSource {
 public:
  ChunkedSource(Bytes b, std::size_t fail_at) : b_(std::move(b)), fail_at_(fail_at) {}
  Result<std::size_t> Read(std::span<std::uint8_t> out) override {
    if (fail_at_ != 0 && at_ >= fail_at_) return Error(ErrorCode::kIo, "read error");
    std::size_t n = std::min({out.size(), b_.size() - at_, std::size_t{100'003}});
    std::memcpy(out.data(), b_.data() + at_, n);
    at_ += n;
    return n;
  }

 private:
  Bytes b_;
  std::size_t fail_at_, at_ = 0;
};

TEST(AsyncSource, DeliversEverythingThenTheError) {
  Bytes want = Pattern(5'000'000);
  ChunkedSource up(want, 3'000'000);
  AsyncSource src(up);
  Bytes got(8192);
  Bytes all;
  Status err = Ok();
  for (;;) {
    auto n = src.Read(got);
    if (!n.ok()) {
      err = n.error();
      break;
    }
    ASSERT_NE(*n, 0u) << "end of stream reported instead of the error";
    all.insert(all.end(), got.begin(), got.begin() + static_cast<std::ptrdiff_t>(*n));
  }
  EXPECT_EQ(err.error().message(), "read error");
  ASSERT_GE(all.size(), 3'000'000u);
  EXPECT_TRUE(std::equal(all.begin(), all.end(), want.begin()));
}

TEST(AsyncSource, ReadsAWholeStream) {
  Bytes want = Pattern(5'000'000);
  ChunkedSource up(want, 0);
  AsyncSource src(up);
  Bytes got(65536), all;
  for (;;) {
    auto n = src.Read(got);
    ASSERT_TRUE(n.ok());
    if (*n == 0) break;
    all.insert(all.end(), got.begin(), got.begin() + static_cast<std::ptrdiff_t>(*n));
  }
  EXPECT_EQ(all, want);
}

}  // namespace
}  // namespace custos

namespace custos {
namespace {

// Its buffers are page-aligned (the bundle's writer hands them to O_DIRECT)
// and a stage with the fewest slots still delivers everything in order.
TEST(AsyncSinkSlots, AreAlignedAndTwoSuffice) {
  Collect down;
  {
    AsyncSink s(down, /*slots=*/2);
    const Bytes want = Pattern(5'000'000);
    std::size_t off = 0;
    while (off < want.size()) {
      std::span<std::uint8_t> b = s.NextBuffer();
      ASSERT_FALSE(b.empty());
      const std::size_t fill = (1u << 20) - b.size();  // bytes already in the slot
      EXPECT_EQ((reinterpret_cast<std::uintptr_t>(b.data()) - fill) % 4096, 0u);
      const std::size_t n = std::min({b.size(), want.size() - off, std::size_t{300'001}});
      std::memcpy(b.data(), want.data() + off, n);
      ASSERT_TRUE(s.CommitBuffer(n).ok());
      off += n;
    }
    ASSERT_TRUE(s.Finish().ok());
    EXPECT_EQ(down.bytes, want);
  }
}

}  // namespace
}  // namespace custos
