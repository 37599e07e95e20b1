// lib/src/receipt/report.cpp — what a receipt attests, as a ReceiptReport and
// as human-readable lines (custos receipt verify / show).
#include "receipt/report.h"

#include "common/proto_util.h"
#include "common/time_util.h"
#include "crypto/crypto.h"

namespace custos::receipt {

std::string HexOf(const std::string& bytes) { return crypto::Hex(crypto::AsBytes(bytes)); }

std::string FingerprintText(const std::string& bytes) {
  if (bytes.size() != 32) return bytes.empty() ? std::string() : HexOf(bytes);
  Fingerprint fp{};
  std::copy(bytes.begin(), bytes.end(), fp.begin());
  return FormatFingerprint(fp);
}

void FillReport(const v1::Receipt& r, v1::ReceiptReport* rep) {
  rep->set_bundle_id(HexOf(r.bundle_id()));
  rep->set_bundle_sha256(HexOf(r.bundle_sha256()));
  rep->set_bundle_size(r.bundle_size());
  rep->set_manifest_hash(HexOf(r.manifest_hash()));
  rep->set_seal_hash(HexOf(r.seal_hash()));
  rep->set_sender_fingerprint(FingerprintText(r.sender_fingerprint()));
  rep->set_receiver_fingerprint(FingerprintText(r.receiver_fingerprint()));
  rep->set_result(r.result());
  rep->set_reason(r.reason());
  rep->set_time(FormatUtc(r.time().seconds()));
  rep->set_custody_head(HexOf(r.custody_head()));
  rep->set_custody_seq(r.custody_seq());
}

namespace {
std::string OrUnknown(const std::string& s) { return s.empty() ? "(not known to the receiver)" : s; }
}  // namespace

std::vector<std::string> SummaryLines(const v1::ReceiptReport& rep) {
  std::vector<std::string> out;
  if (rep.result() == v1::RECEIPT_OPENED)
    out.push_back("result:          OPENED (the receiver verified and opened the bundle)");
  else
    out.push_back("result:          VERIFICATION FAILED: " + rep.reason());
  out.push_back("bundle id:       " + OrUnknown(rep.bundle_id()));
  out.push_back("bundle file:     SHA-256 " + OrUnknown(rep.bundle_sha256()) + ", " +
                std::to_string(rep.bundle_size()) + " bytes");
  out.push_back("manifest hash:   " + OrUnknown(rep.manifest_hash()));
  out.push_back("seal hash:       " + OrUnknown(rep.seal_hash()));
  out.push_back("sender:          " + OrUnknown(rep.sender_fingerprint()));
  out.push_back("receiver:        " +
                (rep.receiver_name().empty() ? std::string() : rep.receiver_name() + " ") +
                rep.receiver_fingerprint());
  out.push_back("time:            " + rep.time() + " (the receiver's own clock)");
  if (!rep.custody_head().empty())
    out.push_back("custody log:     head " + rep.custody_head() + " at seq " +
                  std::to_string(rep.custody_seq()));
  return out;
}

}  // namespace custos::receipt
