// Unit tests of custos/receipt.h: checking a receipt alone and against a
// bundle file, its transport signature and the sender's sent register
// (docs/FORMAT.md "Receipts"). The bundle file is any file: only its SHA-256 and
// size are compared, so no sealing is needed here (tests/cli/test_receipt.sh
// goes through seal and open).
#include <gtest/gtest.h>
#include <stdlib.h>
#include <sys/stat.h>

#include <filesystem>
#include <fstream>

#include "bundle/transport.h"
#include "crypto/crypto.h"
#include "custos/receipt.h"
#include "receipt/receipt.h"

namespace custos {
namespace {

namespace fs = std::filesystem;

SecretIdentity NewIdentity(const std::string& name) {
  IdentityInfo i;
  i.name = name;
  i.country = "SI";
  auto id = SecretIdentity::Generate(i);
  EXPECT_TRUE(id.ok());
  return std::move(id).value();
}

std::string Raw(const crypto::Digest& d) { return std::string(d.begin(), d.end()); }

class ReceiptApiTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() { ASSERT_TRUE(crypto::Init().ok()); }
  void SetUp() override {
    char tmpl[] = "/tmp/custos-receipt-api.XXXXXX";
    ASSERT_NE(::mkdtemp(tmpl), nullptr);
    base_ = tmpl;
    ::setenv("CUSTOS_HOME", (base_ + "/home").c_str(), 1);
    bundle_ = base_ + "/B.custos";
    std::ofstream(bundle_) << "pretend this is an age file";
    const std::string content = "pretend this is an age file";
    sha_ = Raw(crypto::Sha256Of(crypto::AsBytes(content)));
    size_ = content.size();
  }
  void TearDown() override {
    ::unsetenv("CUSTOS_HOME");
    fs::remove_all(base_);
  }

  v1::Receipt Facts() const {
    v1::Receipt r;
    r.set_bundle_id(std::string(16, '\x11'));
    r.set_bundle_sha256(sha_);
    r.set_bundle_size(size_);
    r.set_manifest_hash(std::string(32, 'm'));
    r.set_seal_hash(std::string(32, 's'));
    r.set_sender_fingerprint(Raw(si_.fingerprint()));
    r.set_result(v1::RECEIPT_OPENED);
    r.set_custody_head(std::string(32, 'h'));
    r.set_custody_seq(4);
    return r;
  }
  std::string WriteReceipt(const v1::Receipt& r, const SecretIdentity& by) {
    const std::string path = base_ + "/R.pb";
    std::ofstream(path, std::ios::binary | std::ios::trunc) << receipt::SignReceipt(by, r);
    return path;
  }
  v1::SentRecord Sent(const std::vector<const SecretIdentity*>& recipients) const {
    v1::SentRecord s;
    s.set_bundle_id(std::string(16, '\x11'));
    s.set_bundle_sha256(sha_);
    s.set_bundle_size(size_);
    s.set_manifest_hash(std::string(32, 'm'));
    s.set_seal_hash(std::string(32, 's'));
    s.set_sender_fingerprint(Raw(si_.fingerprint()));
    for (const auto* r : recipients) s.add_recipient_fingerprints(Raw(r->fingerprint()));
    return s;
  }
  ReceiptVerifyOptions Options(const std::string& receipt, const PublicIdentity& from,
                               bool with_bundle) const {
    ReceiptVerifyOptions o;
    o.receipt_path = receipt;
    o.receiver = &from;
    if (with_bundle) o.bundle_path = bundle_;
    o.trust_dir = base_ + "/trust";
    return o;
  }

