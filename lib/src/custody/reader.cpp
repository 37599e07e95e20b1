// Streaming verification of a custody log. docs/FORMAT.md "Chain-of-custody log".
#include <algorithm>
#include <optional>
#include <utility>

#include "common/proto_util.h"
#include "crypto/domains.h"
#include "custody/log.h"

namespace custos::custody {
namespace {

std::string EventName(std::uint64_t index) { return "event " + std::to_string(index); }

// Buffered reads of length prefixes and record bodies from a ByteSource,
// counting every byte against the log's limit.
class RecordReader {
 public:
  RecordReader(ByteSource& in, std::uint64_t max_bytes) : in_(in), max_bytes_(max_bytes) {}

  std::uint64_t offset() const { return consumed_; }

  // The next record's length, or nullopt at a clean end of the log.
  Result<std::optional<std::uint64_t>> ReadLength(std::uint64_t index) {
    std::uint64_t value = 0;
    for (int i = 0; i < 10; ++i) {
      CUSTOS_ASSIGN_OR_RETURN(std::optional<std::uint8_t> b, ReadByte());
      if (!b) {
        if (i == 0) return std::optional<std::uint64_t>();
        return Error(ErrorCode::kCorrupt, EventName(index) + ": record truncated in its length prefix");
      }
      // The 10th byte holds bit 63 only: more would shift out of 64 bits and
      // give two byte strings the same length.
      if (i == 9 && *b > 1)
        return Error(ErrorCode::kCorrupt, EventName(index) + ": length prefix is malformed");
      value |= static_cast<std::uint64_t>(*b & 0x7f) << (7 * i);
      if ((*b & 0x80) == 0) {
        // protobuf writes minimal varints; anything else is not our framing.
        if (i > 0 && *b == 0)
          return Error(ErrorCode::kCorrupt, EventName(index) + ": length prefix is not minimally encoded");
        return std::optional<std::uint64_t>(value);
      }
    }
    return Error(ErrorCode::kCorrupt, EventName(index) + ": length prefix is malformed");
  }

  // Reads exactly n bytes (n already checked against its limit).
  Status ReadBody(std::uint64_t index, std::size_t n, std::string* out) {
    out->clear();
    out->reserve(n);
    while (out->size() < n) {
      if (pos_ == len_) {
        CUSTOS_TRY(Fill());
        if (len_ == 0)
          return Error(ErrorCode::kCorrupt,
                       EventName(index) + ": record truncated (the log ends after " +
                           std::to_string(out->size()) + " of its " + std::to_string(n) + " bytes)");
      }
      std::size_t take = std::min(n - out->size(), len_ - pos_);
      out->append(reinterpret_cast<const char*>(buf_.data() + pos_), take);
      pos_ += take;
      consumed_ += take;
    }
    return Ok();
  }

  Status CheckRoom(std::uint64_t index, std::uint64_t n) const {
    if (consumed_ + n > max_bytes_)
      return Error(ErrorCode::kLimitExceeded, EventName(index) + ": the log exceeds the limit of " +
                                                  std::to_string(max_bytes_) + " bytes");
    return Ok();
  }

 private:
  Result<std::optional<std::uint8_t>> ReadByte() {
    if (pos_ == len_) {
      CUSTOS_TRY(Fill());
      if (len_ == 0) return std::optional<std::uint8_t>();
    }
    if (consumed_ + 1 > max_bytes_)
      return Error(ErrorCode::kLimitExceeded,
                   "the log exceeds the limit of " + std::to_string(max_bytes_) + " bytes");
    ++consumed_;
    return std::optional<std::uint8_t>(buf_[pos_++]);
  }

  Status Fill() {
    pos_ = 0;
    CUSTOS_ASSIGN_OR_RETURN(len_, in_.Read(std::span<std::uint8_t>(buf_.data(), buf_.size())));
    return Ok();
  }

  ByteSource& in_;
  std::uint64_t max_bytes_;
  std::vector<std::uint8_t> buf_ = std::vector<std::uint8_t>(64 * 1024);
  std::size_t pos_ = 0;
  std::size_t len_ = 0;
  std::uint64_t consumed_ = 0;
};

// Verified identities by their exact SignedIdentity bytes: a log usually has
// a handful of actors, so each self-signature is checked once, not per event.
class IdentityCache {
 public:
  Result<PublicIdentity> Get(const v1::SignedIdentity& actor, const std::string& what) {
    for (const auto& e : entries_)
      if (e.identity == actor.identity() && e.self_signature == actor.self_signature()) return e.id;
    auto id = PublicIdentity::FromSignedBytes(crypto::AsBytes(SerializeForSigning(actor)));
    if (!id.ok()) return id.error().Wrap(what + ": actor identity");
    if (entries_.size() >= kMaxEntries) entries_.erase(entries_.begin());
    entries_.push_back({actor.identity(), actor.self_signature(), *id});
    return id;
  }

