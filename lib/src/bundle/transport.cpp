#include "bundle/transport.h"

#include "common/proto_util.h"
#include "common/time_util.h"
#include "crypto/domains.h"
#include "custos/v1/report.pb.h"

namespace custos::bundle {

namespace {
void Set(std::string* out, crypto::ByteView b) { out->assign(b.begin(), b.end()); }
bool Equal(const std::string& a, crypto::ByteView b) {
  return crypto::ConstantTimeEqual(crypto::AsBytes(a), b);
}
}  // namespace

SignedTransportOut SignTransport(const SecretIdentity& sender, const TransportFacts& f) {
  SignedTransportOut out;
  v1::Transport& t = out.transport;
  t.set_format_version(1);
  Set(t.mutable_signer_fingerprint(), sender.fingerprint());
  t.set_bundle_id(f.bundle_id);
  t.set_bundle_size(f.bundle_size);
  Set(t.mutable_bundle_sha256(), f.bundle_sha256);
  Set(t.mutable_manifest_hash(), f.manifest_hash);
  Set(t.mutable_seal_hash(), f.seal_hash);
  t.mutable_time()->set_seconds(NowUnix());
  std::string body = SerializeForSigning(t);
  auto sig = sender.Sign(domain::kSigTransport, crypto::AsBytes(body));
  v1::SignedTransport w;
  w.set_transport(body);
  w.set_signature(sig.data(), sig.size());
  out.wrapper = SerializeForSigning(w);
  return out;
}

Result<v1::Transport> VerifyTransportSignature(std::span<const std::uint8_t> sig_file,
                                               const PublicIdentity& sender) {
  v1::SignedTransport w;
  CUSTOS_TRY(ParseCanonical(sig_file, kMaxTransportBytes, w, "transport signature"));
  if (!sender.Verify(domain::kSigTransport, crypto::AsBytes(w.transport()),
                     crypto::AsBytes(w.signature())))
    return Error(ErrorCode::kBadSignature, "transport signature is invalid or not by " +
                                               sender.DisplayName() + " (" +
                                               FormatFingerprint(sender.fingerprint()) + ")");
  v1::Transport t;
  CUSTOS_TRY(ParseStrict(crypto::AsBytes(w.transport()), kMaxTransportBytes, t, "transport signature"));
  if (t.format_version() != 1)
    return Error(ErrorCode::kCorrupt, "transport signature format version is not supported");
  if (!Equal(t.signer_fingerprint(), sender.fingerprint()))
    return Error(ErrorCode::kBadSignature, "transport signature names another signer");
  return t;
}

Status CheckTransportFacts(const v1::Transport& t, const TransportFacts& a, bool inner_known) {
  if (t.bundle_size() != a.bundle_size || !Equal(t.bundle_sha256(), a.bundle_sha256))
    return Error(ErrorCode::kDigestMismatch,
                 "bundle file differs from the one its transport signature covers "
                 "(altered, truncated or extended in transit)");
  if (inner_known && (t.bundle_id() != a.bundle_id || !Equal(t.manifest_hash(), a.manifest_hash) ||
                      !Equal(t.seal_hash(), a.seal_hash)))
    return Error(ErrorCode::kDigestMismatch,
                 "transport signature belongs to another bundle (bundle id, manifest or seal differ)");
  return Ok();
}

std::string SealReportJson(const SealResult& r, const SealOptions& o, const v1::Transport& t) {
  v1::SealReport rep;
  rep.set_bundle(o.output);
  rep.set_bundle_id(r.bundle_id_hex);
  rep.set_bundle_sha256(r.bundle_sha256_hex);
  rep.set_bundle_size(r.bundle_size);
  auto* s = rep.mutable_sender();
  s->set_name(o.sender->public_identity().name());
  s->set_fingerprint(FormatFingerprint(o.sender->fingerprint()));
  s->set_trusted(true);
  for (const auto& rc : o.recipients) {
    auto* p = rep.add_recipients();
    p->set_name(rc.name());
    p->set_fingerprint(FormatFingerprint(rc.fingerprint()));
    p->set_trusted(true);
  }
  rep.set_file_count(r.file_count);
  rep.set_directory_count(r.directory_count);
  rep.set_payload_bytes(r.payload_bytes);
  rep.set_manifest_hash(r.manifest_hash_hex);
  rep.set_seal_hash(r.seal_hash_hex);
  rep.set_transport_signature(r.transport_path);
  if (!r.transport_path.empty()) *rep.mutable_transport() = t;
  for (const auto& w : r.warnings) rep.add_warnings(w);
  return ToJson(rep);
}

}  // namespace custos::bundle
