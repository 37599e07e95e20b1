#include "bundle/zstd_stream.h"

#include <algorithm>
#include <array>
#include <condition_variable>
#include <cstring>
#include <deque>
#include <mutex>
#include <new>
#include <string>
#include <system_error>
#include <thread>

#include "bundle/limits.h"
#include "common/thread_error.h"

namespace custos::bundle {

namespace {
constexpr std::size_t kOutChunk = 256 * 1024;
constexpr std::size_t kInChunk = 256 * 1024;

Error ZstdError(std::size_t code, const char* what) {
  return Error(ErrorCode::kCorrupt,
               std::string("payload is not valid zstd: ") + what + ": " + ZSTD_getErrorName(code));
}

// threads <= 1: one frame through zstd's streaming API.
class StreamingCompressor final : public ZstdCompressor {
 public:
  explicit StreamingCompressor(ByteSink& out) : out_(out) { buf_.resize(kOutChunk); }
  ~StreamingCompressor() override { ZSTD_freeCCtx(cctx_); }
  Status Init(int level) {
    cctx_ = ZSTD_createCCtx();
    if (cctx_ == nullptr) return Error(ErrorCode::kInternal, "zstd: out of memory");
    ZSTD_CCtx_setParameter(cctx_, ZSTD_c_compressionLevel, level);
    ZSTD_CCtx_setParameter(cctx_, ZSTD_c_checksumFlag, 0);  // the seal hashes everything
    return Ok();
  }
  Status Write(std::span<const std::uint8_t> data) override { return Drive(data, ZSTD_e_continue); }
  Status Finish() override { return Drive({}, ZSTD_e_end); }

