// The reader's payload stages (ReadPayloadForTesting) on the committed fuzz
// corpus tests/fuzz/corpus/bundle_payload/: real decrypted payloads sealed by
// the example SI authority for NL must read, and each broken one must fail
// with its own sentence — so the corpus stays meaningful for the fuzzer (the
// valid seeds reach the seal check) and the entry point matches ReadBundle.
#include <gtest/gtest.h>

#include <cstring>
#include <fstream>
#include <iterator>
#include <string>
#include <vector>

#include "bundle/reader.h"
#include "crypto/crypto.h"
#include "custos/keys.h"
#include "example_keys.h"

namespace custos::bundle {
namespace {

PublicIdentity Example(const std::string& name) { return custos::testing::ExamplePub(name); }

class VectorSource final : public ByteSource {
 public:
  explicit VectorSource(std::vector<std::uint8_t> b) : b_(std::move(b)) {}
  Result<std::size_t> Read(std::span<std::uint8_t> out) override {
    std::size_t n = std::min(out.size(), b_.size() - pos_);
    if (n > 0) std::memcpy(out.data(), b_.data() + pos_, n);
    pos_ += n;
    return n;
  }

 private:
  std::vector<std::uint8_t> b_;
  std::size_t pos_ = 0;
};

Result<ReadOutcome> ReadCorpus(const std::string& name, const std::string& receiver = "nl-central-authority",
                               const std::string& sender = "si-central-authority") {
  std::ifstream in(custos::testing::SourceDir() + "/tests/fuzz/corpus/bundle_payload/" + name, std::ios::binary);
  EXPECT_TRUE(in.good()) << name;
  VectorSource src(std::vector<std::uint8_t>((std::istreambuf_iterator<char>(in)), {}));
  return ReadPayloadForTesting(src, Example(receiver).fingerprint(), {Example(sender)});
}

class BundlePayloadTest : public ::testing::Test {
 protected:
  void SetUp() override { ASSERT_TRUE(crypto::Init().ok()); }
};

TEST_F(BundlePayloadTest, ValidSeedsRead) {
  for (const char* name : {"valid-one-file", "valid-tree", "valid-ev"}) {
    auto r = ReadCorpus(name);
    ASSERT_TRUE(r.ok()) << name << ": " << r.error().message();
    EXPECT_EQ(r->file_hashes.size(), r->manifest.file_count) << name;
    EXPECT_FALSE(r->seal_member.empty()) << name;
  }
}

TEST_F(BundlePayloadTest, ValidSeedIsNotForTheProsecutor) {
  auto r = ReadCorpus("valid-ev", "prosecutor");
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().code(), ErrorCode::kNotForUs);
}

TEST_F(BundlePayloadTest, ValidSeedPinnedToAnotherSenderFails) {
  auto r = ReadCorpus("valid-ev", "nl-central-authority", "forensic-lab");
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().code(), ErrorCode::kUntrustedSigner);
}

TEST_F(BundlePayloadTest, BrokenSeedsFailWithTheirSentence) {
  const std::vector<std::pair<const char*, const char*>> cases = {
      {"crafted-duplicate", "payload does not match its signed manifest"},
      {"crafted-empty", "the archive is empty"},
      {"crafted-extra", "zz-extra.txt"},
      {"crafted-missing", "payload does not match its signed manifest"},
      {"crafted-noseal", "seal.pb' is missing"},
      {"crafted-size", "size of 'data/ev/a.txt' is 7"},
      {"crafted-symlink", "is not a regular file"},
      {"data-after-eoa", "data after the end of the tar archive"},
      {"dir-mode", "mode or modification time of 'data/ev' differs"},
      {"empty-frame", "payload is not a tar archive"},
      {"not-zstd-plain-tar", "payload is not valid zstd"},
      {"pax-comment", "tar headers or metadata were altered after sealing"},
      {"pax-xattr", "carries links, extended attributes"},
      {"seal-flipped", "seal signature is invalid"},
      {"skippable-frame", "skippable frame"},
      {"trailing-bytes", "payload is not valid zstd"},
      {"truncated", "truncated"},
      {"uname", "tar headers or metadata were altered after sealing"},
  };
  for (const auto& [name, sentence] : cases) {
    auto r = ReadCorpus(name);
    ASSERT_FALSE(r.ok()) << name;
    EXPECT_NE(r.error().message().find(sentence), std::string::npos)
        << name << ": " << r.error().message();
  }
}

}  // namespace
}  // namespace custos::bundle
