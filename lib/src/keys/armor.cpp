// lib/src/keys/armor.cpp — see armor.h.
#include "keys/armor.h"

#include <cstring>

namespace custos::keys {
namespace {

std::string BeginLine(std::string_view label) { return "-----BEGIN " + std::string(label) + "-----"; }
std::string EndLine(std::string_view label) { return "-----END " + std::string(label) + "-----"; }

std::size_t ArmoredSize(std::string_view comments, std::string_view label, std::size_t b64) {
  std::size_t lines = (b64 + kArmorLineLength - 1) / kArmorLineLength;
  return comments.size() + BeginLine(label).size() + 1 + b64 + lines + EndLine(label).size() + 1;
}

// Writes the armored text into `out`, which holds exactly ArmoredSize() bytes.
void WriteArmored(std::string_view comments, std::string_view label, std::string_view b64,
                  char* out) {
  auto put = [&out](std::string_view s) {
    std::memcpy(out, s.data(), s.size());
    out += s.size();
  };
  put(comments);
  put(BeginLine(label));
  put("\n");
  for (std::size_t i = 0; i < b64.size(); i += kArmorLineLength) {
    put(b64.substr(i, kArmorLineLength));
    put("\n");
  }
  put(EndLine(label));
  put("\n");
}

bool IsBase64Char(char c) {
  return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '+' ||
         c == '/' || c == '=';
}

// Splits off the next line (without its LF or CRLF); false at the end.
bool NextLine(std::string_view& text, std::string_view& line) {
  if (text.empty()) return false;
  std::size_t nl = text.find('\n');
  line = text.substr(0, nl);
  text = nl == std::string_view::npos ? std::string_view() : text.substr(nl + 1);
  if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
  return true;
}

}  // namespace

std::string Armor(std::string_view comments, std::string_view label, std::string_view base64) {
  std::string out(ArmoredSize(comments, label, base64.size()), '\0');
  WriteArmored(comments, label, base64, out.data());
  return out;
}

SecretBytes ArmorSecret(std::string_view comments, std::string_view label,
                        std::string_view base64) {
  SecretBytes out(ArmoredSize(comments, label, base64.size()));
  WriteArmored(comments, label, base64, reinterpret_cast<char*>(out.Reveal().data()));
  return out;
}

Result<std::size_t> Dearmor(std::string_view text, std::string_view label,
                            const std::string& what, std::span<char> out) {
  auto corrupt = [&what](const std::string& why) {
    return Error(ErrorCode::kCorrupt, what + ": " + why);
  };
  const std::string begin = BeginLine(label), end = EndLine(label);
  std::string_view line;
  bool found_begin = false;
  while (NextLine(text, line)) {
    if (line == begin) {
      found_begin = true;
      break;
    }
    if (!line.empty() && line[0] != '#')
      return corrupt("not a custos file: expected '#' comments and a '" + begin + "' line");
  }
  if (!found_begin) return corrupt("not a custos file: no '" + begin + "' line");
  std::size_t n = 0;
  bool short_line_seen = false, found_end = false;
  while (NextLine(text, line)) {
    if (line == end) {
      found_end = true;
      break;
    }
    // Every line but the last is full length: a reader of the format never
    // has to guess where a line was cut.
    if (line.empty() || line.size() > kArmorLineLength || short_line_seen)
      return corrupt("garbled armor: bad line length inside the block");
    for (char c : line)
      if (!IsBase64Char(c)) return corrupt("garbled armor: a character that is not base64");
    short_line_seen = line.size() < kArmorLineLength;
    if (n + line.size() > out.size()) return corrupt("garbled armor");
    std::memcpy(out.data() + n, line.data(), line.size());
    n += line.size();
  }
  if (!found_end) return corrupt("truncated: no '" + end + "' line");
  while (NextLine(text, line))
    if (!line.empty()) return corrupt("unexpected text after the '" + end + "' line");
  if (n == 0) return corrupt("empty armored block");
  return n;
}

}  // namespace custos::keys