  SecretIdentity si_ = NewIdentity("si"), nl_ = NewIdentity("nl"), lab_ = NewIdentity("lab");
  std::string base_, bundle_, sha_;
  std::uint64_t size_ = 0;
};

const std::string kIdHex = "11111111111111111111111111111111";

TEST_F(ReceiptApiTest, ReceiptAloneVerifiesAndSaysWhatItAttests) {
  const std::string r = WriteReceipt(Facts(), nl_);
  auto v = VerifyReceiptFile(Options(r, nl_.public_identity(), false));
  ASSERT_TRUE(v.ok()) << v.error().message();
  EXPECT_FALSE(v->negative);
  EXPECT_TRUE(v->warnings.empty());
  EXPECT_NE(v->json.find("\"signature_valid\":true"), std::string::npos) << v->json;
  EXPECT_NE(v->json.find("\"bundle_id\":\"" + kIdHex + "\""), std::string::npos) << v->json;
  EXPECT_NE(v->json.find("RECEIPT_OPENED"), std::string::npos);
  ASSERT_FALSE(v->summary.empty());
  EXPECT_NE(v->summary[0].find("signature valid, signed by nl"), std::string::npos);
}

TEST_F(ReceiptApiTest, AnotherReceiverIsBadSignature) {
  const std::string r = WriteReceipt(Facts(), nl_);
  auto v = VerifyReceiptFile(Options(r, lab_.public_identity(), false));
  ASSERT_FALSE(v.ok());
  EXPECT_EQ(v.error().code(), ErrorCode::kBadSignature);
  EXPECT_EQ(v.error().message().rfind(r + ": receipt signature is invalid", 0), 0u)
      << v.error().message();
}

TEST_F(ReceiptApiTest, ExampleReceiverNeedsAllowExampleKeys) {
  auto nl = PublicIdentity::Load(std::string(CUSTOS_SOURCE_DIR) + "/keys/examples/nl-central-authority.pub");
  ASSERT_TRUE(nl.ok());
  const std::string r = WriteReceipt(Facts(), nl_);
  auto v = VerifyReceiptFile(Options(r, *nl, false));
  ASSERT_FALSE(v.ok());
  EXPECT_EQ(v.error().code(), ErrorCode::kExampleKey);
}

TEST_F(ReceiptApiTest, BundleWithoutSentRecordWarnsThatTheRecipientIsUnchecked) {
  const std::string r = WriteReceipt(Facts(), nl_);
  auto v = VerifyReceiptFile(Options(r, nl_.public_identity(), true));
  ASSERT_TRUE(v.ok()) << v.error().message();
  ASSERT_EQ(v->warnings.size(), 1u);
  EXPECT_EQ(v->warnings[0], "could not check that nl (SI) was a recipient: no record of bundle " +
                                kIdHex + " in " + base_ + "/home/sent");
  EXPECT_NE(v->json.find("\"bundle_matches\":true"), std::string::npos);
  EXPECT_NE(v->json.find("\"transport_signature\":\"absent\""), std::string::npos) << v->json;
}

TEST_F(ReceiptApiTest, BundleAndSentRecordCheckTheRecipient) {
  ASSERT_TRUE(receipt::RecordSent(Sent({&nl_, &lab_})).ok());
  const std::string r = WriteReceipt(Facts(), nl_);
  auto v = VerifyReceiptFile(Options(r, nl_.public_identity(), true));
  ASSERT_TRUE(v.ok()) << v.error().message();
  EXPECT_TRUE(v->warnings.empty());
  EXPECT_NE(v->json.find("\"recipient_checked\":true"), std::string::npos) << v->json;
}

TEST_F(ReceiptApiTest, ReceiverThatWasNotARecipientFails) {
  ASSERT_TRUE(receipt::RecordSent(Sent({&nl_})).ok());
  const std::string r = WriteReceipt(Facts(), lab_);
  auto v = VerifyReceiptFile(Options(r, lab_.public_identity(), true));
  ASSERT_FALSE(v.ok());
  EXPECT_EQ(v.error().code(), ErrorCode::kNotForUs);
  EXPECT_NE(v.error().message().find("was not a recipient of this bundle"), std::string::npos);
}

TEST_F(ReceiptApiTest, ReceiptDisagreeingWithSentRecordFails) {
  ASSERT_TRUE(receipt::RecordSent(Sent({&nl_})).ok());
  v1::Receipt facts = Facts();
  facts.set_seal_hash(std::string(32, 'X'));
  auto v = VerifyReceiptFile(Options(WriteReceipt(facts, nl_), nl_.public_identity(), true));
  ASSERT_FALSE(v.ok());
  EXPECT_EQ(v.error().code(), ErrorCode::kDigestMismatch);
  EXPECT_NE(v.error().message().find("seal hash differs"), std::string::npos) << v.error().message();
}

TEST_F(ReceiptApiTest, AnotherBundleFileFails) {
  const std::string r = WriteReceipt(Facts(), nl_);
  std::ofstream(bundle_, std::ios::app) << "x";
  auto v = VerifyReceiptFile(Options(r, nl_.public_identity(), true));
  ASSERT_FALSE(v.ok());
  EXPECT_EQ(v.error().code(), ErrorCode::kDigestMismatch);
  EXPECT_NE(v.error().message().find("receipt is for another bundle"), std::string::npos);
}

TEST_F(ReceiptApiTest, MissingBundleIsNotFound) {
  const std::string r = WriteReceipt(Facts(), nl_);
  fs::remove(bundle_);
  auto v = VerifyReceiptFile(Options(r, nl_.public_identity(), true));
  ASSERT_FALSE(v.ok());
  EXPECT_EQ(v.error().code(), ErrorCode::kNotFound);
}

bundle::TransportFacts TransportOf(const std::string& sha, std::uint64_t size, char manifest) {
  bundle::TransportFacts f;
  f.bundle_id = std::string(16, '\x11');
  f.bundle_size = size;
  std::copy(sha.begin(), sha.end(), f.bundle_sha256.begin());
  f.manifest_hash.fill(static_cast<std::uint8_t>(manifest));
  f.seal_hash.fill('s');
  return f;
}

TEST_F(ReceiptApiTest, TransportSignatureDisagreeingWithReceiptFails) {
  std::ofstream(bundle_ + ".sig") << bundle::SignTransport(si_, TransportOf(sha_, size_, 'M')).wrapper;
  auto v = VerifyReceiptFile(Options(WriteReceipt(Facts(), nl_), nl_.public_identity(), true));
  ASSERT_FALSE(v.ok());
  EXPECT_EQ(v.error().code(), ErrorCode::kDigestMismatch);
  EXPECT_NE(v.error().message().find("manifest hash differs"), std::string::npos) << v.error().message();
}

TEST_F(ReceiptApiTest, TransportSignatureOfTrustedSenderIsVerified) {
  auto store = TrustStore::Open(base_ + "/trust", true);
  ASSERT_TRUE(store.ok());
  const std::string r = WriteReceipt(Facts(), nl_);
  std::string sig = bundle::SignTransport(si_, TransportOf(sha_, size_, 'm')).wrapper;
  std::ofstream(bundle_ + ".sig") << sig;
  auto untrusted = VerifyReceiptFile(Options(r, nl_.public_identity(), true));
  ASSERT_TRUE(untrusted.ok()) << untrusted.error().message();
  EXPECT_NE(untrusted->json.find("parsed, not verified"), std::string::npos);

  ASSERT_TRUE(store->Add(si_.public_identity()).ok());
  auto trusted = VerifyReceiptFile(Options(r, nl_.public_identity(), true));
  ASSERT_TRUE(trusted.ok()) << trusted.error().message();
  EXPECT_NE(trusted->json.find("verified (signed by si"), std::string::npos) << trusted->json;

  sig[sig.size() - 1] = static_cast<char>(sig[sig.size() - 1] ^ 1);  // the signature's last byte
  std::ofstream(bundle_ + ".sig", std::ios::trunc) << sig;
  auto forged = VerifyReceiptFile(Options(r, nl_.public_identity(), true));
  ASSERT_FALSE(forged.ok());
  EXPECT_EQ(forged.error().code(), ErrorCode::kBadSignature);
}

TEST_F(ReceiptApiTest, NegativeReceiptIsAValidStatementOfFailure) {
  v1::Receipt facts = Facts();
  facts.set_result(v1::RECEIPT_VERIFICATION_FAILED);
  facts.set_reason("seal: entry 2 hash differs");
  auto v = VerifyReceiptFile(Options(WriteReceipt(facts, nl_), nl_.public_identity(), false));
  ASSERT_TRUE(v.ok()) << v.error().message();
  EXPECT_TRUE(v->negative);
  EXPECT_EQ(v->reason, "seal: entry 2 hash differs");
  EXPECT_NE(v->json.find("RECEIPT_VERIFICATION_FAILED"), std::string::npos);
}

TEST_F(ReceiptApiTest, ShowSaysTheSignatureIsNotChecked) {
  auto v = ShowReceiptFile(WriteReceipt(Facts(), nl_));
  ASSERT_TRUE(v.ok()) << v.error().message();
  // proto3 JSON omits false: a script reading signature_valid gets false.
  EXPECT_EQ(v->json.find("signature_valid"), std::string::npos) << v->json;
  EXPECT_NE(v->json.find("signature not checked"), std::string::npos) << v->json;
  ASSERT_FALSE(v->summary.empty());
  EXPECT_NE(v->summary[0].find("signature NOT checked"), std::string::npos);
}

}  // namespace
}  // namespace custos
