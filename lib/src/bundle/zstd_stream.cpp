#include "bundle/zstd_stream.h"

#include <cstring>
#include <string>

#include "bundle/limits.h"

namespace custos::bundle {

namespace {
constexpr std::size_t kOutChunk = 256 * 1024;
constexpr std::size_t kInChunk = 256 * 1024;
constexpr int kJobSize = 2 << 20;

Error ZstdError(std::size_t code, const char* what) {
  return Error(ErrorCode::kCorrupt,
               std::string("payload is not valid zstd: ") + what + ": " + ZSTD_getErrorName(code));
}
}  // namespace

Result<std::unique_ptr<ZstdCompressor>> ZstdCompressor::Create(ByteSink& out, int level,
                                                               int threads) {
  if (level < kMinLevel || level > kMaxLevel)
    return Error(ErrorCode::kUsage, "compression level " + std::to_string(level) +
                                        " is out of range (" + std::to_string(kMinLevel) + "-" +
                                        std::to_string(kMaxLevel) + ")");
  std::unique_ptr<ZstdCompressor> c(new ZstdCompressor(out));
  c->cctx_ = ZSTD_createCCtx();
  if (c->cctx_ == nullptr) return Error(ErrorCode::kInternal, "zstd: out of memory");
  ZSTD_CCtx_setParameter(c->cctx_, ZSTD_c_compressionLevel, level);
  ZSTD_CCtx_setParameter(c->cctx_, ZSTD_c_checksumFlag, 0);  // the seal hashes everything
  if (threads > 1) {
    std::size_t rc = ZSTD_CCtx_setParameter(c->cctx_, ZSTD_c_nbWorkers, threads);
    if (ZSTD_isError(rc)) return Error(ErrorCode::kInternal, "zstd: no multithreading support");
    // Small jobs keep memory bounded (zstd's default job is 4x the window,
    // 8 MiB at level 3, buffered several times per worker).
    ZSTD_CCtx_setParameter(c->cctx_, ZSTD_c_jobSize, kJobSize);
  }
  c->buf_.resize(kOutChunk);
  return c;
}

ZstdCompressor::~ZstdCompressor() { ZSTD_freeCCtx(cctx_); }

Status ZstdCompressor::Drive(std::span<const std::uint8_t> data, ZSTD_EndDirective mode) {
  ZSTD_inBuffer in{data.data(), data.size(), 0};
  for (;;) {
    // Straight into the next stage's buffer when it has one (no copy).
    std::span<std::uint8_t> dst = out_.NextBuffer();
    const bool in_place = !dst.empty();
    if (!in_place) dst = buf_;
    ZSTD_outBuffer o{dst.data(), dst.size(), 0};
    std::size_t rc = ZSTD_compressStream2(cctx_, &o, &in, mode);
    if (ZSTD_isError(rc))
      return Error(ErrorCode::kInternal, std::string("zstd: ") + ZSTD_getErrorName(rc));
    if (o.pos > 0) CUSTOS_TRY(in_place ? out_.CommitBuffer(o.pos) : out_.Write(dst.first(o.pos)));
    bool finished = mode == ZSTD_e_continue ? in.pos == in.size : rc == 0;
    if (finished) return Ok();
  }
}

Status ZstdCompressor::Write(std::span<const std::uint8_t> data) {
  return Drive(data, ZSTD_e_continue);
}

Status ZstdCompressor::Finish() { return Drive({}, ZSTD_e_end); }

Result<std::unique_ptr<ZstdDecompressor>> ZstdDecompressor::Create(ByteSource& in) {
  std::unique_ptr<ZstdDecompressor> d(new ZstdDecompressor(in));
  d->dctx_ = ZSTD_createDCtx();
  if (d->dctx_ == nullptr) return Error(ErrorCode::kInternal, "zstd: out of memory");
  ZSTD_DCtx_setParameter(d->dctx_, ZSTD_d_windowLogMax, kZstdWindowLogMax);
  d->inbuf_.resize(kInChunk);
  return d;
}

ZstdDecompressor::~ZstdDecompressor() { ZSTD_freeDCtx(dctx_); }

// Moves unread input to the front and reads more from upstream.
Status ZstdDecompressor::Refill() {
  if (in_pos_ > 0) {
    std::memmove(inbuf_.data(), inbuf_.data() + in_pos_, in_len_ - in_pos_);
    in_len_ -= in_pos_;
    in_pos_ = 0;
  }
  while (!in_eof_ && in_len_ < inbuf_.size()) {
    CUSTOS_ASSIGN_OR_RETURN(std::size_t n,
                            in_.Read({inbuf_.data() + in_len_, inbuf_.size() - in_len_}));
    if (n == 0) {
      in_eof_ = true;
      break;
    }
    in_len_ += n;
    if (in_len_ >= ZSTD_FRAMEHEADERSIZE_MAX) break;
  }
  return Ok();
}

// At each frame boundary: only a plain zstd frame, no dictionary, bounded window.
Status ZstdDecompressor::CheckFrameStart() {
  if (in_len_ - in_pos_ < ZSTD_FRAMEHEADERSIZE_MAX && !in_eof_) CUSTOS_TRY(Refill());
  const std::uint8_t* p = inbuf_.data() + in_pos_;
  std::size_t avail = in_len_ - in_pos_;
  ZSTD_frameHeader fh{};
  std::size_t rc = ZSTD_getFrameHeader(&fh, p, avail);
  if (ZSTD_isError(rc)) return ZstdError(rc, "bad frame header");
  if (rc > 0) return Error(ErrorCode::kCorrupt, "payload is truncated inside a zstd frame header");
  if (fh.frameType == ZSTD_skippableFrame)
    return Error(ErrorCode::kCorrupt, "payload contains a zstd skippable frame, which custos refuses");
  if (fh.dictID != 0)
    return Error(ErrorCode::kCorrupt, "payload contains a zstd frame that needs a dictionary");
  if (fh.windowSize > (1ull << kZstdWindowLogMax))
    return Error(ErrorCode::kLimitExceeded, "payload zstd window is larger than 16 MiB");
  at_frame_start_ = false;
  frames_seen_ = true;
  return Ok();
}

Result<std::size_t> ZstdDecompressor::Read(std::span<std::uint8_t> out) {
  if (done_ || out.empty()) return std::size_t{0};
  for (;;) {
    if (in_pos_ == in_len_ && !in_eof_) CUSTOS_TRY(Refill());
    if (at_frame_start_) {
      if (in_pos_ == in_len_ && in_eof_) {
        if (!frames_seen_) return Error(ErrorCode::kCorrupt, "payload holds no zstd frame");
        done_ = true;
        return std::size_t{0};
      }
      CUSTOS_TRY(CheckFrameStart());
    }
    ZSTD_inBuffer in{inbuf_.data(), in_len_, in_pos_};
    ZSTD_outBuffer o{out.data(), out.size(), 0};
    std::size_t rc = ZSTD_decompressStream(dctx_, &o, &in);
    if (ZSTD_isError(rc)) return ZstdError(rc, "decompression failed");
    in_pos_ = in.pos;
    if (rc == 0) at_frame_start_ = true;  // frame complete and flushed
    if (o.pos > 0) return o.pos;
    if (in_pos_ == in_len_ && in_eof_ && !at_frame_start_)
      return Error(ErrorCode::kCorrupt, "payload is truncated inside a zstd frame");
  }
}

}  // namespace custos::bundle
