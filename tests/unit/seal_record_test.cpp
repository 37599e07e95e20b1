// The signed records written without protobuf message objects for their
// per-file parts must be exactly protobuf's deterministic serialization:
// SealBody (the seal) and SignManifest's wrapper (the body written in place).
// VerifySeal must give the same answers on its fast path (bytes equal) and on
// its slow path (parsed, compared field by field).
#include "bundle/seal_record.h"

#include <gtest/gtest.h>

#include <cstdlib>
#include <string>
#include <vector>

#include "common/proto_util.h"
#include "crypto/domains.h"
#include "custos/v1/manifest.pb.h"
#include "custos/v1/seal.pb.h"
#include "example_keys.h"

namespace custos::bundle {
namespace {

SecretIdentity Key(const std::string& name) { return custos::testing::ExampleKey(name); }

crypto::Digest Random() {
  crypto::Digest d{};
  crypto::RandomBytes(d);
  return d;
}

struct Facts {
  std::vector<crypto::Digest> hashes;
  SealFacts f;
};

Facts RandomFacts(std::size_t files, std::size_t tags) {
  Facts out;
  for (std::size_t i = 0; i < files; ++i) out.hashes.push_back(Random());
  SealFacts& f = out.f;
  f.bundle_id = std::string(16, static_cast<char>(files));
  f.manifest_hash = Random();
  f.sender_fingerprint = Random();
  f.file_hashes = out.hashes;
  for (std::size_t i = 0; i < tags; ++i) f.tag_files.emplace_back("tag-" + std::to_string(i) + ".txt", Random());
  f.custody_head = Random();
  f.custody_count = files * 7 + 1;
  f.custody_sha256 = Random();
  f.tar_transcript = Random();
  f.payload_bytes = files * 1000003;
  return out;
}

v1::Seal AsMessage(const SealFacts& f) {
  v1::Seal s;
  s.set_format_version(1);
  s.set_bundle_id(f.bundle_id);
  auto set = [](std::string* out, const auto& b) { out->assign(reinterpret_cast<const char*>(b.data()), b.size()); };
  set(s.mutable_manifest_hash(), f.manifest_hash);
  set(s.mutable_sender_fingerprint(), f.sender_fingerprint);
  for (const auto& h : f.file_hashes) set(s.add_file_sha256(), h);
  for (const auto& [name, h] : f.tag_files) {
    auto* t = s.add_tag_files();
    t->set_name(name);
    set(t->mutable_sha256(), h);
  }
  set(s.mutable_custody_head(), f.custody_head);
  s.set_custody_count(f.custody_count);
  set(s.mutable_custody_sha256(), f.custody_sha256);
  set(s.mutable_tar_transcript(), f.tar_transcript);
  s.set_payload_bytes(f.payload_bytes);
  return s;
}

class SealRecord : public ::testing::Test {
 protected:
  void SetUp() override { ASSERT_TRUE(crypto::Init().ok()); }
};

TEST_F(SealRecord, SealBodyIsProtobufsCanonicalEncoding) {
  for (std::size_t files : {0u, 1u, 2u, 1000u})
    for (std::size_t tags : {0u, 4u}) {
      Facts x = RandomFacts(files, tags);
      EXPECT_EQ(SealBody(x.f), SerializeForSigning(AsMessage(x.f))) << files << " files, " << tags << " tags";
    }
}

// A body in another valid encoding of the same facts (fields in another
// order) verifies through the slow path; one differing fact is named.
TEST_F(SealRecord, VerifyAcceptsAnotherEncodingOfTheSameFactsAndNamesADifference) {
  SecretIdentity si = Key("si-central-authority");
  Facts x = RandomFacts(3, 2);
  v1::Seal s = AsMessage(x.f);
  v1::Seal tail;
  tail.set_payload_bytes(s.payload_bytes());
  s.clear_payload_bytes();
  // payload_bytes (field 11) first, then the rest: the same facts.
  std::string body = SerializeForSigning(tail) + SerializeForSigning(s);
  ASSERT_NE(body, SealBody(x.f));
  auto wrap = [&](const std::string& b) {
    auto sig = si.Sign(domain::kSigSeal, crypto::AsBytes(b));
    v1::SignedSeal w;
    w.set_seal(b);
    w.set_signature(sig.data(), sig.size());
    return SerializeForSigning(w);
  };
  v1::Manifest m;
  auto r = VerifySeal(crypto::AsBytes(wrap(body)), si.public_identity(), x.f, m);
  ASSERT_TRUE(r.ok()) << r.error().message();
  EXPECT_EQ(*r, crypto::DomainHash(domain::kHashSeal, crypto::AsBytes(body)));

  // The fast path: the sealer's own bytes.
  SignedBody signed_seal = SignSeal(si, x.f);
  auto fast = VerifySeal(crypto::AsBytes(signed_seal.wrapper), si.public_identity(), x.f, m);
  ASSERT_TRUE(fast.ok()) << fast.error().message();
  EXPECT_EQ(*fast, signed_seal.hash);

  // One file hash differs from what was streamed: refused on either path.
  Facts streamed = x;
  streamed.hashes[1][0] ^= 1;
  streamed.f.file_hashes = streamed.hashes;
  for (const std::string& w : {wrap(body), signed_seal.wrapper}) {
    auto bad = VerifySeal(crypto::AsBytes(w), si.public_identity(), streamed.f, m);
    ASSERT_FALSE(bad.ok());
    EXPECT_EQ(bad.error().code(), ErrorCode::kDigestMismatch);
    EXPECT_EQ(bad.error().message(), "seal does not match the bundle: SHA-256 of '?' differs from its content");
  }
}

TEST_F(SealRecord, SignedManifestIsProtobufsCanonicalEncodingAndVerifies) {
  SecretIdentity si = Key("si-central-authority"), nl = Key("nl-central-authority");
  CaseInfo c;
  c.case_reference = "K-1";
  for (std::size_t files : {0u, 1u, 3000u}) {
    std::vector<ManifestEntryInput> entries{{"data/d", true, 0, 0755, 1700000000}};
    for (std::size_t i = 0; i < files; ++i)
      entries.push_back({"data/d/f" + std::to_string(i), false, i * 11, 0644, 1700000001});
    auto m = BuildManifest(si, {nl.public_identity()}, c, entries);
    ASSERT_TRUE(m.ok()) << m.error().message();
    SignedBody signed_manifest = SignManifest(si, *m);
    const std::string body = SerializeForSigning(*m);
    auto sig = si.Sign(domain::kSigManifest, crypto::AsBytes(body));  // Ed25519 is deterministic
    v1::SignedManifest w;
    w.set_manifest(body);
    w.set_signature(sig.data(), sig.size());
    EXPECT_EQ(signed_manifest.wrapper, SerializeForSigning(w)) << files << " files";
    EXPECT_EQ(signed_manifest.hash, crypto::DomainHash(domain::kHashManifest, crypto::AsBytes(body)));
    std::vector<PublicIdentity> from{si.public_identity()};
    SenderPolicy policy{&from, nullptr, true, nullptr};
    auto v = VerifyManifest(crypto::AsBytes(signed_manifest.wrapper), nl.fingerprint(), policy);
    ASSERT_TRUE(v.ok()) << v.error().message();
    EXPECT_EQ(v->file_count, files);
    EXPECT_EQ(v->hash, signed_manifest.hash);
  }
}

}  // namespace
}  // namespace custos::bundle
