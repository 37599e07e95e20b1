// lib/src/custody/receipt_format.cpp — signing and verifying receipts
// (docs/FORMAT.md "Receipts"). A verifier runs over the received bytes: the
// Receipt is parsed from exactly the bytes the signature covers.
#include "custody/receipt_format.h"

#include "common/proto_util.h"
#include "common/time_util.h"
#include "crypto/crypto.h"
#include "crypto/domains.h"

namespace custos::receipt {
namespace {

constexpr std::size_t kBundleIdSize = 16;
constexpr std::size_t kHashSize = 32;

Error Corrupt(const std::string& why) {
  return Error(ErrorCode::kCorrupt, "receipt is malformed: " + why);
}

// Empty (unknown to a receiver that failed early) or exactly `size` bytes.
Status CheckOptionalLength(const std::string& field, std::size_t size, const char* name) {
  if (field.empty() || field.size() == size) return Ok();
  return Corrupt(std::string(name) + " has " + std::to_string(field.size()) + " bytes, not " +
                 std::to_string(size));
}

// The content rules of FORMAT.md "Receipts" (both results).
Status CheckContents(const v1::Receipt& r) {
  if (r.format_version() != kReceiptFormatVersion)
    return Error(ErrorCode::kCorrupt, "receipt format version " +
                                          std::to_string(r.format_version()) +
                                          " is not supported (this custos reads version 1)");
  CUSTOS_TRY(CheckOptionalLength(r.bundle_id(), kBundleIdSize, "bundle id"));
  CUSTOS_TRY(CheckOptionalLength(r.bundle_sha256(), kHashSize, "bundle SHA-256"));
  CUSTOS_TRY(CheckOptionalLength(r.manifest_hash(), kHashSize, "manifest hash"));
  CUSTOS_TRY(CheckOptionalLength(r.seal_hash(), kHashSize, "seal hash"));
  CUSTOS_TRY(CheckOptionalLength(r.sender_fingerprint(), kHashSize, "sender fingerprint"));
  CUSTOS_TRY(CheckOptionalLength(r.custody_head(), kHashSize, "custody head"));
  if (r.receiver_fingerprint().size() != kHashSize) return Corrupt("no receiver fingerprint");
  if (!r.has_time() || r.time().seconds() <= 0 || r.time().nanos() < 0 ||
      r.time().nanos() > 999'999'999)
    return Corrupt("no valid time");
  if (r.reason().size() > 4096) return Corrupt("reason is longer than 4096 bytes");
  switch (r.result()) {
    case v1::RECEIPT_OPENED:
      if (r.bundle_id().empty() || r.bundle_sha256().empty() || r.manifest_hash().empty() ||
          r.seal_hash().empty() || r.sender_fingerprint().empty())
        return Corrupt("an OPENED receipt must carry the bundle id and every hash");
      if (r.custody_head().empty() || r.custody_seq() == 0)
        return Corrupt("an OPENED receipt must carry the custody head and sequence");
      return Ok();
    case v1::RECEIPT_VERIFICATION_FAILED:
      if (r.reason().empty()) return Corrupt("a VERIFICATION_FAILED receipt must carry a reason");
      return Ok();
    default:
      // proto3 keeps unknown enum numbers in the field: never accept them.
      return Corrupt("unknown result " + std::to_string(static_cast<int>(r.result())));
  }
}

}  // namespace

std::string SignReceipt(const SecretIdentity& receiver, const v1::Receipt& receipt) {
  v1::Receipt r = receipt;
  if (r.format_version() == 0) r.set_format_version(kReceiptFormatVersion);
  if (r.receiver_fingerprint().empty())
    r.set_receiver_fingerprint(receiver.fingerprint().data(), receiver.fingerprint().size());
  if (!r.has_time()) r.mutable_time()->set_seconds(NowUnix());
  const std::string body = SerializeForSigning(r);
  const auto sig = receiver.Sign(domain::kSigReceipt, crypto::AsBytes(body));
  v1::SignedReceipt w;
  w.set_receipt(body);
  w.set_signature(sig.data(), sig.size());
  return SerializeForSigning(w);
}

Result<v1::Receipt> ParseReceiptUnverified(std::span<const std::uint8_t> signed_receipt) {
  v1::SignedReceipt w;
  CUSTOS_TRY(ParseCanonical(signed_receipt, kMaxReceiptBytes, w, "receipt"));
  if (w.signature().size() != crypto::kEd25519SignatureSize)
    return Corrupt("the signature is not 64 bytes");
  v1::Receipt r;
  CUSTOS_TRY(ParseStrict(crypto::AsBytes(w.receipt()), kMaxReceiptBytes, r, "receipt"));
  CUSTOS_TRY(CheckContents(r));
  return r;
}

Result<v1::Receipt> VerifyReceiptBytes(std::span<const std::uint8_t> signed_receipt,
                                       const PublicIdentity& receiver) {
  v1::SignedReceipt w;
  CUSTOS_TRY(ParseCanonical(signed_receipt, kMaxReceiptBytes, w, "receipt"));
  const std::string who = receiver.DisplayName() + " (" + FormatFingerprint(receiver.fingerprint()) + ")";
  // The signature first: nothing inside an unauthenticated body is trusted.
  if (!receiver.Verify(domain::kSigReceipt, crypto::AsBytes(w.receipt()),
                       crypto::AsBytes(w.signature())))
    return Error(ErrorCode::kBadSignature,
                 "receipt signature is invalid or not by " + who,
                 "check that --from names the receiver the bundle was sent to, and that the "
                 "receipt file is the one it sent back");
  v1::Receipt r;
  CUSTOS_TRY(ParseStrict(crypto::AsBytes(w.receipt()), kMaxReceiptBytes, r, "receipt"));
  CUSTOS_TRY(CheckContents(r));
  if (!crypto::ConstantTimeEqual(crypto::AsBytes(r.receiver_fingerprint()), receiver.fingerprint()))
    return Error(ErrorCode::kBadSignature,
                 "receipt is signed by " + who + " but names another receiver");
  return r;
}

}  // namespace custos::receipt
