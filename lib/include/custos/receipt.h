// custos/receipt.h — checking the receipts receivers send back.
// docs/FORMAT.md "Receipts"; docs/FORMAT.md "Receipts" is the normative format.
//
// A receipt is a signed acknowledgement by the receiver: which bundle file
// (SHA-256, size, id, manifest and seal hashes) it opened or failed to
// verify, when (by the receiver's own clock) and where its custody log stood
// afterwards. It is not by itself qualified e-delivery evidence.
#pragma once

#include <string>
#include <vector>

#include "custos/error.h"
#include "custos/keys.h"

namespace custos {

struct ReceiptVerifyOptions {
  std::string receipt_path;
  const PublicIdentity* receiver = nullptr;  // --from: who must have signed it (required)
  bool allow_example_keys = false;
  // --bundle: the bundle file the receipt should acknowledge; empty checks the
  // receipt alone (signature and contents).
  std::string bundle_path;
  std::string sig_path;   // the transport signature; empty: BUNDLE.sig if it exists
  std::string trust_dir;  // where to find the sender to verify BUNDLE.sig; empty: default
};

struct ReceiptVerdict {
  // The receiver reports RECEIPT_VERIFICATION_FAILED (a valid signed
  // statement that it could not verify the bundle), and why.
  bool negative = false;
  std::string reason;
  std::string json;                    // ReceiptReport, protobuf JSON mapping, one object
  std::vector<std::string> summary;    // human-readable lines
  std::vector<std::string> warnings;   // also inside `json`
};

// Verifies a receipt file. Errors:
//  kExampleKey   the receiver is an example identity and they are not allowed;
//  kBadSignature not signed by `receiver`, or naming another receiver;
//  kCorrupt / kLimitExceeded  malformed, unknown fields, oversize;
//  kDigestMismatch  "receipt is for another bundle" (--bundle's SHA-256 or
//                size differ), or the receipt disagrees with BUNDLE.sig or with
//                the sent register (manifest or seal hash);
//  kNotForUs     "… was not a recipient of this bundle" (sent register);
//  kBadSignature BUNDLE.sig fails for its (trusted) sender;
//  I/O codes for unreadable files.
// A valid negative receipt is returned as a verdict with negative = true;
// the caller decides the exit code (the CLI exits 1).
// With --bundle, the recipient check needs CUSTOS_HOME/sent/<bundle id>.pb
// (written by `seal`); when there is none the verdict warns that it could not
// be checked.
Result<ReceiptVerdict> VerifyReceiptFile(const ReceiptVerifyOptions& options);

// Parses a receipt file strictly and describes it WITHOUT checking its
// signature (the summary says so); for `custos receipt show`.
Result<ReceiptVerdict> ShowReceiptFile(const std::string& receipt_path);

}  // namespace custos
