// A sender who is malicious (or a forger with the sender's key) builds a fully
// consistent payload — manifest, data, tag files, seal all signed by SI — but
// whose embedded custody log ends with a SEALED event signed by someone else,
// or naming another bundle. The reader must refuse it: the custody row of
// docs/FORMAT.md "What the reader checks, in stream order".
#include <gtest/gtest.h>

#include <cstring>
#include <string>
#include <vector>

#include "bundle/limits.h"
#include "bundle/manifest.h"
#include "bundle/reader.h"
#include "bundle/seal_record.h"
#include "bundle/tags.h"
#include "bundle/tar_writer.h"
#include "bundle/zstd_stream.h"
#include "crypto/crypto.h"
#include "custody/log.h"
#include "custos/keys.h"
#include "example_keys.h"

namespace custos::bundle {
namespace {

SecretIdentity Key(const std::string& name) { return custos::testing::ExampleKey(name); }

// Builds a payload sealed by `sender` for `recipient` whose SEALED event is
// signed by `log_signer` and names `sealed_bundle_id` (empty: the right one).
std::vector<std::uint8_t> BuildPayload(const SecretIdentity& sender, const PublicIdentity& recipient,
                                       const SecretIdentity& log_signer, bool wrong_bundle_id) {
  const std::string content = "evidence bytes\n";
  CaseInfo c;
  c.case_reference = "K-1";
  auto m = BuildManifest(sender, {recipient}, c, {{"data/e.txt", false, content.size(), 0644, 1700000000}});
  EXPECT_TRUE(m.ok());
  SignedBody sm = SignManifest(sender, *m);
  const std::string top = crypto::Hex(crypto::AsBytes(m->bundle_id()));
  const std::int64_t t = m->created().seconds();
  VectorSink out;
  auto zstd = ZstdCompressor::Create(out, 3, 1);
  auto tar = TarWriter::Create(**zstd);
  EXPECT_TRUE((*tar)->AddSmallFile(top + "/custos/manifest.pb", crypto::AsBytes(sm.wrapper), 0644, t).ok());
  EXPECT_TRUE((*tar)->BeginFile(top + "/data/e.txt", content.size(), 0644, 1700000000, true).ok());
  EXPECT_TRUE((*tar)->WriteData(crypto::AsBytes(content)).ok());
  EXPECT_TRUE((*tar)->EndFile().ok());
  std::vector<crypto::Digest> hashes{crypto::Sha256Of(crypto::AsBytes(content))};
  SealFacts f;
  for (const auto& tf : BuildTagFiles(*m, sender.public_identity(), hashes)) {
    EXPECT_TRUE((*tar)->AddSmallFile(top + "/" + tf.name, crypto::AsBytes(tf.content), 0644, t).ok());
    f.tag_files.emplace_back(tf.name, crypto::Sha256Of(crypto::AsBytes(tf.content)));
  }
  v1::Event sealed;
  sealed.set_action(v1::SEALED);
  sealed.set_bundle_id(wrong_bundle_id ? std::string(16, 'x') : m->bundle_id());
  sealed.set_manifest_hash(sm.hash.data(), sm.hash.size());
  crypto::Digest entries = custody::EntriesDigest(hashes);
  sealed.set_entries_digest(entries.data(), entries.size());
  custody::Tail tail;
  auto record = custody::SignNextEvent(log_signer, custody::Tail{}, sealed, &tail);
  EXPECT_TRUE(record.ok());
  EXPECT_TRUE((*tar)->AddSmallFile(top + "/custos/custody.log", crypto::AsBytes(*record), 0644, t).ok());
  f.bundle_id = m->bundle_id();
  f.manifest_hash = sm.hash;
  f.sender_fingerprint = sender.fingerprint();
  f.file_hashes = hashes;
  f.custody_head = tail.head;
  f.custody_count = tail.count;
  f.custody_sha256 = crypto::Sha256Of(crypto::AsBytes(*record));
  f.tar_transcript = (*tar)->FinishTranscript();
  f.payload_bytes = content.size();
  SignedBody seal = SignSeal(sender, f);
  EXPECT_TRUE((*tar)->AddSmallFile(top + "/custos/seal.pb", crypto::AsBytes(seal.wrapper), 0644, t).ok());
  EXPECT_TRUE((*tar)->Close().ok());
  EXPECT_TRUE((*zstd)->Finish().ok());
  return out.bytes;
}

class CustodyBinding : public ::testing::Test {
 protected:
  void SetUp() override { ASSERT_TRUE(crypto::Init().ok()); }
};

TEST_F(CustodyBinding, AConsistentPayloadReads) {
  SecretIdentity si = Key("si-central-authority"), nl = Key("nl-central-authority");
  const auto payload = BuildPayload(si, nl.public_identity(), si, false);
  MemorySource src(payload);
  auto r = ReadPayloadForTesting(src, nl.fingerprint(), {si.public_identity()});
  EXPECT_TRUE(r.ok()) << (r.ok() ? "" : r.error().message());
}

TEST_F(CustodyBinding, SealedEventSignedByAnotherActorIsRefused) {
  SecretIdentity si = Key("si-central-authority"), nl = Key("nl-central-authority");
  SecretIdentity lab = Key("forensic-lab");
  const auto payload = BuildPayload(si, nl.public_identity(), lab, false);
  MemorySource src(payload);
  auto r = ReadPayloadForTesting(src, nl.fingerprint(), {si.public_identity()});
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().code(), ErrorCode::kBrokenChain);
  EXPECT_NE(r.error().message().find("SEALED event signed by its sender"), std::string::npos)
      << r.error().message();
}

TEST_F(CustodyBinding, SealedEventNamingAnotherBundleIsRefused) {
  SecretIdentity si = Key("si-central-authority"), nl = Key("nl-central-authority");
  const auto payload = BuildPayload(si, nl.public_identity(), si, true);
  MemorySource src(payload);
  auto r = ReadPayloadForTesting(src, nl.fingerprint(), {si.public_identity()});
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().code(), ErrorCode::kBrokenChain);
}

