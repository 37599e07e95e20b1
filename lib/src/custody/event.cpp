// Event hashes and signing the next event. docs/FORMAT.md "Chain-of-custody log".
#include <google/protobuf/io/coded_stream.h>

#include <algorithm>

#include "common/proto_util.h"
#include "common/time_util.h"
#include "crypto/domains.h"
#include "custody/log.h"

namespace custos::custody {

const char kToolName[] = "custos 0.1.0";

namespace {

void UpdateLen32(crypto::Sha256& h, std::size_t n) {
  const std::uint8_t be[4] = {static_cast<std::uint8_t>(n >> 24), static_cast<std::uint8_t>(n >> 16),
                              static_cast<std::uint8_t>(n >> 8), static_cast<std::uint8_t>(n)};
  h.Update(crypto::ByteView(be, 4));
}

}  // namespace

crypto::Digest EventHash(crypto::ByteView event_bytes, crypto::ByteView signature) {
  // Length-prefixing both parts makes the split between event and signature
  // unambiguous; hashing the parts (not the wrapper) keeps the hash
  // independent of how the SignedEvent happened to be encoded.
  crypto::Sha256 h = crypto::DomainHasher(domain::kHashEvent);
  UpdateLen32(h, event_bytes.size());
  h.Update(event_bytes);
  UpdateLen32(h, signature.size());
  h.Update(signature);
  return h.Finish();
}

crypto::Digest EntriesDigest(const std::vector<crypto::Digest>& file_hashes) {
  crypto::Sha256 h = crypto::DomainHasher(domain::kHashEntries);
  for (const auto& d : file_hashes) h.Update(crypto::ByteView(d));
  return h.Finish();
}

bool operator==(const Tail& a, const Tail& b) {
  return a.count == b.count && crypto::ConstantTimeEqual(a.head, b.head) &&
         crypto::ConstantTimeEqual(a.log_id, b.log_id);
}

Result<std::string> SignNextEvent(const SecretIdentity& actor, const Tail& tail, v1::Event event,
                                  Tail* new_tail) {
  const std::string what = "event " + std::to_string(tail.count);
  event.set_format_version(kEventFormatVersion);
  event.set_seq(tail.count);
  crypto::Digest prev{};
  if (tail.count > 0) prev = tail.head;
  event.set_prev_hash(std::string(crypto::AsChars(prev)));
  if (!event.has_time()) event.mutable_time()->set_seconds(NowUnix());
  if (!event.mutable_actor()->ParseFromString(actor.public_identity().signed_bytes()))
    return Error(ErrorCode::kInternal, what + ": the actor's identity does not re-parse");
  if (event.tool().empty()) event.set_tool(kToolName);

  v1::SignedEvent signed_event;
  signed_event.set_event(SerializeForSigning(event));
  const auto sig = actor.Sign(domain::kSigEvent, crypto::AsBytes(signed_event.event()));
  signed_event.set_signature(std::string(crypto::AsChars(sig)));
  const std::string body = SerializeForSigning(signed_event);
  if (body.size() > kMaxEventBytes)
    return Error(ErrorCode::kLimitExceeded,
                 what + " would be " + std::to_string(body.size()) + " bytes, over the limit of " +
                     std::to_string(kMaxEventBytes),
                 "shorten the note or name fewer items in one event");

  std::uint8_t prefix[10];
  std::uint8_t* end = google::protobuf::io::CodedOutputStream::WriteVarint32ToArray(
      static_cast<std::uint32_t>(body.size()), prefix);
  std::string record(reinterpret_cast<const char*>(prefix), static_cast<std::size_t>(end - prefix));
  record += body;

  if (new_tail != nullptr) {
    // Built apart first: new_tail may alias tail.
    Tail next;
    next.count = tail.count + 1;
    next.head = EventHash(crypto::AsBytes(signed_event.event()), sig);
    next.log_id = tail.count == 0 ? next.head : tail.log_id;
    *new_tail = next;
  }
  return record;
}

}  // namespace custos::custody
