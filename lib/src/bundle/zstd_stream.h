// zstd stages of the bundle pipeline (FORMAT.md §4).
#pragma once

// ZSTD_getFrameHeader (frame checks) is in the "static" part of the API.
#define ZSTD_STATIC_LINKING_ONLY
#include <zstd.h>

#include <cstdint>
#include <memory>
#include <vector>

#include "common/stream.h"

namespace custos::bundle {

// Compresses everything written into zstd frames written to `out`.
//
// threads <= 1: one frame, compressed on the caller's thread as it writes.
// threads > 1: frame-parallel. What is written is cut into jobs of
// kFrameJobBytes; FrameWorkers(level, threads) workers compress each job
// into a frame of its own
// (single-threaded zstd, straight from the job's buffer), and one more thread
// writes the frames to `out` in order, so `out` (the age STREAM) runs there
// and overlaps with compression and with the caller's reading and hashing.
// Nothing is copied between compression and `out`. A job of kStoreFrom bytes
// or more whose sample does not compress and in which no 512-byte-aligned
// 16 bytes repeat (already compressed or encrypted evidence, each file once)
// is not searched for matches: it is written as a stored frame
// (WriteStoredFrame) straight from its buffer. A reader decompresses the
// concatenated frames as one stream (FORMAT.md §zstd). Memory: workers + 2
// jobs of about 2 x kFrameJobBytes each, allocated once, and a zstd context
// and a 128 KiB sample and repeat table a worker, kept within kFrameBudgetBytes (so a seal stays under 64 MiB) by
// running fewer workers at higher levels: four at levels 1-3 (they outrun the
// two SHA-256 passes a seal makes), three at 4, two at 5-8, one from 9 (one
// worker's context alone is over the budget from level 10).
class ZstdCompressor : public ByteSink {
 public:
  static constexpr std::size_t kFrameJobBytes = 2 << 20;
  static constexpr int kMaxFrameWorkers = 4;
  static constexpr std::size_t kFrameBudgetBytes = 30u << 20;
  // Jobs this large are sampled, and stored when the sample does not compress.
  static constexpr std::size_t kStoreFrom = 256 * 1024;
  // How many workers `threads` and `level` get (at least 1).
  static int FrameWorkers(int level, int threads);
  static Result<std::unique_ptr<ZstdCompressor>> Create(ByteSink& out, int level, int threads);
  ~ZstdCompressor() override = default;
  // Ends the last frame and writes everything to `out`; with threads > 1 the
  // writer thread has stopped when it returns. An error of `out` is returned
  // by a later Write() or by Finish().
  virtual Status Finish() = 0;
  // How many frames were stored rather than compressed (for tests).
  virtual std::uint64_t stored_frames() const { return 0; }
};

// Writes `data` (1 byte to 4 GiB) to `out` as one stored zstd frame: raw
// blocks, no compression (RFC 8878 §3.1.1).
Status WriteStoredFrame(ByteSink& out, std::span<const std::uint8_t> data);

// Decompresses zstd frames read from `in`. Refuses skippable frames, frames
// needing a dictionary, windows over 2^24, a truncated last frame and anything
// after the last frame that is not a frame.
class ZstdDecompressor final : public ByteSource {
 public:
  static Result<std::unique_ptr<ZstdDecompressor>> Create(ByteSource& in);
  ~ZstdDecompressor() override;
  Result<std::size_t> Read(std::span<std::uint8_t> out) override;

 private:
  explicit ZstdDecompressor(ByteSource& in) : in_(in) {}
  Status Refill();
  Status CheckFrameStart();
  ByteSource& in_;
  ZSTD_DCtx* dctx_ = nullptr;
  std::vector<std::uint8_t> inbuf_;
  std::size_t in_pos_ = 0, in_len_ = 0;
  bool in_eof_ = false;
  bool at_frame_start_ = true;
  bool frames_seen_ = false;
  bool done_ = false;
};

}  // namespace custos::bundle
