// lib/src/crypto — the only code that calls libsodium's (and OpenSSL's) raw API.
//
// Primitives only; no formats. libsodium provides keys, signatures, key
// agreement, randomness, password hashing and XChaCha20-Poly1305. OpenSSL's
// libcrypto provides the bulk SHA-256 (SHA-NI) and ChaCha20-Poly1305 used on
// evidence-sized data; tests/unit/crypto_test.cpp checks both backends agree.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "custos/error.h"
#include "custos/secret_bytes.h"

namespace custos::crypto {

using Bytes = std::vector<std::uint8_t>;
using ByteView = std::span<const std::uint8_t>;
using Digest = std::array<std::uint8_t, 32>;

inline ByteView AsBytes(std::string_view s) {
  return {reinterpret_cast<const std::uint8_t*>(s.data()), s.size()};
}
inline std::string_view AsChars(ByteView b) {
  return {reinterpret_cast<const char*>(b.data()), b.size()};
}

constexpr std::size_t kEd25519PublicKeySize = 32;
constexpr std::size_t kEd25519SeedSize = 32;
constexpr std::size_t kEd25519SignatureSize = 64;
constexpr std::size_t kX25519KeySize = 32;
constexpr std::size_t kChaChaKeySize = 32;
constexpr std::size_t kChaChaNonceSize = 12;
constexpr std::size_t kXChaChaNonceSize = 24;
constexpr std::size_t kAeadTagSize = 16;

// Initialises libsodium; idempotent, thread-safe. Call before anything else.
Status Init();

void RandomBytes(std::span<std::uint8_t> out);

// ---- SHA-256 -------------------------------------------------------------
// Streaming SHA-256 on OpenSSL EVP (SHA-NI where the CPU has it).
class Sha256 {
 public:
  Sha256();
  ~Sha256();
  Sha256(Sha256&&) noexcept;
  Sha256& operator=(Sha256&&) noexcept;
  Sha256(const Sha256&) = delete;
  Sha256& operator=(const Sha256&) = delete;

