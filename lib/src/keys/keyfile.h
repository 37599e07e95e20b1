// lib/src/keys/keyfile.h — the binary layout inside a .key file's armor.
// docs/FORMAT.md "Secret key file".
//
//   offset  size  field
//   0       8     magic "CUSTOSK1"
//   8       1     version = 1
//   9       1     kdf: 1 = Argon2id + XChaCha20-Poly1305, 0 = none (unprotected)
//   10      4     Argon2id opslimit, big-endian          (0 when kdf = 0)
//   14      8     Argon2id memlimit in bytes, big-endian (0 when kdf = 0)
//   22      16    Argon2id salt                          (0 when kdf = 0)
//   38      24    XChaCha20-Poly1305 nonce               (0 when kdf = 0)
//   62      4     N = length of the SignedIdentity, big-endian (<= 16 KiB)
//   66      N     SignedIdentity bytes (the public identity)
//   66+N    80|64 kdf = 1: XChaCha20-Poly1305(key = Argon2id(passphrase, salt,
//                 ops, mem, 32), nonce, plaintext, AD = bytes 0 .. 66+N)
//                 kdf = 0: the plaintext itself
//   plaintext = Ed25519 seed (32) || X25519 secret scalar (32)
//
// Nothing follows the ciphertext. Every field is checked before a passphrase
// is asked for or Argon2id runs.
#pragma once

#include <array>
#include <cstdint>
#include <span>
#include <string>

#include "crypto/crypto.h"
#include "custos/error.h"
#include "custos/keys.h"
#include "custos/secret_bytes.h"

namespace custos::keys {

inline constexpr std::string_view kKeyMagic = "CUSTOSK1";
inline constexpr std::uint8_t kKeyVersion = 1;
inline constexpr std::uint8_t kKdfNone = 0;
inline constexpr std::uint8_t kKdfArgon2id = 1;
inline constexpr std::size_t kKeyHeaderSize = 62;
inline constexpr std::size_t kSecretPlaintextSize = 64;

// The Argon2id limits a reader accepts. Load() uses ops <= 16 and
// memory <= 1 GiB; the fuzz target passes the minimum so no input can make it
// run a long derivation.
struct KdfBounds {
  std::uint64_t max_ops = crypto::kArgonOpsMax;
  std::uint64_t max_mem = crypto::kArgonMemMax;
};

struct KeyFileFields {
  std::uint8_t kdf = kKdfNone;
  std::uint64_t ops = 0;
  std::uint64_t mem = 0;
  std::array<std::uint8_t, 16> salt{};
  std::array<std::uint8_t, 24> nonce{};
  std::span<const std::uint8_t> signed_identity;  // view into the decoded bytes
  std::span<const std::uint8_t> secret_part;      // ciphertext or plaintext
  std::span<const std::uint8_t> associated_data;  // bytes 0 .. 66+N
};

// Splits and checks the decoded bytes (kBadKeyFile with the reason; the caller
// prepends the file name). The spans point into `blob`.
Result<KeyFileFields> DecodeKeyFile(std::span<const std::uint8_t> blob, const KdfBounds& bounds);

// The header and identity part (bytes 0 .. 66+N), which is also the AD.
std::string EncodeKeyFileHead(const KeyFileFields& fields);

// Parses the text of a .key file; internal form of SecretIdentity::Load with
// explicit KDF bounds (see KdfBounds).
Result<SecretIdentity> ParseSecretKeyText(const SecretBytes& text, const std::string& what,
                                          const PassphraseProvider& passphrase,
                                          const KdfBounds& bounds);

}  // namespace custos::keys
