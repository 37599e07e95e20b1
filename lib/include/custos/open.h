// custos/open.h — verifying and opening bundles; what the outside shows.
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "custos/error.h"
#include "custos/keys.h"
#include "custos/seal.h"

namespace custos {

// The conditions a receiver must acknowledge before anything is written.
struct Conditions {
  std::vector<std::string> use_limitations;
  std::string confidentiality;
  std::string data_protection;
  std::string sender;       // display name from the trusted .pub
  std::string case_reference;
};

struct ReadOptions {
  std::string bundle_path;
  const SecretIdentity* receiver = nullptr;
  std::vector<PublicIdentity> from;   // pins the sender when non-empty
  std::string trust_dir;              // empty: the default trust store
  bool allow_example_keys = false;
  std::string sig_path;               // empty: BUNDLE.sig if it exists
  ProgressCallback progress;
  int threads = 0;                    // 1: no worker threads; otherwise one
                                      // for decryption, one for hashing/writing
};

struct OpenOptions {
  ReadOptions read;
  std::string outdir;
  std::string receipt_copy;           // --receipt FILE, or empty
  // Shown the conditions after the manifest verified and before anything is
  // written; returns true to go on. `at_prompt` is set to whether a person
  // acknowledged at a prompt (else --acknowledge). kUsage to stop.
  std::function<Result<bool>(const Conditions&, bool* at_prompt)> acknowledge;
};

struct BundleReport {
  std::string json;                   // VerifyReport, protobuf JSON mapping
  std::string sender_name;
  std::string sender_fingerprint;
  std::string bundle_id_hex;
  std::uint64_t file_count = 0;
  std::uint64_t payload_bytes = 0;
  bool transport_checked = false;
  std::vector<std::string> warnings;
  std::vector<std::string> summary;   // human-readable lines
};

// Decrypts and checks everything (docs/FORMAT.md "What the reader checks"); writes nothing.
Result<BundleReport> VerifyBundle(const ReadOptions& opts);
// The same checks while extracting into a staging directory beside outdir,
// renamed into place only when everything verified.
Result<BundleReport> OpenBundle(const OpenOptions& opts);

// What the outside shows, no key: format, stanzas, size; never "verified".
Result<std::string> InspectBundle(const std::string& bundle_path, bool json);

// Checks BUNDLE's transport signature (BUNDLE.sig or sig_path) with the
// sender's public key only. Returns the report (JSON when asked).
Result<std::string> CheckTransport(const std::string& bundle_path, const std::string& sig_path,
                                   const PublicIdentity& sender, bool json);

}  // namespace custos
