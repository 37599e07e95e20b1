// lib/src/age — the age v1 file format (C2SP age.md): X25519 recipient
// stanzas, header MAC, STREAM payload. docs/FORMAT.md §3.
//
//   age-encryption.org/v1\n
//   -> X25519 <b64 ephemeral share>\n<b64 wrapped file key>\n   (one per recipient)
//   --- <b64 HMAC-SHA-256 header MAC>\n
//   16-byte payload nonce
//   STREAM: ChaCha20-Poly1305 chunks of 64 KiB plaintext (+16 tag); nonce =
//           11-byte big-endian counter || last-chunk flag (0x01 on the last)
//
// Error classes (docs/FORMAT.md "age envelope", "Errors"): unknown stanza types are ignored; a malformed
// X25519 stanza, an scrypt stanza beside others, an all-zero shared secret, a
// bad header MAC and any STREAM failure are kCorrupt (exit 1); only "no
// X25519 stanza unwraps with this key" is kNoMatchingKey (exit 3).
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <vector>

#include "common/stream.h"
#include "custos/error.h"
#include "custos/secret_bytes.h"

namespace custos::age {

constexpr std::size_t kFileKeySize = 16;
constexpr std::size_t kChunkSize = 64 * 1024;
constexpr std::size_t kTagSize = 16;
constexpr std::size_t kPayloadNonceSize = 16;
// Limits on what a reader accepts (FORMAT.md §3.4).
constexpr std::size_t kMaxHeaderBytes = 256 * 1024;
constexpr std::size_t kMaxStanzas = 1024;

using X25519PublicKey = std::array<std::uint8_t, 32>;

// Encrypts a payload to one or more X25519 recipients, writing the age file to
// `out`. Duplicate recipients are refused (kUsage).
class Encryptor final : public ByteSink {
 public:
  static Result<std::unique_ptr<Encryptor>> Create(std::span<const X25519PublicKey> recipients,
                                                   ByteSink& out);
  ~Encryptor() override;
  // Buffers plaintext and emits full chunks.
  Status Write(std::span<const std::uint8_t> data) override;
  // Emits the final chunk. Must be called exactly once; nothing after.
  Status Finish();

 private:
  Encryptor();
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

// Decrypts an age file from `in`. The header is read and authenticated in
// Open(); Read() releases a chunk's plaintext only after its tag verified,
// returns 0 only after the final chunk verified and `in` is exhausted, and
// fails with kCorrupt on truncation, trailing data or a bad tag.
class Decryptor final : public ByteSource {
 public:
  static Result<std::unique_ptr<Decryptor>> Open(ByteSource& in, const SecretBytes& x25519_secret);
  ~Decryptor() override;
  Result<std::size_t> Read(std::span<std::uint8_t> out) override;
  // Bytes of the header (up to and including the MAC line) and the nonce.
  std::uint64_t header_size() const;

 private:
  Decryptor();
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

// What the outside of an age file shows, without a key.
struct HeaderSummary {
  std::uint64_t header_bytes = 0;           // header incl. MAC line, excl. nonce
  std::vector<std::string> stanza_types;    // e.g. {"X25519", "X25519"}
};
Result<HeaderSummary> InspectHeader(ByteSource& in);

// ---- Keys in age's text form (bech32, BIP 173) -------------------------------
// "age1..." for an X25519 public key.
std::string EncodeRecipient(const X25519PublicKey& public_key);
Result<X25519PublicKey> ParseRecipient(std::string_view text);
// "AGE-SECRET-KEY-1..." (upper case) for an X25519 secret scalar, in secret memory.
SecretBytes EncodeIdentity(const SecretBytes& x25519_secret);
// Parses "AGE-SECRET-KEY-1..." into the 32-byte secret scalar.
Result<SecretBytes> ParseIdentity(std::string_view text);

}  // namespace custos::age
