// Unit tests of lib/src/custody: the corruption catalogue of the custody log
// (LevelDB log_test style: one test per way a log can be broken), appending,
// and the audit's anchors.
#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include "custody/anchors.h"
#include "custody/bindings.h"
#include "custody/render.h"
#include "custody_test_util.h"
#include "custos/custody.h"

namespace custos::custody {
namespace {

using namespace custos::custody::testing;  // NOLINT

class CustodyLogReader : public ::testing::Test {
 protected:
  void SetUp() override {
    for (int i = 0; i < 4; ++i) Add(log_, lab_, NoteEvent("note-" + std::to_string(i), 1000 + i));
  }
  // Expects ReadLog on `bytes` to fail with `code` and exactly `message`.
  void ExpectFailure(const std::string& bytes, ErrorCode code, const std::string& message) {
    Status st = ReadAll(bytes);
    ASSERT_FALSE(st.ok());
    EXPECT_EQ(st.error().code(), code) << st.error().message();
    EXPECT_EQ(st.error().message().substr(0, message.size()), message) << st.error().message();
  }
  SecretIdentity lab_ = NewActor("Lab");
  SecretIdentity other_ = NewActor("Other");
  Built log_;
};

TEST_F(CustodyLogReader, IntactLogReadsBack) {
  Tail tail;
  std::uint64_t seen = 0;
  ASSERT_TRUE(ReadAll(log_.Joined(), &tail, &seen).ok());
  EXPECT_EQ(seen, 4u);
  EXPECT_TRUE(tail == log_.tail);
  EXPECT_EQ(tail.count, 4u);
  EXPECT_FALSE(tail.head == crypto::Digest{});
}

TEST_F(CustodyLogReader, EmptyLogHasNoEvents) {
  Tail tail;
  ASSERT_TRUE(ReadAll("", &tail).ok());
  EXPECT_EQ(tail.count, 0u);
}

TEST_F(CustodyLogReader, EventHashIsLengthPrefixedEventAndSignature) {
  const std::string ev = "abc", sig = "xy";
  std::string data = std::string("\0\0\0\3abc\0\0\0\2xy", 13);
  EXPECT_EQ(EventHash(crypto::AsBytes(ev), crypto::AsBytes(sig)),
            crypto::DomainHash(domain::kHashEvent, crypto::AsBytes(data)));
}

TEST_F(CustodyLogReader, ChangedEventBytesFailTheSignature) {
  std::string bytes = log_.Joined();
  auto pos = bytes.find("note-2");
  ASSERT_NE(pos, std::string::npos);
  bytes[pos + 5] = '9';
  ExpectFailure(bytes, ErrorCode::kBadSignature, "event 2: signature invalid");
}

TEST_F(CustodyLogReader, RemovedEventBreaksTheChain) {
  log_.records.erase(log_.records.begin() + 1);
  ExpectFailure(log_.Joined(), ErrorCode::kBrokenChain, "event 1: sequence number is 2, expected 1");
}

TEST_F(CustodyLogReader, SwappedEventsBreakTheChain) {
  std::swap(log_.records[1], log_.records[2]);
  ExpectFailure(log_.Joined(), ErrorCode::kBrokenChain, "event 1: sequence number is 2, expected 1");
}

TEST_F(CustodyLogReader, SignatureByAnotherActorIsInvalid) {
  // Same event bytes (naming Lab as actor), signed by Other.
  log_.records[2] = SignRaw(other_, SerializeForSigning(EventOf(log_.records[2])));
  ExpectFailure(log_.Joined(), ErrorCode::kBadSignature, "event 2: signature invalid");
}

TEST_F(CustodyLogReader, ReSignedEventWithAnotherActorBreaksTheNextLink) {
  // A forger re-signs event 1 as itself: event 1 verifies, event 2's link does not.
  v1::Event e = EventOf(log_.records[1]);
  e.mutable_actor()->ParseFromString(other_.public_identity().signed_bytes());
  log_.records[1] = SignRaw(other_, SerializeForSigning(e));
  ExpectFailure(log_.Joined(), ErrorCode::kBrokenChain, "event 2: previous-hash does not match event 1");
}

TEST_F(CustodyLogReader, TamperedActorIdentityFailsItsSelfSignature) {
  v1::Event e = EventOf(log_.records[1]);
  std::string id = e.actor().identity();
  auto pos = id.find("Lab");
  ASSERT_NE(pos, std::string::npos);
  id[pos] = 'M';
  e.mutable_actor()->set_identity(id);
  log_.records[1] = SignRaw(lab_, SerializeForSigning(e));
  ExpectFailure(log_.Joined(), ErrorCode::kBadSignature, "event 1: actor identity");
}

TEST_F(CustodyLogReader, TruncatedLastRecordIsNamed) {
  std::string& last = log_.records.back();
  last.resize(last.size() / 2);
  ExpectFailure(log_.Joined(), ErrorCode::kCorrupt, "event 3: record truncated");
}

TEST_F(CustodyLogReader, TruncatedLengthPrefixIsNamed) {
  ExpectFailure(log_.Joined() + "\x80", ErrorCode::kCorrupt, "event 4: record truncated in its length prefix");
}

TEST_F(CustodyLogReader, GarbageAppendedIsNamed) {
  ExpectFailure(log_.Joined() + std::string("\x05garbage-after-the-log", 23), ErrorCode::kCorrupt, "event 4");
}

TEST_F(CustodyLogReader, ZeroLengthRecordIsRejected) {
  ExpectFailure(log_.Joined() + std::string(1, '\0'), ErrorCode::kCorrupt, "event 4: format version 0");
}

// A source that serves `head` and then counts every further read.
class CountingSource final : public ByteSource {
 public:
  explicit CountingSource(std::string head) : head_(std::move(head)) {}
  Result<std::size_t> Read(std::span<std::uint8_t> out) override {
    if (pos_ < head_.size()) {
      std::size_t n = std::min(out.size(), head_.size() - pos_);
      std::memcpy(out.data(), head_.data() + pos_, n);
      pos_ += n;
      return n;
    }
    ++reads_after_head;
    std::fill(out.begin(), out.end(), 0);
    return out.size();
  }
  int reads_after_head = 0;

