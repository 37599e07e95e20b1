// Anchored heads: what reveals a removed tail or a fork, which a hash chain
// cannot reveal by itself (docs/FORMAT.md "Chain-of-custody log"). An anchor names
// the hash an event must have at a sequence number; the audit reports whether
// the log extends it. Sources: --expect-head HASH[:SEQ], a SignedCheckpoint
// file, a SignedReceipt file (custody_head, custody_seq).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "crypto/crypto.h"
#include "custody/actors.h"
#include "custody/log.h"
#include "custos/custody.h"

namespace custos::custody {

constexpr std::size_t kMaxCheckpointBytes = 64 * 1024;
constexpr std::uint32_t kCheckpointFormatVersion = 1;

struct Anchor {
  std::string kind;
  std::string source;
  std::optional<std::uint64_t> seq;      // nullopt: the head may be anywhere
  crypto::Digest head{};
  std::optional<crypto::Digest> log_id;  // checkpoints name their log
  bool signature_verified = false;
  std::optional<PublicIdentity> signer;
  std::string note;
  // Filled by Observe while the log streams past.
  bool seen_seq = false;   // the log reached seq
  bool matched = false;    // ... and the hash there equals head
  std::uint64_t matched_seq = 0;
};

// "HASH" or "HASH:SEQ" (hex, spaces allowed); kUsage otherwise.
Result<Anchor> ParseExpectHead(std::string_view text);
// Parses strictly and verifies the checkpoint's signature by its embedded
// signer (kBadSignature otherwise). Whether the signer is trusted is the
// audit's business.
Result<Anchor> LoadCheckpoint(const std::string& path);
// Parses a SignedReceipt strictly. The signature is verified (kSigReceipt)
// only when `dir` knows the receiver fingerprint; otherwise the anchor is
// reported unverified. A receipt whose signature fails is kBadSignature.
Result<Anchor> LoadReceiptAnchor(const std::string& path, const ActorDirectory& dir);

void Observe(Anchor& anchor, const ParsedEvent& event);
// The report line for an anchor after the whole log `tail` was read; sets
// *failure when the log does not extend it.
AnchorReport Judge(const Anchor& anchor, const Tail& tail, const ActorDirectory& dir, bool strict,
                   std::optional<Error>* failure);

// A SignedCheckpoint over the log ending at `tail` (count > 0).
std::string MakeSignedCheckpoint(const SecretIdentity& signer, const Tail& tail, std::int64_t time);

}  // namespace custos::custody
