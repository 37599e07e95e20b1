// The path rules of docs/FORMAT.md "Paths and the bag", one row per rule and
// boundary, and the collision rule of CollisionDetector.
#include "bundle/safe_path.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace custos::bundle {
namespace {

struct Row {
  std::string path;
  bool accepted;
  std::string rule;  // a substring of the error message; empty when accepted
};

std::string Rep(std::size_t n, char c = 'a') { return std::string(n, c); }

// n components "a/a/…/a".
std::string Deep(std::size_t n) {
  std::string s = "a";
  for (std::size_t i = 1; i < n; ++i) s += "/a";
  return s;
}

std::string Invisible(const char* utf8) { return std::string("data/x") + utf8 + "y"; }

std::vector<Row> Table() {
  const std::string kInvisible = "invisible or bidirectional code point";
  const std::string kControl = "control character";
  return {
      // ordinary names
      {"data/report.pdf", true, ""},
      {"data", true, ""},
      {"data/Résumé/photo 1.jpg", true, ""},
      {"data/доказ/файл.txt", true, ""},
      {"data/証拠", true, ""},
      {"data/a..b/.hidden/x.", true, ""},
      {"data/\xF0\x9F\x93\x81", true, ""},  // U+1F4C1, 4-byte UTF-8
      {"data/\xF4\x8F\xBF\xBF", true, ""},  // U+10FFFF, the largest
      {"data/\xC2\xA0", true, ""},          // U+00A0 no-break space: visible width
      // structure
      {"", false, "is empty"},
      {"/etc/passwd", false, "is absolute"},
      {"/", false, "is absolute"},
      {"data/", false, "empty component"},
      {"data//x", false, "empty component"},
      {"./data", false, "\".\" component"},
      {"data/.", false, "\".\" component"},
      {"data/../x", false, "\"..\" component"},
      {"..", false, "\"..\" component"},
      {"data\\x", false, "backslash"},
      // controls: C0, DEL, C1 and their neighbours
      {std::string("data/x\0y", 8), false, kControl + " U+0000"},
      {"data/x\ny", false, kControl + " U+000A"},
      {"data/x\ry", false, kControl + " U+000D"},
      {"data/x\x1Fy", false, kControl + " U+001F"},
      {"data/x y~", true, ""},  // U+0020 and U+007E are fine
      {"data/x\x7Fy", false, kControl + " U+007F"},
      {"data/x\xC2\x80y", false, kControl + " U+0080"},
      {"data/x\xC2\x9Fy", false, kControl + " U+009F"},
      {"data/x\xC2\xA1y", true, ""},  // U+00A1
      // invisible and bidi: each range's ends and neighbours
      {Invisible("\xC2\xAD"), false, kInvisible + " U+00AD"},
      {Invisible("\xC2\xAC"), true, ""},      // U+00AC
      {Invisible("\xD8\x9C"), false, kInvisible + " U+061C"},
      {Invisible("\xD8\x9B"), true, ""},      // U+061B
      {Invisible("\xE1\xA0\x8E"), false, kInvisible + " U+180E"},
      {Invisible("\xE2\x80\x8A"), true, ""},  // U+200A hair space
      {Invisible("\xE2\x80\x8B"), false, kInvisible + " U+200B"},
      {Invisible("\xE2\x80\x8D"), false, kInvisible + " U+200D"},
      {Invisible("\xE2\x80\x8F"), false, kInvisible + " U+200F"},
      {Invisible("\xE2\x80\x90"), true, ""},  // U+2010 hyphen
      {Invisible("\xE2\x80\xA7"), true, ""},  // U+2027
      {Invisible("\xE2\x80\xA8"), false, kInvisible + " U+2028"},
      {Invisible("\xE2\x80\xA9"), false, kInvisible + " U+2029"},
      {Invisible("\xE2\x80\xAA"), false, kInvisible + " U+202A"},
      {Invisible("\xE2\x80\xAE"), false, kInvisible + " U+202E"},
      {Invisible("\xE2\x80\xAF"), true, ""},  // U+202F narrow no-break space
      {Invisible("\xE2\x81\x9F"), true, ""},  // U+205F
      {Invisible("\xE2\x81\xA0"), false, kInvisible + " U+2060"},
      {Invisible("\xE2\x81\xA6"), false, kInvisible + " U+2066"},
      {Invisible("\xE2\x81\xA9"), false, kInvisible + " U+2069"},
      {Invisible("\xE2\x81\xAF"), false, kInvisible + " U+206F"},
      {Invisible("\xE2\x81\xB0"), true, ""},  // U+2070 superscript zero
      {Invisible("\xEF\xBB\xBF"), false, kInvisible + " U+FEFF"},
      {Invisible("\xEF\xBB\xBE"), true, ""},  // U+FEFE
      // not UTF-8
      {"data/\xC0\xAF", false, "overlong"},             // "/" in two bytes
      {"data/\xE0\x80\xAF", false, "overlong"},         // "/" in three bytes
      {"data/\xF0\x80\x80\xAF", false, "overlong"},     // "/" in four bytes
      {"data/\xC1\xBF", false, "overlong"},             // U+007F in two bytes
      {"data/\xE0\x9F\xBF", false, "overlong"},         // U+07FF in three bytes
      {"data/\xF0\x8F\xBF\xBF", false, "overlong"},     // U+FFFF in four bytes
      {"data/\xED\xA0\x80", false, "surrogate"},        // U+D800
      {"data/\xED\xBF\xBF", false, "surrogate"},        // U+DFFF
      {"data/\xED\x9F\xBF", true, ""},                  // U+D7FF
      {"data/\xEE\x80\x80", true, ""},                  // U+E000
      {"data/\xF4\x90\x80\x80", false, "above U+10FFFF"},
      {"data/\xF7\xBF\xBF\xBF", false, "above U+10FFFF"},
      {"data/\xF8\x88\x80\x80\x80", false, "unexpected byte 0xF8"},
      {"data/\xFF", false, "unexpected byte 0xFF"},
      {"data/\x80", false, "unexpected byte 0x80"},
      {"data/\xC3", false, "truncated"},
      {"data/\xE2\x82", false, "truncated"},
      {"data/\xE2\x82x", false, "truncated"},
      // sizes
      {"data/" + Rep(255), true, ""},
      {"data/" + Rep(256), false, "component of 256 bytes"},
      {Deep(64), true, ""},
      {Deep(65), false, "has 65 components"},
  };
}

TEST(SafePath, TableOfRules) {
  for (const Row& row : Table()) {
    Status st = CheckSafePath(row.path);
    EXPECT_EQ(st.ok(), row.accepted) << "path: " << EscapeForDisplay(row.path);
    if (!st.ok()) {
      EXPECT_EQ(st.error().code(), ErrorCode::kUnsafePath);
      EXPECT_NE(st.error().message().find(row.rule), std::string::npos)
          << "path: " << EscapeForDisplay(row.path) << "\nmessage: " << st.error().message();
      EXPECT_EQ(st.error().message().rfind("unsafe path \"", 0), 0u) << st.error().message();
    }
  }
}

// Exactly 4096 bytes is accepted, 4097 is not (built from 16 components).
TEST(SafePath, PathLengthBoundary) {
  std::string p = "data";
  while (p.size() + 1 + 255 <= kMaxPathBytes) p += "/" + Rep(255);
  p += "/" + Rep(kMaxPathBytes - p.size() - 1);
  ASSERT_EQ(p.size(), kMaxPathBytes);
  EXPECT_TRUE(CheckSafePath(p).ok());
  Status st = CheckSafePath(p + "b");
  ASSERT_FALSE(st.ok());
  EXPECT_NE(st.error().message().find("4097 bytes long, more than the limit of 4096"), std::string::npos);
}

TEST(SafePath, MessageEscapesTheName) {
  Status st = CheckSafePath("data/evil\xE2\x80\xAEgpj.exe\n");
  ASSERT_FALSE(st.ok());
  EXPECT_EQ(st.error().message(),
            "unsafe path \"data/evil\\u{202e}gpj.exe\\x0a\": contains the invisible or bidirectional "
            "code point U+202E");
}

TEST(SafePath, EscapeForDisplay) {
  EXPECT_EQ(EscapeForDisplay("data/Résumé"), "data/Résumé");
  EXPECT_EQ(EscapeForDisplay("a\\b\"c"), "a\\\\b\\\"c");
  EXPECT_EQ(EscapeForDisplay(std::string("a\0b\x7F", 4)), "a\\x00b\\x7f");
  EXPECT_EQ(EscapeForDisplay("\xC2\x85\xEF\xBB\xBF"), "\\u{0085}\\u{feff}");
  EXPECT_EQ(EscapeForDisplay("\xC0\xAF\xFF"), "\\xc0\\xaf\\xff");
  EXPECT_EQ(EscapeForDisplay(Rep(1000), 10), Rep(10) + "…");
}

TEST(SafePath, NfcAndCollisionKeys) {
  EXPECT_EQ(NormalizeNfc("Re\xCC\x81sume\xCC\x81").value(), "R\xC3\xA9sum\xC3\xA9");
  EXPECT_EQ(NormalizeNfc("plain").value(), "plain");
  EXPECT_EQ(CollisionKey("ABC.Txt").value(), "abc.txt");
  EXPECT_EQ(CollisionKey("\xEF\xAC\x81le").value(), "file");  // U+FB01 ligature
  EXPECT_EQ(CollisionKey("STRASSE").value(), CollisionKey("stra\xC3\x9F" "e").value());
  EXPECT_EQ(CollisionKey("R\xC3\xA9SUM\xC3\x89").value(), CollisionKey("re\xCC\x81sume\xCC\x81").value());
  EXPECT_FALSE(NormalizeNfc("\xC0\xAF").ok());
  EXPECT_EQ(CollisionKey("\xED\xA0\x80").error().code(), ErrorCode::kUnsafePath);
}

struct Pair {
  std::string first, second;
  bool collide;
  std::string rule;
};

TEST(CollisionDetector, PairsOfPaths) {
  const std::vector<Pair> pairs = {
      {"data/A", "data/a", true, "case-folding"},
      {"data/\xEF\xAC\x81le", "data/file", true, "case-folding"},
      {"data/R\xC3\xA9sum\xC3\xA9", "data/Re\xCC\x81sume\xCC\x81", true, "equal after NFC"},
      {"data/A/x", "data/a", true, "\"data/a\" and the earlier \"data/A\""},
      {"data/a", "data/A/x", true, "\"data/A\" and the earlier \"data/a\""},
      {"data/x/A/1", "data/x/a/2", true, "case-folding"},
      {"data/x", "data/x", true, "listed twice"},
      {"data/a/x", "data/a/y", false, ""},
      {"data/a/x", "data/a", false, ""},  // a directory after a path below it
      {"data/a", "data/a/x", false, ""},
      {"data/a", "data/b", false, ""},
      {"data/x/a", "data/y/A", false, ""},  // same name, different directories
      {"data/a", "data/a.", false, ""},
  };
  for (const Pair& p : pairs) {
    CollisionDetector d;
    ASSERT_TRUE(d.Add(p.first).ok()) << p.first;
    Status st = d.Add(p.second);
    EXPECT_EQ(!st.ok(), p.collide) << p.first << " then " << p.second;
    if (!st.ok()) {
      EXPECT_EQ(st.error().code(), ErrorCode::kUnsafePath);
      EXPECT_NE(st.error().message().find(p.rule), std::string::npos) << st.error().message();
    }
  }
}

// The longest keys a component can have (255 bytes of U+FDFA, each of which
// NFKC_Casefold expands to 18 code points: a key of 2,805 bytes) are stored
// and compared whole; a component over 255 bytes is refused even without
// CheckSafePath having run first.
TEST(CollisionDetector, LongestKeysAndOverlongComponents) {
  std::string ligatures;
  for (int i = 0; i < 85; ++i) ligatures += "\xEF\xB7\xBA";  // U+FDFA
  ASSERT_EQ(ligatures.size(), 255u);
  auto key = CollisionKey(ligatures);
  ASSERT_TRUE(key.ok());
  EXPECT_EQ(key->size(), 2805u);
  CollisionDetector d;
  ASSERT_TRUE(d.Add("data/" + ligatures + "/a").ok());
  ASSERT_TRUE(d.Add("data/" + ligatures + "/b").ok());
  EXPECT_EQ(d.node_count(), 4u);  // data, the ligatures, a, b
  Status twice = d.Add("data/" + ligatures + "/a");
  ASSERT_FALSE(twice.ok());
  EXPECT_NE(twice.error().message().find("is listed twice"), std::string::npos);
  Status overlong = d.Add("data/" + std::string(256, 'x'));
  ASSERT_FALSE(overlong.ok());
  EXPECT_EQ(overlong.error().code(), ErrorCode::kUnsafePath);
  EXPECT_NE(overlong.error().message().find("has a component over 255 bytes"), std::string::npos);
}

// 200,000 paths in a realistic tree: every one accepted, memory linear (one
// node per distinct prefix).
TEST(CollisionDetector, TwoHundredThousandPaths) {
  CollisionDetector d;
  ASSERT_TRUE(d.Add("data").ok());
  std::size_t n = 0;
  for (int dir = 0; dir < 400; ++dir) {
    std::string dp = "data/case-" + std::to_string(dir);
    ASSERT_TRUE(d.Add(dp).ok());
    for (int f = 0; f < 500; ++f, ++n) {
      Status st = d.Add(dp + "/Exhibit " + std::to_string(f) + ".jpg");
      ASSERT_TRUE(st.ok()) << st.error().message();
    }
  }
  EXPECT_EQ(n, 200000u);
  EXPECT_EQ(d.node_count(), 1u + 400u + 200000u);
  EXPECT_FALSE(d.Add("data/CASE-7/exhibit 3.JPG").ok());
}

}  // namespace
}  // namespace custos::bundle