 private:
  std::string head_;
  std::size_t pos_ = 0;
};

TEST_F(CustodyLogReader, HugeLengthPrefixFailsBeforeReadingOrAllocating) {
  // varint 2^62: the reader must refuse it from the prefix alone.
  std::string prefix = "\x80\x80\x80\x80\x80\x80\x80\x80\x40";
  CountingSource src(log_.Joined() + prefix);
  Status st = ReadLog(src, kMaxLogFileBytes, nullptr, nullptr);
  ASSERT_FALSE(st.ok());
  EXPECT_EQ(st.error().code(), ErrorCode::kLimitExceeded);
  EXPECT_EQ(st.error().message(), "event 4: record length 4611686018427387904 exceeds the limit of 65536 bytes");
  EXPECT_EQ(src.reads_after_head, 0);
}

TEST_F(CustodyLogReader, LengthJustOverTheLimitIsRefused) {
  ExpectFailure(log_.Joined() + Frame(std::string(kMaxEventBytes + 1, 'x')), ErrorCode::kLimitExceeded,
                "event 4: record length 65537 exceeds the limit");
}

TEST_F(CustodyLogReader, NonMinimalLengthPrefixIsRejected) {
  std::string body = log_.records[0].substr(2);  // records here have 2-byte prefixes
  ASSERT_EQ(static_cast<std::uint8_t>(log_.records[0][1]) & 0x80, 0);
  std::string padded = log_.records[0].substr(0, 1);
  padded[0] = static_cast<char>(padded[0] | 0x80);
  padded += static_cast<char>(log_.records[0][1] | 0x80);
  padded += '\0';
  ExpectFailure(padded + body, ErrorCode::kCorrupt, "event 0: length prefix is not minimally encoded");
}

// A 10-byte prefix whose last byte carries bits beyond 64: once, the extra
// bits were shifted out and the record read with its real length (so two
// different files verified as the same log).
TEST_F(CustodyLogReader, LengthPrefixOverflowingSixtyFourBitsIsRejected) {
  const std::string& rec = log_.records[0];
  ASSERT_EQ(static_cast<std::uint8_t>(rec[1]) & 0x80, 0);
  std::string prefix;
  prefix += static_cast<char>(rec[0] | 0x80);
  prefix += static_cast<char>(rec[1] | 0x80);
  for (int i = 2; i < 9; ++i) prefix += static_cast<char>(0x80);
  prefix += static_cast<char>(0x02);  // bit 64
  ExpectFailure(prefix + rec.substr(2), ErrorCode::kCorrupt, "event 0: length prefix is malformed");
}

TEST_F(CustodyLogReader, WrongSequenceNumberIsNamed) {
  v1::Event e = EventOf(log_.records[3]);
  e.set_seq(7);
  log_.records[3] = SignRaw(lab_, SerializeForSigning(e));
  ExpectFailure(log_.Joined(), ErrorCode::kBrokenChain, "event 3: sequence number is 7, expected 3");
}

TEST_F(CustodyLogReader, FirstPreviousHashMustBeZero) {
  v1::Event e = EventOf(log_.records[0]);
  std::string prev(32, '\0');
  prev[31] = 1;
  e.set_prev_hash(prev);
  log_.records[0] = SignRaw(lab_, SerializeForSigning(e));
  ExpectFailure(log_.Joined(), ErrorCode::kBrokenChain,
                "event 0: previous-hash is not zero, but this is the first event");
}

TEST_F(CustodyLogReader, WrongPreviousHashIsNamed) {
  v1::Event e = EventOf(log_.records[2]);
  e.set_prev_hash(std::string(32, 'x'));
  log_.records[2] = SignRaw(lab_, SerializeForSigning(e));
  ExpectFailure(log_.Joined(), ErrorCode::kBrokenChain, "event 2: previous-hash does not match event 1");
}

TEST_F(CustodyLogReader, UnknownFieldInAnEventIsRejected) {
  // Field 99 (varint 1), properly signed: a v1 reader must not ignore it.
  std::string bytes = SerializeForSigning(EventOf(log_.records[1])) + std::string("\x98\x06\x01", 3);
  log_.records[1] = SignRaw(lab_, bytes);
  ExpectFailure(log_.Joined(), ErrorCode::kCorrupt, "event 1 carries fields this version of custos does not know");
}

TEST_F(CustodyLogReader, UnknownFieldInTheWrapperIsRejected) {
  std::string rec = log_.records[1];
  std::string body = rec.substr(2) + std::string("\x18\x01", 2);  // field 3
  log_.records[1] = Frame(body);
  ExpectFailure(log_.Joined(), ErrorCode::kCorrupt, "event 1 carries fields");
}

TEST_F(CustodyLogReader, NewerFormatVersionIsRejected) {
  v1::Event e = EventOf(log_.records[1]);
  e.set_format_version(2);
  log_.records[1] = SignRaw(lab_, SerializeForSigning(e));
  ExpectFailure(log_.Joined(), ErrorCode::kCorrupt, "event 1: format version 2 is not supported");
}

TEST_F(CustodyLogReader, TimeOutOfRangeIsRejected) {
  v1::Event e = EventOf(log_.records[1]);
  e.mutable_time()->set_seconds(INT64_MAX);
  log_.records[1] = SignRaw(lab_, SerializeForSigning(e));
  ExpectFailure(log_.Joined(), ErrorCode::kCorrupt, "event 1: time is out of range");
}

TEST_F(CustodyLogReader, TotalSizeIsBounded) {
  const std::string bytes = log_.Joined();
  MemorySource src(crypto::AsBytes(bytes));
  Status st = ReadLog(src, log_.records[0].size() + 10, nullptr, nullptr);
  ASSERT_FALSE(st.ok());
  EXPECT_EQ(st.error().code(), ErrorCode::kLimitExceeded) << st.error().message();
}

TEST_F(CustodyLogReader, OversizedEventIsNotSigned) {
  Tail t;
  auto rec = SignNextEvent(lab_, Tail{}, NoteEvent(std::string(kMaxEventBytes, 'n'), 1), &t);
  ASSERT_FALSE(rec.ok());
  EXPECT_EQ(rec.error().code(), ErrorCode::kLimitExceeded);
}

TEST(CustodyRender, HostileNamesCannotReorderOrHideText) {
  EXPECT_EQ(SafeText("Lab\xE2\x80\xAEgnp.exe\n\x1b[2J"), "Lab\\xe2\\x80\\xaegnp.exe\\x0a\\x1b[2J");
  EXPECT_EQ(SafeText("Ljubljana \xC5\xA1"), "Ljubljana \xC5\xA1");  // ordinary UTF-8 stays
  EXPECT_EQ(SafeText("\xE2\x80"), "\xE2\x80");                   // a cut sequence is not read past the end
}

}  // namespace
}  // namespace custos::custody

