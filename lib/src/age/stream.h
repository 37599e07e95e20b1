// lib/src/age/stream.h — the age STREAM payload (C2SP age.md "Payload";
// FORMAT.md "age envelope"). Internal to lib/src/age.
//
//   chunk i = ChaCha20-Poly1305(payload key, nonce_i, plaintext_i)   64 KiB + 16
//   nonce_i = [ 11-byte big-endian i ][ 0x01 if last chunk else 0x00 ]
//
// Every chunk but the last holds exactly 64 KiB of plaintext; the last holds
// 1..64 KiB, or 0 only when the whole payload is empty. Both directions keep
// two fixed buffers for their whole life: memory is bounded and no chunk
// allocates.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <span>
#include <vector>

#include "age/age.h"
#include "common/stream.h"
#include "crypto/crypto.h"

namespace custos::age {

constexpr std::size_t kEncryptedChunkSize = kChunkSize + kTagSize;

// Which ChaCha20-Poly1305 implementation seals the chunks. OpenSSL is the
// production path (measured faster); libsodium exists so tests can check the
// two produce identical bytes.
enum class StreamBackend { kOpenSsl, kSodium };

// The 12-byte nonce of chunk `counter`.
std::array<std::uint8_t, crypto::kChaChaNonceSize> ChunkNonce(std::uint64_t counter, bool last);

class StreamWriter {
 public:
  // `payload_key` is 32 bytes; `out` must outlive the writer.
  StreamWriter(const SecretBytes& payload_key, ByteSink& out,
               StreamBackend backend = StreamBackend::kOpenSsl);
  ~StreamWriter();
  // Encrypts whole chunks as soon as it knows another byte follows them.
  Status Write(std::span<const std::uint8_t> data);
  // Emits the final chunk; call once. Write or Finish after it is kInternal.
  Status Finish();

 private:
  Status Emit(std::span<const std::uint8_t> plaintext, bool last);
  ByteSink& out_;
  StreamBackend backend_;
  SecretBytes key_;
  std::unique_ptr<crypto::ChaChaPolyEvp> evp_;
  std::vector<std::uint8_t> plain_;   // kChunkSize
  std::vector<std::uint8_t> sealed_;  // kEncryptedChunkSize
  std::size_t plain_len_ = 0;
  std::uint64_t counter_ = 0;
  bool finished_ = false;
};

class StreamReader {
 public:
  // `payload_key` is 32 bytes; `in` (positioned at the first chunk) must
  // outlive the reader.
  StreamReader(const SecretBytes& payload_key, ByteSource& in);
  ~StreamReader();
  // Plaintext of verified chunks only; 0 once the final chunk verified and
  // `in` ended. Any failure is kCorrupt (or `in`'s own error) and sticky.
  Result<std::size_t> Read(std::span<std::uint8_t> out);

 private:
  Status NextChunk();
  Result<bool> Fill();  // true if `in` ended before the buffer filled
  Status ExpectEnd();
  ByteSource& in_;
  crypto::ChaChaPolyEvp evp_;
  std::vector<std::uint8_t> cipher_;  // kEncryptedChunkSize
  std::vector<std::uint8_t> plain_;   // kChunkSize
  std::size_t cipher_len_ = 0, plain_pos_ = 0, plain_len_ = 0;
  std::uint64_t counter_ = 0;
  bool done_ = false;       // the final chunk verified
  bool check_end_ = false;  // ...but `in` was not yet seen to end
  std::optional<Error> failed_;
};

}  // namespace custos::age
