// BIP 173 bech32, and age's text forms of X25519 keys built on it.
#include "age/bech32.h"

#include <array>
#include <string>

#include "age/age.h"
#include "crypto/crypto.h"

namespace custos::age {
namespace bech32 {
namespace {

constexpr std::string_view kCharset = "qpzry9x8gf2tvdw0s3jn54khce6mua7l";
constexpr std::size_t kChecksumChars = 6;

std::uint32_t PolymodStep(std::uint32_t chk, std::uint8_t value) {
  constexpr std::array<std::uint32_t, 5> kGen = {0x3b6a57b2, 0x26508e6d, 0x1ea119fa, 0x3d4233dd,
                                                 0x2a1462b3};
  const std::uint32_t top = chk >> 25;
  chk = ((chk & 0x1ffffff) << 5) ^ value;
  for (int i = 0; i < 5; ++i) {
    if ((top >> i) & 1) chk ^= kGen[i];
  }
  return chk;
}

char Lower(char c) { return (c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : c; }
char Upper(char c) { return (c >= 'a' && c <= 'z') ? static_cast<char>(c - 'a' + 'A') : c; }

// The checksum state after the expanded hrp (BIP 173 hrp_expand); hrp is
// taken in lower case.
std::uint32_t HrpPolymod(std::string_view hrp) {
  std::uint32_t chk = 1;
  for (char c : hrp) chk = PolymodStep(chk, static_cast<std::uint8_t>(Lower(c)) >> 5);
  chk = PolymodStep(chk, 0);
  for (char c : hrp) chk = PolymodStep(chk, static_cast<std::uint8_t>(Lower(c)) & 31);
  return chk;
}

int CharsetIndex(char c) {
  const auto pos = kCharset.find(Lower(c));
  return pos == std::string_view::npos ? -1 : static_cast<int>(pos);
}

Error Bad(std::string_view why) { return Error(ErrorCode::kCorrupt, "invalid bech32 string: " + std::string(why)); }

// Checks length, characters, case and separator; returns the separator index.
Result<std::size_t> CheckShape(std::string_view text) {
  if (text.size() > kMaxLength) return Bad("longer than 90 characters");
  bool lower = false, upper = false;
  for (char c : text) {
    if (c < 33 || c > 126) return Bad("contains a character outside printable ASCII");
    lower |= (c >= 'a' && c <= 'z');
    upper |= (c >= 'A' && c <= 'Z');
  }
  if (lower && upper) return Bad("mixes upper and lower case");
  const auto sep = text.rfind('1');
  if (sep == std::string_view::npos || sep == 0) return Bad("has no human-readable part");
  if (text.size() - sep - 1 < kChecksumChars) return Bad("too short for its checksum");
  return sep;
}

}  // namespace

Status Encode(std::string_view hrp, std::span<const std::uint8_t> data, bool upper_case,
              std::span<char> out) {
  const std::size_t total = EncodedSize(hrp.size(), data.size());
  if (hrp.empty() || total > kMaxLength || out.size() != total)
    return Error(ErrorCode::kInternal, "bech32 encode: bad hrp or output size");
  auto emit = [&](std::size_t i, char c) { out[i] = upper_case ? Upper(c) : c; };
  std::size_t pos = 0;
  for (char c : hrp) {
    if (c < 33 || c > 126 || (c >= 'A' && c <= 'Z'))
      return Error(ErrorCode::kInternal, "bech32 encode: hrp must be printable lower case");
    emit(pos++, c);
  }
  emit(pos++, '1');
  std::uint32_t chk = HrpPolymod(hrp);
  std::uint32_t acc = 0;
  int bits = 0;
  auto push5 = [&](std::uint8_t v) {
    chk = PolymodStep(chk, v);
    emit(pos++, kCharset[v]);
  };
  for (std::uint8_t byte : data) {
    acc = ((acc << 8) | byte) & 0xfff;
    bits += 8;
    while (bits >= 5) {
      bits -= 5;
      push5(static_cast<std::uint8_t>((acc >> bits) & 31));
    }
  }
  if (bits > 0) push5(static_cast<std::uint8_t>((acc << (5 - bits)) & 31));
  acc = 0;
  for (std::size_t i = 0; i < kChecksumChars; ++i) chk = PolymodStep(chk, 0);
  chk ^= 1;
  for (std::size_t i = 0; i < kChecksumChars; ++i)
    emit(pos++, kCharset[(chk >> (5 * (5 - i))) & 31]);
  return Ok();
}

Result<Decoded> Decode(std::string_view text, std::span<std::uint8_t> out) {
  CUSTOS_ASSIGN_OR_RETURN(const std::size_t sep, CheckShape(text));
  const std::string_view payload = text.substr(sep + 1);
  const std::size_t data_chars = payload.size() - kChecksumChars;
  std::uint32_t chk = HrpPolymod(text.substr(0, sep));
  std::uint32_t acc = 0;
  int bits = 0;
  std::size_t n = 0;
  for (std::size_t i = 0; i < payload.size(); ++i) {
    const int v = CharsetIndex(payload[i]);
    if (v < 0) return Bad("contains a character outside the bech32 alphabet");
    chk = PolymodStep(chk, static_cast<std::uint8_t>(v));
    if (i >= data_chars) continue;
    acc = ((acc << 5) | static_cast<std::uint32_t>(v)) & 0xfff;
    bits += 5;
    if (bits >= 8) {
      bits -= 8;
      if (n == out.size()) return Bad("carries more data than expected");
      out[n++] = static_cast<std::uint8_t>((acc >> bits) & 0xff);
    }
  }
  // BIP 173: at most 4 bits of padding, all zero.
  const bool bad_padding = bits >= 5 || (acc & ((1u << bits) - 1)) != 0;
  acc = 0;
  if (chk != 1) return Bad("checksum does not match");
  if (bad_padding) return Bad("has non-zero or overlong padding");
  return Decoded{text.substr(0, sep), n};
}

}  // namespace bech32

namespace {
constexpr std::string_view kRecipientHrp = "age";
constexpr std::string_view kIdentityHrp = "age-secret-key-";
constexpr std::string_view kIdentityHrpUpper = "AGE-SECRET-KEY-";
}  // namespace

std::string EncodeRecipient(const X25519PublicKey& public_key) {
  std::string out(bech32::EncodedSize(kRecipientHrp.size(), public_key.size()), '\0');
  // Cannot fail: the hrp and sizes are fixed and within BIP 173's limits.
  (void)bech32::Encode(kRecipientHrp, public_key, /*upper_case=*/false, out);
  return out;
}

Result<X25519PublicKey> ParseRecipient(std::string_view text) {
  X25519PublicKey key{};
  auto decoded = bech32::Decode(text, key);
  if (!decoded.ok()) return decoded.error().Wrap("malformed age recipient");
  if (decoded->hrp != kRecipientHrp)
    return Error(ErrorCode::kCorrupt, "malformed age recipient: it does not start with \"age1\" "
                                      "in lower case");
  if (decoded->data_len != key.size())
    return Error(ErrorCode::kCorrupt, "malformed age recipient: the key is not 32 bytes");
  return key;
}

SecretBytes EncodeIdentity(const SecretBytes& x25519_secret) {
  SecretBytes out(bech32::EncodedSize(kIdentityHrp.size(), x25519_secret.size()));
  auto chars = out.Reveal();
  // Cannot fail for a 32-byte secret; a wrong size is a caller bug we still
  // refuse to encode, returning an empty secret.
  if (!bech32::Encode(kIdentityHrp, x25519_secret.Reveal(), /*upper_case=*/true,
                      {reinterpret_cast<char*>(chars.data()), chars.size()})
           .ok())
    return SecretBytes();
  return out;
}

Result<SecretBytes> ParseIdentity(std::string_view text) {
  SecretBytes key(crypto::kX25519KeySize);
  // One spare byte so an overlong payload is reported as such, not truncated.
  SecretBytes scratch(crypto::kX25519KeySize + 1);
  auto decoded = bech32::Decode(text, scratch.Reveal());
  if (!decoded.ok()) return decoded.error().Wrap("malformed age identity");
  if (decoded->hrp != kIdentityHrpUpper)
    return Error(ErrorCode::kCorrupt, "malformed age identity: it does not start with "
                                      "\"AGE-SECRET-KEY-1\" in upper case");
  if (decoded->data_len != key.size())
    return Error(ErrorCode::kCorrupt, "malformed age identity: the key is not 32 bytes");
  auto dst = key.Reveal();
  auto src = scratch.Reveal();
  for (std::size_t i = 0; i < dst.size(); ++i) dst[i] = src[i];
  return key;
}

}  // namespace custos::age
