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
// `threads` > 1 runs zstd's worker threads, overlapping compression with the
// caller's reading and hashing.
class ZstdCompressor final : public ByteSink {
 public:
  static Result<std::unique_ptr<ZstdCompressor>> Create(ByteSink& out, int level, int threads);
  ~ZstdCompressor() override;
  Status Write(std::span<const std::uint8_t> data) override;
  // Ends the frame and flushes everything to `out`.
  Status Finish();

 private:
  ZstdCompressor(ByteSink& out) : out_(out) {}
  Status Drive(std::span<const std::uint8_t> data, ZSTD_EndDirective mode);
  ByteSink& out_;
  ZSTD_CCtx* cctx_ = nullptr;
  std::vector<std::uint8_t> buf_;
};

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
