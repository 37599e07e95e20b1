#include "bundle/bag.h"

#include <algorithm>
#include <cstdio>
#include <ctime>

#include "bundle/safe_path.h"

namespace custos::bundle {
namespace {

bool IsLineSpace(char c) { return c == ' ' || c == '\t'; }

std::string BaggingDate(std::int64_t unix_seconds) {
  std::time_t t = static_cast<std::time_t>(unix_seconds);
  std::tm tm{};
  if (::gmtime_r(&t, &tm) == nullptr) return "1970-01-01";
  char buf[32];
  std::snprintf(buf, sizeof buf, "%04d-%02d-%02d", tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday);
  return buf;
}

// Appends "Label: value\n", folded before whitespace (see BagInfoTxt). Never
// breaks inside the first value byte, so the first line is always "Label: x…".
void AppendField(std::string& out, std::string_view label, std::string_view raw_value) {
  std::string value = SanitizeTagValue(raw_value);
  if (value.empty()) return;
  std::string line = std::string(label) + ": " + value;
  std::size_t pos = 0;
  while (line.size() - pos > kBagInfoLineBytes) {
    std::size_t lo = pos == 0 ? label.size() + 3 : pos + 1;
    std::size_t hi = pos + kBagInfoLineBytes;
    std::size_t brk = std::string::npos;
    for (std::size_t k = hi; k >= lo && brk == std::string::npos; --k)
      if (IsLineSpace(line[k])) brk = k;
    for (std::size_t k = std::max(hi + 1, lo); k < line.size() && brk == std::string::npos; ++k)
      if (IsLineSpace(line[k])) brk = k;
    if (brk == std::string::npos) break;  // one long word: leave the line long
    out.append(line, pos, brk - pos);
    out += '\n';
    pos = brk;  // the whitespace starts the continuation line
  }
  out.append(line, pos, std::string::npos);
  out += '\n';
}

Error Corrupt(std::string_view what, std::size_t line_no, const std::string& why) {
  return Error(ErrorCode::kCorrupt, std::string(what) + ": line " + std::to_string(line_no) + ": " + why);
}

int LowerHexValue(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  return -1;
}

bool ParseDigest(std::string_view hex, crypto::Digest& out) {
  if (hex.size() != 2 * out.size()) return false;
  for (std::size_t i = 0; i < out.size(); ++i) {
    int hi = LowerHexValue(hex[2 * i]), lo = LowerHexValue(hex[2 * i + 1]);
    if (hi < 0 || lo < 0) return false;
    out[i] = static_cast<std::uint8_t>(hi << 4 | lo);
  }
  return true;
}

// Decodes the path of a manifest line; false if a "%" is not %25, %0D or %0A.
bool DecodeManifestPath(std::string_view enc, std::string& out) {
  for (std::size_t i = 0; i < enc.size(); ++i) {
    if (enc[i] != '%') {
      out += enc[i];
      continue;
    }
    std::string_view code = enc.substr(i + 1, 2);
    if (code == "25") out += '%';
    else if (code == "0D") out += '\r';
    else if (code == "0A") out += '\n';
    else return false;
    i += 2;
  }
  return true;
}

// Calls f(line, line_no) for each LF-terminated line; text must end with LF.
template <typename F>
Status ForEachLine(std::string_view text, std::string_view what, F f) {
  if (text.back() != '\n')
    return Error(ErrorCode::kCorrupt, std::string(what) + ": does not end with a line feed");
  std::size_t line_no = 0;
  for (std::size_t start = 0; start < text.size();) {
    std::size_t lf = text.find('\n', start);
    ++line_no;
    std::string_view line = text.substr(start, lf - start);
    if (line.find('\r') != std::string_view::npos)
      return Corrupt(what, line_no, "contains a carriage return (tag files use LF line endings)");
    CUSTOS_TRY(f(line, line_no));
    start = lf + 1;
  }
  return Ok();
}

// Decimal, no sign, no leading zeros, fits in 64 bits.
bool ParseDecimal(std::string_view s, std::uint64_t& out) {
  if (s.empty() || s.size() > 20 || (s.size() > 1 && s[0] == '0')) return false;
  out = 0;
  for (char c : s) {
    if (c < '0' || c > '9') return false;
    std::uint64_t d = static_cast<std::uint64_t>(c - '0');
    if (out > (UINT64_MAX - d) / 10) return false;
    out = out * 10 + d;
  }
  return true;
}

Result<std::pair<std::string, std::string>> ParseLabelLine(std::string_view line, std::size_t line_no) {
  constexpr std::string_view kWhat = "bag-info.txt";
  std::size_t colon = line.find(':');
  if (colon == std::string_view::npos) return Corrupt(kWhat, line_no, "is not a \"Label: value\" line");
  std::string_view label = line.substr(0, colon);
  if (label.empty() || IsLineSpace(label.back())) return Corrupt(kWhat, line_no, "has an empty or malformed label");
  if (colon + 1 >= line.size() || line[colon + 1] != ' ')
    return Corrupt(kWhat, line_no, "has no space after the label's colon");
  return std::pair<std::string, std::string>(label, line.substr(colon + 2));
}

Status ExtractRequired(BagInfoFields& f) {
  int oxum = 0, ext = 0;
  for (const auto& [label, value] : f.tags) {
    if (label == "Payload-Oxum") {
      ++oxum;
      std::size_t dot = value.find('.');
      if (dot == std::string::npos || !ParseDecimal(std::string_view(value).substr(0, dot), f.payload_octets) ||
          !ParseDecimal(std::string_view(value).substr(dot + 1), f.payload_files))
        return Error(ErrorCode::kCorrupt, "bag-info.txt: Payload-Oxum \"" + EscapeForDisplay(value, 64) +
                                              "\" is not <octets>.<file count>");
    } else if (label == "External-Identifier") {
      ++ext;
      f.external_identifier = value;
    }
  }
  if (oxum != 1)
    return Error(ErrorCode::kCorrupt, "bag-info.txt: has " + std::to_string(oxum) + " Payload-Oxum lines, not one");
  if (ext != 1)
    return Error(ErrorCode::kCorrupt,
                 "bag-info.txt: has " + std::to_string(ext) + " External-Identifier lines, not one");
  return Ok();
}

}  // namespace

std::string BagitTxt() { return "BagIt-Version: 1.0\nTag-File-Character-Encoding: UTF-8\n"; }

std::string SanitizeTagValue(std::string_view value) {
  std::string out;
  out.reserve(value.size());
  std::size_t i = 0;
  while (i < value.size()) {
    std::size_t at = i;
    char32_t cp = 0;
    if (!DecodeUtf8(value, i, cp)) {
      out += "\xEF\xBF\xBD";  // U+FFFD: tag files are UTF-8
      i = at + 1;
    } else if (cp < 0x20 || (cp >= 0x7F && cp <= 0x9F) || cp == 0x2028 || cp == 0x2029) {
      out += ' ';
    } else {
      out.append(value.substr(at, i - at));
    }
  }
  std::size_t b = out.find_first_not_of(' ');
  if (b == std::string::npos) return {};
  return out.substr(b, out.find_last_not_of(' ') - b + 1);
}

std::string BagInfoTxt(const BagInfo& info) {
  std::string out;
  AppendField(out, "Source-Organization", info.source_organization);
  AppendField(out, "External-Identifier", info.external_identifier);
  AppendField(out, "Bagging-Date", BaggingDate(info.bagging_time));
  AppendField(out, "Payload-Oxum",
              std::to_string(info.payload_octets) + "." + std::to_string(info.payload_files));
  AppendField(out, "Custos-Bundle-Id", info.bundle_id);
  AppendField(out, "Custos-Request-Reference", info.request_reference);
  for (const std::string& u : info.use_limitations) AppendField(out, "Custos-Use-Limitation", u);
  AppendField(out, "Custos-Confidentiality", info.confidentiality);
  AppendField(out, "Custos-Sender-Fingerprint", info.sender_fingerprint);
  return out;
}

std::string EncodeManifestPath(std::string_view path) {
  std::string out;
  out.reserve(path.size());
  for (char c : path) {
    if (c == '%') out += "%25";
    else if (c == '\r') out += "%0D";
    else if (c == '\n') out += "%0A";
    else out += c;
  }
  return out;
}

void AppendManifestLine(std::string* out, std::string_view path, const crypto::Digest& digest) {
  *out += crypto::Hex(digest);
  *out += "  ";
  *out += EncodeManifestPath(path);
  *out += '\n';
}

std::string ManifestSha256(const ManifestEntries& entries) {
  std::string out;
  for (const auto& [path, digest] : entries) AppendManifestLine(&out, path, digest);
  return out;
}

std::string TagManifestSha256(std::string_view bagit_txt, std::string_view bag_info_txt,
                              std::string_view manifest_sha256_txt) {
  return ManifestSha256({{"bagit.txt", crypto::Sha256Of(crypto::AsBytes(bagit_txt))},
                         {"bag-info.txt", crypto::Sha256Of(crypto::AsBytes(bag_info_txt))},
                         {"manifest-sha256.txt", crypto::Sha256Of(crypto::AsBytes(manifest_sha256_txt))}});
}

Result<ManifestEntries> ParseManifestSha256(std::string_view text, std::size_t limit, std::string_view what) {
  if (text.size() > limit)
    return Error(ErrorCode::kLimitExceeded, std::string(what) + ": is " + std::to_string(text.size()) +
                                                " bytes, more than the limit of " + std::to_string(limit));
  ManifestEntries out;
  if (text.empty()) return out;  // a bag without files
  CUSTOS_TRY(ForEachLine(text, what, [&](std::string_view line, std::size_t n) -> Status {
    crypto::Digest d{};
    if (line.size() < 64 || !ParseDigest(line.substr(0, 64), d))
      return Corrupt(what, n, "does not begin with a SHA-256 digest in 64 lowercase hex digits");
    if (line.substr(64, 2) != "  ") return Corrupt(what, n, "has no two spaces after the digest");
    std::string_view enc = line.substr(66);
    if (enc.empty()) return Corrupt(what, n, "has an empty path");
    std::string path;
    if (!DecodeManifestPath(enc, path))
      return Corrupt(what, n, "has a \"%\" in the path that is not %25, %0D or %0A");
    out.emplace_back(std::move(path), d);
    return Ok();
  }));
  return out;
}

Result<BagInfoFields> ParseBagInfo(std::string_view text) {
  constexpr std::string_view kWhat = "bag-info.txt";
  if (text.size() > kMaxBagInfoBytes)
    return Error(ErrorCode::kLimitExceeded, "bag-info.txt: is " + std::to_string(text.size()) +
                                                " bytes, more than the limit of " + std::to_string(kMaxBagInfoBytes));
  if (text.empty()) return Error(ErrorCode::kCorrupt, "bag-info.txt: is empty");
  for (std::size_t i = 0; i < text.size();) {
    char32_t cp = 0;
    if (!DecodeUtf8(text, i, cp))
      return Error(ErrorCode::kCorrupt, "bag-info.txt: is not valid UTF-8 at byte " + std::to_string(i));
  }
  BagInfoFields f;
  CUSTOS_TRY(ForEachLine(text, kWhat, [&](std::string_view line, std::size_t n) -> Status {
    if (line.empty()) return Corrupt(kWhat, n, "is empty");
    if (IsLineSpace(line[0])) {  // RFC 8493 §2.2.2: a continuation of the previous value
      if (f.tags.empty()) return Corrupt(kWhat, n, "continues a value but no label comes before it");
      f.tags.back().second.append(line);
      return Ok();
    }
    CUSTOS_ASSIGN_OR_RETURN(auto tag, ParseLabelLine(line, n));
    f.tags.push_back(std::move(tag));
    return Ok();
  }));
  CUSTOS_TRY(ExtractRequired(f));
  return f;
}

}  // namespace custos::bundle
