// The signed manifest: built by the sealer, verified first by the reader
// (FORMAT.md §5.3). A reader authenticates the sender, checks that it is a
// recipient and learns every path and size before any evidence is read.
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "crypto/crypto.h"
#include "custos/keys.h"
#include "custos/seal.h"
#include "custos/v1/manifest.pb.h"

namespace custos::bundle {

struct ManifestEntryInput {
  std::string path;        // "data/…"
  bool is_dir = false;
  std::uint64_t size = 0;
  std::uint32_t mode = 0;  // 0777 bits
  std::int64_t mtime = 0;
};

// Fills a Manifest. Validates case metadata (ISO codes, direction, lengths)
// and the entries (CheckEntries). `entry(i)` gives the i-th of `count`
// entries, called once for each i in order; its path is moved into the
// manifest (one copy of each path, and no second list of all entries at once).
Result<v1::Manifest> BuildManifest(const SecretIdentity& sender,
                                   const std::vector<PublicIdentity>& recipients,
                                   const CaseInfo& case_info, std::size_t count,
                                   const std::function<ManifestEntryInput(std::size_t)>& entry);
Result<v1::Manifest> BuildManifest(const SecretIdentity& sender,
                                   const std::vector<PublicIdentity>& recipients,
                                   const CaseInfo& case_info,
                                   std::vector<ManifestEntryInput> entries);

// The bytes of the conditions a receiver must acknowledge (use limitations,
// confidentiality, data protection); at most kMaxConditionsBytes (checked by
// BuildManifest and VerifyManifest).
std::size_t ConditionsBytes(const v1::CaseMetadata& c);

// A signed protobuf body as it travels: the body bytes, the wrapper bytes and
// the body's domain-separated hash.
struct SignedBody {
  std::string body;      // SignManifest leaves it empty: the wrapper holds it
  std::string wrapper;
  crypto::Digest hash{};
};
SignedBody SignManifest(const SecretIdentity& sender, const v1::Manifest& manifest);

// Who may have sealed a bundle for this reader.
struct SenderPolicy {
  const std::vector<PublicIdentity>* from = nullptr;  // non-empty: only these
  const TrustStore* store = nullptr;
  bool allow_example_keys = false;
  std::vector<std::string>* warnings = nullptr;
};

struct VerifiedManifest {
  v1::Manifest manifest;
  std::string body;                // emptied once verified and hashed
  crypto::Digest hash{};
  PublicIdentity sender;           // the TRUSTED identity (trust store / --from)
  std::string top;                 // top directory: hex bundle id
  std::uint64_t payload_bytes = 0;
  std::uint64_t file_count = 0;
  std::uint64_t dir_count = 0;
};

// Verifies the manifest member's bytes, in this order: strict parse, format
// version, the embedded identity's self-signature, the manifest signature by
// that identity, the sender's trust under `policy`, that `receiver` is among
// the recipients, then every entry (safe paths, order, no collisions).
Result<VerifiedManifest> VerifyManifest(std::span<const std::uint8_t> member,
                                        const Fingerprint& receiver, const SenderPolicy& policy);

// Checks the entries of a manifest (shared by sealer and reader).
Status CheckEntries(const v1::Manifest& manifest, std::uint64_t* payload_bytes,
                    std::uint64_t* files, std::uint64_t* dirs);

// The display names of a manifest's recipients ("A, B").
std::string RecipientNames(const v1::Manifest& manifest);

}  // namespace custos::bundle
