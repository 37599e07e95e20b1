// custos/seal.h — sealing evidence into a bundle (docs/FORMAT.md "The bundle").
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <string_view>
#include <vector>

#include "custos/error.h"
#include "custos/keys.h"

namespace custos {

// Case metadata carried, encrypted, in the signed manifest.
struct CaseInfo {
  std::string case_reference;        // required (External-Identifier)
  std::string other_case_reference;
  std::string request_reference;
  std::string requesting_state;      // ISO 3166-1 alpha-2
  std::string requested_state;
  std::string direction;             // "request", "execution", "spontaneous" or empty
  std::string legal_basis;
  std::string offence;
  std::string purpose;
  std::vector<std::string> use_limitations;
  std::string confidentiality;
  std::string data_protection;
  std::string description;
  std::string note;
  std::string supersedes;            // hex bundle id, or empty
};

// Progress of long work, for a progress bar.
struct Progress {
  std::uint64_t done_bytes = 0;
  std::uint64_t total_bytes = 0;
  std::string_view current;          // the file being read (valid during the call only:
                                     // no path is copied for each block)
};
using ProgressCallback = std::function<void(const Progress&)>;

struct SealOptions {
  const SecretIdentity* sender = nullptr;
  std::vector<PublicIdentity> recipients;  // already checked: trusted or confirmed
  CaseInfo case_info;
  std::vector<std::string> inputs;
  std::string output;                      // OUT.custos
  bool force = false;
  int level = 3;                           // zstd level 1..19
  int threads = 0;                         // 0: all cores
  bool transport_signature = true;         // OUT.custos.sig
  std::string custody_log;                 // continue this log, append SEALED to it
  ProgressCallback progress;
};

struct SealResult {
  std::string bundle_id_hex;
  std::string bundle_sha256_hex;
  std::uint64_t bundle_size = 0;
  std::uint64_t file_count = 0;
  std::uint64_t directory_count = 0;
  std::uint64_t payload_bytes = 0;
  std::string manifest_hash_hex;
  std::string seal_hash_hex;
  std::string transport_path;              // empty when not written
  std::string json;                        // the SealReport, protobuf JSON mapping
  std::vector<std::string> warnings;
};

// Seals the inputs into opts.output atomically: on any error nothing is left
// under the output name (or its .sig), and the custody log is unchanged.
Result<SealResult> SealBundle(const SealOptions& opts);

// A recipient is accepted only when its fingerprint is in the trust store or
// listed in `confirmed` (--recipient-fingerprint). kRecipientNotTrusted otherwise.
Status CheckRecipientAccepted(const PublicIdentity& recipient, const TrustStore& store,
                              const std::vector<Fingerprint>& confirmed);

}  // namespace custos