 private:
  struct Entry {
    std::string identity;
    std::string self_signature;
    PublicIdentity id;
  };
  static constexpr std::size_t kMaxEntries = 32;
  std::vector<Entry> entries_;
};

Status CheckLinks(const v1::Event& e, std::uint64_t index, const Tail& prev) {
  const std::string what = EventName(index);
  if (e.format_version() != kEventFormatVersion)
    return Error(ErrorCode::kCorrupt, what + ": format version " + std::to_string(e.format_version()) +
                                          " is not supported (this custos reads version 1)");
  if (e.seq() != index)
    return Error(ErrorCode::kBrokenChain, what + ": sequence number is " + std::to_string(e.seq()) +
                                              ", expected " + std::to_string(index));
  if (e.prev_hash().size() != crypto::Digest().size())
    return Error(ErrorCode::kBrokenChain, what + ": previous-hash is not 32 bytes");
  crypto::Digest expected{};
  if (index > 0) expected = prev.head;
  if (!crypto::ConstantTimeEqual(crypto::AsBytes(e.prev_hash()), expected)) {
    if (index == 0)
      return Error(ErrorCode::kBrokenChain, what + ": previous-hash is not zero, but this is the first event",
                   "the log may have lost its beginning");
    return Error(ErrorCode::kBrokenChain,
                 what + ": previous-hash does not match event " + std::to_string(index - 1));
  }
  if (!e.has_actor()) return Error(ErrorCode::kCorrupt, what + ": names no actor");
  if (!e.has_time()) return Error(ErrorCode::kCorrupt, what + ": has no time");
  // protobuf's Timestamp range (0001-01-01 .. 9999-12-31): anything else cannot
  // be printed as a date or in the JSON mapping.
  if (e.time().seconds() < -62135596800 || e.time().seconds() > 253402300799 || e.time().nanos() < 0 ||
      e.time().nanos() > 999999999)
    return Error(ErrorCode::kCorrupt, what + ": time is out of range");
  return Ok();
}

}  // namespace

Status ReadLogFrom(ByteSource& in, std::uint64_t max_bytes, const Tail& start,
                   bool verify_signatures,
                   const std::function<Status(const ParsedEvent&)>& on_event, Tail* tail) {
  RecordReader reader(in, max_bytes);
  IdentityCache identities;
  Tail cur = start;
  std::string body;
  v1::SignedEvent signed_event;
  ParsedEvent parsed;
  for (std::uint64_t index = start.count;; ++index) {
    const std::string what = EventName(index);
    parsed.offset = reader.offset();
    CUSTOS_ASSIGN_OR_RETURN(std::optional<std::uint64_t> len, reader.ReadLength(index));
    if (!len) break;
    if (*len > kMaxEventBytes)
      return Error(ErrorCode::kLimitExceeded, what + ": record length " + std::to_string(*len) +
                                                  " exceeds the limit of " +
                                                  std::to_string(kMaxEventBytes) + " bytes");
    CUSTOS_TRY(reader.CheckRoom(index, *len));
    CUSTOS_TRY(reader.ReadBody(index, static_cast<std::size_t>(*len), &body));
    signed_event.Clear();
    parsed.event.Clear();
    CUSTOS_TRY(ParseCanonical(crypto::AsBytes(body), kMaxEventBytes, signed_event, what));
    CUSTOS_TRY(ParseStrict(crypto::AsBytes(signed_event.event()), kMaxEventBytes, parsed.event, what));
    CUSTOS_TRY(CheckLinks(parsed.event, index, cur));
    const crypto::ByteView event_bytes = crypto::AsBytes(signed_event.event());
    const crypto::ByteView sig = crypto::AsBytes(signed_event.signature());
    if (verify_signatures) {
      CUSTOS_ASSIGN_OR_RETURN(parsed.actor,
                              identities.Get(parsed.event.actor(), what));
      if (sig.size() != crypto::kEd25519SignatureSize ||
          !crypto::VerifyWithValidatedKey(parsed.actor.ed25519_public_key(), domain::kSigEvent,
                                          event_bytes, sig))
        return Error(ErrorCode::kBadSignature,
                     what + ": signature invalid (not made by the actor it names over these bytes)");
    }
    parsed.hash = EventHash(event_bytes, sig);
    cur.count = index + 1;
    cur.head = parsed.hash;
    if (index == 0) cur.log_id = parsed.hash;
    if (on_event) CUSTOS_TRY(on_event(parsed));
  }
  if (tail != nullptr) *tail = cur;
  return Ok();
}

Status ReadLog(ByteSource& in, std::uint64_t max_bytes,
               const std::function<Status(const ParsedEvent&)>& on_event, Tail* tail) {
  return ReadLogFrom(in, max_bytes, Tail{}, true, on_event, tail);
}

Result<std::size_t> FdSource::Read(std::span<std::uint8_t> out) {
  return io::ReadSome(fd_, out, what_);
}

}  // namespace custos::custody
