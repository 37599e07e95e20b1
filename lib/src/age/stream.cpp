// The age STREAM payload: 64 KiB ChaCha20-Poly1305 chunks with a last-chunk flag.
#include "age/stream.h"

#include <algorithm>
#include <cstring>
#include <limits>
#include <string>

namespace custos::age {

std::array<std::uint8_t, crypto::kChaChaNonceSize> ChunkNonce(std::uint64_t counter, bool last) {
  // 11-byte big-endian counter: the top three bytes stay zero, as a 64-bit
  // counter of 64 KiB chunks cannot overflow them.
  std::array<std::uint8_t, crypto::kChaChaNonceSize> nonce{};
  for (int i = 0; i < 8; ++i) nonce[10 - i] = static_cast<std::uint8_t>(counter >> (8 * i));
  nonce[11] = last ? 1 : 0;
  return nonce;
}

// ---- Writer -------------------------------------------------------------------

StreamWriter::StreamWriter(const SecretBytes& payload_key, ByteSink& out, StreamBackend backend)
    : out_(out),
      backend_(backend),
      key_(payload_key.Clone()),
      evp_(std::make_unique<crypto::ChaChaPolyEvp>(payload_key.Reveal())),
      plain_(kChunkSize),
      sealed_(kEncryptedChunkSize) {}

StreamWriter::~StreamWriter() = default;

Status StreamWriter::Emit(std::span<const std::uint8_t> plaintext, bool last) {
  if (counter_ == std::numeric_limits<std::uint64_t>::max())
    return Error(ErrorCode::kLimitExceeded, "the payload is too large for the age STREAM counter");
  const auto nonce = ChunkNonce(counter_, last);
  const std::size_t n = plaintext.size() + kTagSize;
  // Sealed straight into the next stage's buffer when it has room (no copy).
  std::span<std::uint8_t> dst = out_.NextBuffer();
  const bool in_place = dst.size() >= n;
  std::uint8_t* to = in_place ? dst.data() : sealed_.data();
  if (backend_ == StreamBackend::kOpenSsl)
    evp_->Seal(nonce, plaintext, to);
  else
    crypto::ChaChaSeal(key_.Reveal(), nonce, plaintext, to);
  ++counter_;
  if (in_place) return out_.CommitBuffer(n);
  return out_.Write(std::span<const std::uint8_t>(sealed_).first(n));
}

Status StreamWriter::Write(std::span<const std::uint8_t> data) {
  if (finished_) return Error(ErrorCode::kInternal, "age STREAM: write after the final chunk");
  while (!data.empty()) {
    // A full buffer is emitted only now that a byte is known to follow it, so
    // the final chunk is never empty unless the whole payload is.
    if (plain_len_ == kChunkSize) {
      Status s = Emit(plain_, false);
      if (!s.ok()) { finished_ = true; return s; }
      plain_len_ = 0;
    }
    if (plain_len_ == 0 && data.size() > kChunkSize) {
      // Straight from the caller's buffer: no copy for bulk writes.
      Status s = Emit(data.first(kChunkSize), false);
      if (!s.ok()) { finished_ = true; return s; }
      data = data.subspan(kChunkSize);
      continue;
    }
    const std::size_t n = std::min(kChunkSize - plain_len_, data.size());
    std::memcpy(plain_.data() + plain_len_, data.data(), n);
    plain_len_ += n;
    data = data.subspan(n);
  }
  return Ok();
}

Status StreamWriter::Finish() {
  if (finished_) return Error(ErrorCode::kInternal, "age STREAM: finished twice");
  finished_ = true;
  return Emit(std::span<const std::uint8_t>(plain_).first(plain_len_), true);
}

// ---- Reader -------------------------------------------------------------------

namespace {
// Built only on failure: the per-chunk path allocates nothing.
Error ChunkError(std::uint64_t counter, std::string_view why) {
  return Error(ErrorCode::kCorrupt,
               "age payload chunk " + std::to_string(counter + 1) + " " + std::string(why));
}
}  // namespace

StreamReader::StreamReader(const SecretBytes& payload_key, ByteSource& in)
    : in_(in), evp_(payload_key.Reveal()), cipher_(kEncryptedChunkSize), plain_(kChunkSize) {}

StreamReader::~StreamReader() = default;

Result<bool> StreamReader::Fill() {
  while (cipher_len_ < cipher_.size()) {
    CUSTOS_ASSIGN_OR_RETURN(const std::size_t n,
                            in_.Read(std::span<std::uint8_t>(cipher_).subspan(cipher_len_)));
    if (n == 0) return true;
    cipher_len_ += n;
  }
  return false;
}

// After the final chunk `in` must end: anything more is appended data.
Status StreamReader::ExpectEnd() {
  std::uint8_t probe = 0;
  CUSTOS_ASSIGN_OR_RETURN(const std::size_t n, in_.Read(std::span<std::uint8_t>(&probe, 1)));
  if (n != 0)
    return Error(ErrorCode::kCorrupt, "the age payload has data after its final chunk");
  return Ok();
}

// Like age: a short chunk can only be the last; a full chunk is tried as a
// middle chunk, then as a full-size last one. Either way nothing is released
// before its tag verified.
Status StreamReader::NextChunk() {
  cipher_len_ = 0;
  CUSTOS_ASSIGN_OR_RETURN(const bool eof, Fill());
  if (cipher_len_ == 0)
    return Error(ErrorCode::kCorrupt, counter_ == 0
                                          ? "the age payload is missing (the file ends after the header)"
                                          : "the age payload is truncated: the final chunk is missing");
  if (cipher_len_ < kTagSize) return ChunkError(counter_, "is truncated");
  const std::span<const std::uint8_t> chunk(cipher_.data(), cipher_len_);
  bool last = eof;
  bool ok = evp_.Open(ChunkNonce(counter_, last), chunk, plain_.data());
  if (!ok && !last) {
    last = true;
    ok = evp_.Open(ChunkNonce(counter_, last), chunk, plain_.data());
  }
  if (!ok)
    return ChunkError(counter_, "failed authentication: the file is damaged, truncated or has "
                                "data appended");
  if (last && cipher_len_ == kTagSize && counter_ > 0)
    return ChunkError(counter_, "is an empty final chunk after a full one");
  plain_pos_ = 0;
  plain_len_ = cipher_len_ - kTagSize;
  ++counter_;
  done_ = last;
  // A full-size final chunk left `in` unread: its end is checked before Read
  // reports the end (the CCTV vectors expect the chunk itself released first).
  check_end_ = last && !eof;
  return Ok();
}

Result<std::size_t> StreamReader::Read(std::span<std::uint8_t> out) {
  if (failed_) return *failed_;
  if (out.empty()) return std::size_t{0};
  while (plain_pos_ == plain_len_) {
    if (done_ && !check_end_) return std::size_t{0};
    Status s = Ok();
    if (done_) {
      check_end_ = false;
      s = ExpectEnd();
    } else {
      s = NextChunk();
    }
    if (!s.ok()) {
      failed_ = s.error();
      return std::move(s).error();
    }
  }
  const std::size_t n = std::min(out.size(), plain_len_ - plain_pos_);
  std::memcpy(out.data(), plain_.data() + plain_pos_, n);
  plain_pos_ += n;
  return n;
}

}  // namespace custos::age
