// The reader's entry stage (bundle/entry_stage): what reaches the sink, in
// which order, the digests, and what happens when the sink fails — on a
// worker thread and inline (--threads 1), which must behave the same.
#include <gtest/gtest.h>

#include <chrono>
#include <condition_variable>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "bundle/entry_stage.h"
#include "bundle/limits.h"
#include "crypto/crypto.h"

namespace custos::bundle {
namespace {

using Bytes = std::vector<std::uint8_t>;

// Records every call as one line; fails the `fail_at`-th call (1-based).
class RecordingSink final : public ExtractSink {
 public:
  Status OnManifest(const VerifiedManifest&) override { return Call("manifest"); }
  Status MakeDirectory(const v1::DirectoryEntry& d) override { return Call("dir " + d.path()); }
  Status BeginFile(const v1::FileEntry& f) override {
    data.emplace_back();
    return Call("begin " + f.path());
  }
  Status FileData(std::span<const std::uint8_t> d) override {
    data.back().insert(data.back().end(), d.begin(), d.end());
    return calls.empty() || calls.back() != "data" ? Call("data") : Ok();
  }
  Status EndFile() override { return Call("end"); }
  Status CustodyData(std::span<const std::uint8_t>) override { return Call("custody"); }
  Status MetadataFile(const std::string& name, std::span<const std::uint8_t>) override { return Call("metadata " + name); }

  std::vector<std::string> calls;
  std::vector<Bytes> data;
  std::size_t fail_at = 0;

