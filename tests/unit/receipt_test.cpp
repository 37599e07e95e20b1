// Unit tests of receipts and the opened/sent registers (docs/FORMAT.md "Receipts",
// docs/FORMAT.md "Receipts"). CUSTOS_HOME points at a fresh temp dir per test.
#include <gtest/gtest.h>
#include <stdlib.h>
#include <sys/stat.h>

#include <filesystem>
#include <fstream>
#include <sstream>

#include "common/proto_util.h"
#include "crypto/crypto.h"
#include "crypto/domains.h"
#include "custos/keys.h"
#include "receipt/receipt.h"

namespace custos::receipt {
namespace {

namespace fs = std::filesystem;

SecretIdentity NewIdentity(const std::string& name) {
  IdentityInfo i;
  i.name = name;
  i.country = "NL";
  auto id = SecretIdentity::Generate(i);
  EXPECT_TRUE(id.ok());
  return std::move(id).value();
}

std::string Bytes(std::size_t n, char c) { return std::string(n, c); }

// A complete OPENED receipt (receiver fingerprint and time left to SignReceipt).
v1::Receipt Opened() {
  v1::Receipt r;
  r.set_bundle_id(Bytes(16, 'i'));
  r.set_bundle_sha256(Bytes(32, 'b'));
  r.set_bundle_size(12345);
  r.set_manifest_hash(Bytes(32, 'm'));
  r.set_seal_hash(Bytes(32, 's'));
  r.set_sender_fingerprint(Bytes(32, 'f'));
  r.set_result(v1::RECEIPT_OPENED);
  r.set_custody_head(Bytes(32, 'h'));
  r.set_custody_seq(5);
  return r;
}

// Signs arbitrary body bytes the way SignReceipt does, for hostile bodies.
std::string SignRaw(const SecretIdentity& who, const std::string& body) {
  auto sig = who.Sign(domain::kSigReceipt, crypto::AsBytes(body));
  v1::SignedReceipt w;
  w.set_receipt(body);
  w.set_signature(sig.data(), sig.size());
  return SerializeForSigning(w);
}

// A receipt with every field filled as SignReceipt would, signed by `who`.
std::string SignFilled(const SecretIdentity& who, v1::Receipt r) {
  r.set_format_version(r.format_version() == 0 ? 1 : r.format_version());
  if (r.receiver_fingerprint().empty())
    r.set_receiver_fingerprint(who.fingerprint().data(), who.fingerprint().size());
  if (!r.has_time()) r.mutable_time()->set_seconds(1'800'000'000);
  return SignRaw(who, SerializeForSigning(r));
}

class ReceiptTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() { ASSERT_TRUE(crypto::Init().ok()); }
  void SetUp() override {
    char tmpl[] = "/tmp/custos-receipt-test.XXXXXX";
    ASSERT_NE(::mkdtemp(tmpl), nullptr);
    base_ = tmpl;
    home_ = base_ + "/home";
    ::setenv("CUSTOS_HOME", home_.c_str(), 1);
  }
  void TearDown() override {
    ::unsetenv("CUSTOS_HOME");
    fs::remove_all(base_);
  }
  std::string base_, home_;
};

std::span<const std::uint8_t> View(const std::string& s) { return crypto::AsBytes(s); }

TEST_F(ReceiptTest, SignThenVerifyRoundTrips) {
  const SecretIdentity nl = NewIdentity("nl");
  const std::string file = SignReceipt(nl, Opened());
  ASSERT_LE(file.size(), kMaxReceiptBytes);
  auto r = VerifyReceiptBytes(View(file), nl.public_identity());
  ASSERT_TRUE(r.ok()) << r.error().message();
  EXPECT_EQ(r->format_version(), 1u);
  EXPECT_EQ(r->bundle_id(), Bytes(16, 'i'));
  EXPECT_EQ(r->seal_hash(), Bytes(32, 's'));
  EXPECT_EQ(r->custody_seq(), 5u);
  EXPECT_EQ(r->result(), v1::RECEIPT_OPENED);
  EXPECT_GT(r->time().seconds(), 0);
  EXPECT_EQ(r->receiver_fingerprint(),
            std::string(nl.fingerprint().begin(), nl.fingerprint().end()));
  auto unverified = ParseReceiptUnverified(View(file));
  ASSERT_TRUE(unverified.ok());
  EXPECT_EQ(unverified->bundle_size(), 12345u);
}

TEST_F(ReceiptTest, EveryAlteredByteFails) {
  const SecretIdentity nl = NewIdentity("nl");
  const std::string file = SignReceipt(nl, Opened());
  for (std::size_t i = 0; i < file.size(); ++i) {
    std::string bad = file;
    bad[i] = static_cast<char>(bad[i] ^ 0x01);
    EXPECT_FALSE(VerifyReceiptBytes(View(bad), nl.public_identity()).ok()) << "byte " << i;
  }
  EXPECT_FALSE(VerifyReceiptBytes(View(file.substr(0, file.size() - 1)), nl.public_identity()).ok());
  EXPECT_FALSE(VerifyReceiptBytes(View(file + std::string(1, '\0')), nl.public_identity()).ok());
}

TEST_F(ReceiptTest, AnotherReceiversKeyFails) {
  const SecretIdentity nl = NewIdentity("nl"), si = NewIdentity("si");
  const std::string file = SignReceipt(nl, Opened());
  auto r = VerifyReceiptBytes(View(file), si.public_identity());
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().code(), ErrorCode::kBadSignature);
  EXPECT_NE(r.error().message().find("receipt signature is invalid or not by si"), std::string::npos)
      << r.error().message();
}

TEST_F(ReceiptTest, ReceiptNamingAnotherReceiverFails) {
  const SecretIdentity nl = NewIdentity("nl"), si = NewIdentity("si");
  v1::Receipt r = Opened();
  r.set_receiver_fingerprint(si.fingerprint().data(), si.fingerprint().size());
  auto v = VerifyReceiptBytes(View(SignReceipt(nl, r)), nl.public_identity());
  ASSERT_FALSE(v.ok());
  EXPECT_EQ(v.error().code(), ErrorCode::kBadSignature);
  EXPECT_NE(v.error().message().find("names another receiver"), std::string::npos);
}

TEST_F(ReceiptTest, UnknownFieldInSignedBodyFails) {
  const SecretIdentity nl = NewIdentity("nl");
  v1::Receipt r = Opened();
  r.set_format_version(1);
  r.set_receiver_fingerprint(nl.fingerprint().data(), nl.fingerprint().size());
  r.mutable_time()->set_seconds(1'800'000'000);
  // Field 99, varint 1: a "v2 restriction" a v1 reader must not ignore.
  const std::string body = SerializeForSigning(r) + std::string("\x98\x06\x01", 3);
  auto v = VerifyReceiptBytes(View(SignRaw(nl, body)), nl.public_identity());
  ASSERT_FALSE(v.ok());
  EXPECT_EQ(v.error().code(), ErrorCode::kCorrupt);
}

TEST_F(ReceiptTest, UnknownFieldInWrapperFails) {
  const SecretIdentity nl = NewIdentity("nl");
  const std::string file = SignReceipt(nl, Opened()) + std::string("\x98\x06\x01", 3);
  auto v = VerifyReceiptBytes(View(file), nl.public_identity());
  ASSERT_FALSE(v.ok());
  EXPECT_EQ(v.error().code(), ErrorCode::kCorrupt);
}

TEST_F(ReceiptTest, OversizeIsLimitExceeded) {
  const SecretIdentity nl = NewIdentity("nl");
  const std::string big(kMaxReceiptBytes + 1, '\0');
  auto v = VerifyReceiptBytes(View(big), nl.public_identity());
  ASSERT_FALSE(v.ok());
  EXPECT_EQ(v.error().code(), ErrorCode::kLimitExceeded);
  v1::Receipt r = Opened();
  r.set_reason(std::string(kMaxReceiptBytes, 'x'));
  auto w = VerifyReceiptBytes(View(SignReceipt(nl, r)), nl.public_identity());
  ASSERT_FALSE(w.ok());
  EXPECT_EQ(w.error().code(), ErrorCode::kLimitExceeded);
}

TEST_F(ReceiptTest, SignedButMalformedContentsFail) {
  const SecretIdentity nl = NewIdentity("nl");
  struct Case {
    const char* name;
    std::function<void(v1::Receipt&)> edit;
  };
  const std::vector<Case> cases = {
      {"format version 2", [](v1::Receipt& r) { r.set_format_version(2); }},
      {"unspecified result", [](v1::Receipt& r) { r.set_result(v1::RECEIPT_RESULT_UNSPECIFIED); }},
      {"unknown result", [](v1::Receipt& r) { r.set_result(static_cast<v1::ReceiptResult>(7)); }},
      {"short bundle id", [](v1::Receipt& r) { r.set_bundle_id(Bytes(15, 'i')); }},
      {"long seal hash", [](v1::Receipt& r) { r.set_seal_hash(Bytes(33, 's')); }},
      {"opened without manifest hash", [](v1::Receipt& r) { r.clear_manifest_hash(); }},
      {"opened without custody head", [](v1::Receipt& r) { r.clear_custody_head(); }},
      {"opened with custody seq 0", [](v1::Receipt& r) { r.set_custody_seq(0); }},
      {"no time", [](v1::Receipt& r) { r.mutable_time()->set_seconds(0); }},
      {"failed without reason",
       [](v1::Receipt& r) { r.set_result(v1::RECEIPT_VERIFICATION_FAILED); }},
  };
  for (const auto& c : cases) {
    v1::Receipt r = Opened();
    r.mutable_time()->set_seconds(1'800'000'000);
    c.edit(r);
    auto v = VerifyReceiptBytes(View(SignFilled(nl, r)), nl.public_identity());
    ASSERT_FALSE(v.ok()) << c.name;
    EXPECT_EQ(v.error().code(), ErrorCode::kCorrupt) << c.name;
  }
}

TEST_F(ReceiptTest, NegativeReceiptWithReasonVerifies) {
  const SecretIdentity nl = NewIdentity("nl");
  v1::Receipt r;
  r.set_bundle_sha256(Bytes(32, 'b'));
  r.set_bundle_size(9);
  r.set_result(v1::RECEIPT_VERIFICATION_FAILED);
  r.set_reason("seal: entry 3 hash differs");
  auto v = VerifyReceiptBytes(View(SignReceipt(nl, r)), nl.public_identity());
  ASSERT_TRUE(v.ok()) << v.error().message();
  EXPECT_EQ(v->result(), v1::RECEIPT_VERIFICATION_FAILED);
  EXPECT_EQ(v->reason(), "seal: entry 3 hash differs");
}

const std::string kId = "00112233445566778899aabbccddeeff";
const std::string kSeal(64, 'a');

TEST_F(ReceiptTest, SeenBeforeIsFalseThenTrueAfterRecordOpened) {
  std::string previous;
  auto first = SeenBefore(kId, kSeal, &previous);
  ASSERT_TRUE(first.ok()) << first.error().message();
  EXPECT_FALSE(*first);
  EXPECT_FALSE(fs::exists(home_)) << "looking must not create CUSTOS_HOME";

  ASSERT_TRUE(RecordOpened(kId, kSeal, base_).ok());
  auto again = SeenBefore(kId, kSeal, &previous);
  ASSERT_TRUE(again.ok()) << again.error().message();
  EXPECT_TRUE(*again);
  EXPECT_NE(previous.find(" into " + fs::canonical(base_).string()), std::string::npos) << previous;
  // Upper-case hex names the same bundle.
  std::string upper = kId;
  for (char& c : upper) c = static_cast<char>(std::toupper(c));
  EXPECT_TRUE(*SeenBefore(upper, kSeal, nullptr));
  // Another seal hash (a re-sealed bundle with the same id) is not a replay of this one.
  EXPECT_FALSE(*SeenBefore(kId, std::string(64, 'b'), nullptr));

  struct stat st {};
  ASSERT_EQ(::stat((home_ + "/opened").c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0600u);
  ASSERT_EQ(::stat(home_.c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0700u);
}

TEST_F(ReceiptTest, OutdirCannotForgeALine) {
  ASSERT_TRUE(RecordOpened(kId, kSeal, "/x\n" + kId + " " + std::string(64, 'b') + " 1 /y").ok());
  EXPECT_FALSE(*SeenBefore(kId, std::string(64, 'b'), nullptr));
  std::ifstream in(home_ + "/opened");
  std::string all((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  EXPECT_EQ(std::count(all.begin(), all.end(), '\n'), 1);
  EXPECT_NE(all.find("/x%0A"), std::string::npos) << all;
}

TEST_F(ReceiptTest, MalformedHexIsUsage) {
  for (const std::string& bad : {std::string("xyz"), kId + "00", kId.substr(2) + "g0"}) {
    auto r = SeenBefore(bad, kSeal, nullptr);
    ASSERT_FALSE(r.ok()) << bad;
    EXPECT_EQ(r.error().code(), ErrorCode::kUsage);
    EXPECT_EQ(RecordOpened(bad, kSeal, "/x").error().code(), ErrorCode::kUsage);
  }
  EXPECT_EQ(SeenBefore(kId, "../../etc", nullptr).error().code(), ErrorCode::kUsage);
  EXPECT_EQ(FindSent("../" + kId.substr(3)).error().code(), ErrorCode::kUsage);
}

TEST_F(ReceiptTest, GroupWritableHomeIsRefused) {
  ASSERT_TRUE(RecordOpened(kId, kSeal, "/x").ok());
  ASSERT_EQ(::chmod(home_.c_str(), 0770), 0);
  auto seen = SeenBefore(kId, kSeal, nullptr);
  ASSERT_FALSE(seen.ok());
  EXPECT_EQ(seen.error().code(), ErrorCode::kUnsafeOutput);
  EXPECT_NE(seen.error().message().find("writable by group or others"), std::string::npos);
  EXPECT_EQ(RecordOpened(kId, kSeal, "/x").error().code(), ErrorCode::kUnsafeOutput);
  EXPECT_EQ(FindSent(kId).error().code(), ErrorCode::kUnsafeOutput);
  v1::SentRecord s;
  s.set_bundle_id(Bytes(16, 'i'));
  EXPECT_EQ(RecordSent(s).error().code(), ErrorCode::kUnsafeOutput);
  EXPECT_FALSE(fs::exists(home_ + "/sent"));
}

TEST_F(ReceiptTest, GroupWritableRegisterIsRefused) {
  ASSERT_TRUE(RecordOpened(kId, kSeal, "/x").ok());
  ASSERT_EQ(::chmod((home_ + "/opened").c_str(), 0620), 0);
  EXPECT_EQ(SeenBefore(kId, kSeal, nullptr).error().code(), ErrorCode::kUnsafeOutput);
  EXPECT_EQ(RecordOpened(kId, kSeal, "/x").error().code(), ErrorCode::kUnsafeOutput);
}

TEST_F(ReceiptTest, SymlinkedRegisterIsRefused) {
  fs::create_directories(home_);
  ASSERT_EQ(::chmod(home_.c_str(), 0700), 0);
  std::ofstream(base_ + "/elsewhere") << "";
  fs::create_symlink(base_ + "/elsewhere", home_ + "/opened");
  EXPECT_FALSE(SeenBefore(kId, kSeal, nullptr).ok());
  EXPECT_FALSE(RecordOpened(kId, kSeal, "/x").ok());
  EXPECT_EQ(fs::file_size(base_ + "/elsewhere"), 0u);
}

// A local user may write the registers: a line or a sent record over its
// limit is refused before it is held whole.
TEST_F(ReceiptTest, RegisterEntriesOverTheirLimitAreRefused) {
  ASSERT_TRUE(RecordOpened(kId, kSeal, "/x").ok());
  std::ofstream(home_ + "/opened", std::ios::app) << std::string(kMaxOpenedLineBytes + 1, 'a') << "\n";
  auto seen = SeenBefore(kId, kSeal, nullptr);
  ASSERT_FALSE(seen.ok());
  EXPECT_EQ(seen.error().code(), ErrorCode::kLimitExceeded);
  EXPECT_EQ(seen.error().message(), home_ + "/opened: line 2 is longer than the limit");

  fs::create_directories(home_ + "/sent");
  ASSERT_EQ(::chmod((home_ + "/sent").c_str(), 0700), 0);
  const std::string sent = home_ + "/sent/" + kId + ".pb";
  std::ofstream(sent, std::ios::binary) << std::string(kMaxSentRecordBytes + 1, '\x0a');
  ASSERT_EQ(::chmod(sent.c_str(), 0600), 0);
  auto found = FindSent(kId);
  ASSERT_FALSE(found.ok());
  EXPECT_EQ(found.error().code(), ErrorCode::kLimitExceeded);
  EXPECT_EQ(found.error().message(),
            sent + ": file is larger than the limit of " + std::to_string(kMaxSentRecordBytes) + " bytes");
}

TEST_F(ReceiptTest, MalformedRegisterLineIsCorrupt) {
  ASSERT_TRUE(RecordOpened(kId, kSeal, "/x").ok());
  std::ofstream(home_ + "/opened", std::ios::app) << "not a line\n";
  auto r = SeenBefore(kId, kSeal, nullptr);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().code(), ErrorCode::kCorrupt);
  EXPECT_NE(r.error().message().find("line 2 is malformed"), std::string::npos);
}

TEST_F(ReceiptTest, SentRegisterRoundTrips) {
  auto none = FindSent(kId);
  ASSERT_TRUE(none.ok()) << none.error().message();
  EXPECT_FALSE(none->has_value());

  auto id = crypto::FromHex(kId);
  ASSERT_TRUE(id.ok());
  v1::SentRecord s;
  s.set_bundle_id(std::string(id->begin(), id->end()));
  s.set_bundle_sha256(Bytes(32, 'b'));
  s.set_bundle_size(77);
  s.set_manifest_hash(Bytes(32, 'm'));
  s.set_seal_hash(Bytes(32, 's'));
  s.add_recipient_fingerprints(Bytes(32, 'r'));
  s.add_recipient_fingerprints(Bytes(32, 'q'));
  ASSERT_TRUE(RecordSent(s).ok());
  const std::string path = home_ + "/sent/" + kId + ".pb";
  struct stat st {};
  ASSERT_EQ(::stat(path.c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0600u);

  auto found = FindSent(kId);
  ASSERT_TRUE(found.ok()) << found.error().message();
  ASSERT_TRUE(found->has_value());
  EXPECT_EQ((*found)->bundle_size(), 77u);
  EXPECT_EQ((*found)->recipient_fingerprints_size(), 2);
  EXPECT_EQ((*found)->format_version(), 1u);
  EXPECT_GT((*found)->time().seconds(), 0);

  EXPECT_EQ(RecordSent(s).error().code(), ErrorCode::kExists) << "a record is never overwritten";
}

TEST_F(ReceiptTest, SentRecordUnderAnotherIdsNameIsCorrupt) {
  v1::SentRecord s;
  s.set_bundle_id(Bytes(16, 'i'));
  ASSERT_TRUE(RecordSent(s).ok());
  const std::string real = home_ + "/sent/" + crypto::Hex(View(Bytes(16, 'i'))) + ".pb";
  fs::rename(real, home_ + "/sent/" + kId + ".pb");
  auto r = FindSent(kId);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().code(), ErrorCode::kCorrupt);
}

}  // namespace
}  // namespace custos::receipt
