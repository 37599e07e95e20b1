// The zstd stage of opening alone (FORMAT.md §4): ZstdDecompressor accepts
// plain, concatenated frames and refuses everything else the bundle format
// excludes — skippable frames, dictionaries, windows over 2^24, a truncated
// frame, bytes after the last frame. (The tar stages are in
// bundle_stages_test.cpp.)
#include <gtest/gtest.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <mutex>
#include <thread>
#include <cstring>
#include <filesystem>
#include <string>
#include <vector>

#include "bundle/limits.h"
#include "blocking_sink.h"
#include "bundle/zstd_stream.h"

namespace custos::bundle {
namespace {

using Bytes = std::vector<std::uint8_t>;

Bytes Text(const std::string& s) { return Bytes(s.begin(), s.end()); }

Bytes Append(Bytes a, const Bytes& b) {
  a.insert(a.end(), b.begin(), b.end());
  return a;
}

Bytes Compress(const Bytes& in) {
  Bytes out(ZSTD_compressBound(in.size()));
  std::size_t n = ZSTD_compress(out.data(), out.size(), in.data(), in.size(), 3);
  EXPECT_FALSE(ZSTD_isError(n));
  out.resize(n);
  return out;
}

// Decompresses all of `in`, read `chunk` bytes at a time.
Result<Bytes> Decompress(const Bytes& in, std::size_t chunk = 5) {
  MemorySource src(in, chunk);
  CUSTOS_ASSIGN_OR_RETURN(std::unique_ptr<ZstdDecompressor> d, ZstdDecompressor::Create(src));
  Bytes out;
  std::uint8_t buf[777];
  for (;;) {
    CUSTOS_ASSIGN_OR_RETURN(std::size_t n, d->Read(buf));
    if (n == 0) return out;
    out.insert(out.end(), buf, buf + n);
  }
}

// A skippable frame: magic 0x184D2A50 (little-endian), 32-bit size, payload.
Bytes Skippable() { return {0x50, 0x2A, 0x4D, 0x18, 3, 0, 0, 0, 'a', 'b', 'c'}; }

// A hand-made frame holding "hello" in one raw block:
//   magic 28 B5 2F FD | FHD | window descriptor | [dictionary id] | block
// FHD 0x00: no checksum, no content size, not single-segment; 0x01 adds a
// one-byte dictionary id. Window descriptor 0x00 = 1 KiB. Block header
// 0x29 0x00 0x00 = last block, raw, 5 bytes.
Bytes HandMadeFrame(bool with_dictionary_id) {
  Bytes f = {0x28, 0xB5, 0x2F, 0xFD, static_cast<std::uint8_t>(with_dictionary_id ? 0x01 : 0x00),
             0x00};
  if (with_dictionary_id) f.push_back(0x07);
  Bytes block = {0x29, 0x00, 0x00, 'h', 'e', 'l', 'l', 'o'};
  return Append(f, block);
}

void ExpectCorrupt(const Result<Bytes>& r, const std::string& says) {
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().code(), ErrorCode::kCorrupt) << r.error().message();
  EXPECT_NE(r.error().message().find(says), std::string::npos) << r.error().message();
}

TEST(ZstdStage, CompressorOutputRoundTrips) {
  Bytes in(300000);
  for (std::size_t i = 0; i < in.size(); ++i) in[i] = static_cast<std::uint8_t>(i % 251 ^ i >> 11);
  VectorSink sink;
  auto c = ZstdCompressor::Create(sink, 3, 1);
  ASSERT_TRUE(c.ok());
  ASSERT_TRUE((*c)->Write(in).ok());
  ASSERT_TRUE((*c)->Finish().ok());
  auto out = Decompress(sink.bytes, 4096);
  ASSERT_TRUE(out.ok()) << out.error().message();
  EXPECT_EQ(*out, in);
}

// Counts the frames of `in` and checks each is a plain frame (no checksum,
// no dictionary) whose window the reader accepts.
std::size_t CountFrames(const Bytes& in) {
  std::size_t frames = 0, pos = 0;
  while (pos < in.size()) {
    ZSTD_frameHeader fh{};
    EXPECT_EQ(ZSTD_getFrameHeader(&fh, in.data() + pos, in.size() - pos), 0u);
    EXPECT_EQ(fh.frameType, ZSTD_frame);
    EXPECT_EQ(fh.dictID, 0u);
    EXPECT_EQ(fh.checksumFlag, 0u);
    EXPECT_LE(fh.windowSize, 1ull << kZstdWindowLogMax);
    std::size_t n = ZSTD_findFrameCompressedSize(in.data() + pos, in.size() - pos);
    if (ZSTD_isError(n)) {
      ADD_FAILURE() << ZSTD_getErrorName(n);
      return frames;
    }
    pos += n;
    ++frames;
  }
  return frames;
}

Bytes Patterned(std::size_t n) {
  Bytes b(n);
  std::uint32_t x = 12345;
  for (std::size_t i = 0; i < n; ++i) {
    x = x * 1103515245u + 12345u;
    // Runs of text-like bytes with some noise: compressible, not trivially.
    b[i] = static_cast<std::uint8_t>((i / 7) % 26 + 'a' + ((x >> 28) == 0 ? 1 : 0));
  }
  return b;
}

// With threads > 1 the stream is cut into jobs, each compressed into a frame
// of its own on a worker and written out in order; whatever the sizes and
// however the caller writes, the concatenated frames give back the input.
TEST(ZstdStage, FrameParallelOutputRoundTripsInOrder) {
  const std::size_t job = ZstdCompressor::kFrameJobBytes;
  for (std::size_t size : {std::size_t{0}, std::size_t{1}, job - 1, job, job + 1, 5 * job + 7}) {
    for (std::size_t piece : {std::size_t{1000}, job + 3}) {
      for (int threads : {2, 3}) {
        SCOPED_TRACE("size " + std::to_string(size) + " piece " + std::to_string(piece) +
                     " threads " + std::to_string(threads));
        const Bytes in = Patterned(size);
        VectorSink sink;
        auto c = ZstdCompressor::Create(sink, 3, threads);
        ASSERT_TRUE(c.ok());
        for (std::size_t off = 0; off < in.size(); off += piece)
          ASSERT_TRUE((*c)->Write({in.data() + off, std::min(piece, in.size() - off)}).ok());
        ASSERT_TRUE((*c)->Finish().ok());
        EXPECT_EQ(CountFrames(sink.bytes), std::max<std::size_t>(1, (size + job - 1) / job));
        auto out = Decompress(sink.bytes, 65536);
        ASSERT_TRUE(out.ok()) << out.error().message();
        EXPECT_TRUE(*out == in);
      }
    }
  }
}

// Bytes that do not compress (xorshift64).
Bytes Random(std::size_t n, std::uint64_t seed = 0x9E3779B97F4A7C15ull) {
  Bytes b(n);
  for (std::size_t i = 0; i < n; ++i) {
    seed ^= seed << 13;
    seed ^= seed >> 7;
    seed ^= seed << 17;
    b[i] = static_cast<std::uint8_t>(seed >> 56);
  }
  return b;
}

// A stored frame is a standard frame: zstd itself reads it back, with the
// content size and window it declares, and so does the bundle's reader.
TEST(ZstdStage, AStoredFrameIsAStandardFrame) {
  for (std::size_t size : {std::size_t{1}, std::size_t{131072}, std::size_t{131073},
                           ZstdCompressor::kFrameJobBytes}) {
    SCOPED_TRACE("size " + std::to_string(size));
    const Bytes in = Random(size);
    VectorSink sink;
    ASSERT_TRUE(WriteStoredFrame(sink, in).ok());
    const std::size_t blocks = (size + 131071) / 131072;
    EXPECT_EQ(sink.bytes.size(), 9 + 3 * blocks + size);
    ZSTD_frameHeader fh{};
    ASSERT_EQ(ZSTD_getFrameHeader(&fh, sink.bytes.data(), sink.bytes.size()), 0u);
    EXPECT_EQ(fh.frameContentSize, size);
    EXPECT_EQ(fh.windowSize, size);
    EXPECT_EQ(fh.checksumFlag, 0u);
    EXPECT_EQ(fh.dictID, 0u);
    EXPECT_EQ(ZSTD_findFrameCompressedSize(sink.bytes.data(), sink.bytes.size()), sink.bytes.size());
    Bytes back(size);
    EXPECT_EQ(ZSTD_decompress(back.data(), back.size(), sink.bytes.data(), sink.bytes.size()), size);
    EXPECT_TRUE(back == in);
    auto ours = Decompress(sink.bytes, 4096);
    ASSERT_TRUE(ours.ok()) << ours.error().message();
    EXPECT_TRUE(*ours == in);
  }
  VectorSink sink;
  EXPECT_FALSE(WriteStoredFrame(sink, {}).ok());
}

struct Sealed {
  Bytes bytes;
  std::uint64_t stored = 0;
};

Sealed FrameParallel(const Bytes& in) {
  Sealed r;
  VectorSink sink;
  auto c = ZstdCompressor::Create(sink, 3, 2);
  EXPECT_TRUE(c.ok());
  if (!c.ok()) return r;
  EXPECT_TRUE((*c)->Write(in).ok());
  EXPECT_TRUE((*c)->Finish().ok());
  r.stored = (*c)->stored_frames();
  r.bytes = std::move(sink.bytes);
  auto out = Decompress(r.bytes, 65536);
  EXPECT_TRUE(out.ok() && *out == in) << "does not round-trip";
  return r;
}

// Incompressible jobs are stored, not searched for matches; the last, short
// job is compressed as before.
TEST(ZstdStage, IncompressibleJobsAreStored) {
  const std::size_t job = ZstdCompressor::kFrameJobBytes;
  Sealed s = FrameParallel(Random(4 * job + 1000));
  EXPECT_EQ(s.stored, 4u);
  EXPECT_EQ(CountFrames(s.bytes), 5u);
  EXPECT_LE(s.bytes.size(), 4 * (job + 9 + 3 * (job / 131072)) + 1000 + 64);
}

// Data that compresses anywhere in a job is compressed: a stretch of 132 KiB
// of zeros (what the sample is sure to meet) inside random bytes, or text.
TEST(ZstdStage, JobsThatCompressSomewhereAreCompressed) {
  const std::size_t job = ZstdCompressor::kFrameJobBytes;
  for (std::size_t at : {std::size_t{0}, std::size_t{700001}, job - 135168}) {
    SCOPED_TRACE("zeros at " + std::to_string(at));
    Bytes in = Random(job);
    std::fill(in.begin() + static_cast<std::ptrdiff_t>(at), in.begin() + static_cast<std::ptrdiff_t>(at + 135168), 0);
    Sealed s = FrameParallel(in);
    EXPECT_EQ(s.stored, 0u);
    EXPECT_LT(s.bytes.size(), job - 130000);
  }
  Sealed text = FrameParallel(Patterned(3 * job));
  EXPECT_EQ(text.stored, 0u);
  EXPECT_LT(text.bytes.size(), job);
}

// Copies of one incompressible file in a job, 512-byte aligned as tar puts
// members (here 300 KiB + a header's 512 bytes apart), are compressed: the
// sample's pieces never overlap two copies at the same place.
TEST(ZstdStage, CopiesOfOneFileInAJobAreCompressed) {
  const std::size_t job = ZstdCompressor::kFrameJobBytes;
  const std::size_t period = 300 * 1024 + 512;
  const Bytes file = Random(period);
  Bytes in;
  while (in.size() < job) in.insert(in.end(), file.begin(), file.end());
  in.resize(job);
  Sealed s = FrameParallel(in);
  EXPECT_EQ(s.stored, 0u);
  EXPECT_LT(s.bytes.size(), job / 3);
}

// The last job, shorter than 2 MiB but of kStoreFrom or more, is stored too;
// one under kStoreFrom is compressed.
TEST(ZstdStage, AShortLastJobIsStoredFromItsThreshold) {
  const std::size_t job = ZstdCompressor::kFrameJobBytes;
  EXPECT_EQ(FrameParallel(Random(job + 300 * 1024)).stored, 2u);
  EXPECT_EQ(FrameParallel(Random(job + ZstdCompressor::kStoreFrom)).stored, 2u);
  EXPECT_EQ(FrameParallel(Random(job + ZstdCompressor::kStoreFrom - 1)).stored, 1u);
}

// A sink that fails on its `fail_at`-th write (1-based) and counts the rest.
class FailingSink final : public ByteSink {
 public:
  explicit FailingSink(int fail_at) : fail_at_(fail_at) {}
  Status Write(std::span<const std::uint8_t>) override {
    if (++writes == fail_at_) return Error(ErrorCode::kIo, "disk full (test)");
    return Ok();
  }
  std::atomic<int> writes{0};