namespace custos::custody {
namespace {

// More sealed bundles than the check remembers: a receiver event naming one
// it does not remember is "not checked" — never a false "no SEALED event seals
// it" (which failed a genuine log), and never passed as checked under
// --strict (a padded log could otherwise hide an event for a bundle never
// sealed).
TEST(BindingCheck, BundlesBeyondItsMemoryAreNotCheckedAndFailStrict) {
  SecretIdentity ca = NewActor("CA");
  auto event = [&](v1::Action a, std::uint32_t n) {
    ParsedEvent p{{}, ca.public_identity(), {}, 0};
    p.event.set_action(a);
    std::string id(16, '\0');
    std::memcpy(id.data(), &n, sizeof n);
    p.event.set_bundle_id(id);
    p.event.set_manifest_hash(std::string(32, 'm'));
    p.event.set_entries_digest(std::string(32, 'e'));
    p.event.set_seal_hash(std::string(32, 's'));
    return p;
  };
  constexpr std::size_t kCap = 8;
  BindingCheck check(kCap);
  for (std::uint32_t i = 0; i <= kCap; ++i) check.Observe(event(v1::SEALED, i));
  check.Observe(event(v1::RECEIVED, kCap));    // sealed, but not remembered
  check.Observe(event(v1::RECEIVED, 1000));    // never sealed: indistinguishable here
  check.Observe(event(v1::RECEIVED, 0));       // remembered: checked, fine
  EXPECT_EQ(check.problem_count(), 0u);
  EXPECT_EQ(check.unchecked_count(), 2u);
  ASSERT_EQ(check.Warnings().size(), 1u);
  EXPECT_EQ(check.Warnings()[0],
            "2 receiver event(s) name a bundle that is not among the first 8 sealed bundles of this log (the "
            "most the check remembers); their bindings were not checked");
  ASSERT_TRUE(check.StrictFailure().has_value());
  EXPECT_EQ(*check.StrictFailure(),
            "2 receiver event(s) could not be checked against their SEALED event: the log seals more than 8 "
            "bundles (--strict); split it with a checkpoint");

  BindingCheck small;
  small.Observe(event(v1::SEALED, 1));
  small.Observe(event(v1::RECEIVED, 1));  // sealed: fine
  EXPECT_FALSE(small.StrictFailure().has_value());
  EXPECT_TRUE(small.Warnings().empty());
  small.Observe(event(v1::RECEIVED, 2));  // a bundle never sealed: a problem
  EXPECT_EQ(small.problem_count(), 1u);
  EXPECT_EQ(small.unchecked_count(), 0u);
  ASSERT_TRUE(small.StrictFailure().has_value());
  EXPECT_NE(small.StrictFailure()->find("which no SEALED event of this log seals"), std::string::npos);
  // CONDITIONS_ACKNOWLEDGED must name the SEALED event's manifest hash.
  auto ack = event(v1::CONDITIONS_ACKNOWLEDGED, 1);
  ack.event.set_manifest_hash(std::string(32, 'x'));
  small.Observe(ack);
  EXPECT_EQ(small.problem_count(), 2u);
}

}  // namespace
}  // namespace custos::custody
