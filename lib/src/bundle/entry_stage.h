// The reader's last stages: hashing every evidence file, and handing it to
// the sink (open's staging directory), each on a thread of its own, so
// decompressing and parsing the tar, SHA-256 and writing the files overlap.
//
// The reader pushes, in manifest order, directories, file starts, data and
// file ends; they are batched (up to kBatchBytes of data or kBatchCommands
// commands) and applied in the same order by the worker. Memory is bounded by
// kBatches batches. The digests are in manifest order once Finish() returned.
// An error of the sink is returned by a later push or by Finish(); after an
// error nothing more reaches the sink. With `threaded == false` batches are
// applied on the caller's thread (same code, no thread: --threads 1, fuzzing).
#pragma once

#include <cstdint>
#include <span>
#include <vector>

#include "bundle/reader.h"
#include "common/ordered_worker.h"
#include "common/page_aligned.h"
#include "crypto/crypto.h"

namespace custos::bundle {

class EntryStage {
 public:
  static constexpr std::size_t kBatchBytes = 1 << 20;
  static constexpr std::size_t kBatchCommands = 512;
  static constexpr std::size_t kBatches = 4;

  // `files`: how many digests to reserve room for (the manifest's count).
  EntryStage(ExtractSink* sink, bool threaded, std::size_t files = 0);
  ~EntryStage();  // stops the worker without applying what is queued (OrderedWorker)
  EntryStage(const EntryStage&) = delete;
  EntryStage& operator=(const EntryStage&) = delete;

  Status Directory(const v1::DirectoryEntry& dir);
  Status BeginFile(const v1::FileEntry& file);
  Status Data(std::span<const std::uint8_t> data);
  Status EndFile();
  // Applies everything pushed, stops the worker and returns the first error.
  Status Finish();
  // Valid after a successful Finish(): one digest per file, in push order.
  std::vector<crypto::Digest> TakeDigests() { return std::move(digests_); }

 private:
  enum class Kind : std::uint8_t { kDirectory, kBegin, kData, kEnd };
  struct Command {
    Kind kind;
    const void* entry = nullptr;  // DirectoryEntry or FileEntry (kept by the manifest)
    std::size_t offset = 0, size = 0;  // kData: bytes of Batch::data
  };
  struct Batch {
    std::vector<Command> commands;
    // Page-aligned: a large file's data starts a batch, so that its writes
    // are aligned for O_DIRECT (StagingDir::BeginFile).
    std::vector<std::uint8_t, PageAlignedAllocator<std::uint8_t>> data;
  };

  Status Push(Command c);
  // The worker's two stages, each on a thread of its own (OrderedWorker):
  // hashing a batch overlaps writing the one before it to the disk.
  Status Hash(Batch& b);
  Status Write(Batch& b);  // only with a sink
  std::vector<OrderedWorker<Batch>::Apply> Applies(bool write);
  static std::vector<Batch> Spares(bool threaded);

  ExtractSink* sink_;
  crypto::Sha256 hash_;
  std::vector<crypto::Digest> digests_;
  Batch cur_;
  OrderedWorker<Batch> worker_;  // last: stopped before the rest goes
};

}  // namespace custos::bundle
