// InspectBundle and CheckTransport: what can be said without a decryption key.
#include "age/age.h"
#include "bundle/transport.h"
#include "common/proto_util.h"
#include "custos/open.h"
#include "custos/v1/report.pb.h"
#include "io/files.h"

namespace custos {

Result<std::string> InspectBundle(const std::string& path, bool json) {
  CUSTOS_ASSIGN_OR_RETURN(auto src, io::FileSource::Open(path, false));
  auto h = age::InspectHeader(*src);
  if (!h.ok()) return std::move(h).error().Wrap(path + ": not a custos bundle (age v1 header)");
  v1::InspectReport rep;
  rep.set_bundle(path);
  rep.set_format("age-encryption.org/v1");
  rep.set_size(src->file_size());
  rep.set_header_size(h->header_bytes);
  std::uint32_t x25519 = 0;
  for (const auto& t : h->stanza_types) {
    rep.add_stanza_types(t);
    if (t == "X25519") ++x25519;
  }
  rep.set_recipient_stanzas(x25519);
  rep.set_transport_signature_present(io::Exists(path + ".sig"));
  rep.set_note("nothing has been verified: inspect reads only the unauthenticated outside");
  if (json) return ToJson(rep);
  std::string out = "bundle      " + path + "\nformat      age-encryption.org/v1 (custos bundle)\n";
  out += "size        " + std::to_string(rep.size()) + " bytes\n";
  out += "recipients  " + std::to_string(x25519) + " X25519 stanza(s)";
  if (static_cast<std::size_t>(x25519) != h->stanza_types.size())
    out += ", " + std::to_string(h->stanza_types.size() - x25519) + " other";
  out += "\ntransport   " + std::string(rep.transport_signature_present() ? path + ".sig present (check it with 'custos check')" : "no .sig beside the bundle");
  out += "\nnote        NOT verified: this is only what the outside of the file claims\n";
  return out;
}

Result<std::string> CheckTransport(const std::string& bundle_path, const std::string& sig_path,
                                   const PublicIdentity& sender, bool json) {
  const std::string sig = sig_path.empty() ? bundle_path + ".sig" : sig_path;
  auto bytes = io::ReadFileLimited(sig, bundle::kMaxTransportBytes);
  if (!bytes.ok()) {
    if (bytes.error().code() == ErrorCode::kLimitExceeded)
      return Error(ErrorCode::kCorrupt, sig + ": is not a transport signature (too large)");
    return std::move(bytes).error();
  }
  auto t = bundle::VerifyTransportSignature(*bytes, sender);
  if (!t.ok()) return std::move(t).error().Wrap(sig);
  CUSTOS_ASSIGN_OR_RETURN(auto src, io::FileSource::Open(bundle_path, true));
  std::vector<std::uint8_t> buf(1 << 20);
  for (;;) {
    CUSTOS_ASSIGN_OR_RETURN(std::size_t n, src->Read(buf));
    if (n == 0) break;
  }
  bundle::TransportFacts actual;
  actual.bundle_size = src->bytes_read();
  actual.bundle_sha256 = src->Digest();
  CUSTOS_TRY(bundle::CheckTransportFacts(*t, actual, false).ok()
                 ? Ok()
                 : Status(bundle::CheckTransportFacts(*t, actual, false).error().Wrap(bundle_path)));
  v1::CheckReport rep;
  rep.set_bundle(bundle_path);
  rep.set_intact(true);
  rep.mutable_signer()->set_name(sender.name());
  rep.mutable_signer()->set_fingerprint(FormatFingerprint(sender.fingerprint()));
  rep.mutable_signer()->set_trusted(true);
  *rep.mutable_transport() = *t;
  if (json) return ToJson(rep);
  return bundle_path + ": intact; sealed by " + sender.DisplayName() + " (" +
         FormatFingerprint(sender.fingerprint()) + "), " + std::to_string(actual.bundle_size) +
         " bytes, SHA-256 " + crypto::Hex(actual.bundle_sha256) + "\n";
}

}  // namespace custos
