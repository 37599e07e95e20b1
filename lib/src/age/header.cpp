// The age v1 header: grammar, serialisation, MAC and a bounded reader.
#include "age/header.h"

#include <algorithm>
#include <string_view>

#include "age/age.h"

namespace custos::age {
namespace {

constexpr std::string_view kVersionLine = "age-encryption.org/v1";
constexpr std::string_view kVersionPrefix = "age-encryption.org/";
constexpr std::string_view kStanzaPrefix = "-> ";
constexpr std::string_view kMacPrefix = "---";
constexpr std::size_t kColumns = 64;
constexpr std::size_t kMacB64Chars = 43;
constexpr std::size_t kReadBlock = 16 * 1024;

Error Corrupt(std::string_view why) {
  return Error(ErrorCode::kCorrupt, "malformed age header: " + std::string(why));
}

bool IsBase64Char(char c) {
  return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '+' ||
         c == '/';
}
bool IsVchar(char c) { return c >= 0x21 && c <= 0x7e; }

// A cursor over the header bytes that hands out LF-terminated lines.
class Lines {
 public:
  explicit Lines(std::string_view text) : text_(text) {}
  // The next line without its LF; false at the end or if no LF follows.
  bool Next(std::string_view* line) {
    const auto lf = text_.find('\n', pos_);
    if (lf == std::string_view::npos) return false;
    line_start_ = pos_;
    *line = text_.substr(pos_, lf - pos_);
    pos_ = lf + 1;
    return true;
  }
  std::size_t line_start() const { return line_start_; }
  std::size_t number() const { return number_; }
  bool AtEnd() const { return pos_ == text_.size(); }
  void Count() { ++number_; }

