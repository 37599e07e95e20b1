#include "bundle/seal_record.h"

#include "bundle/limits.h"
#include "bundle/safe_path.h"
#include "common/proto_util.h"
#include "crypto/domains.h"
#include "custos/v1/seal.pb.h"

namespace custos::bundle {

namespace {

void Set(std::string* out, crypto::ByteView b) { out->assign(b.begin(), b.end()); }

bool Equal(const std::string& a, crypto::ByteView b) {
  return crypto::ConstantTimeEqual(crypto::AsBytes(a), b);
}

// The path of the i-th file entry (only needed for an error message, so the
// reader keeps no second copy of every path).
std::string NthFilePath(const v1::Manifest& m, std::size_t i) {
  for (const auto& e : m.entries())
    if (e.has_file() && i-- == 0) return e.file().path();
  return "?";
}

Error Mismatch(const std::string& what) {
  return Error(ErrorCode::kDigestMismatch, "seal does not match the bundle: " + what);
}

}  // namespace

std::string SealBody(const SealFacts& f) {
  // Fields 1–4, then 5 (one per file), then 6–11: the order protobuf writes.
  v1::Seal head;
  head.set_format_version(1);
  head.set_bundle_id(f.bundle_id);
  Set(head.mutable_manifest_hash(), f.manifest_hash);
  Set(head.mutable_sender_fingerprint(), f.sender_fingerprint);
  v1::Seal tail;
  for (const auto& [name, h] : f.tag_files) {
    auto* t = tail.add_tag_files();
    t->set_name(name);
    Set(t->mutable_sha256(), h);
  }
  Set(tail.mutable_custody_head(), f.custody_head);
  tail.set_custody_count(f.custody_count);
  Set(tail.mutable_custody_sha256(), f.custody_sha256);
  Set(tail.mutable_tar_transcript(), f.tar_transcript);
  tail.set_payload_bytes(f.payload_bytes);
  const std::string t = SerializeForSigning(tail);
  std::string out = SerializeForSigning(head);
  static_assert(std::tuple_size_v<crypto::Digest> == 32);
  constexpr char kFileSha256Tag = (5 << 3) | 2;  // field 5, length-delimited
  out.reserve(out.size() + f.file_hashes.size() * 34 + t.size());
  for (const auto& h : f.file_hashes) {
    out.push_back(kFileSha256Tag);
    out.push_back(32);
    out.append(reinterpret_cast<const char*>(h.data()), h.size());
  }
  out += t;
  return out;
}

SignedBody SignSeal(const SecretIdentity& sender, const SealFacts& f) {
  SignedBody out;
  out.body = SealBody(f);
  auto sig = sender.Sign(domain::kSigSeal, crypto::AsBytes(out.body));
  v1::SignedSeal w;
  w.set_seal(std::move(out.body));
  w.set_signature(sig.data(), sig.size());
  out.wrapper = SerializeForSigning(w);
  out.body = std::move(*w.mutable_seal());
  out.hash = crypto::DomainHash(domain::kHashSeal, crypto::AsBytes(out.body));
  return out;
}

Result<crypto::Digest> VerifySeal(std::span<const std::uint8_t> member,
                                  const PublicIdentity& sender, const SealFacts& f,
                                  const v1::Manifest& manifest) {
  v1::SignedSeal w;
  CUSTOS_TRY(ParseStrict(member, kMaxSealBytes, w, "seal"));
  // The wrapper itself is not signed and is written to OUTDIR as read: only
  // its one canonical encoding is accepted, so a co-recipient cannot add a
  // duplicate field (protobuf keeps the last) or other unsigned bytes.
  if (SerializeForSigning(w) != std::string_view(reinterpret_cast<const char*>(member.data()),
                                                 member.size()))
    return Error(ErrorCode::kCorrupt,
                 "seal is not in its canonical encoding: unsigned bytes were added to it");
  if (!sender.Verify(domain::kSigSeal, crypto::AsBytes(w.seal()), crypto::AsBytes(w.signature())))
    return Error(ErrorCode::kBadSignature,
                 "seal signature is invalid: it was not signed by the manifest's sender " +
                     FormatFingerprint(sender.fingerprint()));
  const crypto::Digest hash = crypto::DomainHash(domain::kHashSeal, crypto::AsBytes(w.seal()));
  // The sealer writes SealBody: equal bytes are equal facts.
  if (w.seal() == SealBody(f)) return hash;
  v1::Seal s;
  CUSTOS_TRY(ParseStrict(crypto::AsBytes(w.seal()), kMaxSealBytes, s, "seal"));
  if (s.format_version() != 1)
    return Error(ErrorCode::kCorrupt, "seal format version is not supported");
  if (s.bundle_id() != f.bundle_id) return Mismatch("it names another bundle id");
  if (!Equal(s.manifest_hash(), f.manifest_hash)) return Mismatch("manifest hash differs");
  if (!Equal(s.sender_fingerprint(), f.sender_fingerprint)) return Mismatch("sender differs");
  if (static_cast<std::size_t>(s.file_sha256_size()) != f.file_hashes.size())
    return Mismatch("it lists " + std::to_string(s.file_sha256_size()) + " file hashes for " +
                    std::to_string(f.file_hashes.size()) + " files");
  for (std::size_t i = 0; i < f.file_hashes.size(); ++i)
    if (!Equal(s.file_sha256(static_cast<int>(i)), f.file_hashes[i]))
      return Mismatch("SHA-256 of '" + EscapeForDisplay(NthFilePath(manifest, i)) +
                      "' differs from its content");
  if (static_cast<std::size_t>(s.tag_files_size()) != f.tag_files.size())
    return Mismatch("tag file list differs");
  for (std::size_t i = 0; i < f.tag_files.size(); ++i) {
    const auto& t = s.tag_files(static_cast<int>(i));
    if (t.name() != f.tag_files[i].first || !Equal(t.sha256(), f.tag_files[i].second))
      return Mismatch("tag file " + f.tag_files[i].first + " differs");
  }
  if (!Equal(s.custody_head(), f.custody_head) || s.custody_count() != f.custody_count ||
      !Equal(s.custody_sha256(), f.custody_sha256))
    return Mismatch("custody log differs from the one sealed");
  if (!Equal(s.tar_transcript(), f.tar_transcript))
    return Mismatch("tar headers or metadata were altered after sealing");
  if (s.payload_bytes() != f.payload_bytes) return Mismatch("payload size differs");
  return hash;  // equal facts in another (valid) encoding
}

}  // namespace custos::bundle
