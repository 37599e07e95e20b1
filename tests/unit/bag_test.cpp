// BagIt tag files (RFC 8493): known answers, encoding, folding, injection, and
// a catalogue of malformed tag files the parsers must refuse.
#include "bundle/bag.h"

#include <gtest/gtest.h>

#include <sstream>

namespace custos::bundle {
namespace {

constexpr char kEmptySha[] = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855";
constexpr char kAbcSha[] = "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad";

crypto::Digest Sha(std::string_view s) { return crypto::Sha256Of(crypto::AsBytes(s)); }

std::vector<std::string> Lines(const std::string& text) {
  std::vector<std::string> out;
  std::istringstream in(text);
  for (std::string l; std::getline(in, l);) out.push_back(l);
  return out;
}

BagInfo Sample() {
  BagInfo b;
  b.source_organization = "Ministry of Justice of Slovenia";
  b.external_identifier = "KT-123/2026";
  b.bagging_time = 1700000000;  // 2023-11-14T22:13:20Z
  b.payload_octets = 1234;
  b.payload_files = 3;
  b.bundle_id = "00112233445566778899aabbccddeeff";
  b.request_reference = "MLA-2026-7";
  b.use_limitations = {"Only for case KT-123/2026", "No onward transfer"};
  b.confidentiality = "confidential";
  b.sender_fingerprint = "abcd ef01";
  return b;
}

TEST(Bag, BagitTxtKnownAnswer) {
  EXPECT_EQ(BagitTxt(), "BagIt-Version: 1.0\nTag-File-Character-Encoding: UTF-8\n");
}

TEST(Bag, BagInfoKnownAnswer) {
  EXPECT_EQ(BagInfoTxt(Sample()),
            "Source-Organization: Ministry of Justice of Slovenia\n"
            "External-Identifier: KT-123/2026\n"
            "Bagging-Date: 2023-11-14\n"
            "Payload-Oxum: 1234.3\n"
            "Custos-Bundle-Id: 00112233445566778899aabbccddeeff\n"
            "Custos-Request-Reference: MLA-2026-7\n"
            "Custos-Use-Limitation: Only for case KT-123/2026\n"
            "Custos-Use-Limitation: No onward transfer\n"
            "Custos-Confidentiality: confidential\n"
            "Custos-Sender-Fingerprint: abcd ef01\n");
}

TEST(Bag, EmptyOptionalFieldsAreLeftOut) {
  BagInfo b;
  b.external_identifier = "C-1";
  EXPECT_EQ(BagInfoTxt(b), "External-Identifier: C-1\nBagging-Date: 1970-01-01\nPayload-Oxum: 0.0\n");
}

TEST(Bag, LongValuesFoldBeforeWhitespaceAndUnfoldExactly) {
  BagInfo b = Sample();
  std::string longv;
  for (int i = 0; i < 40; ++i) longv += "evidence  may be used only in proceedings " + std::to_string(i) + " ";
  longv += "end";
  b.use_limitations = {longv};
  std::string text = BagInfoTxt(b);
  auto lines = Lines(text);
  std::size_t continuations = 0;
  for (const auto& l : lines) {
    EXPECT_LE(l.size(), kBagInfoLineBytes) << l;
    if (l[0] == ' ') ++continuations;
  }
  EXPECT_GT(continuations, 20u);
  auto parsed = ParseBagInfo(text);
  ASSERT_TRUE(parsed.ok()) << parsed.error().message();
  bool found = false;
  for (const auto& [label, value] : parsed->tags)
    if (label == "Custos-Use-Limitation") found = (value == longv);
  EXPECT_TRUE(found);
}

TEST(Bag, ALongWordIsNotBroken) {
  BagInfo b = Sample();
  b.external_identifier = std::string(200, 'K');
  std::string text = BagInfoTxt(b);
  EXPECT_NE(text.find("External-Identifier: " + std::string(200, 'K') + "\n"), std::string::npos);
  EXPECT_EQ(ParseBagInfo(text)->external_identifier, std::string(200, 'K'));
}

TEST(Bag, NewlineInAValueCannotInjectALabel) {
  BagInfo b = Sample();
  b.external_identifier = "KT-1\nPayload-Oxum: 999.9\r\nX: y";
  b.use_limitations = {"a\n Custos-Confidentiality: none"};
  std::string text = BagInfoTxt(b);
  std::size_t oxum_lines = 0;
  for (const auto& l : Lines(text)) oxum_lines += l.rfind("Payload-Oxum:", 0) == 0;
  EXPECT_EQ(oxum_lines, 1u);
  auto parsed = ParseBagInfo(text);
  ASSERT_TRUE(parsed.ok()) << parsed.error().message();
  EXPECT_EQ(parsed->payload_octets, 1234u);
  EXPECT_EQ(parsed->payload_files, 3u);
  EXPECT_EQ(parsed->external_identifier, "KT-1 Payload-Oxum: 999.9  X: y");
  EXPECT_EQ(parsed->external_identifier, SanitizeTagValue(b.external_identifier));
}

TEST(Bag, SanitizeTagValue) {
  EXPECT_EQ(SanitizeTagValue("  a\tb\x7F" "c\xC2\x85" "d\xE2\x80\xA8" "e  "), "a b c d e");
  EXPECT_EQ(SanitizeTagValue("bad\xFF\xC0\xAFutf8"), "bad\xEF\xBF\xBD\xEF\xBF\xBD\xEF\xBF\xBDutf8");
  EXPECT_EQ(SanitizeTagValue("\n\r "), "");
  EXPECT_EQ(SanitizeTagValue("Résumé"), "Résumé");
}

TEST(Bag, ManifestKnownAnswerAndPercentEncoding) {
  ManifestEntries e = {{"data/empty", Sha("")}, {"data/100%\r\nsure", Sha("abc")}};
  std::string text = ManifestSha256(e);
  EXPECT_EQ(text, std::string(kEmptySha) + "  data/empty\n" + kAbcSha + "  data/100%25%0D%0Asure\n");
  auto back = ParseManifestSha256(text, kMaxManifestTxtBytes);
  ASSERT_TRUE(back.ok()) << back.error().message();
  EXPECT_EQ(*back, e);
  EXPECT_EQ(EncodeManifestPath("%25"), "%2525");
  EXPECT_TRUE(ParseManifestSha256("", 10)->empty());
}

TEST(Bag, TagManifestKnownAnswer) {
  std::string bagit = BagitTxt();
  std::string tm = TagManifestSha256(bagit, "", "abc");
  EXPECT_EQ(tm, "1712ecfb074bf29c4188ad3421032509159a09739fd604f8fe57038b4ddefcc9  bagit.txt\n" +
                    std::string(kEmptySha) + "  bag-info.txt\n" + kAbcSha + "  manifest-sha256.txt\n");
  auto parsed = ParseManifestSha256(tm, kMaxTagManifestBytes, "tagmanifest-sha256.txt");
  ASSERT_TRUE(parsed.ok());
  EXPECT_EQ(parsed->size(), 3u);
}

struct Bad {
  std::string text;
  std::string rule;
};

TEST(Bag, ManifestParserRefusesMalformedLines) {
  const std::string h = kAbcSha;
  std::string upper = h;
  upper[0] = 'B';
  const std::vector<Bad> bad = {
      {h + "  data/x", "does not end with a line feed"},
      {h + "  data/x\r\n", "carriage return"},
      {h + "  data/\rx\n", "carriage return"},
      {upper + "  data/x\n", "64 lowercase hex"},
      {h.substr(1) + "  data/x\n", "64 lowercase hex"},
      {h + "0  data/x\n", "two spaces"},
      {h + " data/x\n", "two spaces"},
      {h + "\t data/x\n", "two spaces"},
      {h + "  \n", "empty path"},
      {h + "\n", "two spaces"},
      {"\n", "64 lowercase hex"},
      {h + "  data/x\n\n", "line 2"},
      {h + "  data/%41\n", "not %25, %0D or %0A"},
      {h + "  data/%0d\n", "not %25, %0D or %0A"},
      {h + "  data/%2\n", "not %25, %0D or %0A"},
      {h + "  data/%\n", "not %25, %0D or %0A"},
      {"sha256 " + h + "  data/x\n", "64 lowercase hex"},
  };
  for (const Bad& b : bad) {
    auto r = ParseManifestSha256(b.text, kMaxManifestTxtBytes);
    ASSERT_FALSE(r.ok()) << b.text;
    EXPECT_EQ(r.error().code(), ErrorCode::kCorrupt) << b.text;
    EXPECT_NE(r.error().message().find(b.rule), std::string::npos) << r.error().message();
    EXPECT_EQ(r.error().message().rfind("manifest-sha256.txt: ", 0), 0u);
  }
}

TEST(Bag, ManifestParserEnforcesItsLimit) {
  std::string line = std::string(kAbcSha) + "  data/x\n";
  EXPECT_TRUE(ParseManifestSha256(line, line.size()).ok());
  auto r = ParseManifestSha256(line, line.size() - 1);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().code(), ErrorCode::kLimitExceeded);
  EXPECT_NE(r.error().message().find("more than the limit of"), std::string::npos);
}

TEST(Bag, BagInfoParserRefusesMalformedFiles) {
  const std::string ok = "External-Identifier: C\nPayload-Oxum: 1.1\n";
  const std::vector<Bad> bad = {
      {"", "is empty"},
      {"External-Identifier: C\n", "0 Payload-Oxum lines"},
      {ok + "Payload-Oxum: 1.1\n", "2 Payload-Oxum lines"},
      {"Payload-Oxum: 1.1\n", "0 External-Identifier lines"},
      {ok + "External-Identifier: D\n", "2 External-Identifier lines"},
      {"External-Identifier: C\nPayload-Oxum: 01.1\n", "not <octets>.<file count>"},
      {"External-Identifier: C\nPayload-Oxum: 1.\n", "not <octets>"},
      {"External-Identifier: C\nPayload-Oxum: .1\n", "not <octets>"},
      {"External-Identifier: C\nPayload-Oxum: 1.1.1\n", "not <octets>"},
      {"External-Identifier: C\nPayload-Oxum: -1.1\n", "not <octets>"},
      {"External-Identifier: C\nPayload-Oxum: 18446744073709551616.1\n", "not <octets>"},
      {"External-Identifier: C\nPayload-Oxum: 1.1 \n", "not <octets>"},
      {" continued: x\n" + ok, "no label comes before it"},
      {ok + "\n", "line 3: is empty"},
      {"External-Identifier: C\r\nPayload-Oxum: 1.1\r\n", "carriage return"},
      {ok + "Label:no-space\n", "no space after"},
      {ok + "Label:\n", "no space after"},
      {ok + "no colon here\n", "not a \"Label: value\" line"},
      {ok + ": empty label\n", "empty or malformed label"},
      {ok + "Label : x\n", "empty or malformed label"},
      {ok + "Note: \xC0\xAF\n", "not valid UTF-8"},
      {"External-Identifier: C\nPayload-Oxum: 1.1", "does not end with a line feed"},
  };
  for (const Bad& b : bad) {
    auto r = ParseBagInfo(b.text);
    ASSERT_FALSE(r.ok()) << b.text;
    EXPECT_EQ(r.error().code(), ErrorCode::kCorrupt) << b.text;
    EXPECT_NE(r.error().message().find(b.rule), std::string::npos) << r.error().message();
  }
  auto good = ParseBagInfo(ok);
  ASSERT_TRUE(good.ok());
  EXPECT_EQ(good->payload_octets, 1u);
  auto max = ParseBagInfo("External-Identifier: C\nPayload-Oxum: 18446744073709551615.0\n");
  ASSERT_TRUE(max.ok());
  EXPECT_EQ(max->payload_octets, UINT64_MAX);
}

TEST(Bag, BagInfoParserEnforcesItsLimit) {
  std::string big = "External-Identifier: C\nPayload-Oxum: 1.1\nNote: " + std::string(kMaxBagInfoBytes, 'x') + "\n";
  auto r = ParseBagInfo(big);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().code(), ErrorCode::kLimitExceeded);
}

TEST(Bag, WrittenBagInfoParsesBack) {
  auto parsed = ParseBagInfo(BagInfoTxt(Sample()));
  ASSERT_TRUE(parsed.ok()) << parsed.error().message();
  EXPECT_EQ(parsed->external_identifier, "KT-123/2026");
  EXPECT_EQ(parsed->payload_octets, 1234u);
  EXPECT_EQ(parsed->payload_files, 3u);
  EXPECT_EQ(parsed->tags.size(), 10u);
}

}  // namespace
}  // namespace custos::bundle