 private:
  std::string_view text_;
  std::size_t pos_ = 0, line_start_ = 0, number_ = 0;
};

Error LineError(const Lines& lines, std::string_view why) {
  return Corrupt("line " + std::to_string(lines.number()) + ": " + std::string(why));
}

Status ParseArguments(std::string_view line, std::vector<std::string>* args) {
  std::string_view rest = line.substr(kStanzaPrefix.size());
  while (true) {
    const auto sp = rest.find(' ');
    const std::string_view arg = rest.substr(0, sp);
    if (arg.empty()) return Corrupt("a stanza has an empty argument");
    if (!std::all_of(arg.begin(), arg.end(), IsVchar))
      return Corrupt("a stanza argument has a character outside printable ASCII");
    args->emplace_back(arg);
    if (sp == std::string_view::npos) return Ok();
    rest = rest.substr(sp + 1);
  }
}

// Body lines: full 64-column lines, then one shorter (possibly empty) line.
Status ParseBody(Lines& lines, crypto::Bytes* body) {
  std::string_view line;
  while (true) {
    if (!lines.Next(&line)) return Corrupt("a stanza body is truncated");
    lines.Count();
    if (line.size() > kColumns) return LineError(lines, "a stanza body line is longer than 64 columns");
    if (!std::all_of(line.begin(), line.end(), IsBase64Char))
      return LineError(lines, "a stanza body line is not unpadded base64");
    auto decoded = crypto::Base64DecodeNoPad(line);
    if (!decoded.ok()) return LineError(lines, "a stanza body line is not canonical base64");
    body->insert(body->end(), decoded->begin(), decoded->end());
    if (line.size() < kColumns) return Ok();
  }
}

Status ParseMacLine(std::string_view line, Header* header) {
  if (line.size() != kMacPrefix.size() + 1 + kMacB64Chars || line[kMacPrefix.size()] != ' ')
    return Corrupt("the MAC line is not \"--- \" and 43 base64 characters");
  const std::string_view b64 = line.substr(kMacPrefix.size() + 1);
  if (!std::all_of(b64.begin(), b64.end(), IsBase64Char)) return Corrupt("the MAC is not base64");
  auto mac = crypto::Base64DecodeNoPad(b64);
  if (!mac.ok() || mac->size() != header->mac.size()) return Corrupt("the MAC is not canonical base64");
  std::copy(mac->begin(), mac->end(), header->mac.begin());
  return Ok();
}

Status CheckVersionLine(std::string_view line) {
  if (line == kVersionLine) return Ok();
  if (line.substr(0, kVersionPrefix.size()) == kVersionPrefix)
    return Error(ErrorCode::kCorrupt, "unsupported age format version (only age-encryption.org/v1 is known)");
  return Error(ErrorCode::kCorrupt, "not an age file: it does not start with age-encryption.org/v1");
}

std::size_t CountStanzaLines(std::string_view text) {
  std::size_t n = 0;
  for (std::size_t pos = text.find("\n-> "); pos != std::string_view::npos;
       pos = text.find("\n-> ", pos + 1))
    ++n;
  return n;
}

}  // namespace

Result<Header> ParseHeader(std::span<const std::uint8_t> bytes) {
  if (bytes.size() > kMaxHeaderBytes)
    return Error(ErrorCode::kLimitExceeded, "the age header is larger than 256 KiB");
  const std::string_view text = crypto::AsChars(bytes);
  const std::size_t stanza_count = CountStanzaLines(text);
  if (stanza_count > kMaxStanzas)
    return Error(ErrorCode::kLimitExceeded, "the age header has more than 1024 stanzas");
  Header header;
  header.stanzas.reserve(stanza_count);
  Lines lines(text);
  std::string_view line;
  if (!lines.Next(&line)) return Corrupt("no version line");
  lines.Count();
  CUSTOS_TRY(CheckVersionLine(line));
  while (true) {
    if (!lines.Next(&line)) return Corrupt("the header ends before the MAC line");
    lines.Count();
    if (line.substr(0, kMacPrefix.size()) == kMacPrefix) break;
    if (line.substr(0, kStanzaPrefix.size()) != kStanzaPrefix)
      return LineError(lines, "expected a stanza (\"-> \") or the MAC line (\"---\")");
    Stanza& stanza = header.stanzas.emplace_back();
    CUSTOS_TRY(ParseArguments(line, &stanza.args));
    CUSTOS_TRY(ParseBody(lines, &stanza.body));
  }
  if (header.stanzas.empty()) return Corrupt("the header has no recipient stanza");
  CUSTOS_TRY(ParseMacLine(line, &header));
  if (!lines.AtEnd()) return Corrupt("bytes follow the MAC line inside the header");
  header.mac_input_size = lines.line_start() + kMacPrefix.size();
  header.size = bytes.size();
  return header;
}

std::string SerializeHeaderWithoutMac(const std::vector<Stanza>& stanzas) {
  std::string out(kVersionLine);
  out += '\n';
  for (const Stanza& s : stanzas) {
    out += kStanzaPrefix;
    for (std::size_t i = 0; i < s.args.size(); ++i) {
      if (i > 0) out += ' ';
      out += s.args[i];
    }
    out += '\n';
    const std::string b64 = crypto::Base64EncodeNoPad(s.body);
    // Full 64-column lines, then a shorter one: empty when the body is a
    // multiple of 48 bytes, so a reader always knows where the body ends.
    std::size_t pos = 0;
    for (; b64.size() - pos >= kColumns; pos += kColumns) {
      out.append(b64, pos, kColumns);
      out += '\n';
    }
    out.append(b64, pos, std::string::npos);
    out += '\n';
  }
  out += kMacPrefix;
  return out;
}

crypto::Digest HeaderMac(const SecretBytes& file_key, std::span<const std::uint8_t> mac_input) {
  const SecretBytes hmac_key = crypto::HkdfSha256(file_key.Reveal(), {}, "header", 32);
  return crypto::HmacSha256(hmac_key.Reveal(), mac_input);
}

// Scans complete lines from scanned_ on; returns the header's size once the
// MAC line is complete, or 0 if more bytes are needed.
Result<std::size_t> HeaderReader::FindEnd() {
  const std::string_view text = crypto::AsChars(buf_);
  // Reject what is plainly not an age file before reading any further.
  const std::size_t probe = std::min(text.size(), kVersionPrefix.size());
  if (text.substr(0, probe) != kVersionPrefix.substr(0, probe))
    return Error(ErrorCode::kCorrupt, "not an age file: it does not start with age-encryption.org/v1");
  while (true) {
    const auto lf = text.find('\n', scanned_);
    if (lf == std::string_view::npos) return std::size_t{0};
    const std::string_view line = text.substr(scanned_, lf - scanned_);
    if (scanned_ == 0) CUSTOS_TRY(CheckVersionLine(line));
    scanned_ = lf + 1;
    if (line.substr(0, kMacPrefix.size()) == kMacPrefix) return scanned_;
    if (line.substr(0, kStanzaPrefix.size()) == kStanzaPrefix && ++stanza_lines_ > kMaxStanzas)
      return Error(ErrorCode::kLimitExceeded, "the age header has more than 1024 stanzas");
  }
}

Result<Header> HeaderReader::Read() {
  while (true) {
    CUSTOS_ASSIGN_OR_RETURN(const std::size_t end, FindEnd());
    if (end > 0) {
      if (end > kMaxHeaderBytes)
        return Error(ErrorCode::kLimitExceeded, "the age header is larger than 256 KiB");
      header_size_ = end;
      return ParseHeader(std::span<const std::uint8_t>(buf_).first(end));
    }
    if (buf_.size() >= kMaxHeaderBytes)
      return Error(ErrorCode::kLimitExceeded, "the age header is larger than 256 KiB");
    const std::size_t old = buf_.size();
    buf_.resize(old + std::min(kReadBlock, kMaxHeaderBytes - old));
    auto n = in_.Read(std::span<std::uint8_t>(buf_).subspan(old));
    if (!n.ok()) return std::move(n).error();
    buf_.resize(old + *n);
    if (*n == 0)
      return Error(ErrorCode::kCorrupt, old == 0 ? "not an age file: it is empty"
                                                 : "the age header is truncated");
  }
}

std::span<const std::uint8_t> HeaderReader::header_bytes() const {
  return std::span<const std::uint8_t>(buf_).first(header_size_);
}

std::span<const std::uint8_t> HeaderReader::leftover() const {
  return std::span<const std::uint8_t>(buf_).subspan(header_size_);
}

}  // namespace custos::age
