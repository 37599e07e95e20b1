// VerifyManifest: the reader's first and most important check (FORMAT.md §5.3).
#include <cstring>

#include "bundle/limits.h"
#include "bundle/manifest.h"
#include "bundle/safe_path.h"
#include "common/proto_util.h"
#include "crypto/domains.h"

namespace custos::bundle {

namespace {

// The sender's trusted identity: one of --from when given (it pins), else the
// trust store. Names shown later come from this identity, not the bundle.
Result<PublicIdentity> TrustedSender(const PublicIdentity& embedded, const SenderPolicy& policy) {
  const Fingerprint& fp = embedded.fingerprint();
  const std::string who = "'" + EscapeForDisplay(embedded.name()) + "' (" + FormatFingerprint(fp) + ")";
  if (policy.from != nullptr && !policy.from->empty()) {
    for (const auto& f : *policy.from)
      if (f.fingerprint() == fp) return f;
    return Error(ErrorCode::kUntrustedSigner,
                 "bundle was sealed by " + who + ", which is not one of the --from identities",
                 "check with the sender; --from accepts only the identities it names");
  }
  if (policy.store != nullptr) {
    CUSTOS_ASSIGN_OR_RETURN(std::optional<PublicIdentity> found, policy.store->Find(fp));
    if (found) return *found;
  }
  return Error(ErrorCode::kUntrustedSigner,
               "bundle was sealed by an untrusted sender " + who +
                   " (the name is the bundle's claim, not verified)",
               "verify this fingerprint with the sender out of band, then 'custos trust add "
               "SENDER.pub' or pass --from SENDER.pub");
}

}  // namespace

Result<VerifiedManifest> VerifyManifest(std::span<const std::uint8_t> member,
                                        const Fingerprint& receiver, const SenderPolicy& policy) {
  v1::SignedManifest wrapper;
  CUSTOS_TRY(ParseCanonical(member, kMaxManifestBytes, wrapper, "manifest"));
  VerifiedManifest out;
  // Moved, not copied: the body is ~50 bytes a file.
  out.body = std::move(*wrapper.mutable_manifest());
  CUSTOS_TRY(ParseStrict(crypto::AsBytes(out.body), kMaxManifestBytes, out.manifest, "manifest"));
  const v1::Manifest& m = out.manifest;
  if (m.format_version() != 1)
    return Error(ErrorCode::kCorrupt,
                 "manifest format version " + std::to_string(m.format_version()) +
                     " is not supported", "upgrade custos");
  std::string sender_bytes = m.sender().SerializeAsString();
  CUSTOS_ASSIGN_OR_RETURN(
      PublicIdentity embedded,
      PublicIdentity::FromSignedBytes(crypto::AsBytes(sender_bytes)));
  if (!embedded.Verify(domain::kSigManifest, crypto::AsBytes(out.body),
                       crypto::AsBytes(wrapper.signature())))
    return Error(ErrorCode::kBadSignature,
                 "manifest signature is invalid: the bundle was altered or forged");
  CUSTOS_ASSIGN_OR_RETURN(out.sender, TrustedSender(embedded, policy));
  CUSTOS_TRY(CheckExampleKey(out.sender, policy.allow_example_keys, policy.warnings));
  if (m.bundle_id().size() != 16) return Error(ErrorCode::kCorrupt, "manifest bundle id is not 16 bytes");
  if (m.recipients_size() == 0 || static_cast<std::size_t>(m.recipients_size()) > kMaxRecipients)
    return Error(ErrorCode::kCorrupt, "manifest has no or too many recipients");
  bool for_us = false;
  for (const auto& r : m.recipients())
    if (crypto::ConstantTimeEqual(crypto::AsBytes(r.fingerprint()), receiver)) for_us = true;
  if (!for_us)
    return Error(ErrorCode::kNotForUs,
                 "bundle was sealed for " + RecipientNames(m) + ", not for you",
                 "a recipient may have forwarded it; ask the sender for a bundle sealed for you");
  if (std::size_t n = ConditionsBytes(m.case_metadata()); n > kMaxConditionsBytes)
    return Error(ErrorCode::kLimitExceeded,
                 "the bundle's conditions are " + std::to_string(n) + " bytes, over the limit of " +
                     std::to_string(kMaxConditionsBytes) +
                     " (their acknowledgement could not be recorded)");
  out.hash = crypto::DomainHash(domain::kHashManifest, crypto::AsBytes(out.body));
  // The wrapper (kept by the reader for OUTDIR/custos/manifest.pb) holds these
  // bytes already; freed before the entries' check, whose trie is the peak.
  std::string().swap(out.body);
  CUSTOS_TRY(CheckEntries(m, &out.payload_bytes, &out.file_count, &out.dir_count));
  out.top = crypto::Hex(crypto::AsBytes(m.bundle_id()));
  return out;
}

}  // namespace custos::bundle
