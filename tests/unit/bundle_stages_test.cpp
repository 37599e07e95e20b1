// The tar and zstd stages of the bundle pipeline, each alone, over memory:
// TarWriter -> TarReader (members, the tar transcript, the budget, what may
// follow the end of the archive) and ZstdDecompressor's frame rules
// (FORMAT.md §4, §5.2).
#include <archive_entry.h>
#include <gtest/gtest.h>

#include <algorithm>
#include <cstring>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "bundle/limits.h"
#include "bundle/tar_reader.h"
#include "bundle/tar_writer.h"
#include "bundle/zstd_stream.h"

namespace custos::bundle {
namespace {

using Bytes = std::vector<std::uint8_t>;

Bytes Pattern(std::size_t n, std::uint8_t seed) {
  Bytes b(n);
  for (std::size_t i = 0; i < n; ++i) b[i] = static_cast<std::uint8_t>(seed + i * 31 + (i >> 9));
  return b;
}

// ---------------------------------------------------------------- tar ----

struct Member {
  std::string path;
  unsigned type;
  std::uint32_t mode;
  std::int64_t mtime;
  Bytes content;
  bool evidence;
};

const std::string kLongName =
    "b/data/Dokazi – Žrtve iz Сребреница 証拠 " + std::string(120, 'x') + ".bin";

std::vector<Member> SampleMembers() {
  return {
      {"b", AE_IFDIR, 0750, 1700000000, {}, false},
      {"b/custos/manifest.pb", AE_IFREG, 0644, 1700000001, Pattern(700, 1), false},
      {"b/data", AE_IFDIR, 0755, 1700000002, {}, false},
      {"b/data/e1.bin", AE_IFREG, 0640, 1600000000, Pattern(70001, 2), true},
      {"b/data/empty", AE_IFREG, 0600, 1500000000, {}, true},
      {kLongName, AE_IFREG, 0604, 1400000000, Pattern(513, 3), true},
      {"b/bagit.txt", AE_IFREG, 0644, 1700000003, Pattern(40, 4), false},
  };
}
const Member kSeal{"b/custos/seal.pb", AE_IFREG, 0644, 1700000004, Pattern(300, 5), false};

struct Written {
  Bytes tar;
  crypto::Digest transcript{};
  std::uint64_t members_end = 0;  // the last member's padded end: end-of-archive starts here
};

Written WriteTar(const std::vector<Member>& members) {
  VectorSink sink;
  auto w = TarWriter::Create(sink);
  EXPECT_TRUE(w.ok());
  for (const Member& m : members) {
    if (m.type == AE_IFDIR) {
      EXPECT_TRUE((*w)->AddDirectory(m.path, m.mode, m.mtime).ok()) << m.path;
      continue;
    }
    EXPECT_TRUE((*w)->BeginFile(m.path, m.content.size(), m.mode, m.mtime, m.evidence).ok());
    // In uneven pieces, as a file is read.
    std::span<const std::uint8_t> rest(m.content);
    while (!rest.empty()) {
      std::size_t n = std::min<std::size_t>(rest.size(), 4099);
      EXPECT_TRUE((*w)->WriteData(rest.first(n)).ok());
      rest = rest.subspan(n);
    }
    EXPECT_TRUE((*w)->EndFile().ok()) << m.path;
  }
  Written out;
  out.transcript = (*w)->FinishTranscript();
  EXPECT_TRUE((*w)->AddSmallFile(kSeal.path, kSeal.content, kSeal.mode, kSeal.mtime).ok());
  // libarchive pads a member when the next one starts (or at Close), so the
  // seal's padding is not written yet.
  out.members_end = ((*w)->position() + kTarBlock - 1) / kTarBlock * kTarBlock;
  EXPECT_TRUE((*w)->Close().ok());
  out.tar = std::move(sink.bytes);
  EXPECT_GE(out.tar.size(), out.members_end + 2 * kTarBlock);
  return out;
}

struct ReadBack {
  std::vector<TarMember> members;
  std::vector<Bytes> contents;
  crypto::Digest transcript{};
};

// Reads every member; `evidence` paths are excluded from the transcript, which
// ends at the seal's header. Then checks the trailer.
Result<ReadBack> ReadTar(const Bytes& tar, const std::set<std::string>& evidence,
                         std::uint64_t budget = 1ull << 40) {
  MemorySource src(tar, 3000);
  CUSTOS_ASSIGN_OR_RETURN(std::unique_ptr<TarReader> r, TarReader::Create(src, budget));
  ReadBack out;
  for (;;) {
    CUSTOS_ASSIGN_OR_RETURN(std::optional<TarMember> m, r->Next());
    if (!m) break;
    if (evidence.count(m->path) != 0) r->ExcludeCurrentContent();
    if (m->path == kSeal.path) out.transcript = r->FinishTranscriptAtCurrentHeader();
    Bytes content;
    for (;;) {
      CUSTOS_ASSIGN_OR_RETURN(std::span<const std::uint8_t> block, r->ReadBlock());
      if (block.empty()) break;
      content.insert(content.end(), block.begin(), block.end());
    }
    out.members.push_back(*m);
    out.contents.push_back(std::move(content));
  }
  CUSTOS_TRY(r->CheckTrailer());
  return out;
}

std::set<std::string> EvidencePaths(const std::vector<Member>& members) {
  std::set<std::string> out;
  for (const Member& m : members)
    if (m.evidence) out.insert(m.path);
  return out;
}

// Rewrites a ustar header's checksum (offset 148, 8 bytes, counted as spaces)
// the way libarchive writes it: six octal digits, NUL, space.
void FixUstarChecksum(Bytes& tar, std::size_t header) {
  std::memset(&tar[header + 148], ' ', 8);
  unsigned sum = 0;
  for (std::size_t i = 0; i < 512; ++i) sum += tar[header + i];
  std::snprintf(reinterpret_cast<char*>(&tar[header + 148]), 8, "%06o", sum);
  tar[header + 155] = ' ';
}

TEST(TarStages, MembersSizesModesAndMtimesRoundTrip) {
  std::vector<Member> members = SampleMembers();
  Written w = WriteTar(members);
  auto back = ReadTar(w.tar, EvidencePaths(members));
  ASSERT_TRUE(back.ok()) << back.error().message();
  members.push_back(kSeal);
  ASSERT_EQ(back->members.size(), members.size());
  for (std::size_t i = 0; i < members.size(); ++i) {
    const TarMember& got = back->members[i];
    const Member& want = members[i];
    // libarchive's pax writer marks directories with a trailing slash.
    std::string want_path = want.type == AE_IFDIR ? want.path + "/" : want.path;
    EXPECT_EQ(got.path, want_path);
    EXPECT_EQ(got.type, want.type) << want.path;
    EXPECT_EQ(got.size, want.content.size()) << want.path;
    EXPECT_EQ(got.perm, want.mode) << want.path;
    EXPECT_EQ(got.mtime, want.mtime) << want.path;
    EXPECT_EQ(got.mtime_nsec, 0) << want.path;
    EXPECT_FALSE(got.has_link) << want.path;
    EXPECT_FALSE(got.has_extras) << want.path;
    EXPECT_EQ(back->contents[i], want.content) << want.path;
    EXPECT_EQ(got.data_pos % kTarBlock, 0u) << want.path;
  }
}

TEST(TarStages, WriterDropsSetIdAndStickyBits) {
  std::vector<Member> members = {{"b/data/suid", AE_IFREG, 06755, 1, Pattern(3, 0), true},
                                 {"b/data/sticky", AE_IFDIR, 01777, 1, {}, false}};
  Written w = WriteTar(members);
  auto back = ReadTar(w.tar, EvidencePaths(members));
  ASSERT_TRUE(back.ok()) << back.error().message();
  EXPECT_EQ(back->members[0].perm, 0755u);
  EXPECT_EQ(back->members[1].perm, 0777u);
}

TEST(TarStages, TranscriptOfWriterEqualsReaderWithSameEvidence) {
  std::vector<Member> members = SampleMembers();
  Written w = WriteTar(members);
  auto back = ReadTar(w.tar, EvidencePaths(members));
  ASSERT_TRUE(back.ok()) << back.error().message();
  EXPECT_EQ(back->transcript, w.transcript);
}

TEST(TarStages, TranscriptDiffersWhenADifferentMemberIsMarkedEvidence) {
  std::vector<Member> members = SampleMembers();
  Written w = WriteTar(members);
  std::set<std::string> evidence = EvidencePaths(members);
  evidence.erase("b/data/e1.bin");
  auto back = ReadTar(w.tar, evidence);
  ASSERT_TRUE(back.ok()) << back.error().message();
  EXPECT_NE(back->transcript, w.transcript);
}

// uname (offset 265) is never reported as a member field, so only the
// transcript can notice the change; the checksum is fixed so the tar parses.
TEST(TarStages, TranscriptDiffersWhenOneHeaderByteChanges) {
  std::vector<Member> members = SampleMembers();
  Written w = WriteTar(members);
  auto first = ReadTar(w.tar, EvidencePaths(members));
  ASSERT_TRUE(first.ok());
  std::size_t header = static_cast<std::size_t>(first->members[3].header_pos);  // e1.bin
  ASSERT_EQ(std::memcmp(&w.tar[header + 257], "ustar", 5), 0);
  Bytes changed = w.tar;
  changed[header + 265] ^= 'Z';
  FixUstarChecksum(changed, header);
  auto back = ReadTar(changed, EvidencePaths(members));
  ASSERT_TRUE(back.ok()) << back.error().message();
  EXPECT_EQ(back->members[3].path, "b/data/e1.bin");
  EXPECT_NE(back->transcript, w.transcript);
}

// The counterpart: a changed evidence byte is the per-file hash's business.
TEST(TarStages, TranscriptIgnoresEvidenceContent) {
  std::vector<Member> members = SampleMembers();
  Written w = WriteTar(members);
  auto first = ReadTar(w.tar, EvidencePaths(members));
  ASSERT_TRUE(first.ok());
  Bytes changed = w.tar;
  changed[static_cast<std::size_t>(first->members[3].data_pos) + 1000] ^= 1;
  auto back = ReadTar(changed, EvidencePaths(members));
  ASSERT_TRUE(back.ok()) << back.error().message();
  EXPECT_EQ(back->transcript, w.transcript);
  EXPECT_NE(back->contents[3], members[3].content);
}

TEST(TarStages, ReaderOverItsBudgetFailsWithLimitExceeded) {
  std::vector<Member> members = SampleMembers();
  Written w = WriteTar(members);
  auto back = ReadTar(w.tar, EvidencePaths(members), /*budget=*/4096);
  ASSERT_FALSE(back.ok());
  EXPECT_EQ(back.error().code(), ErrorCode::kLimitExceeded) << back.error().message();
  EXPECT_NE(back.error().message().find("4096 bytes"), std::string::npos);
}

TEST(TarStages, ReaderWithinItsBudgetSucceeds) {
  std::vector<Member> members = SampleMembers();
  Written w = WriteTar(members);
  auto back = ReadTar(w.tar, EvidencePaths(members), /*budget=*/w.tar.size());
  EXPECT_TRUE(back.ok()) << back.error().message();
}

// ----------------------------------------------------- tar trailer ----

// The members of a small archive followed by `trailer` instead of what
// libarchive wrote after them.
Bytes WithTrailer(const Bytes& trailer, std::uint64_t* members_end = nullptr) {
  std::vector<Member> members = {{"b/data/x", AE_IFREG, 0644, 1, Pattern(1000, 9), true}};
  Written w = WriteTar(members);
  Bytes out(w.tar.begin(), w.tar.begin() + static_cast<std::ptrdiff_t>(w.members_end));
  out.insert(out.end(), trailer.begin(), trailer.end());
  if (members_end != nullptr) *members_end = w.members_end;
  return out;
}

Status ReadWithTrailer(const Bytes& tar) {
  auto back = ReadTar(tar, {"b/data/x"});
  if (!back.ok()) return std::move(back).error();
  return Ok();
}

TEST(TarTrailer, AcceptsExactlyTwoZeroBlocks) {
  Status st = ReadWithTrailer(WithTrailer(Bytes(1024, 0)));
  EXPECT_TRUE(st.ok()) << st.error().message();
}

TEST(TarTrailer, AcceptsZeroPaddingToTheEndOfTheRecord) {
  std::uint64_t end = 0;
  WithTrailer({}, &end);
  std::uint64_t record_end = (end + 1024 + kTarRecord - 1) / kTarRecord * kTarRecord;
  Bytes tar = WithTrailer(Bytes(static_cast<std::size_t>(record_end - end), 0));
  ASSERT_EQ(tar.size() % kTarRecord, 0u);
  Status st = ReadWithTrailer(tar);
  EXPECT_TRUE(st.ok()) << st.error().message();
}

TEST(TarTrailer, RejectsANonZeroByteAfterTheEnd) {
  Bytes trailer(1024, 0);
  trailer.push_back(1);
  Status st = ReadWithTrailer(WithTrailer(trailer));
  ASSERT_FALSE(st.ok());
  EXPECT_EQ(st.error().code(), ErrorCode::kCorrupt);
  EXPECT_NE(st.error().message().find("data after the end of the tar archive"), std::string::npos)
      << st.error().message();
}

TEST(TarTrailer, RejectsANonZeroByteInsideTheRecordPadding) {
  Bytes trailer(4096, 0);
  trailer[3000] = 0x80;
  Status st = ReadWithTrailer(WithTrailer(trailer));
  ASSERT_FALSE(st.ok());
  EXPECT_EQ(st.error().code(), ErrorCode::kCorrupt) << st.error().message();
}

TEST(TarTrailer, RejectsZeroPaddingBeyondTheRecord) {
  std::uint64_t end = 0;
  WithTrailer({}, &end);
  std::uint64_t record_end = (end + 1024 + kTarRecord - 1) / kTarRecord * kTarRecord;
  Bytes tar = WithTrailer(Bytes(static_cast<std::size_t>(record_end - end + 512), 0));
  Status st = ReadWithTrailer(tar);
  ASSERT_FALSE(st.ok());
  EXPECT_EQ(st.error().code(), ErrorCode::kCorrupt);
  EXPECT_NE(st.error().message().find("data after the end of the tar archive"), std::string::npos)
      << st.error().message();
}

// The transcript ends at the seal's header and the seal signs only its own
// content, so the seal's padding is covered by nothing but this check.
TEST(TarTrailer, RejectsANonZeroByteInTheLastMembersPadding) {
  std::vector<Member> members = SampleMembers();
  Written w = WriteTar(members);
  auto first = ReadTar(w.tar, EvidencePaths(members));
  ASSERT_TRUE(first.ok());
  const TarMember& seal = first->members.back();
  ASSERT_EQ(seal.path, kSeal.path);
  ASSERT_NE(seal.size % kTarBlock, 0u);
  Bytes changed = w.tar;
  changed[static_cast<std::size_t>(seal.data_pos + seal.size)] = 'A';
  auto back = ReadTar(changed, EvidencePaths(members));
  ASSERT_FALSE(back.ok());
  EXPECT_EQ(back.error().code(), ErrorCode::kCorrupt) << back.error().message();
}

// More than libarchive reads ahead: CheckTrailer reads the rest itself.
TEST(TarTrailer, RejectsALongRunOfZerosPastTheRecord) {
  Status st = ReadWithTrailer(WithTrailer(Bytes(400000, 0)));
  ASSERT_FALSE(st.ok());
  EXPECT_EQ(st.error().code(), ErrorCode::kCorrupt) << st.error().message();
}

TEST(TarTrailer, RejectsAMissingEndOfArchive) {
  Status st = ReadWithTrailer(WithTrailer({}));
  ASSERT_FALSE(st.ok());
  EXPECT_EQ(st.error().code(), ErrorCode::kCorrupt) << st.error().message();
}

TEST(TarTrailer, RejectsASingleEndOfArchiveBlock) {
  Status st = ReadWithTrailer(WithTrailer(Bytes(512, 0)));
  ASSERT_FALSE(st.ok());
  EXPECT_EQ(st.error().code(), ErrorCode::kCorrupt) << st.error().message();
}

}  // namespace
}  // namespace custos::bundle