 private:
  const int fail_at_;
};

// The writer thread's error reaches the caller (a later Write or Finish),
// nothing more is written after it, and nothing hangs.
// Also in the middle of a stored frame (random data: header, block header,
// block, ... the 5th write is the second block's header).
TEST(ZstdStage, FrameParallelReturnsTheSinksErrorAndStops) {
  for (bool random : {false, true}) {
    SCOPED_TRACE(random ? "stored frames" : "compressed frames");
    const Bytes in = random ? Random(12 * ZstdCompressor::kFrameJobBytes) : Patterned(12 * ZstdCompressor::kFrameJobBytes);
    const int fail_at = random ? 5 : 2;
    FailingSink sink(fail_at);
    auto c = ZstdCompressor::Create(sink, 1, 2);
    ASSERT_TRUE(c.ok());
    Status st;
    for (std::size_t off = 0; off < in.size() && st.ok(); off += 65536)
      st = (*c)->Write({in.data() + off, std::min<std::size_t>(65536, in.size() - off)});
    Status fin = (*c)->Finish();
    Status first = st.ok() ? fin : st;
    ASSERT_FALSE(first.ok());
    EXPECT_EQ(first.error().code(), ErrorCode::kIo);
    EXPECT_EQ(first.error().message(), "disk full (test)");
    EXPECT_FALSE(fin.ok());
    EXPECT_EQ(sink.writes.load(), fail_at);
    // Nothing more is taken after the error.
    EXPECT_FALSE((*c)->Write(in).ok());
    EXPECT_FALSE((*c)->Finish().ok());
    EXPECT_EQ(sink.writes.load(), fail_at);
  }
}

// Abandoned without Finish (the seal failed elsewhere): the destructor stops
// the workers and the writer; frames queued behind the one being written are
// dropped, not written.
TEST(ZstdStage, FrameParallelAbandonedWithoutFinishDropsQueuedFrames) {
  const Bytes in = Patterned(3 * ZstdCompressor::kFrameJobBytes + 5);
  BlockingSink sink;
  std::thread releaser;
  {
    auto c = ZstdCompressor::Create(sink, 3, 2);
    ASSERT_TRUE(c.ok());
    ASSERT_TRUE((*c)->Write(in).ok());  // three jobs handed over, the fourth being filled
    sink.WaitWrites(1);
    releaser = std::thread([&] {
      std::this_thread::sleep_for(std::chrono::milliseconds(100));
      sink.Release();
    });
  }
  releaser.join();
  EXPECT_EQ(sink.writes(), 1);
}

std::size_t ThreadsOfThisProcess() {
  std::size_t n = 0;
  for (const auto& e : std::filesystem::directory_iterator("/proc/self/task")) {
    (void)e;
    ++n;
  }
  return n;
}

// --threads 64 must not cost 64 contexts and 66 jobs of 4 MiB: the workers
// are capped (memory stays bounded), plus one thread writing the frames.
TEST(ZstdStage, FrameParallelWorkersAreCapped) {
  VectorSink sink;
  const std::size_t before = ThreadsOfThisProcess();
  auto c = ZstdCompressor::Create(sink, 3, 64);
  ASSERT_TRUE(c.ok());
  EXPECT_EQ(ThreadsOfThisProcess(), before + ZstdCompressor::kMaxFrameWorkers + 1);
  const Bytes in = Patterned(3 * ZstdCompressor::kFrameJobBytes);
  ASSERT_TRUE((*c)->Write(in).ok());
  ASSERT_TRUE((*c)->Finish().ok());
  auto out = Decompress(sink.bytes, 65536);
  ASSERT_TRUE(out.ok()) << out.error().message();
  EXPECT_TRUE(*out == in);
}

// Higher levels cost more memory a worker: fewer workers, within the budget,
// never none; the default level keeps all four.
TEST(ZstdStage, FrameWorkersShrinkWithTheLevelWithinTheBudget) {
  const std::size_t job = ZstdCompressor::kFrameJobBytes + ZSTD_compressBound(ZstdCompressor::kFrameJobBytes);
  int last = ZstdCompressor::kMaxFrameWorkers;
  for (int level = kMinLevel; level <= kMaxLevel; ++level) {
    SCOPED_TRACE("level " + std::to_string(level));
    const int w = ZstdCompressor::FrameWorkers(level, 64);
    EXPECT_GE(w, 1);
    EXPECT_LE(w, last);
    last = w;
    const std::size_t cctx = ZSTD_estimateCCtxSize_usingCParams(
        ZSTD_getCParams(level, ZstdCompressor::kFrameJobBytes, 0));
    if (w > 1) {
      EXPECT_LE(w * (cctx + job) + 2 * job, ZstdCompressor::kFrameBudgetBytes);
    }
    EXPECT_EQ(ZstdCompressor::FrameWorkers(level, 2), std::min(w, 2));
  }
  EXPECT_EQ(ZstdCompressor::FrameWorkers(3, 64), ZstdCompressor::kMaxFrameWorkers);
  EXPECT_EQ(ZstdCompressor::FrameWorkers(19, 64), 1);
}

TEST(ZstdStage, AnOutOfRangeLevelIsRefused) {
  VectorSink sink;
  for (int threads : {1, 2}) {
    auto c = ZstdCompressor::Create(sink, kMaxLevel + 1, threads);
    ASSERT_FALSE(c.ok());
    EXPECT_EQ(c.error().code(), ErrorCode::kUsage);
  }
}

TEST(ZstdStage, AcceptsConcatenatedFrames) {
  Bytes in = Append(Append(Compress(Text("hello, ")), Compress(Text("world"))), Compress(Text("!")));
  auto out = Decompress(in);
  ASSERT_TRUE(out.ok()) << out.error().message();
  EXPECT_EQ(*out, Text("hello, world!"));
}

TEST(ZstdStage, AcceptsTheHandMadeFrameWithoutDictionaryId) {
  auto out = Decompress(HandMadeFrame(false));
  ASSERT_TRUE(out.ok()) << out.error().message();
  EXPECT_EQ(*out, Text("hello"));
}

TEST(ZstdStage, RejectsAnEmptyPayload) {
  ExpectCorrupt(Decompress({}), "no zstd frame");
}

TEST(ZstdStage, RejectsASkippableFrameFirst) {
  ExpectCorrupt(Decompress(Append(Skippable(), Compress(Text("x")))), "skippable");
}

TEST(ZstdStage, RejectsASkippableFrameBetweenFrames) {
  Bytes in = Append(Append(Compress(Text("a")), Skippable()), Compress(Text("b")));
  ExpectCorrupt(Decompress(in), "skippable");
}

TEST(ZstdStage, RejectsASkippableFrameAtTheEnd) {
  ExpectCorrupt(Decompress(Append(Compress(Text("a")), Skippable())), "skippable");
}

TEST(ZstdStage, RejectsAFrameWithADictionaryId) {
  ExpectCorrupt(Decompress(HandMadeFrame(true)), "dictionary");
}

TEST(ZstdStage, RejectsATruncatedFrame) {
  Bytes in(100000);
  for (std::size_t i = 0; i < in.size(); ++i) in[i] = static_cast<std::uint8_t>(i * 7919 >> 3);
  Bytes z = Compress(in);
  for (std::size_t cut : {std::size_t{1}, std::size_t{100}, z.size() - 3}) {
    Bytes t(z.begin(), z.end() - static_cast<std::ptrdiff_t>(cut));
    ExpectCorrupt(Decompress(t, 1000), "truncated");
  }
}

TEST(ZstdStage, RejectsATruncatedFrameHeader) {
  Bytes z = Compress(Text("abc"));
  ExpectCorrupt(Decompress(Append(z, Bytes(z.begin(), z.begin() + 5))), "truncated");
}

TEST(ZstdStage, RejectsGarbageAfterTheLastFrame) {
  ExpectCorrupt(Decompress(Append(Compress(Text("evidence")), Text("garbage after it"))),
                "not valid zstd");
}

TEST(ZstdStage, RejectsZerosAfterTheLastFrame) {
  ExpectCorrupt(Decompress(Append(Compress(Text("evidence")), Bytes(64, 0))), "not valid zstd");
}

// Streamed without a pledged size, so zstd keeps the window in the frame
// header instead of shrinking it to fit the input.
Bytes StreamCompress(const Bytes& in, int window_log, bool long_distance) {
  ZSTD_CCtx* cctx = ZSTD_createCCtx();
  EXPECT_FALSE(ZSTD_isError(ZSTD_CCtx_setParameter(cctx, ZSTD_c_windowLog, window_log)));
  if (long_distance) {
    EXPECT_FALSE(ZSTD_isError(ZSTD_CCtx_setParameter(cctx, ZSTD_c_enableLongDistanceMatching, 1)));
  }
  Bytes z(ZSTD_compressBound(in.size()) + 64);
  ZSTD_inBuffer src{in.data(), in.size(), 0};
  ZSTD_outBuffer dst{z.data(), z.size(), 0};
  EXPECT_FALSE(ZSTD_isError(ZSTD_compressStream2(cctx, &dst, &src, ZSTD_e_continue)));
  for (int i = 0; i < 100; ++i) {
    std::size_t left = ZSTD_compressStream2(cctx, &dst, &src, ZSTD_e_end);
    if (ZSTD_isError(left) || left == 0) break;
  }
  ZSTD_freeCCtx(cctx);
  z.resize(dst.pos);
  return z;
}

std::uint64_t WindowSize(const Bytes& z) {
  ZSTD_frameHeader fh{};
  EXPECT_EQ(ZSTD_getFrameHeader(&fh, z.data(), z.size()), 0u);
  return fh.windowSize;
}

TEST(ZstdStage, RejectsAWindowOver16MiB) {
  Bytes z = StreamCompress(Bytes(65536, 'w'), 25, /*long_distance=*/true);
  ASSERT_EQ(WindowSize(z), 1ull << 25);
  auto out = Decompress(z);
  ASSERT_FALSE(out.ok());
  EXPECT_EQ(out.error().code(), ErrorCode::kLimitExceeded) << out.error().message();
  EXPECT_NE(out.error().message().find("window"), std::string::npos);
}

TEST(ZstdStage, AcceptsAWindowOfExactly16MiB) {
  Bytes in(4096, 'v');
  Bytes z = StreamCompress(in, kZstdWindowLogMax, /*long_distance=*/false);
  ASSERT_EQ(WindowSize(z), 1ull << kZstdWindowLogMax);
  auto out = Decompress(z);
  ASSERT_TRUE(out.ok()) << out.error().message();
  EXPECT_EQ(*out, in);
}

}  // namespace
}  // namespace custos::bundle
