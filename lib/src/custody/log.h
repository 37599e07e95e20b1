// lib/src/custody/log.h — the chain-of-custody log: record framing, event
// hashes, signing the next event, streaming verification and appending.
// docs/FORMAT.md "Chain-of-custody log" is the normative description.
//
// A log is a sequence of records, nothing else (no header, no trailer):
//
//   +---------------------+-----------------------------------------+
//   | varint len (1..3 B) | SignedEvent{bytes event; bytes signature} |  record 0
//   +---------------------+-----------------------------------------+
//   | varint len          | SignedEvent                              |  record 1 ...
//
// Every write appends, so an earlier log is a byte prefix of a later one.
// Used by the bundle code (seal embeds a log ending in SEALED, open appends
// the receiver's events) and by the public API in custos/custody.h.
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <string>
#include <string_view>
#include <vector>

#include "common/stream.h"
#include "crypto/crypto.h"
#include "custos/error.h"
#include "custos/keys.h"
#include "custos/v1/custody.pb.h"
#include "io/files.h"

namespace custos::custody {

// One SignedEvent record (without its length prefix); the prefix is checked
// against this before anything is allocated.
constexpr std::size_t kMaxEventBytes = 64 * 1024;
// The only event format this version writes and reads.
constexpr std::uint32_t kEventFormatVersion = 1;
// Default bound on a whole log read from a file (ReadTail, AppendRecords).
constexpr std::uint64_t kMaxLogFileBytes = 4ull << 30;
// "custos 0.1.0", written into Event.tool.
extern const char kToolName[];

// H("custos/v1/event", len32(event) || event || len32(sig) || sig), len32
// big-endian: independent of how the SignedEvent wrapper was encoded.
crypto::Digest EventHash(crypto::ByteView event_bytes, crypto::ByteView signature);
// H("custos/v1/entries", the 32-byte file hashes concatenated in manifest order).
crypto::Digest EntriesDigest(const std::vector<crypto::Digest>& file_hashes);

// The end of a verified log. log_id = hash of event 0 (zero while empty).
struct Tail {
  std::uint64_t count = 0;
  crypto::Digest head{};
  crypto::Digest log_id{};
};
bool operator==(const Tail& a, const Tail& b);

// Fills format_version, seq (= tail.count), prev_hash (zero for the first),
// time (now, unless set), actor (the signer's SignedIdentity) and tool (unless
// set); signs with domain::kSigEvent; returns the encoded record (varint length
// prefix + SignedEvent bytes) and stores the new tail in *new_tail (which may
// point at `tail`).
// kLimitExceeded if the record would exceed kMaxEventBytes.
Result<std::string> SignNextEvent(const SecretIdentity& actor, const Tail& tail, v1::Event event,
                                  Tail* new_tail);

struct ParsedEvent {
  v1::Event event;
  PublicIdentity actor;   // the embedded identity, self-signature verified
  crypto::Digest hash{};  // EventHash of this record
  std::uint64_t offset = 0;  // byte offset of the record's length prefix
};

// Streams a log from `in`, checking every record in order: the length prefix
// is at most kMaxEventBytes before anything is allocated; strict parse of
// SignedEvent and Event; format version; seq == index; prev_hash links to the
// previous event's hash (zero for event 0); the actor identity's
// self-signature; the event signature by that actor. on_event is called for
// each verified event, one at a time (memory does not grow with the log);
// an error it returns stops the read and is returned.
// Errors name the event: kBrokenChain ("event 7: previous-hash does not match
// event 6"), kBadSignature ("event 3: signature invalid"), kCorrupt ("event
// 12: record truncated"), kLimitExceeded (record or total over its limit).
// On success *tail (if not null) is the verified end of the log.
Status ReadLog(ByteSource& in, std::uint64_t max_bytes,
               const std::function<Status(const ParsedEvent&)>& on_event, Tail* tail);

// Like ReadLog, but the records in `in` continue the log ending at `start`
// (seq starts at start.count, the first prev_hash must be start.head).
// With verify_signatures false, only framing, parse, seq and links are
// checked (used to find a file's tail cheaply when the caller vouches for it).
Status ReadLogFrom(ByteSource& in, std::uint64_t max_bytes, const Tail& start,
                   bool verify_signatures,
                   const std::function<Status(const ParsedEvent&)>& on_event, Tail* tail);

// Appends encoded records (from SignNextEvent) to the log file at `path`:
// creates it (0600) if missing, refuses symbolic links and non-regular files,
// takes flock(LOCK_EX) for the whole operation. Finds the file's tail — fully
// verified, or, when `expected_tail` is given, by a framing/link scan that must
// end exactly at *expected_tail (else kBrokenChain "log changed"). The new
// records must continue that tail (seq, prev_hash, signatures). Writes at the
// end, fsyncs; on any failure truncates back to the original length. Never
// rewrites earlier bytes.
Status AppendRecords(const std::string& path, std::string_view records, const Tail* expected_tail);

// Reads and fully verifies the log file at `path`; returns its tail. A missing
// or empty file is a log of zero events.
Result<Tail> ReadTail(const std::string& path);

// A ByteSource over an open file descriptor (not owned), from its current offset.
class FdSource final : public ByteSource {
 public:
  FdSource(int fd, std::string what) : fd_(fd), what_(std::move(what)) {}
  Result<std::size_t> Read(std::span<std::uint8_t> out) override;

 private:
  int fd_;
  std::string what_;
};

using custos::MemorySource;  // common/stream.h

// Opens a log file for reading (O_NOFOLLOW, regular file). kNotFound if missing.
Result<io::Fd> OpenLogForReading(const std::string& path);

}  // namespace custos::custody
