#include "bundle/safe_path.h"

#include <unicode/bytestream.h>
#include <unicode/normalizer2.h>
#include <unicode/stringpiece.h>

#include <sodium.h>

#include <cstdio>
#include <cstring>

namespace custos::bundle {
namespace {

// Why a byte sequence is not UTF-8; kOk when a code point was decoded.
enum class Utf8Status { kOk, kBadByte, kTruncated, kOverlong, kSurrogate, kTooLarge };

// Decodes one code point of s at i (RFC 3629), advancing i past it on success.
// Every way a sequence can be ill-formed is refused, because each is a way to
// make two byte strings display as the same name.
Utf8Status DecodeOne(std::string_view s, std::size_t& i, char32_t& cp) {
  auto b0 = static_cast<unsigned char>(s[i]);
  if (b0 < 0x80) {
    cp = b0;
    ++i;
    return Utf8Status::kOk;
  }
  std::size_t len;
  char32_t min;
  if (b0 >= 0xC0 && b0 <= 0xDF) {
    len = 2, min = 0x80, cp = b0 & 0x1F;
  } else if (b0 >= 0xE0 && b0 <= 0xEF) {
    len = 3, min = 0x800, cp = b0 & 0x0F;
  } else if (b0 >= 0xF0 && b0 <= 0xF7) {
    len = 4, min = 0x10000, cp = b0 & 0x07;
  } else {
    return Utf8Status::kBadByte;  // a continuation byte, or 0xF8..0xFF
  }
  if (s.size() - i < len) return Utf8Status::kTruncated;
  for (std::size_t k = 1; k < len; ++k) {
    auto b = static_cast<unsigned char>(s[i + k]);
    if ((b & 0xC0) != 0x80) return Utf8Status::kTruncated;
    cp = (cp << 6) | (b & 0x3F);
  }
  if (cp < min) return Utf8Status::kOverlong;
  if (cp >= 0xD800 && cp <= 0xDFFF) return Utf8Status::kSurrogate;
  if (cp > 0x10FFFF) return Utf8Status::kTooLarge;
  i += len;
  return Utf8Status::kOk;
}

std::string CodePoint(char32_t cp) {
  char buf[16];
  std::snprintf(buf, sizeof buf, "U+%04X", static_cast<unsigned>(cp));
  return buf;
}

std::string Utf8Problem(Utf8Status st, std::string_view s, std::size_t at) {
  char byte[8];
  std::snprintf(byte, sizeof byte, "0x%02X", static_cast<unsigned char>(s[at]));
  std::string where = " at byte " + std::to_string(at);
  switch (st) {
    case Utf8Status::kBadByte: return "is not valid UTF-8: unexpected byte " + std::string(byte) + where;
    case Utf8Status::kTruncated: return "is not valid UTF-8: truncated sequence" + where;
    case Utf8Status::kOverlong: return "is not valid UTF-8: overlong encoding" + where;
    case Utf8Status::kSurrogate: return "is not valid UTF-8: encodes a surrogate" + where;
    case Utf8Status::kTooLarge: return "is not valid UTF-8: encodes a code point above U+10FFFF" + where;
    case Utf8Status::kOk: break;
  }
  return "is not valid UTF-8" + where;
}

Error Unsafe(std::string_view path, const std::string& rule) {
  return Error(ErrorCode::kUnsafePath, "unsafe path \"" + EscapeForDisplay(path) + "\": " + rule);
}

// The code-point rules: UTF-8 validity, controls, backslash, invisible/bidi.
Status CheckCodePoints(std::string_view path) {
  std::size_t i = 0;
  while (i < path.size()) {
    std::size_t at = i;
    char32_t cp = 0;
    Utf8Status st = DecodeOne(path, i, cp);
    if (st != Utf8Status::kOk) return Unsafe(path, Utf8Problem(st, path, at));
    if (cp < 0x20 || (cp >= 0x7F && cp <= 0x9F))
      return Unsafe(path, "contains the control character " + CodePoint(cp));
    if (cp == '\\') return Unsafe(path, "contains a backslash");
    if (IsInvisibleOrBidi(cp))
      return Unsafe(path, "contains the invisible or bidirectional code point " + CodePoint(cp));
  }
  return Ok();
}

Status CheckComponents(std::string_view path) {
  std::size_t depth = 0;
  std::size_t start = 0;
  while (true) {
    std::size_t slash = path.find('/', start);
    std::string_view c = path.substr(start, slash == std::string_view::npos ? slash : slash - start);
    ++depth;
    if (c.empty()) return Unsafe(path, "has an empty component (a leading, trailing or double \"/\")");
    if (c == ".") return Unsafe(path, "has a \".\" component");
    if (c == "..") return Unsafe(path, "has a \"..\" component");
    if (c.size() > kMaxComponentBytes)
      return Unsafe(path, "has a component of " + std::to_string(c.size()) +
                              " bytes, more than the limit of " + std::to_string(kMaxComponentBytes));
    if (slash == std::string_view::npos) break;
    start = slash + 1;
  }
  if (depth > kMaxDepth)
    return Unsafe(path, "has " + std::to_string(depth) + " components, more than the limit of " +
                            std::to_string(kMaxDepth));
  return Ok();
}

bool IsAscii(std::string_view s) {
  for (char c : s)
    if (static_cast<unsigned char>(c) >= 0x80) return false;
  return true;
}

Status CheckUtf8Only(std::string_view s) {
  std::size_t i = 0;
  while (i < s.size()) {
    std::size_t at = i;
    char32_t cp = 0;
    Utf8Status st = DecodeOne(s, i, cp);
    if (st != Utf8Status::kOk) return Unsafe(s, Utf8Problem(st, s, at));
  }
  return Ok();
}

Result<std::string> Normalize(const icu::Normalizer2* norm, UErrorCode status,
                              std::string_view utf8) {
  if (U_FAILURE(status) || norm == nullptr)
    return Error(ErrorCode::kInternal, std::string("ICU normaliser unavailable: ") + u_errorName(status));
  std::string out;
  icu::StringByteSink<std::string> sink(&out);
  norm->normalizeUTF8(0, icu::StringPiece(utf8.data(), static_cast<int32_t>(utf8.size())), sink,
                      nullptr, status);
  if (U_FAILURE(status))
    return Error(ErrorCode::kUnsafePath, "unsafe path \"" + EscapeForDisplay(utf8) +
                                             "\": cannot be normalised: " + u_errorName(status));
  return out;
}

}  // namespace

bool DecodeUtf8(std::string_view s, std::size_t& i, char32_t& cp) {
  return DecodeOne(s, i, cp) == Utf8Status::kOk;
}

bool IsInvisibleOrBidi(char32_t cp) {
  return cp == 0x00AD || cp == 0x061C || cp == 0x180E || (cp >= 0x200B && cp <= 0x200F) ||
         (cp >= 0x2028 && cp <= 0x202E) || (cp >= 0x2060 && cp <= 0x206F) || cp == 0xFEFF;
}

Status CheckSafePath(std::string_view path) {
  if (path.empty()) return Error(ErrorCode::kUnsafePath, "unsafe path \"\": is empty");
  if (path.size() > kMaxPathBytes)
    return Unsafe(path, "is " + std::to_string(path.size()) + " bytes long, more than the limit of " +
                            std::to_string(kMaxPathBytes));
  if (path.front() == '/') return Unsafe(path, "is absolute (begins with \"/\")");
  CUSTOS_TRY(CheckCodePoints(path));
  return CheckComponents(path);
}

std::string EscapeForDisplay(std::string_view path, std::size_t max_bytes) {
  std::string out;
  std::size_t i = 0;
  char buf[16];
  while (i < path.size()) {
    if (i >= max_bytes) {
      out += "…";
      break;
    }
    std::size_t at = i;
    char32_t cp = 0;
    if (DecodeOne(path, i, cp) != Utf8Status::kOk) {
      std::snprintf(buf, sizeof buf, "\\x%02x", static_cast<unsigned char>(path[at]));
      out += buf;
      i = at + 1;
    } else if (cp < 0x20 || cp == 0x7F) {
      std::snprintf(buf, sizeof buf, "\\x%02x", static_cast<unsigned>(cp));
      out += buf;
    } else if ((cp >= 0x80 && cp <= 0x9F) || IsInvisibleOrBidi(cp)) {
      std::snprintf(buf, sizeof buf, "\\u{%04x}", static_cast<unsigned>(cp));
      out += buf;
    } else if (cp == '\\' || cp == '"') {
      out += '\\';
      out += static_cast<char>(cp);
    } else {
      out.append(path.substr(at, i - at));
    }
  }
  return out;
}

Result<std::string> NormalizeNfc(std::string_view utf8) {
  CUSTOS_TRY(CheckUtf8Only(utf8));
  if (IsAscii(utf8)) return std::string(utf8);  // ASCII is always NFC
  UErrorCode status = U_ZERO_ERROR;
  const icu::Normalizer2* norm = icu::Normalizer2::getNFCInstance(status);
  return Normalize(norm, status, utf8);
}

Result<std::string> CollisionKey(std::string_view utf8) {
  CUSTOS_TRY(CheckUtf8Only(utf8));
  if (IsAscii(utf8)) {  // NFKC_Casefold of ASCII is its lower case; most names
    std::string out(utf8);
    for (char& c : out)
      if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
    return out;
  }
  UErrorCode status = U_ZERO_ERROR;
  const icu::Normalizer2* norm = icu::Normalizer2::getNFKCCasefoldInstance(status);
  return Normalize(norm, status, utf8);
}

namespace {
constexpr std::size_t kArenaBlock = 64 * 1024;
}

CollisionDetector::CollisionDetector() {
  randombytes_buf(hash_key_.data(), hash_key_.size());
  slots_.assign(1024, 0);
}

std::string_view CollisionDetector::Bytes(const Node& n) const {
  return {blocks_[n.offset / kArenaBlock].get() + n.offset % kArenaBlock, n.bytes_len};
}

std::string_view CollisionDetector::Key(const Node& n) const {
  if (n.key_is_bytes) return Bytes(n);
  return {blocks_[n.offset / kArenaBlock].get() + n.offset % kArenaBlock + n.bytes_len, n.key_len};
}

std::uint64_t CollisionDetector::Hash(std::uint32_t parent, std::string_view key) const {
  // SipHash-2-4 of parent ‖ key (short keys: one pass over a stack buffer).
  std::array<unsigned char, 4 + kMaxKeyBytes> buf;
  std::memcpy(buf.data(), &parent, 4);
  std::memcpy(buf.data() + 4, key.data(), key.size());
  std::uint64_t h = 0;
  static_assert(crypto_shorthash_BYTES == sizeof h);
  crypto_shorthash(reinterpret_cast<unsigned char*>(&h), buf.data(), 4 + key.size(), hash_key_.data());
  return h;
}

std::size_t CollisionDetector::Probe(std::uint32_t parent, std::string_view key) const {
  const std::size_t mask = slots_.size() - 1;
  for (std::size_t i = Hash(parent, key) & mask;; i = (i + 1) & mask) {
    std::uint32_t s = slots_[i];
    if (s == 0) return i;
    const Node& n = nodes_[s - 1];
    if (n.parent == parent && Key(n) == key) return i;
  }
}

void CollisionDetector::Grow() {
  std::vector<std::uint32_t> old(slots_.size() * 2, 0);
  old.swap(slots_);
  const std::size_t mask = slots_.size() - 1;
  for (std::uint32_t s : old) {
    if (s == 0) continue;
    const Node& n = nodes_[s - 1];
    std::size_t i = Hash(n.parent, Key(n)) & mask;
    while (slots_[i] != 0) i = (i + 1) & mask;
    slots_[i] = s;
  }
}

std::uint64_t CollisionDetector::Store(std::string_view a, std::string_view b) {
  const std::size_t need = a.size() + b.size();
  if (blocks_.empty() || kArenaBlock - block_used_ < need) {
    blocks_.push_back(std::make_unique<char[]>(kArenaBlock));
    block_used_ = 0;
  }
  char* p = blocks_.back().get() + block_used_;
  if (!a.empty()) std::memcpy(p, a.data(), a.size());  // an empty view's data() may be null
  if (!b.empty()) std::memcpy(p + a.size(), b.data(), b.size());
  const std::uint64_t offset = (blocks_.size() - 1) * kArenaBlock + block_used_;
  block_used_ += need;
  return offset;
}

std::string CollisionDetector::Spelling(std::uint32_t node_plus_one) const {
  std::vector<std::string_view> parts;
  for (std::uint32_t n = node_plus_one; n != 0; n = nodes_[n - 1].parent) parts.push_back(Bytes(nodes_[n - 1]));
  std::string out;
  for (auto it = parts.rbegin(); it != parts.rend(); ++it) {
    if (!out.empty()) out += '/';
    out.append(*it);
  }
  return out;
}

Status CollisionDetector::Add(std::string_view path, bool is_dir, bool* parent_is_dir) {
  std::uint32_t parent = 0;
  std::uint32_t grandparent = 0;
  std::size_t start = 0;
  while (true) {
    std::size_t slash = path.find('/', start);
    std::size_t end = slash == std::string_view::npos ? path.size() : slash;
    std::string_view comp = path.substr(start, end - start);
    if (comp.size() > kMaxComponentBytes) return Unsafe(path, "has a component over 255 bytes");
    CUSTOS_ASSIGN_OR_RETURN(std::string key, CollisionKey(comp));
    if (key.size() > kMaxKeyBytes) return Unsafe(path, "has a component whose collision key is too long");
    std::size_t slot = Probe(parent, key);
    std::uint32_t found = slots_[slot];
    if (found == 0) {
      if (nodes_.size() >= UINT32_MAX - 1)
        return Error(ErrorCode::kLimitExceeded, "too many distinct paths");
      const bool same = key == comp;
      Node n{};
      n.offset = Store(comp, same ? std::string_view() : std::string_view(key));
      n.parent = parent;
      n.bytes_len = static_cast<std::uint16_t>(comp.size());
      n.key_len = static_cast<std::uint16_t>(same ? 0 : key.size());
      n.key_is_bytes = same ? 1 : 0;
      nodes_.push_back(n);
      found = static_cast<std::uint32_t>(nodes_.size());
      slots_[slot] = found;
      if (nodes_.size() * 2 > slots_.size()) Grow();  // load factor <= 1/2
    } else if (Bytes(nodes_[found - 1]) != comp) {
      std::string earlier = Spelling(found);
      std::string mine(path.substr(0, end));
      auto a = NormalizeNfc(mine);
      auto b = NormalizeNfc(earlier);
      bool nfc_equal = a.ok() && b.ok() && *a == *b;
      // Appended piece by piece (g++ 12 -O3 warns, wrongly, on the operator+ chain).
      std::string rule = "\"";
      rule += EscapeForDisplay(mine);
      rule += "\" and the earlier \"";
      rule += EscapeForDisplay(earlier);
      rule += nfc_equal ? "\" differ only in Unicode normalisation (equal after NFC)"
                        : "\" are the same name after Unicode case-folding (NFKC_Casefold)";
      rule += "; they would merge on many file systems";
      return Unsafe(path, rule);
    }
    grandparent = parent;
    parent = found;
    if (slash == std::string_view::npos) break;
    start = slash + 1;
  }
  if (parent_is_dir != nullptr)
    *parent_is_dir = grandparent != 0 && nodes_[grandparent - 1].listed && nodes_[grandparent - 1].is_dir;
  Node& last = nodes_[parent - 1];
  if (last.listed) return Unsafe(path, "is listed twice");
  last.listed = 1;
  last.is_dir = is_dir ? 1 : 0;
  return Ok();
}

}  // namespace custos::bundle