 private:
  Status Drive(std::span<const std::uint8_t> data, ZSTD_EndDirective mode) {
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
  ByteSink& out_;
  ZSTD_CCtx* cctx_ = nullptr;
  std::vector<std::uint8_t> buf_;
};

// A job whose sample does not compress, and in which nothing visibly repeats,
// is written as a stored frame (RFC 8878 §3.1.1.2): the frame header with
// Single_Segment and a 4-byte content size, then raw blocks of at most
// 128 KiB. zstd would also store such data in raw blocks, after searching all
// of it for matches in vain.
constexpr std::size_t kSamplePieces = 16;
constexpr std::size_t kSamplePiece = 4096;
constexpr std::size_t kSampleBytes = kSamplePieces * kSamplePiece;
constexpr std::size_t kRawBlock = 128 * 1024;  // Block_Maximum_Size
constexpr std::size_t kStoredHeader = 9;       // magic, descriptor, content size
constexpr std::size_t kTarBlock = 512;
constexpr std::size_t kRepeatSlots = 2 * ZstdCompressor::kFrameJobBytes / kTarBlock;
static_assert((kRepeatSlots & (kRepeatSlots - 1)) == 0, "the table is indexed with a mask");

// Whether the 16 bytes at some 512-byte-aligned offset of `in` are those of
// another such offset. Tar puts every member at a multiple of 512 bytes, and
// jobs start at multiples of 2 MiB, so copies of one file in a job (a photo
// forwarded twice), or sectors a disk image repeats, meet here however far
// apart they are, where a sample of a few pieces would miss them.
bool HasAlignedRepeat(std::span<const std::uint8_t> in, std::vector<std::uint64_t>& slots) {
  std::fill(slots.begin(), slots.end(), 0);
  for (std::size_t off = 0; off + 16 <= in.size(); off += kTarBlock) {
    std::uint64_t a, b;
    std::memcpy(&a, in.data() + off, 8);
    std::memcpy(&b, in.data() + off + 8, 8);
    const std::uint64_t key = (a * 0x9E3779B97F4A7C15ull ^ b) | 1;  // never 0: an empty slot
    for (std::size_t i = (key >> 17) & (kRepeatSlots - 1);; i = (i + 1) & (kRepeatSlots - 1)) {
      if (slots[i] == 0) {
        slots[i] = key;
        break;
      }
      if (slots[i] == key) return true;  // a 64-bit fold of 16 bytes: random data never meets it
    }
  }
  return false;
}

// Whether `in` looks incompressible: 16 pieces of 4 KiB, one every 1/16 of
// it, compressed together at the job's level, save less than 1/64 (any
// compressible stretch of 132 KiB or more holds a whole piece), and no
// 512-byte-aligned 16 bytes repeat (copies of one file in the job).
bool LooksIncompressible(ZSTD_CCtx* cctx, std::span<const std::uint8_t> in, std::uint8_t* sample,
                         std::vector<std::uint64_t>& slots, std::uint8_t* scratch, std::size_t scratch_cap) {
  if (in.size() < ZstdCompressor::kStoreFrom) return false;
  const std::size_t stride = in.size() / kSamplePieces;
  for (std::size_t k = 0; k < kSamplePieces; ++k)
    std::memcpy(sample + k * kSamplePiece, in.data() + k * stride, kSamplePiece);
  const std::size_t rc = ZSTD_compress2(cctx, scratch, scratch_cap, sample, kSampleBytes);
  if (ZSTD_isError(rc)) return false;  // the whole job will say what is wrong
  if (rc <= kSampleBytes - kSampleBytes / 64) return false;
  return !HasAlignedRepeat(in, slots);
}

// The stored frame's header: magic, Frame_Header_Descriptor (FCS_Field_Size
// 4 bytes, Single_Segment, no checksum, no dictionary), Frame_Content_Size.
std::array<std::uint8_t, kStoredHeader> StoredFrameHeader(std::size_t size) {
  const auto n = static_cast<std::uint32_t>(size);
  return {0x28, 0xB5, 0x2F, 0xFD, 0xA0, static_cast<std::uint8_t>(n), static_cast<std::uint8_t>(n >> 8),
          static_cast<std::uint8_t>(n >> 16), static_cast<std::uint8_t>(n >> 24)};
}

// Raw block header: Last_Block (bit 0), Block_Type 0 (bits 1-2), Block_Size.
std::array<std::uint8_t, 3> RawBlockHeader(std::size_t size, bool last) {
  const auto h = static_cast<std::uint32_t>((size << 3) | (last ? 1u : 0u));
  return {static_cast<std::uint8_t>(h), static_cast<std::uint8_t>(h >> 8), static_cast<std::uint8_t>(h >> 16)};
}

}  // namespace

Status WriteStoredFrame(ByteSink& out, std::span<const std::uint8_t> data) {
  if (data.empty() || data.size() > 0xFFFFFFFFu)
    return Error(ErrorCode::kInternal, "a stored zstd frame holds 1 byte to 4 GiB");
  CUSTOS_TRY(out.Write(StoredFrameHeader(data.size())));
  while (!data.empty()) {
    const std::size_t n = std::min(data.size(), kRawBlock);
    CUSTOS_TRY(out.Write(RawBlockHeader(n, n == data.size())));
    CUSTOS_TRY(out.Write(data.first(n)));
    data = data.subspan(n);
  }
  return Ok();
}

namespace {

// threads > 1: a frame per job, compressed by a pool, written in order.
//
// A job is filled by the caller (`cur_`), queued for a worker (`todo_`) and
// appended to `order_`; the writer thread waits for the job at the front of
// `order_` to be compressed, writes its frame to `out`, and returns it to
// `free_`. One mutex guards the queues; a job is touched without it only by
// the one thread that holds it (caller while filling, worker while
// compressing, writer while writing).
class FrameParallelCompressor final : public ZstdCompressor {
 public:
  FrameParallelCompressor(ByteSink& out, int level, int workers)
      : out_(out), level_(level), workers_(static_cast<std::size_t>(workers)) {}

  ~FrameParallelCompressor() override {
    Stop();
    for (ZSTD_CCtx* c : cctxs_) ZSTD_freeCCtx(c);
  }

