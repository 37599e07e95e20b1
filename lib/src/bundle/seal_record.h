// The signed seal, the last member (FORMAT.md §5.5): the hashes that can only
// be known after streaming, signed by the manifest's sender.
#pragma once

#include <string>
#include <utility>
#include <vector>

#include "bundle/manifest.h"
#include <span>

#include "crypto/crypto.h"
#include "custos/keys.h"

namespace custos::bundle {

struct SealFacts {
  std::string bundle_id;                      // 16 bytes
  crypto::Digest manifest_hash{};
  Fingerprint sender_fingerprint{};
  std::span<const crypto::Digest> file_hashes;  // manifest order, files only (not owned)
  std::vector<std::pair<std::string, crypto::Digest>> tag_files;
  crypto::Digest custody_head{};
  std::uint64_t custody_count = 0;
  crypto::Digest custody_sha256{};
  crypto::Digest tar_transcript{};
  std::uint64_t payload_bytes = 0;
};

// The Seal body of `facts` in its canonical encoding — byte for byte what
// protobuf's deterministic serialization of the v1::Seal gives (a unit test
// holds it to that) — written without a message object: the seal lists a
// hash per file, which as one protobuf string each costs ~100 bytes a file.
std::string SealBody(const SealFacts& facts);

SignedBody SignSeal(const SecretIdentity& sender, const SealFacts& facts);

// Verifies the seal member: signature by exactly `sender` (the manifest's
// sender — no other key is looked up), then every fact equal to `streamed`:
// at once when the signed body is SealBody(streamed) byte for byte, else by
// parsing it and comparing field by field (which also names what differs).
// Returns the seal hash.
Result<crypto::Digest> VerifySeal(std::span<const std::uint8_t> member,
                                  const PublicIdentity& sender, const SealFacts& streamed,
                                  const v1::Manifest& manifest);

}  // namespace custos::bundle
