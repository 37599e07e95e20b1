// lib/src/keys/keyfile.cpp — see keyfile.h.
#include "keys/keyfile.h"

#include <algorithm>

#include "keys/identity_internal.h"

namespace custos::keys {
namespace {

std::uint64_t ReadBE(std::span<const std::uint8_t> b) {
  std::uint64_t v = 0;
  for (std::uint8_t c : b) v = (v << 8) | c;
  return v;
}

void PutBE(std::string& out, std::uint64_t v, int bytes) {
  for (int i = bytes - 1; i >= 0; --i) out += static_cast<char>((v >> (8 * i)) & 0xff);
}

bool AllZero(std::span<const std::uint8_t> b) {
  return std::all_of(b.begin(), b.end(), [](std::uint8_t c) { return c == 0; });
}

Error Bad(const std::string& why) { return Error(ErrorCode::kBadKeyFile, why); }

}  // namespace

Result<KeyFileFields> DecodeKeyFile(std::span<const std::uint8_t> blob, const KdfBounds& bounds) {
  if (blob.size() < kKeyHeaderSize + 4) return Bad("truncated: too short to be a custos key");
  if (!std::equal(kKeyMagic.begin(), kKeyMagic.end(), blob.begin()))
    return Bad("not a custos secret key (wrong magic)");
  if (blob[8] != kKeyVersion)
    return Bad("key file version " + std::to_string(blob[8]) + " is not supported");
  KeyFileFields f;
  f.kdf = blob[9];
  f.ops = ReadBE(blob.subspan(10, 4));
  f.mem = ReadBE(blob.subspan(14, 8));
  std::copy_n(blob.begin() + 22, 16, f.salt.begin());
  std::copy_n(blob.begin() + 38, 24, f.nonce.begin());
  if (f.kdf == kKdfArgon2id) {
    // Bounded before anything runs: a hostile file must not buy hours of Argon2.
    if (f.ops < crypto::kArgonOpsMin || f.ops > bounds.max_ops || f.mem < crypto::kArgonMemMin ||
        f.mem > bounds.max_mem)
      return Bad("Argon2id parameters out of bounds (ops " + std::to_string(f.ops) + ", memory " +
                 std::to_string(f.mem) + " bytes; at most " + std::to_string(bounds.max_ops) +
                 " and " + std::to_string(bounds.max_mem) + ")");
  } else if (f.kdf == kKdfNone) {
    if (!AllZero(blob.subspan(10, kKeyHeaderSize - 10)))
      return Bad("unprotected key with non-zero KDF fields");
  } else {
    return Bad("unknown key protection " + std::to_string(f.kdf));
  }
  const std::uint64_t n = ReadBE(blob.subspan(kKeyHeaderSize, 4));
  if (n > kMaxSignedIdentity) return Bad("embedded identity is larger than the limit");
  const std::size_t secret_size =
      kSecretPlaintextSize + (f.kdf == kKdfArgon2id ? crypto::kAeadTagSize : 0);
  const std::size_t head = kKeyHeaderSize + 4 + static_cast<std::size_t>(n);
  if (blob.size() < head + secret_size) return Bad("truncated");
  if (blob.size() > head + secret_size) return Bad("unexpected bytes after the secret keys");
  f.signed_identity = blob.subspan(kKeyHeaderSize + 4, static_cast<std::size_t>(n));
  f.associated_data = blob.first(head);
  f.secret_part = blob.subspan(head);
  return f;
}

std::string EncodeKeyFileHead(const KeyFileFields& f) {
  std::string out(kKeyMagic);
  out += static_cast<char>(kKeyVersion);
  out += static_cast<char>(f.kdf);
  PutBE(out, f.ops, 4);
  PutBE(out, f.mem, 8);
  out.append(crypto::AsChars(f.salt));
  out.append(crypto::AsChars(f.nonce));
  PutBE(out, f.signed_identity.size(), 4);
  out.append(crypto::AsChars(f.signed_identity));
  return out;
}

}  // namespace custos::keys