  Status Init() {
    const std::size_t jobs = workers_ + 2;  // filling, writing
    const std::size_t bound = ZSTD_compressBound(kFrameJobBytes);
    try {
      jobs_.resize(jobs);
      for (Job& j : jobs_) {
        j.in.reserve(kFrameJobBytes);
        j.out.reset(new std::uint8_t[bound]);  // not zeroed: touched as frames fill it
        j.out_cap = bound;
      }
      samples_.resize(workers_);
      for (Sample& w : samples_) {
        w.bytes.reset(new std::uint8_t[kSampleBytes]);
        w.slots.resize(kRepeatSlots);
      }
    } catch (const std::bad_alloc&) {
      return OutOfMemoryError();
    }
    for (std::size_t i = 1; i < jobs; ++i) free_.push_back(&jobs_[i]);
    cur_ = &jobs_[0];
    for (std::size_t i = 0; i < workers_; ++i) {
      ZSTD_CCtx* c = ZSTD_createCCtx();
      if (c == nullptr) return Error(ErrorCode::kInternal, "zstd: out of memory");
      cctxs_.push_back(c);
      ZSTD_CCtx_setParameter(c, ZSTD_c_compressionLevel, level_);
      ZSTD_CCtx_setParameter(c, ZSTD_c_checksumFlag, 0);  // the seal hashes everything
    }
    try {
      for (std::size_t i = 0; i < workers_; ++i)
        threads_.emplace_back([this, i] { Work(cctxs_[i], samples_[i]); });
      threads_.emplace_back([this] { Emit(); });
    } catch (const std::system_error& e) {
      Stop();  // the destructor would too; the error is returned, not thrown
      return ThreadStartError(e);
    } catch (const std::bad_alloc&) {
      Stop();
      return OutOfMemoryError();
    }
    return Ok();
  }

  Status Write(std::span<const std::uint8_t> data) override {
    while (!data.empty()) {
      if (cur_ == nullptr) return FirstError();
      const std::size_t n = std::min(data.size(), kFrameJobBytes - cur_->in.size());
      cur_->in.insert(cur_->in.end(), data.begin(), data.begin() + static_cast<std::ptrdiff_t>(n));
      data = data.subspan(n);
      if (cur_->in.size() == kFrameJobBytes) CUSTOS_TRY(Submit());
    }
    return Ok();
  }

  std::uint64_t stored_frames() const override {
    std::lock_guard<std::mutex> l(mu_);
    return stored_frames_;
  }

  // Stops and joins every thread on every path: after Finish nothing writes
  // to `out` any more, whatever the outcome.
  Status Finish() override {
    // At least one frame, even for an empty stream (a payload with no frame
    // is refused by the reader).
    Status st = cur_ == nullptr                               ? FirstError()
                : (!cur_->in.empty() || !submitted_any_) ? Submit()
                                                          : Ok();
    if (st.ok()) {
      std::unique_lock<std::mutex> l(mu_);
      cv_.wait(l, [&] { return order_.empty() || failed_; });
    }
    Stop();
    if (!st.ok()) return st;
    return failed_ ? error_ : Ok();
  }

 private:
  // A worker's own: its sample (kSampleBytes) and repeat table (kRepeatSlots).
  struct Sample {
    std::unique_ptr<std::uint8_t[]> bytes;
    std::vector<std::uint64_t> slots;
  };
  struct Job {
    std::vector<std::uint8_t> in;     // up to kFrameJobBytes of input
    std::unique_ptr<std::uint8_t[]> out;  // ZSTD_compressBound(kFrameJobBytes)
    std::size_t out_cap = 0;
    std::size_t out_len = 0;
    bool stored = false;  // written as a stored frame of `in`; `out` unused
    bool done = false;  // compressed (or skipped after an error: `failed_` is set)
  };

  Status FirstError() {
    std::lock_guard<std::mutex> l(mu_);
    return failed_ ? error_ : Error(ErrorCode::kInternal, "zstd: compressor used after an error");
  }

  // Queues cur_ and takes a free job in its place. On an error cur_ is left
  // null: the queued job belongs to the threads now, and nothing more is
  // accepted.
  Status Submit() {
    std::unique_lock<std::mutex> l(mu_);
    if (failed_) {
      cur_ = nullptr;
      return error_;
    }
    cur_->done = false;
    todo_.push_back(cur_);
    order_.push_back(cur_);
    submitted_any_ = true;
    cur_ = nullptr;
    cv_.notify_all();
    cv_.wait(l, [&] { return !free_.empty() || failed_; });
    if (failed_) return error_;
    cur_ = free_.front();
    free_.pop_front();
    return Ok();
  }

  // Stops and joins the threads (idempotent).
  void Stop() {
    {
      std::lock_guard<std::mutex> l(mu_);
      stop_ = true;
    }
    cv_.notify_all();
    for (std::thread& t : threads_)
      if (t.joinable()) t.join();
  }

  void Fail(Status st) {  // with mu_ held
    if (!failed_) {
      error_ = std::move(st);
      failed_ = true;
    }
  }