 private:
  Status Call(const std::string& what) {
    calls.push_back(what);
    if (fail_at != 0 && calls.size() == fail_at)
      return Error(ErrorCode::kIo, "disk full at " + what);
    return Ok();
  }
};

Bytes Pattern(std::size_t n, std::uint8_t seed) {
  Bytes b(n);
  for (std::size_t i = 0; i < n; ++i) b[i] = static_cast<std::uint8_t>(seed + i * 7 + (i >> 11));
  return b;
}

v1::FileEntry File(const std::string& path) {
  v1::FileEntry f;
  f.set_path(path);
  return f;
}

class EntryStageTest : public ::testing::TestWithParam<bool> {};

TEST_P(EntryStageTest, SinkSeesEveryCommandInOrderAndDigestsMatch) {
  RecordingSink sink;
  EntryStage stage(&sink, GetParam());
  v1::DirectoryEntry dir;
  dir.set_path("data/d");
  // More files than one batch holds commands, and one file larger than a
  // batch's bytes, fed in odd-sized pieces.
  std::vector<v1::FileEntry> files;
  for (int i = 0; i < 700; ++i) files.push_back(File("data/d/f" + std::to_string(i)));
  std::vector<Bytes> contents;
  ASSERT_TRUE(stage.Directory(dir).ok());
  for (std::size_t i = 0; i < files.size(); ++i) {
    contents.push_back(Pattern(i == 5 ? 3 * EntryStage::kBatchBytes + 12345 : i % 97,
                               static_cast<std::uint8_t>(i)));
    ASSERT_TRUE(stage.BeginFile(files[i]).ok());
    std::span<const std::uint8_t> rest(contents.back());
    while (!rest.empty()) {
      std::size_t n = std::min<std::size_t>(rest.size(), 100'003);
      ASSERT_TRUE(stage.Data(rest.first(n)).ok());
      rest = rest.subspan(n);
    }
    ASSERT_TRUE(stage.EndFile().ok());
  }
  ASSERT_TRUE(stage.Finish().ok());
  std::vector<crypto::Digest> digests = stage.TakeDigests();

  ASSERT_EQ(digests.size(), files.size());
  ASSERT_EQ(sink.data.size(), files.size());
  for (std::size_t i = 0; i < files.size(); ++i) {
    EXPECT_EQ(digests[i], crypto::Sha256Of(contents[i])) << i;
    EXPECT_EQ(sink.data[i], contents[i]) << i;
  }
  std::vector<std::string> want{"dir data/d"};
  for (std::size_t i = 0; i < files.size(); ++i) {
    want.push_back("begin " + files[i].path());
    if (!contents[i].empty()) want.push_back("data");
    want.push_back("end");
  }
  EXPECT_EQ(sink.calls, want);
}

TEST_P(EntryStageTest, WithoutASinkItOnlyHashes) {
  EntryStage stage(nullptr, GetParam());
  v1::FileEntry a = File("data/a"), b = File("data/b");
  Bytes x = Pattern(200'000, 1);
  ASSERT_TRUE(stage.BeginFile(a).ok());
  ASSERT_TRUE(stage.Data(x).ok());
  ASSERT_TRUE(stage.EndFile().ok());
  ASSERT_TRUE(stage.BeginFile(b).ok());
  ASSERT_TRUE(stage.EndFile().ok());
  ASSERT_TRUE(stage.Finish().ok());
  auto d = stage.TakeDigests();
  ASSERT_EQ(d.size(), 2u);
  EXPECT_EQ(d[0], crypto::Sha256Of(x));
  EXPECT_EQ(d[1], crypto::Sha256Of({}));
}

TEST_P(EntryStageTest, ASinkErrorIsReturnedAndNothingMoreReachesTheSink) {
  RecordingSink sink;
  sink.fail_at = 4;  // begin a, data, end, begin b <- fails
  EntryStage stage(&sink, GetParam());
  std::vector<v1::FileEntry> files;
  for (int i = 0; i < 2000; ++i) files.push_back(File("data/f" + std::to_string(i)));
  Bytes x = Pattern(4000, 9);
  Status first = Ok();
  std::size_t stopped_at = files.size();
  for (std::size_t i = 0; i < files.size() && first.ok(); ++i) {
    for (Status st : {stage.BeginFile(files[i]), stage.Data(x), stage.EndFile()})
      if (!st.ok() && first.ok()) {
        first = st;
        stopped_at = i;
      }
  }
  // The producer learns of the error while it is still early in the stream
  // (a batch holds ~170 of these files; at most kBatches are in flight), so
  // the reader stops decompressing instead of running to the end.
  ASSERT_FALSE(first.ok());
  EXPECT_LT(stopped_at, 5 * EntryStage::kBatchCommands / 3);
  EXPECT_EQ(first.error().message(), "disk full at begin data/f1");
  Status fin = stage.Finish();
  ASSERT_FALSE(fin.ok());
  EXPECT_EQ(fin.error().code(), ErrorCode::kIo);
  EXPECT_EQ(fin.error().message(), "disk full at begin data/f1");
  EXPECT_EQ(sink.calls.size(), 4u);
}

// The reader found a corrupt member and returns without Finish(): what was
// not handed over yet never reaches the sink.
TEST_P(EntryStageTest, AbandonedStageAppliesNothingNotHandedOver) {
  RecordingSink sink;
  std::vector<v1::FileEntry> files;
  for (int i = 0; i < 10; ++i) files.push_back(File("data/f" + std::to_string(i)));
  Bytes x = Pattern(100, 3);
  {
    EntryStage stage(&sink, GetParam());
    for (const auto& f : files) {
      ASSERT_TRUE(stage.BeginFile(f).ok());
      ASSERT_TRUE(stage.Data(x).ok());
      ASSERT_TRUE(stage.EndFile().ok());
    }
  }
  EXPECT_TRUE(sink.calls.empty()) << sink.calls.size() << " calls";
}

// A sink whose first call blocks until released (a slow disk).
class BlockingSink final : public ExtractSink {
 public:
  Status OnManifest(const VerifiedManifest&) override { return Ok(); }
  Status MakeDirectory(const v1::DirectoryEntry&) override { return Ok(); }
  Status BeginFile(const v1::FileEntry& f) override {
    {
      std::unique_lock<std::mutex> l(mu);
      entered = true;
      cv.notify_all();
      cv.wait(l, [&] { return released; });
    }
    begun.push_back(f.path());
    return Ok();
  }
  Status FileData(std::span<const std::uint8_t>) override { return Ok(); }
  Status EndFile() override { return Ok(); }
  Status CustodyData(std::span<const std::uint8_t>) override { return Ok(); }
  Status MetadataFile(const std::string&, std::span<const std::uint8_t>) override { return Ok(); }
  void Release() {
    std::lock_guard<std::mutex> l(mu);
    released = true;
    cv.notify_all();
  }
  void WaitEntered() {
    std::unique_lock<std::mutex> l(mu);
    cv.wait(l, [&] { return entered; });
  }
  std::mutex mu;
  std::condition_variable cv;
  bool entered = false;
  bool released = false;
  std::vector<std::string> begun;  // only the worker writes it before the join
};

// What a large file's FileData calls look like: its data starts a batch, so
// every piece but the last is a whole page-aligned 1 MiB at a 1 MiB offset
// of the file (StagingDir writes those with O_DIRECT).
class PieceSink final : public ExtractSink {
 public:
  Status OnManifest(const VerifiedManifest&) override { return Ok(); }
  Status MakeDirectory(const v1::DirectoryEntry&) override { return Ok(); }
  Status BeginFile(const v1::FileEntry& f) override {
    current = f.path();
    return Ok();
  }
  Status FileData(std::span<const std::uint8_t> d) override {
    if (current == "data/large") pieces.push_back(d);
    return Ok();
  }
  Status EndFile() override { return Ok(); }
  Status CustodyData(std::span<const std::uint8_t>) override { return Ok(); }
  Status MetadataFile(const std::string&, std::span<const std::uint8_t>) override { return Ok(); }
  std::string current;
  std::vector<std::span<const std::uint8_t>> pieces;  // only sizes and addresses are looked at
};

TEST_P(EntryStageTest, ALargeFilesDataStartsABatchSoItsPiecesAreAligned) {
  PieceSink sink;
  EntryStage stage(&sink, GetParam());
  v1::FileEntry small = File("data/small"), large = File("data/large");
  large.set_size(kDirectIoFrom + 3 * EntryStage::kBatchBytes + 1000);
  const Bytes s = Pattern(777, 1), l = Pattern(large.size(), 2);
  ASSERT_TRUE(stage.BeginFile(small).ok());
  ASSERT_TRUE(stage.Data(s).ok());
  ASSERT_TRUE(stage.EndFile().ok());
  ASSERT_TRUE(stage.BeginFile(large).ok());
  for (std::size_t off = 0; off < l.size(); off += 65'536 + 13)  // pieces as the tar reader gives them
    ASSERT_TRUE(stage.Data(std::span(l).subspan(off, std::min<std::size_t>(65'536 + 13, l.size() - off))).ok());
  ASSERT_TRUE(stage.EndFile().ok());
  ASSERT_TRUE(stage.Finish().ok());
  ASSERT_EQ(sink.pieces.size(), large.size() / EntryStage::kBatchBytes + 1);
  for (std::size_t i = 0; i + 1 < sink.pieces.size(); ++i) {
    EXPECT_EQ(sink.pieces[i].size(), EntryStage::kBatchBytes) << i;
    EXPECT_EQ(reinterpret_cast<std::uintptr_t>(sink.pieces[i].data()) % kPageAlign, 0u) << i;
  }
  EXPECT_EQ(sink.pieces.back().size(), large.size() % EntryStage::kBatchBytes);
}

TEST(EntryStageWorker, AbandonedStageDropsQueuedBatches) {
  BlockingSink sink;
  std::vector<v1::FileEntry> files;
  // Two full batches handed over (the worker blocks in the first, the second
  // queued) and a third being filled: within the spare batches, so the
  // producer never blocks.
  const std::size_t per_batch = EntryStage::kBatchCommands / 3;  // 3 commands a file
  for (std::size_t i = 0; i < 3 * per_batch + 1; ++i) files.push_back(File("data/f" + std::to_string(i)));
  Bytes x = Pattern(10, 1);
  std::thread releaser;
  {
    EntryStage stage(&sink, true);
    for (const auto& f : files) {
      ASSERT_TRUE(stage.BeginFile(f).ok());
      ASSERT_TRUE(stage.Data(x).ok());
      ASSERT_TRUE(stage.EndFile().ok());
    }
    sink.WaitEntered();  // the worker is applying the first batch
    releaser = std::thread([&] {
      std::this_thread::sleep_for(std::chrono::milliseconds(100));
      sink.Release();
    });
  }  // the destructor drops the queued batches, then waits for the worker
  releaser.join();
  ASSERT_FALSE(sink.begun.empty());
  EXPECT_LE(sink.begun.size(), per_batch + 1);
  EXPECT_EQ(sink.begun.front(), "data/f0");
  for (const auto& p : sink.begun) EXPECT_LE(std::stoul(p.substr(6)), per_batch) << p;
}

std::string ModeName(const ::testing::TestParamInfo<bool>& p) { return p.param ? "Worker" : "Inline"; }
INSTANTIATE_TEST_SUITE_P(Threaded, EntryStageTest, ::testing::Values(true, false), ModeName);

}  // namespace
}  // namespace custos::bundle
