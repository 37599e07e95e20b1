// CheckEntries, the reader's (and sealer's) rules for a manifest's entry
// list: safe paths under data/, every entry after its directory, no
// collisions, nothing listed twice, modes within 0777. Each case here names
// the one rule it breaks.
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "bundle/manifest.h"

namespace custos::bundle {
namespace {

struct E {
  std::string path;
  bool dir;
  std::uint32_t mode = 0644;
};

Status Check(const std::vector<E>& entries, std::uint64_t* files = nullptr) {
  v1::Manifest m;
  for (const E& e : entries) {
    v1::Entry* out = m.add_entries();
    if (e.dir) {
      out->mutable_directory()->set_path(e.path);
      out->mutable_directory()->set_mode(e.mode);
    } else {
      out->mutable_file()->set_path(e.path);
      out->mutable_file()->set_mode(e.mode);
      out->mutable_file()->set_size(3);
    }
  }
  std::uint64_t bytes = 0, f = 0, d = 0;
  Status st = CheckEntries(m, &bytes, &f, &d);
  if (files != nullptr) *files = f;
  return st;
}

void Refused(const std::vector<E>& entries, ErrorCode code, const std::string& message) {
  Status st = Check(entries);
  ASSERT_FALSE(st.ok());
  EXPECT_EQ(st.error().code(), code);
  EXPECT_EQ(st.error().message(), message);
}

TEST(CheckEntries, DirectoryThenItsEntriesIsAccepted) {
  std::uint64_t files = 0;
  Status st = Check({{"data/d", true}, {"data/d/f", false}, {"data/d/e", true}, {"data/d/e/g", false},
                     {"data/top", false}},
                    &files);
  ASSERT_TRUE(st.ok()) << st.error().message();
  EXPECT_EQ(files, 3u);
}

TEST(CheckEntries, EveryEntryComesAfterItsDirectory) {
  Refused({{"data/d/f", false}, {"data/d", true}}, ErrorCode::kCorrupt,
          "manifest entry 'data/d/f' comes before its directory");
  // A file is not a directory: nothing may be listed under it.
  Refused({{"data/f", false}, {"data/f/x", false}}, ErrorCode::kCorrupt,
          "manifest entry 'data/f/x' comes before its directory");
  // A directory that only appears as a prefix was never listed.
  Refused({{"data/a", true}, {"data/a/b/c", false}}, ErrorCode::kCorrupt,
          "manifest entry 'data/a/b/c' comes before its directory");
}

TEST(CheckEntries, NothingIsListedTwice) {
  Refused({{"data/d", true}, {"data/d", true}}, ErrorCode::kUnsafePath,
          "unsafe path \"data/d\": is listed twice");
  Refused({{"data/d", true}, {"data/d", false}}, ErrorCode::kUnsafePath,
          "unsafe path \"data/d\": is listed twice");
  Refused({{"data/f", false}, {"data/f", true}}, ErrorCode::kUnsafePath,
          "unsafe path \"data/f\": is listed twice");
}

TEST(CheckEntries, CollisionsAndTheDataRoot) {
  Refused({{"data/Report", false}, {"data/report", false}}, ErrorCode::kUnsafePath,
          "unsafe path \"data/report\": \"data/report\" and the earlier \"data/Report\" are the same "
          "name after Unicode case-folding (NFKC_Casefold); they would merge on many file systems");
  Refused({{"DATA/x", false}}, ErrorCode::kUnsafePath,
          "manifest entry 'DATA/x' is not under data/");
  Refused({{"data/d", true, 04755}}, ErrorCode::kCorrupt,
          "manifest entry 'data/d' has a mode beyond 0777");
}

// The trie's index grows many times over 200,000 entries; a duplicate or a
// case-fold of an early entry at the very end is still found.
TEST(CheckEntries, TwoHundredThousandEntriesThenADuplicate) {
  std::vector<E> entries;
  for (int d = 0; d < 400; ++d) {
    entries.push_back({"data/case-" + std::to_string(d), true});
    for (int f = 0; f < 500; ++f)
      entries.push_back({"data/case-" + std::to_string(d) + "/Exhibit " + std::to_string(f), false});
  }
  std::uint64_t files = 0;
  ASSERT_TRUE(Check(entries, &files).ok());
  EXPECT_EQ(files, 200000u);
  entries.push_back({"data/case-7/exhibit 3", false});
  Status folded = Check(entries);
  ASSERT_FALSE(folded.ok());
  EXPECT_NE(folded.error().message().find("the earlier \"data/case-7/Exhibit 3\""), std::string::npos)
      << folded.error().message();
  entries.back() = {"data/case-399/Exhibit 499", false};
  Status twice = Check(entries);
  ASSERT_FALSE(twice.ok());
  EXPECT_EQ(twice.error().message(), "unsafe path \"data/case-399/Exhibit 499\": is listed twice");
}

}  // namespace
}  // namespace custos::bundle
