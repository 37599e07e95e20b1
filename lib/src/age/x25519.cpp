// The X25519 recipient type: wrapping and unwrapping the file key.
#include "age/x25519.h"

#include <array>
#include <cstring>
#include <string>

namespace custos::age {
namespace {

constexpr std::string_view kX25519Type = "X25519";
constexpr std::string_view kScryptType = "scrypt";
constexpr std::string_view kX25519Info = "age-encryption.org/v1/X25519";
constexpr std::size_t kWrappedKeySize = kFileKeySize + kTagSize;
// The file key is wrapped under a fresh key every time, so a fixed nonce is
// safe: no wrap key ever encrypts twice.
constexpr std::array<std::uint8_t, crypto::kChaChaNonceSize> kZeroNonce{};

SecretBytes WrapKey(const SecretBytes& shared, std::span<const std::uint8_t> share,
                    std::span<const std::uint8_t> recipient) {
  std::array<std::uint8_t, 64> salt{};
  std::memcpy(salt.data(), share.data(), 32);
  std::memcpy(salt.data() + 32, recipient.data(), 32);
  return crypto::HkdfSha256(shared.Reveal(), salt, kX25519Info, crypto::kChaChaKeySize);
}

Error Malformed(std::size_t index, std::string_view why) {
  return Error(ErrorCode::kCorrupt, "malformed X25519 stanza " + std::to_string(index + 1) +
                                        " in the age header: " + std::string(why));
}

// The decoded share of a stanza CheckStanzas accepted.
X25519PublicKey ShareOf(const Stanza& s) {
  X25519PublicKey share{};
  auto decoded = crypto::Base64DecodeNoPad(s.args[1]);
  std::copy(decoded->begin(), decoded->end(), share.begin());
  return share;
}

}  // namespace

Result<Stanza> WrapX25519(const SecretBytes& file_key, const X25519PublicKey& recipient) {
  const SecretBytes ephemeral = crypto::RandomSecret(crypto::kX25519KeySize);
  const X25519PublicKey share = crypto::X25519Base(ephemeral);
  auto shared = crypto::X25519(ephemeral, recipient);
  if (!shared.ok())
    return Error(ErrorCode::kBadKeyFile, "recipient " + EncodeRecipient(recipient) +
                                             " is not a usable X25519 public key (small order)");
  const SecretBytes wrap_key = WrapKey(*shared, share, recipient);
  Stanza stanza;
  stanza.args = {std::string(kX25519Type), crypto::Base64EncodeNoPad(share)};
  stanza.body.resize(kWrappedKeySize);
  crypto::ChaChaSeal(wrap_key.Reveal(), kZeroNonce, file_key.Reveal(), stanza.body.data());
  return stanza;
}

Status CheckStanzas(const Header& header) {
  for (std::size_t i = 0; i < header.stanzas.size(); ++i) {
    const Stanza& s = header.stanzas[i];
    if (s.args[0] == kScryptType && header.stanzas.size() > 1)
      return Error(ErrorCode::kCorrupt,
                   "malformed age header: an scrypt (passphrase) stanza must be the only stanza");
    if (s.args[0] != kX25519Type) continue;
    if (s.args.size() != 2) return Malformed(i, "it must have exactly one argument, the share");
    auto share = crypto::Base64DecodeNoPad(s.args[1]);
    if (!share.ok() || share->size() != crypto::kX25519KeySize)
      return Malformed(i, "the share is not the canonical base64 of 32 bytes");
    // Checked before any decryption, against partitioning-oracle attacks.
    if (s.body.size() != kWrappedKeySize) return Malformed(i, "the body is not 32 bytes");
  }
  return Ok();
}

Result<SecretBytes> UnwrapX25519(const Header& header, const SecretBytes& identity) {
  CUSTOS_TRY(CheckStanzas(header));
  if (identity.size() != crypto::kX25519KeySize)
    return Error(ErrorCode::kInternal, "an X25519 identity must be 32 bytes");
  const X25519PublicKey ours = crypto::X25519Base(identity);
  for (std::size_t i = 0; i < header.stanzas.size(); ++i) {
    const Stanza& s = header.stanzas[i];
    if (s.args[0] != kX25519Type) continue;
    const X25519PublicKey share = ShareOf(s);
    auto shared = crypto::X25519(identity, share);
    if (!shared.ok()) return Malformed(i, "the share is a small-order point (all-zero shared secret)");
    const SecretBytes wrap_key = WrapKey(*shared, share, ours);
    SecretBytes file_key(kFileKeySize);
    if (crypto::ChaChaOpen(wrap_key.Reveal(), kZeroNonce, s.body, file_key.Reveal().data()))
      return file_key;
  }
  return Error(ErrorCode::kNoMatchingKey, "none of the bundle's recipients matches this key");
}

}  // namespace custos::age