  void Update(ByteView data);
  void Update(std::string_view data) { Update(AsBytes(data)); }
  // Finishes and resets, so the object can be reused.
  Digest Finish();

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

Digest Sha256Of(ByteView data);
// libsodium's portable SHA-256; for differential tests only.
Digest SodiumSha256Of(ByteView data);

// SHA-256(prefix || 0x00 || data): every custos hash goes through here.
Digest DomainHash(std::string_view prefix, ByteView data);
// A streaming domain-separated hash: starts with prefix || 0x00.
Sha256 DomainHasher(std::string_view prefix);

// ---- HMAC / HKDF (RFC 2104 / RFC 5869, SHA-256) --------------------------
Digest HmacSha256(ByteView key, ByteView message);
// HKDF-SHA-256 extract-then-expand; len <= 255*32.
SecretBytes HkdfSha256(ByteView ikm, ByteView salt, std::string_view info, std::size_t len);

// ---- Ed25519 --------------------------------------------------------------
struct SigningKey {
  SecretBytes secret;  // libsodium's 64-byte form: seed || public key
  std::array<std::uint8_t, kEd25519PublicKeySize> public_key{};
};
SigningKey Ed25519FromSeed(std::span<const std::uint8_t> seed32);
// A fresh random seed in secret memory.
SecretBytes RandomSecret(std::size_t size);

// Ed25519 over prefix || 0x00 || body.
std::array<std::uint8_t, kEd25519SignatureSize> Sign(const SigningKey& key, std::string_view prefix,
                                                     ByteView body);
// True only if `signature` is a valid Ed25519 signature by `public_key` over
// prefix || 0x00 || body. Rejects non-canonical and small-order keys.
bool Verify(ByteView public_key, std::string_view prefix, ByteView body, ByteView signature);
// Canonical encoding of a point of the main subgroup (not small order).
bool Ed25519PublicKeyValid(ByteView public_key);
// Verify() for a key that already passed Ed25519PublicKeyValid (e.g. held by
// a loaded PublicIdentity): skips the main-subgroup check, which costs about
// as much as the verification itself; libsodium still refuses small-order and
// non-canonical keys. For loops over many signatures by one key (custody logs).
bool VerifyWithValidatedKey(ByteView public_key, std::string_view prefix, ByteView body,
                            ByteView signature);

// ---- X25519 ---------------------------------------------------------------
std::array<std::uint8_t, kX25519KeySize> X25519Base(const SecretBytes& secret);
// The shared secret, or kCorrupt if it is all zero (a small-order peer key).
Result<SecretBytes> X25519(const SecretBytes& secret, ByteView peer_public);
// A public key that does not yield an all-zero shared secret.
bool X25519PublicKeyValid(ByteView public_key);

// ---- AEAD -----------------------------------------------------------------
// ChaCha20-Poly1305-IETF (RFC 8439). out must hold plaintext.size()+16.
void ChaChaSeal(ByteView key, ByteView nonce12, ByteView plaintext, std::uint8_t* out);
// Returns false if the tag does not verify; out (ciphertext.size()-16 bytes)
// is then zeroed.
[[nodiscard]] bool ChaChaOpen(ByteView key, ByteView nonce12, ByteView ciphertext,
                              std::uint8_t* out);

// The same on OpenSSL EVP, holding one context for many chunks (STREAM).
class ChaChaPolyEvp {
 public:
  explicit ChaChaPolyEvp(ByteView key32);
  ~ChaChaPolyEvp();
  ChaChaPolyEvp(const ChaChaPolyEvp&) = delete;
  ChaChaPolyEvp& operator=(const ChaChaPolyEvp&) = delete;
  void Seal(ByteView nonce12, ByteView plaintext, std::uint8_t* out);
  [[nodiscard]] bool Open(ByteView nonce12, ByteView ciphertext, std::uint8_t* out);

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

// XChaCha20-Poly1305-IETF with associated data (key files).
Bytes XChaChaSeal(ByteView key, ByteView nonce24, ByteView plaintext, ByteView ad);
// Decrypts straight into secret memory; kWrongPassphrase if the tag fails.
Result<SecretBytes> XChaChaOpen(ByteView key, ByteView nonce24, ByteView ciphertext, ByteView ad);

// ---- Argon2id ---------------------------------------------------------------
constexpr std::uint64_t kArgonOpsModerate = 3;
constexpr std::uint64_t kArgonMemModerate = 256ull << 20;
constexpr std::uint64_t kArgonOpsMax = 16;
constexpr std::uint64_t kArgonMemMax = 1ull << 30;
constexpr std::size_t kArgonSaltSize = 16;
// libsodium's minimum Argon2id limits (crypto_pwhash_OPSLIMIT_MIN / MEMLIMIT_MIN).
constexpr std::uint64_t kArgonOpsMin = 1;
constexpr std::uint64_t kArgonMemMin = 8192;
Result<SecretBytes> Argon2id(const SecretBytes& passphrase, ByteView salt16, std::uint64_t ops,
                             std::uint64_t mem, std::size_t out_len);

// ---- Encodings and comparison -----------------------------------------------
bool ConstantTimeEqual(ByteView a, ByteView b);
std::string Hex(ByteView data);
Result<Bytes> FromHex(std::string_view hex);
// Standard base64 with padding (RFC 4648 §4).
std::string Base64Encode(ByteView data);
Result<Bytes> Base64Decode(std::string_view text);
// Unpadded standard base64 (age headers); rejects padding and non-canonical tails.
std::string Base64EncodeNoPad(ByteView data);
Result<Bytes> Base64DecodeNoPad(std::string_view text);
// Padded standard base64 of / into secret memory (key files, whose unprotected
// form holds secret keys): no std::string or vector ever holds the bytes.
SecretBytes Base64EncodeSecret(ByteView data);
Result<SecretBytes> Base64DecodeSecret(std::string_view text);

}  // namespace custos::crypto
