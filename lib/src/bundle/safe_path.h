// lib/src/bundle/safe_path — the one place that decides whether a member path
// is safe. docs/FORMAT.md "Paths and the bag".
//
// Both sides use it: `seal` checks every name it walks before the first byte is
// read (a name the receiver would refuse fails the seal at once), and the reader
// checks every path of the manifest and of the tar before anything is written.
//
// A path is accepted only if ALL of these hold:
//   - 1..4096 bytes (kMaxPathBytes), valid UTF-8: no overlong forms, no
//     surrogates (U+D800–DFFF), nothing above U+10FFFF, no truncated sequence;
//   - relative (no leading "/"), components separated by single "/": no empty
//     component (so no leading, trailing or double slash), no "." or "..";
//   - at most 64 components (kMaxDepth), each at most 255 bytes
//     (kMaxComponentBytes);
//   - no backslash, no control character: C0 (U+0000–001F), DEL (U+007F),
//     C1 (U+0080–009F);
//   - no invisible or bidirectional-control code point:
//       U+00AD soft hyphen          U+061C Arabic letter mark
//       U+180E Mongolian vowel sep.  U+200B–200F zero-width, LRM, RLM
//       U+2028–202E line/paragraph separators, bidi embeddings/overrides
//       U+2060–206F word joiner, invisible operators, bidi isolates,
//                   deprecated format controls (U+2065 is unassigned)
//       U+FEFF zero-width no-break space / BOM
//     the list in docs/FORMAT.md "Member paths" plus the extras above: each either renders as nothing,
//     reorders what follows, or breaks a line, so a listing could show a name
//     other than the one on disk. The list is explicit (not ICU's
//     Default_Ignorable property) so it does not change with the ICU version
//     and another implementation can reproduce it.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <array>
#include <deque>
#include <memory>
#include <vector>

#include "custos/error.h"

namespace custos::bundle {

constexpr std::size_t kMaxPathBytes = 4096;
constexpr std::size_t kMaxComponentBytes = 255;
constexpr std::size_t kMaxDepth = 64;

// Ok, or kUnsafePath with one sentence: `unsafe path "<escaped>": <rule>`.
// Pure: no file system access, no allocation beyond the message.
Status CheckSafePath(std::string_view path);

// Decodes the UTF-8 code point at s[i] strictly (RFC 3629: no overlong form,
// surrogate, code point above U+10FFFF or truncated sequence). On success
// stores it in `cp`, advances `i` past it and returns true; otherwise returns
// false and leaves `i` unchanged. Precondition: i < s.size().
bool DecodeUtf8(std::string_view s, std::size_t& i, char32_t& cp);

// True if `cp` is one of the invisible or bidi code points listed above.
bool IsInvisibleOrBidi(char32_t cp);

// Printable form of an untrusted path for error messages: valid, visible UTF-8
// is kept; `\` and `"` are escaped as `\\` and `\"`; C0 and DEL as \xNN; C1 and
// the invisible/bidi code points as \u{XXXX}; bytes that are not valid UTF-8 as
// \xNN. The result holds at most about `max_bytes` bytes of the input, then
// "…" (hostile paths can be long).
std::string EscapeForDisplay(std::string_view path, std::size_t max_bytes = 300);

// NFC form of valid UTF-8 (kUnsafePath if not valid UTF-8). docs/FORMAT.md "Member paths": names are
// stored as given and compared after NFC.
Result<std::string> NormalizeNfc(std::string_view utf8);

// The collision key: NFKC_Casefold (ICU). Two names with equal keys would be
// the same name, or look the same, on a case-insensitive or normalising file
// system ("A"/"a", "ﬁle"/"file", NFC/NFD "Résumé"). kUnsafePath if not UTF-8.
Result<std::string> CollisionKey(std::string_view utf8);

// Detects paths that collide. Feed every path of a bundle with Add(), in order.
//
// The rule. Each path p = c1/c2/…/cn has the prefixes c1, c1/c2, …, p. Two
// prefixes (of the same or of different paths) at the same depth *collide*
// when their collision keys are equal but their bytes are not, component by
// component. Add(p) fails if:
//   - any prefix of p collides with any prefix of an earlier path
//     ("data/A/x" then "data/a": the directory "data/A" and the file "data/a";
//     "data/R\u00e9sum\u00e9" then "data/Re\u0301sume\u0301", equal after NFC
//     but two different names on a Linux file system); or
//   - p itself, byte for byte, was added before ("listed twice").
// A prefix that is byte-identical to a prefix seen before is the same
// directory and is fine ("data/a/x" then "data/a/y"); so is adding a
// directory after a path below it ("data/a/x" then "data/a"). The rule is
// stricter than "equal after NFC": two spellings that are equal after NFC but
// differ in bytes are two directories on disk, and are refused.
//
// Memory: a trie of components, one 16-byte node per distinct prefix; each
// component's bytes (and its key, when it differs) are kept once in an arena
// of 64 KiB blocks; the index is an open-addressing table of node numbers
// hashed with a keyed SipHash (a random key per detector), so a hostile
// manifest cannot force hash collisions (and quadratic time). About 40 bytes
// a path in a realistic tree (200,000 paths: ~8 MB). Paths must already have
// passed CheckSafePath.
class CollisionDetector {
 public:
  CollisionDetector();
  // Adds `path` (a directory when `is_dir`), or fails as described above.
  // If `parent_is_dir` is given, it is set to whether the path's parent
  // (everything before its last "/") was itself added as a directory.
  Status Add(std::string_view path, bool is_dir = false, bool* parent_is_dir = nullptr);
  std::size_t node_count() const { return nodes_.size(); }

 private:
  struct Node {
    std::uint64_t offset;       // of the component's bytes in the arena
    std::uint32_t parent;       // index+1 of the parent node; 0 = root
    std::uint16_t bytes_len;    // the component as given (<= 255 bytes)
    std::uint16_t key_len : 13; // its collision key, stored after the bytes
    std::uint16_t key_is_bytes : 1;  // ... unless it equals them
    std::uint16_t listed : 1;   // added as a path itself, not only as a prefix
    std::uint16_t is_dir : 1;   // ... as a directory
  };
  static constexpr std::size_t kMaxKeyBytes = (1u << 13) - 1;
  std::string_view Bytes(const Node& n) const;
  std::string_view Key(const Node& n) const;
  std::uint64_t Hash(std::uint32_t parent, std::string_view key) const;
  // The slot holding (parent, key), or the empty slot where it would go.
  std::size_t Probe(std::uint32_t parent, std::string_view key) const;
  std::uint64_t Store(std::string_view a, std::string_view b);
  void Grow();
  std::string Spelling(std::uint32_t node_plus_one) const;

  std::array<std::uint8_t, 16> hash_key_{};
  std::deque<Node> nodes_;                      // no doubling slack
  std::vector<std::unique_ptr<char[]>> blocks_; // the arena
  std::size_t block_used_ = 0;
  std::vector<std::uint32_t> slots_;            // node index+1; 0 = empty
};

}  // namespace custos::bundle
