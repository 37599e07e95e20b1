// custos/custody.h — chain-of-custody logs for the CLI: append an event, show
// a log, audit it against trusted identities and anchored heads, checkpoint it.
// docs/FORMAT.md "Chain-of-custody log" is the normative format;
// "Chain-of-custody log" says what the audit checks.
//
// Every function reads the log from its first byte and verifies every record
// (sequence, links, identities, signatures) while streaming: memory does not
// grow with the log. A broken log is an Error naming the event
// ("event 7: previous-hash does not match event 6"), exit 1.
#pragma once

#include <cstdint>
#include <optional>
#include <ostream>
#include <string>
#include <string_view>
#include <vector>

#include "custos/error.h"
#include "custos/keys.h"

namespace custos::custody {

// The action names of docs/FORMAT.md "Event", in format order: "ACQUIRED", "IMAGED", ...
const std::vector<std::string>& ActionNames();
// The canonical name for `name` (case-insensitive, '-' accepted for '_');
// kUsage listing the valid names if it is not one.
Result<std::string> CanonicalActionName(std::string_view name);

struct AppendRequest {
  std::string action;  // an action name (CanonicalActionName)
  std::string note;
  std::string location;
  std::string authorisation;        // warrant, request reference
  std::vector<std::string> items;   // files: SHA-256 and size recorded, path as given
};

struct AppendResult {
  std::uint64_t seq = 0;
  std::string event_hash;  // 64 lowercase hex digits
  std::string action;
  std::int64_t time = 0;
};

// Hashes the items (streaming SHA-256; regular files only, links not
// followed), signs the next event as `actor` and appends it to the log at
// `log_path` (created 0600 if missing) under an exclusive lock. The existing
// log is verified first; nothing is written on any failure.
Result<AppendResult> AppendEvent(const std::string& log_path, const SecretIdentity& actor,
                                 const AppendRequest& request);

// Where the names and trust of actors come from. Names shown to the user come
// from these trusted .pub files, never from what the log embeds (embedded
// names are labelled unverified).
struct TrustSources {
  std::vector<std::string> from_files;  // --from PUB...
  std::string trust_dir;                // empty = TrustStore::DefaultDir()
  // Consult the trust store. The CLI sets this unless --from was given alone
  // (--from pins, as for bundles; adding --trust-dir consults both).
  bool use_trust_store = true;
  bool allow_example_keys = false;
};

enum class ShowFormat { kText, kJson, kMarkdown, kCase };
// "text", "json", "markdown", "case"; kUsage otherwise.
Result<ShowFormat> ParseShowFormat(std::string_view name);

// Verifies the whole log, then writes it to `out`: a text timeline, one JSON
// object {"log":…,"events":[…]} (protobuf's JSON mapping for each event),
// a Markdown custody report, or a CASE/UCO JSON-LD graph. Nothing is written
// to `out` unless the log verified. Warnings (unknown actors, time going
// backwards) are appended to *warnings.
Status ShowLog(const std::string& log_path, ShowFormat format, const TrustSources& trust,
               std::ostream& out, std::vector<std::string>* warnings);

struct VerifyOptions {
  TrustSources trust;
  bool strict = false;                   // unknown actors / unverified anchors fail
  std::string expect_head;               // "HASH" or "HASH:SEQ"; empty = none
  std::vector<std::string> receipts;     // SignedReceipt files
  std::vector<std::string> checkpoints;  // SignedCheckpoint files
};

struct ActorReport {
  std::string fingerprint;  // FormatFingerprint
  std::string name;         // from the trusted .pub, or the embedded name
  bool trusted = false;
  bool example = false;
  std::uint64_t events = 0;
  std::uint64_t first_seq = 0;
};

struct AnchorReport {
  std::string kind;    // "expect-head", "checkpoint", "receipt"
  std::string source;  // the file, or the command-line value
  std::uint64_t seq = 0;
  std::string head;    // hex
  bool extended = false;            // the log contains this head at this seq
  bool signature_verified = false;  // checkpoint/receipt signature checked
  std::string signer;               // who signed it, or empty
  std::string detail;               // one sentence
};

struct VerifyReport {
  std::string log;
  std::uint64_t events = 0;
  std::string head;    // hex of the last event's hash (empty for an empty log)
  std::string log_id;  // hex of event 0's hash
  std::vector<ActorReport> actors;
  std::vector<AnchorReport> anchors;
  std::vector<std::string> warnings;
  // Set when the chain verified but the audit fails: an anchored head the log
  // does not extend, a bad anchor signature, or (strict) untrusted actors.
  std::optional<Error> failure;

  std::string ToText() const;
  std::string ToJson() const;  // one JSON object
};

// The audit of docs/FORMAT.md "Chain-of-custody log". A broken chain is returned as an Error; audit
// failures are reported in VerifyReport::failure.
Result<VerifyReport> VerifyLog(const std::string& log_path, const VerifyOptions& options);

struct CheckpointResult {
  std::uint64_t seq = 0;  // seq of the head event
  std::string head;       // hex
  std::string log_id;     // hex
};

// Verifies the log and writes a SignedCheckpoint {log id, seq, head, time,
// signer} to `out_path` atomically (refusing an existing file unless `force`).
// kUsage for an empty log (there is no head to anchor).
Result<CheckpointResult> WriteCheckpoint(const std::string& log_path, const SecretIdentity& signer,
                                         const std::string& out_path, bool force);

}  // namespace custos::custody
