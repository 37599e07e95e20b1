// lib/src/keys/fingerprint.cpp — printing and parsing fingerprints
// (docs/FORMAT.md "Identities and keys": 16 groups of four lowercase hex digits).
#include <cctype>

#include "crypto/crypto.h"
#include "custos/keys.h"

namespace custos {

std::string FormatFingerprint(const Fingerprint& fp) {
  const std::string hex = crypto::Hex(fp);
  std::string out;
  out.reserve(hex.size() + hex.size() / 4);
  for (std::size_t i = 0; i < hex.size(); i += 4) {
    if (i != 0) out += ' ';
    out.append(hex, i, 4);
  }
  return out;
}

std::string ShortFingerprint(const Fingerprint& fp) { return FormatFingerprint(fp).substr(0, 9); }

Result<Fingerprint> ParseFingerprint(std::string_view text) {
  auto bad = [&text] {
    return Error(ErrorCode::kUsage,
                 "'" + std::string(text.substr(0, 100)) + "' is not a custos fingerprint",
                 "a fingerprint is 64 hex digits, as printed by 'custos key fingerprint', with or "
                 "without the spaces");
  };
  while (!text.empty() && std::isspace(static_cast<unsigned char>(text.front()))) text.remove_prefix(1);
  while (!text.empty() && std::isspace(static_cast<unsigned char>(text.back()))) text.remove_suffix(1);
  if (text.size() > 200) return bad();
  std::string hex;
  for (char c : text) {
    if (c == ' ') continue;
    if (!std::isxdigit(static_cast<unsigned char>(c))) return bad();
    hex += static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  }
  if (hex.size() != 64) return bad();
  // With spaces, only the printed form: groups of four separated by one space.
  if (text.size() != 64) {
    if (text.size() != 79) return bad();
    for (std::size_t i = 4; i < text.size(); i += 5)
      if (text[i] != ' ') return bad();
  }
  auto bytes = crypto::FromHex(hex);
  if (!bytes.ok()) return bad();
  Fingerprint fp{};
  std::copy(bytes->begin(), bytes->end(), fp.begin());
  return fp;
}

}  // namespace custos
