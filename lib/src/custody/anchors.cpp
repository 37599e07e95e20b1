// Anchors for the audit: --expect-head, checkpoints, receipts.
// docs/FORMAT.md "Chain-of-custody log" — Anchors.
#include "custody/anchors.h"

#include <cctype>

#include "common/proto_util.h"
#include "custody/receipt_format.h"
#include "crypto/domains.h"
#include "custos/v1/receipt.pb.h"

namespace custos::custody {
namespace {

Result<crypto::Digest> DigestField(const std::string& bytes, const std::string& what) {
  crypto::Digest d{};
  if (bytes.size() != d.size()) return Error(ErrorCode::kCorrupt, what + " is not 32 bytes");
  std::copy(bytes.begin(), bytes.end(), d.begin());
  return d;
}

Result<std::uint64_t> ParseSeq(std::string_view s) {
  if (s.empty() || s.size() > 19) return Error(ErrorCode::kUsage, "bad sequence number");
  std::uint64_t v = 0;
  for (char c : s) {
    if (c < '0' || c > '9') return Error(ErrorCode::kUsage, "bad sequence number");
    v = v * 10 + static_cast<std::uint64_t>(c - '0');
  }
  return v;
}

std::string AnchorName(const Anchor& a) {
  return a.kind == "expect-head" ? std::string("--expect-head") : a.kind + " " + a.source;
}

void Fail(std::optional<Error>* failure, ErrorCode code, std::string message, std::string hint = {}) {
  if (!failure->has_value()) failure->emplace(code, std::move(message), std::move(hint));
}

}  // namespace

Result<Anchor> ParseExpectHead(std::string_view text) {
  const Error usage(ErrorCode::kUsage, "--expect-head '" + std::string(text) + "' is not HASH or HASH:SEQ",
                    "give the 64 hex digits of an event hash, optionally followed by :SEQ");
  Anchor a;
  a.kind = "expect-head";
  a.source = std::string(text);
  std::string_view hash = text;
  if (auto colon = text.find(':'); colon != std::string_view::npos) {
    auto seq = ParseSeq(text.substr(colon + 1));
    if (!seq.ok()) return usage;
    a.seq = *seq;
    hash = text.substr(0, colon);
  }
  std::string compact;
  for (char c : hash)
    if (c != ' ') compact.push_back(static_cast<char>(std::tolower(static_cast<unsigned char>(c))));
  auto bytes = crypto::FromHex(compact);
  if (!bytes.ok() || bytes->size() != a.head.size()) return usage;
  std::copy(bytes->begin(), bytes->end(), a.head.begin());
  return a;
}

Result<Anchor> LoadCheckpoint(const std::string& path) {
  CUSTOS_ASSIGN_OR_RETURN(io::Bytes file, io::ReadFileLimited(path, kMaxCheckpointBytes));
  v1::SignedCheckpoint signed_cp;
  v1::Checkpoint cp;
  const std::string what = "checkpoint " + path;
  CUSTOS_TRY(ParseCanonical(file, kMaxCheckpointBytes, signed_cp, what));
  CUSTOS_TRY(ParseStrict(crypto::AsBytes(signed_cp.checkpoint()), kMaxCheckpointBytes, cp, what));
  if (cp.format_version() != kCheckpointFormatVersion)
    return Error(ErrorCode::kCorrupt, what + ": format version " + std::to_string(cp.format_version()) +
                                          " is not supported");
  Anchor a;
  a.kind = "checkpoint";
  a.source = path;
  a.seq = cp.seq();
  CUSTOS_ASSIGN_OR_RETURN(a.head, DigestField(cp.head(), what + ": head"));
  CUSTOS_ASSIGN_OR_RETURN(a.log_id, DigestField(cp.log_id(), what + ": log id"));
  auto signer = PublicIdentity::FromSignedBytes(crypto::AsBytes(SerializeForSigning(cp.signer())));
  if (!signer.ok()) return signer.error().Wrap(what + ": signer identity");
  if (!signer->Verify(domain::kSigCheckpoint, crypto::AsBytes(signed_cp.checkpoint()),
                      crypto::AsBytes(signed_cp.signature())))
    return Error(ErrorCode::kBadSignature, what + ": signature invalid");
  a.signature_verified = true;
  a.signer = std::move(signer).value();
  return a;
}

// A receipt is read by the one receipt parser (receipt_format.h): the same
// size, canonical-encoding, content and signature rules as `receipt verify`.
Result<Anchor> LoadReceiptAnchor(const std::string& path, const ActorDirectory& dir) {
  CUSTOS_ASSIGN_OR_RETURN(io::Bytes file, io::ReadFileLimited(path, receipt::kMaxReceiptBytes));
  const std::string what = "receipt " + path;
  auto parsed = receipt::ParseReceiptUnverified(file);
  if (!parsed.ok()) return std::move(parsed).error().Wrap(what);
  v1::Receipt unverified = std::move(parsed).value();
  Fingerprint fp{};
  std::copy(unverified.receiver_fingerprint().begin(), unverified.receiver_fingerprint().end(),
            fp.begin());
  Anchor a;
  a.kind = "receipt";
  a.source = path;
  const PublicIdentity* id = dir.Find(fp);
  v1::Receipt r = std::move(unverified);
  if (id == nullptr) {
    a.note = "unverified anchor: no --from or trusted identity has the receiver's fingerprint " +
             FormatFingerprint(fp);
  } else {
    auto verified = receipt::VerifyReceiptBytes(file, *id);
    if (!verified.ok()) return std::move(verified).error().Wrap(what);
    r = std::move(verified).value();
    a.signature_verified = true;
    a.signer = *id;
  }
  if (r.custody_head().empty())
    return Error(ErrorCode::kUsage, what + " carries no custody head (a negative receipt?), so it anchors no log");
  a.seq = r.custody_seq();
  CUSTOS_ASSIGN_OR_RETURN(a.head, DigestField(r.custody_head(), what + ": custody head"));
  return a;
}

void Observe(Anchor& a, const ParsedEvent& e) {
  const std::uint64_t seq = e.event.seq();
  if (a.seq.has_value()) {
    if (seq != *a.seq) return;
    a.seen_seq = true;
    a.matched = crypto::ConstantTimeEqual(e.hash, a.head);
    a.matched_seq = seq;
  } else if (!a.matched && crypto::ConstantTimeEqual(e.hash, a.head)) {
    a.matched = true;
    a.matched_seq = seq;
  }
}

AnchorReport Judge(const Anchor& a, const Tail& tail, const ActorDirectory& dir, bool strict,
                   std::optional<Error>* failure) {
  AnchorReport r;
  r.kind = a.kind;
  r.source = a.source;
  r.seq = a.seq.value_or(a.matched_seq);
  r.head = crypto::Hex(a.head);
  r.signature_verified = a.signature_verified;
  if (a.signer) r.signer = dir.Label(*a.signer);
  const std::string name = AnchorName(a);
  if (a.log_id && tail.count > 0 && !crypto::ConstantTimeEqual(*a.log_id, tail.log_id)) {
    r.detail = "anchors another log (its log id differs from this log's first event)";
    Fail(failure, ErrorCode::kBrokenChain, "the " + name + " anchors another log: its log id differs");
    return r;
  }
  if (a.seq && !a.seen_seq) {
    r.detail = "the log ends at event " + std::to_string(tail.count) + " but the anchor names event " +
               std::to_string(*a.seq) + ": events were removed";
    Fail(failure, ErrorCode::kBrokenChain,
         "the log does not extend the head anchored by the " + name + ": it holds " +
             std::to_string(tail.count) + " events, the anchor names event " + std::to_string(*a.seq),
         "events after the anchored head were removed, or this is an older copy of the log");
  } else if (!a.matched) {
    r.detail = a.seq ? "event " + std::to_string(*a.seq) + " has a different hash: the log forks"
                     : "no event of the log has this hash";
    Fail(failure, ErrorCode::kBrokenChain,
         "the log does not extend the head anchored by the " + name + ": " + r.detail);
  } else {
    r.extended = true;
    r.detail = "the log extends this head (event " + std::to_string(r.seq) + ")";
  }
  if (!a.note.empty()) r.detail += "; " + a.note;
  const bool vouched = a.kind == "expect-head" || (a.signer && dir.Trusted(*a.signer));
  if (a.kind == "checkpoint" && !vouched) r.detail += "; signed by an identity that is not trusted";
  if (strict && !vouched)
    Fail(failure, ErrorCode::kUntrustedSigner,
         "the " + name + " is not signed by a trusted identity (--strict)");
  return r;
}

std::string MakeSignedCheckpoint(const SecretIdentity& signer, const Tail& tail, std::int64_t time) {
  v1::Checkpoint cp;
  cp.set_format_version(kCheckpointFormatVersion);
  cp.set_log_id(std::string(crypto::AsChars(tail.log_id)));
  cp.set_seq(tail.count - 1);
  cp.set_head(std::string(crypto::AsChars(tail.head)));
  cp.mutable_time()->set_seconds(time);
  (void)cp.mutable_signer()->ParseFromString(signer.public_identity().signed_bytes());
  v1::SignedCheckpoint signed_cp;
  signed_cp.set_checkpoint(SerializeForSigning(cp));
  const auto sig = signer.Sign(domain::kSigCheckpoint, crypto::AsBytes(signed_cp.checkpoint()));
  signed_cp.set_signature(std::string(crypto::AsChars(sig)));
  return SerializeForSigning(signed_cp);
}

}  // namespace custos::custody
