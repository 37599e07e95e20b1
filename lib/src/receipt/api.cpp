// lib/src/receipt/api.cpp — custos/receipt.h: checking a receipt alone, then
// (with --bundle) against the bundle file, its transport signature and the
// sender's register of what was sent. docs/FORMAT.md "Receipts".
#include "bundle/transport.h"
#include "common/proto_util.h"
#include "crypto/crypto.h"
#include "custos/receipt.h"
#include "io/files.h"
#include "receipt/receipt.h"
#include "receipt/report.h"

namespace custos {
namespace {

using receipt::HexOf;

bool Same(const std::string& a, const std::string& b) {
  return a.size() == b.size() && crypto::ConstantTimeEqual(crypto::AsBytes(a), crypto::AsBytes(b));
}

struct BundleFile {
  std::string sha256;  // raw 32 bytes
  std::uint64_t size = 0;
};

Result<BundleFile> HashBundle(const std::string& path) {
  CUSTOS_ASSIGN_OR_RETURN(auto src, io::FileSource::Open(path, true));
  std::vector<std::uint8_t> buf(1 << 20);
  for (;;) {
    CUSTOS_ASSIGN_OR_RETURN(std::size_t n, src->Read(buf));
    if (n == 0) break;
  }
  const crypto::Digest d = src->Digest();
  return BundleFile{std::string(d.begin(), d.end()), src->bytes_read()};
}

Status CheckBundleFile(const v1::Receipt& r, const std::string& path, const BundleFile& f) {
  if (Same(r.bundle_sha256(), f.sha256) && r.bundle_size() == f.size) return Ok();
  return Error(ErrorCode::kDigestMismatch,
               "receipt is for another bundle: " + path + " has SHA-256 " + HexOf(f.sha256) + " (" +
                   std::to_string(f.size) + " bytes), the receipt names " +
                   (r.bundle_sha256().empty() ? std::string("no file hash") : HexOf(r.bundle_sha256())) +
                   " (" + std::to_string(r.bundle_size()) + " bytes)");
}

// `field` of the receipt must equal `expected` when the receipt carries it.
Status Agree(const std::string& mine, const std::string& expected, const std::string& what,
             const std::string& against) {
  if (mine.empty() || Same(mine, expected)) return Ok();
  return Error(ErrorCode::kDigestMismatch,
               "receipt does not match " + against + ": the " + what + " differs");
}

// BUNDLE.sig: parsed strictly; verified when its signer is in the trust store.
Result<std::string> CheckTransport(const v1::Receipt& r, const ReceiptVerifyOptions& o,
                                   const BundleFile& f) {
  const std::string sig = o.sig_path.empty() ? o.bundle_path + ".sig" : o.sig_path;
  if (o.sig_path.empty() && !io::Exists(sig)) return std::string("absent");
  CUSTOS_ASSIGN_OR_RETURN(io::Bytes bytes, io::ReadFileLimited(sig, bundle::kMaxTransportBytes));
  v1::SignedTransport w;
  CUSTOS_TRY(ParseStrict(bytes, bundle::kMaxTransportBytes, w, sig));
  v1::Transport t;
  CUSTOS_TRY(ParseStrict(crypto::AsBytes(w.transport()), bundle::kMaxTransportBytes, t, sig));
  std::string state = "parsed, not verified (its signer is not in the trust store)";
  if (t.signer_fingerprint().size() == 32) {
    Fingerprint fp{};
    std::copy(t.signer_fingerprint().begin(), t.signer_fingerprint().end(), fp.begin());
    auto store = TrustStore::Open(o.trust_dir, false);
    auto found = store.ok() ? store->Find(fp) : Result<std::optional<PublicIdentity>>(store.error());
    if (found.ok() && found->has_value()) {
      auto v = bundle::VerifyTransportSignature(bytes, **found);
      if (!v.ok()) return v.error().Wrap(sig);
      state = "verified (signed by " + (*found)->DisplayName() + ")";
    }
  }
  if (!Same(t.bundle_sha256(), f.sha256) || t.bundle_size() != f.size)
    return Error(ErrorCode::kDigestMismatch, sig + " belongs to another bundle file than " + o.bundle_path);
  const std::string against = sig;
  CUSTOS_TRY(Agree(r.bundle_id(), t.bundle_id(), "bundle id", against));
  CUSTOS_TRY(Agree(r.manifest_hash(), t.manifest_hash(), "manifest hash", against));
  CUSTOS_TRY(Agree(r.seal_hash(), t.seal_hash(), "seal hash", against));
  CUSTOS_TRY(Agree(r.sender_fingerprint(), t.signer_fingerprint(), "sender fingerprint", against));
  return state;
}

// CUSTOS_HOME/sent/<id>.pb: the facts the sender recorded and who the recipients were.
Status CheckSent(const v1::Receipt& r, const v1::SentRecord& s, const BundleFile& f,
                 const PublicIdentity& receiver, const std::string& bundle_path) {
  const std::string against = "the sent register's record of bundle " + HexOf(s.bundle_id());
  if (!Same(s.bundle_sha256(), f.sha256) || s.bundle_size() != f.size)
    return Error(ErrorCode::kDigestMismatch,
                 bundle_path + " is not the file recorded as sent for bundle " + HexOf(s.bundle_id()));
  CUSTOS_TRY(Agree(r.manifest_hash(), s.manifest_hash(), "manifest hash", against));
  CUSTOS_TRY(Agree(r.seal_hash(), s.seal_hash(), "seal hash", against));
  CUSTOS_TRY(Agree(r.sender_fingerprint(), s.sender_fingerprint(), "sender fingerprint", against));
  const std::string fp(receiver.fingerprint().begin(), receiver.fingerprint().end());
  for (const auto& rc : s.recipient_fingerprints())
    if (Same(rc, fp)) return Ok();
  return Error(ErrorCode::kNotForUs,
               receiver.DisplayName() + " (" + FormatFingerprint(receiver.fingerprint()) +
                   ") was not a recipient of this bundle",
               "the bundle was sealed for other receivers; a receipt from this identity "
               "acknowledges nothing you sent it");
}

// Everything --bundle adds: file hash and size, BUNDLE.sig, the sent register.
Status CheckAgainstBundle(const v1::Receipt& r, const ReceiptVerifyOptions& o,
                          v1::ReceiptReport* rep) {
  CUSTOS_ASSIGN_OR_RETURN(const BundleFile f, HashBundle(o.bundle_path));
  CUSTOS_TRY(CheckBundleFile(r, o.bundle_path, f));
  rep->set_bundle(o.bundle_path);
  rep->set_bundle_matches(true);
  CUSTOS_ASSIGN_OR_RETURN(std::string transport, CheckTransport(r, o, f));
  rep->set_transport_signature(transport);
  const std::string receiver = o.receiver->DisplayName();
  if (r.bundle_id().empty()) {
    rep->add_warnings("could not check that " + receiver +
                      " was a recipient: the receipt does not name a bundle id");
    return Ok();
  }
  const std::string id = HexOf(r.bundle_id());
  CUSTOS_ASSIGN_OR_RETURN(auto sent, receipt::FindSent(id));
  if (!sent.has_value()) {
    rep->add_warnings("could not check that " + receiver + " was a recipient: no record of bundle " +
                      id + " in " + receipt::CustosHome() + "/sent");
    return Ok();
  }
  CUSTOS_TRY(CheckSent(r, *sent, f, *o.receiver, o.bundle_path));
  rep->set_sent_record(receipt::CustosHome() + "/sent/" + id + ".pb");
  rep->set_recipient_checked(true);
  return Ok();
}

std::vector<std::string> BundleLines(const v1::ReceiptReport& rep) {
  std::vector<std::string> out;
  if (rep.bundle().empty()) {
    out.push_back("bundle:          not checked (give --bundle BUNDLE to check the receipt "
                  "against the file you sent)");
    return out;
  }
  out.push_back("bundle:          " + rep.bundle() + " matches (SHA-256 and size)");
  out.push_back("transport sig:   " + rep.transport_signature());
  if (rep.recipient_checked())
    out.push_back("recipient:       " + rep.receiver_name() + " was a recipient (" +
                  rep.sent_record() + ")");
  return out;
}

ReceiptVerdict Finish(const v1::Receipt& r, v1::ReceiptReport& rep, std::vector<std::string> head) {
  ReceiptVerdict v;
  v.negative = r.result() == v1::RECEIPT_VERIFICATION_FAILED;
  v.reason = r.reason();
  v.summary = std::move(head);
  for (auto& line : receipt::SummaryLines(rep)) v.summary.push_back(std::move(line));
  for (const auto& w : rep.warnings()) v.warnings.push_back(w);
  v.json = ToJson(rep);
  return v;
}

}  // namespace

Result<ReceiptVerdict> VerifyReceiptFile(const ReceiptVerifyOptions& o) {
  if (o.receiver == nullptr)
    return Error(ErrorCode::kUsage, "receipt verify needs the receiver's public key (--from RECEIVER.pub)");
  std::vector<std::string> warnings;
  CUSTOS_TRY(CheckExampleKey(*o.receiver, o.allow_example_keys, &warnings));
  CUSTOS_ASSIGN_OR_RETURN(io::Bytes bytes, io::ReadFileLimited(o.receipt_path, receipt::kMaxReceiptBytes));
  auto r = receipt::VerifyReceiptBytes(bytes, *o.receiver);
  if (!r.ok()) return r.error().Wrap(o.receipt_path);
  v1::ReceiptReport rep;
  rep.set_receipt(o.receipt_path);
  rep.set_signature_valid(true);
  receipt::FillReport(*r, &rep);
  rep.set_receiver_name(o.receiver->DisplayName());
  for (const auto& w : warnings) rep.add_warnings(w);
  if (!o.bundle_path.empty()) CUSTOS_TRY(CheckAgainstBundle(*r, o, &rep));
  std::vector<std::string> head = {"receipt " + o.receipt_path + ": signature valid, signed by " +
                                    o.receiver->DisplayName()};
  ReceiptVerdict v = Finish(*r, rep, std::move(head));
  for (auto& line : BundleLines(rep)) v.summary.push_back(std::move(line));
  return v;
}

Result<ReceiptVerdict> ShowReceiptFile(const std::string& path) {
  CUSTOS_ASSIGN_OR_RETURN(io::Bytes bytes, io::ReadFileLimited(path, receipt::kMaxReceiptBytes));
  auto r = receipt::ParseReceiptUnverified(bytes);
  if (!r.ok()) return r.error().Wrap(path);
  v1::ReceiptReport rep;
  rep.set_receipt(path);
  rep.set_signature_valid(false);
  receipt::FillReport(*r, &rep);
  rep.add_warnings("signature not checked: run 'custos receipt verify " + path +
                   " --from RECEIVER.pub' to check who signed it");
  return Finish(*r, rep, {"receipt " + path + " (signature NOT checked)"});
}

}  // namespace custos