// The conditions go into one custody event when the receiver opens: a sender
// may not seal more than that event can hold, and a receiver refuses a
// manifest signed with more (before any evidence is read).
TEST_F(CustodyBinding, ConditionsOverTheirLimitAreRefusedBySealerAndReader) {
  SecretIdentity si = Key("si-central-authority"), nl = Key("nl-central-authority");
  CaseInfo c;
  c.case_reference = "KT-1";
  c.use_limitations = {std::string(20000, 'a'), std::string(12000, 'b')};
  c.confidentiality = std::string(kMaxConditionsBytes - 32000, 'c');
  auto at_limit = BuildManifest(si, {nl.public_identity()}, c, {});
  ASSERT_TRUE(at_limit.ok()) << at_limit.error().message();
  c.data_protection = "x";
  auto over = BuildManifest(si, {nl.public_identity()}, c, {});
  ASSERT_FALSE(over.ok());
  EXPECT_EQ(over.error().code(), ErrorCode::kUsage);
  EXPECT_NE(over.error().message().find("over the limit of 32768"), std::string::npos);

  // A sender that skips the check: the signed manifest is refused on reading.
  v1::Manifest m = std::move(at_limit).value();
  m.mutable_case_metadata()->set_data_protection("x");
  SignedBody signed_m = SignManifest(si, m);
  SenderPolicy policy;
  std::vector<PublicIdentity> from{si.public_identity()};
  policy.from = &from;
  policy.allow_example_keys = true;
  auto r = VerifyManifest(crypto::AsBytes(signed_m.wrapper), nl.fingerprint(), policy);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().code(), ErrorCode::kLimitExceeded);
  EXPECT_EQ(r.error().message(),
            "the bundle's conditions are 32769 bytes, over the limit of 32768 (their "
            "acknowledgement could not be recorded)");
  m.mutable_case_metadata()->clear_data_protection();
  EXPECT_TRUE(VerifyManifest(crypto::AsBytes(SignManifest(si, m).wrapper), nl.fingerprint(), policy).ok());
}

// A signed manifest naming more recipients than the limit is refused by the
// reader (the sealer refuses to build one).
TEST_F(CustodyBinding, ManifestWithTooManyRecipientsIsRefused) {
  SecretIdentity si = Key("si-central-authority"), nl = Key("nl-central-authority");
  CaseInfo c;
  c.case_reference = "KT-1";
  std::vector<PublicIdentity> many(kMaxRecipients + 1, nl.public_identity());
  auto refused = BuildManifest(si, many, c, {});
  ASSERT_FALSE(refused.ok());
  EXPECT_EQ(refused.error().code(), ErrorCode::kUsage);
  auto m = BuildManifest(si, {nl.public_identity()}, c, {});
  ASSERT_TRUE(m.ok());
  while (static_cast<std::size_t>(m->recipients_size()) <= kMaxRecipients) *m->add_recipients() = m->recipients(0);
  std::vector<PublicIdentity> from{si.public_identity()};
  SenderPolicy policy;
  policy.from = &from;
  policy.allow_example_keys = true;
  auto r = VerifyManifest(crypto::AsBytes(SignManifest(si, *m).wrapper), nl.fingerprint(), policy);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().code(), ErrorCode::kCorrupt);
  EXPECT_EQ(r.error().message(), "manifest has no or too many recipients");
}

}  // namespace
}  // namespace custos::bundle