  void Work(ZSTD_CCtx* cctx, Sample& sample) {
    for (;;) {
      Job* j;
      bool skip;
      {
        std::unique_lock<std::mutex> l(mu_);
        cv_.wait(l, [&] { return !todo_.empty() || stop_; });
        if (stop_) return;
        j = todo_.front();
        todo_.pop_front();
        skip = failed_;  // nothing will be written: do not compress it
      }
      const bool stored =
          !skip && LooksIncompressible(cctx, j->in, sample.bytes.get(), sample.slots, j->out.get(), j->out_cap);
      std::size_t rc = skip || stored ? 0 : ZSTD_compress2(cctx, j->out.get(), j->out_cap, j->in.data(), j->in.size());
      {
        std::lock_guard<std::mutex> l(mu_);
        if (!skip && ZSTD_isError(rc)) {
          Fail(Error(ErrorCode::kInternal, std::string("zstd: ") + ZSTD_getErrorName(rc)));
        } else if (!skip) {
          j->out_len = rc;
          j->stored = stored;
          if (stored) ++stored_frames_;
        }
        j->done = true;
      }
      cv_.notify_all();
    }
  }

  void Emit() {
    for (;;) {
      Job* j;
      {
        std::unique_lock<std::mutex> l(mu_);
        cv_.wait(l, [&] { return (!order_.empty() && order_.front()->done) || stop_ || failed_; });
        if (stop_ || failed_) return;
        j = order_.front();
      }
      Status st = j->stored ? WriteStoredFrame(out_, j->in) : out_.Write({j->out.get(), j->out_len});
      {
        std::lock_guard<std::mutex> l(mu_);
        if (!st.ok()) Fail(std::move(st));
        order_.pop_front();
        j->in.clear();
        free_.push_back(j);
      }
      cv_.notify_all();
    }
  }

  ByteSink& out_;
  const int level_;
  const std::size_t workers_;
  std::vector<Job> jobs_;  // allocated once; never resized after Init
  std::vector<ZSTD_CCtx*> cctxs_;
  std::vector<Sample> samples_;
  Job* cur_ = nullptr;
  bool submitted_any_ = false;
  mutable std::mutex mu_;
  std::condition_variable cv_;
  std::deque<Job*> todo_, order_, free_;
  bool stop_ = false;
  bool failed_ = false;
  std::uint64_t stored_frames_ = 0;
  Status error_;
  std::vector<std::thread> threads_;  // last: joined in the destructor before the rest goes
};

}  // namespace

int ZstdCompressor::FrameWorkers(int level, int threads) {
  // A worker costs its context (which grows with the level: 1.2 MiB at
  // level 3, 12.5 at 9, 33 at 19 for 2 MiB jobs) and a job; two more jobs
  // are being filled and written.
  const std::size_t cctx =
      ZSTD_estimateCCtxSize_usingCParams(ZSTD_getCParams(level, kFrameJobBytes, 0));
  const std::size_t job = kFrameJobBytes + ZSTD_compressBound(kFrameJobBytes);
  const std::size_t sample = kSampleBytes + kRepeatSlots * sizeof(std::uint64_t);
  int w = std::clamp(threads, 1, kMaxFrameWorkers);
  while (w > 1 && static_cast<std::size_t>(w) * (cctx + job + sample) + 2 * job > kFrameBudgetBytes) --w;
  return w;
}

Result<std::unique_ptr<ZstdCompressor>> ZstdCompressor::Create(ByteSink& out, int level,
                                                               int threads) {
  if (level < kMinLevel || level > kMaxLevel)
    return Error(ErrorCode::kUsage, "compression level " + std::to_string(level) +
                                        " is out of range (" + std::to_string(kMinLevel) + "-" +
                                        std::to_string(kMaxLevel) + ")");
  if (threads > 1) {
    auto c = std::make_unique<FrameParallelCompressor>(out, level, FrameWorkers(level, threads));
    CUSTOS_TRY(c->Init());
    return std::unique_ptr<ZstdCompressor>(std::move(c));
  }
  auto c = std::make_unique<StreamingCompressor>(out);
  CUSTOS_TRY(c->Init(level));
  return std::unique_ptr<ZstdCompressor>(std::move(c));
}

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
