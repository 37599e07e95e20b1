// Unit tests of custody log files: locked appends that never rewrite (a
// failed append leaves the file byte-identical), the prefix property, and the
// audit (time order, trusted actors, anchored heads, checkpoints).
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>

#include "custody/receipt_format.h"
#include "custody_test_util.h"
#include "custos/v1/receipt.pb.h"
#include "custos/custody.h"

namespace custos::custody {
namespace {

using namespace custos::custody::testing;  // NOLINT

class CustodyLogFile : public ::testing::Test {
 protected:
  void SetUp() override {
    path_ = TempPath("case.log");
    for (int i = 0; i < 3; ++i) Add(log_, lab_, NoteEvent("n" + std::to_string(i), 100 + i));
    ASSERT_TRUE(AppendRecords(path_, log_.Joined(), nullptr).ok());
  }
  VerifyOptions Options() const {
    VerifyOptions o;
    o.trust.use_trust_store = false;
    o.trust.from_files = {pub_path_};
    return o;
  }
  void WritePub() {
    pub_path_ = TempPath("lab.pub");
    Spit(pub_path_, lab_.public_identity().ArmoredText());
  }
  SecretIdentity lab_ = NewActor("Lab");
  SecretIdentity other_ = NewActor("Other");
  Built log_;
  std::string path_;
  std::string pub_path_;
};

TEST_F(CustodyLogFile, AppendCreatesAPrivateFileThatReadsBack) {
  struct stat st {};
  ASSERT_EQ(::stat(path_.c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0600u);
  auto tail = ReadTail(path_);
  ASSERT_TRUE(tail.ok());
  EXPECT_TRUE(*tail == log_.tail);
}

TEST_F(CustodyLogFile, MissingFileIsAnEmptyLog) {
  auto tail = ReadTail(TempPath("none.log"));
  ASSERT_TRUE(tail.ok());
  EXPECT_EQ(tail->count, 0u);
}

TEST_F(CustodyLogFile, StaleTailIsRefusedAndTheFileIsUnchanged) {
  const std::string before = Slurp(path_);
  Tail stale;
  stale.count = 2;  // the caller read the log before event 2 was appended
  auto rec = SignNextEvent(lab_, stale, NoteEvent("late", 200), nullptr);
  ASSERT_TRUE(rec.ok());
  Status st = AppendRecords(path_, *rec, &stale);
  ASSERT_FALSE(st.ok());
  EXPECT_EQ(st.error().code(), ErrorCode::kBrokenChain);
  EXPECT_NE(st.error().message().find("log changed"), std::string::npos) << st.error().message();
  EXPECT_EQ(Slurp(path_), before);
}

TEST_F(CustodyLogFile, RecordsThatDoNotContinueAreRefusedAndTheFileIsUnchanged) {
  const std::string before = Slurp(path_);
  auto rec = SignNextEvent(lab_, Tail{}, NoteEvent("fork", 200), nullptr);  // a second event 0
  ASSERT_TRUE(rec.ok());
  Status st = AppendRecords(path_, *rec, nullptr);
  ASSERT_FALSE(st.ok());
  EXPECT_EQ(st.error().code(), ErrorCode::kBrokenChain);
  EXPECT_EQ(st.error().message(), path_ + ": the new records do not continue the log: event 3: sequence number is 0, expected 3");
  EXPECT_EQ(Slurp(path_), before);
}

TEST_F(CustodyLogFile, RefusedRecordsDoNotCreateAMissingLog) {
  const std::string fresh = TempPath("fresh.log");
  Status st = AppendRecords(fresh, log_.records[1], nullptr);
  ASSERT_FALSE(st.ok());
  EXPECT_FALSE(std::filesystem::exists(fresh));
}

TEST_F(CustodyLogFile, ReadOnlyLogIsRefusedAndUnchanged) {
  if (::geteuid() == 0) GTEST_SKIP() << "root ignores file modes";
  const std::string before = Slurp(path_);
  ASSERT_EQ(::chmod(path_.c_str(), 0400), 0);
  auto rec = SignNextEvent(lab_, log_.tail, NoteEvent("x", 300), nullptr);
  Status st = AppendRecords(path_, *rec, nullptr);
  ASSERT_FALSE(st.ok());
  EXPECT_EQ(st.error().code(), ErrorCode::kPermission);
  EXPECT_EQ(Slurp(path_), before);
}

TEST_F(CustodyLogFile, FailedWriteIsCutBackAndTheFileIsUnchanged) {
  // RLIMIT_FSIZE lets the write start and fail part-way (EFBIG), even as root.
  const std::string before = Slurp(path_);
  auto rec = SignNextEvent(lab_, log_.tail, NoteEvent("too big", 300), nullptr);
  ASSERT_TRUE(rec.ok());
  struct rlimit saved {};
  ASSERT_EQ(::getrlimit(RLIMIT_FSIZE, &saved), 0);
  auto old_handler = ::signal(SIGXFSZ, SIG_IGN);
  struct rlimit small = saved;
  small.rlim_cur = before.size() + 10;
  ASSERT_EQ(::setrlimit(RLIMIT_FSIZE, &small), 0);
  Status st = AppendRecords(path_, *rec, nullptr);
  ::setrlimit(RLIMIT_FSIZE, &saved);
  ::signal(SIGXFSZ, old_handler);
  ASSERT_FALSE(st.ok());
  EXPECT_EQ(Slurp(path_), before);
}

TEST_F(CustodyLogFile, BrokenLogOnDiskIsNotAppendedTo) {
  std::string bytes = Slurp(path_);
  bytes.resize(bytes.size() - 3);
  Spit(path_, bytes);
  auto rec = SignNextEvent(lab_, log_.tail, NoteEvent("x", 300), nullptr);
  Status st = AppendRecords(path_, *rec, nullptr);
  ASSERT_FALSE(st.ok());
  EXPECT_EQ(st.error().message(), path_ + ": event 2: record truncated (the log ends after " +
                                      std::to_string(log_.records[2].size() - 5) + " of its " +
                                      std::to_string(log_.records[2].size() - 2) + " bytes)");
  EXPECT_EQ(Slurp(path_), bytes);
}

TEST_F(CustodyLogFile, SymbolicLinkIsRefused) {
  const std::string link = TempPath("link.log");
  ASSERT_EQ(::symlink(path_.c_str(), link.c_str()), 0);
  auto rec = SignNextEvent(lab_, log_.tail, NoteEvent("x", 300), nullptr);
  Status st = AppendRecords(link, *rec, nullptr);
  ASSERT_FALSE(st.ok());
  EXPECT_NE(st.error().message().find("symbolic link"), std::string::npos);
}

TEST_F(CustodyLogFile, EarlierLogIsABytePrefixOfALaterOne) {
  std::string prev = Slurp(path_);
  AppendRequest req;
  req.action = "stored";
  for (int i = 0; i < 3; ++i) {
    auto r = AppendEvent(path_, other_, req);
    ASSERT_TRUE(r.ok()) << r.error().message();
    EXPECT_EQ(r->seq, 3u + i);
    const std::string now = Slurp(path_);
    ASSERT_GT(now.size(), prev.size());
    EXPECT_EQ(now.substr(0, prev.size()), prev);
    prev = now;
  }
}

TEST_F(CustodyLogFile, TimeGoingBackwardsIsAWarningOnly) {
  WritePub();
  ASSERT_TRUE(AppendRecords(path_, *SignNextEvent(lab_, log_.tail, NoteEvent("early", 50), nullptr), nullptr).ok());
  auto report = VerifyLog(path_, Options());
  ASSERT_TRUE(report.ok()) << report.error().message();
  EXPECT_FALSE(report->failure.has_value());
  ASSERT_FALSE(report->warnings.empty());
  EXPECT_EQ(report->warnings[0].substr(0, 50), "event 3 is dated 1970-01-01T00:00:50Z, earlier tha");
}

TEST_F(CustodyLogFile, UnknownActorFailsOnlyWhenStrict) {
  WritePub();
  AppendRequest req;
  req.action = "NOTE";
  ASSERT_TRUE(AppendEvent(path_, other_, req).ok());
  VerifyOptions o = Options();
  auto lax = VerifyLog(path_, o);
  ASSERT_TRUE(lax.ok());
  EXPECT_FALSE(lax->failure.has_value());
  ASSERT_EQ(lax->actors.size(), 2u);
  EXPECT_TRUE(lax->actors[0].trusted);
  EXPECT_FALSE(lax->actors[1].trusted);
  EXPECT_EQ(lax->actors[1].name, "Other");
  o.strict = true;
  auto strict = VerifyLog(path_, o);
  ASSERT_TRUE(strict.ok());
  ASSERT_TRUE(strict->failure.has_value());
  EXPECT_EQ(strict->failure->code(), ErrorCode::kUntrustedSigner);
  EXPECT_NE(strict->failure->message().find("\"Other\""), std::string::npos);
}

TEST_F(CustodyLogFile, ExpectHeadDetectsARemovedTail) {
  WritePub();
  VerifyOptions o = Options();
  o.expect_head = crypto::Hex(log_.tail.head) + ":2";
  auto ok = VerifyLog(path_, o);
  ASSERT_TRUE(ok.ok());
  EXPECT_FALSE(ok->failure.has_value());
  ASSERT_EQ(ok->anchors.size(), 1u);
  EXPECT_TRUE(ok->anchors[0].extended);
  // Remove the last event: the chain itself is intact, the anchor is not.
  Spit(path_, log_.records[0] + log_.records[1]);
  auto cut = VerifyLog(path_, o);
  ASSERT_TRUE(cut.ok());
  ASSERT_TRUE(cut->failure.has_value());
  EXPECT_EQ(cut->failure->code(), ErrorCode::kBrokenChain);
  EXPECT_EQ(cut->failure->message(),
            "the log does not extend the head anchored by the --expect-head: it holds 2 events, the anchor "
            "names event 2");
}

TEST_F(CustodyLogFile, ExpectHeadWithoutSeqIsFoundAnywhere) {
  WritePub();
  VerifyOptions o = Options();
  o.expect_head = crypto::Hex(EventHash(crypto::AsBytes(std::string()), {}));  // no such event
  auto r = VerifyLog(path_, o);
  ASSERT_TRUE(r.ok());
  ASSERT_TRUE(r->failure.has_value());
  o.expect_head = crypto::Hex(log_.tail.head);
  r = VerifyLog(path_, o);
  ASSERT_TRUE(r.ok());
  EXPECT_FALSE(r->failure.has_value());
  EXPECT_EQ(r->anchors[0].seq, 2u);
}

TEST_F(CustodyLogFile, MalformedExpectHeadIsAUsageError) {
  WritePub();
  VerifyOptions o = Options();
  o.expect_head = "abc:1";
  auto r = VerifyLog(path_, o);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().code(), ErrorCode::kUsage);
}

TEST_F(CustodyLogFile, CheckpointRoundTripAndForkDetection) {
  WritePub();
  const std::string cp = TempPath("case.checkpoint");
  auto written = WriteCheckpoint(path_, lab_, cp, false);
  ASSERT_TRUE(written.ok()) << written.error().message();
  EXPECT_EQ(written->seq, 2u);
  EXPECT_EQ(WriteCheckpoint(path_, lab_, cp, false).error().code(), ErrorCode::kExists);
  // The log grows: it still extends the checkpoint.
  AppendRequest req;
  req.action = "DISCLOSED";
  ASSERT_TRUE(AppendEvent(path_, lab_, req).ok());
  VerifyOptions o = Options();
  o.checkpoints = {cp};
  o.strict = true;
  auto r = VerifyLog(path_, o);
  ASSERT_TRUE(r.ok()) << r.error().message();
  EXPECT_FALSE(r->failure.has_value()) << r->failure->message();
  EXPECT_TRUE(r->anchors[0].signature_verified);
  // A fork: event 2 replaced by a different, validly signed event 2.
  Built fork;
  Add(fork, lab_, NoteEvent("n0", 100));
  Add(fork, lab_, NoteEvent("n1", 101));
  Add(fork, lab_, NoteEvent("other n2", 102));
  Spit(path_, fork.Joined());
  r = VerifyLog(path_, o);
  ASSERT_TRUE(r.ok());
  ASSERT_TRUE(r->failure.has_value());
  EXPECT_NE(r->failure->message().find("event 2 has a different hash: the log forks"), std::string::npos)
      << r->failure->message();
}

TEST_F(CustodyLogFile, TamperedCheckpointIsRefused) {
  const std::string cp = TempPath("case.checkpoint");
  ASSERT_TRUE(WriteCheckpoint(path_, lab_, cp, false).ok());
  std::string bytes = Slurp(cp);
  bytes[bytes.size() - 1] ^= 1;  // the signature's last byte
  Spit(cp, bytes);
  WritePub();
  VerifyOptions o = Options();
  o.checkpoints = {cp};
  auto r = VerifyLog(path_, o);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().code(), ErrorCode::kBadSignature);
}

TEST_F(CustodyLogFile, UnknownActionListsTheValidOnes) {
  auto r = CanonicalActionName("BOGUS");
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().code(), ErrorCode::kUsage);
  EXPECT_NE(r.error().hint().find("ONWARD_TRANSFERRED"), std::string::npos);
  EXPECT_EQ(*CanonicalActionName("working-copy-created"), "WORKING_COPY_CREATED");
}

TEST_F(CustodyLogFile, ItemsAreHashedWithSha256) {
  const std::string item = TempPath("item.bin");
  Spit(item, "abc");
  AppendRequest req;
  req.action = "ACQUIRED";
  req.items = {item};
  ASSERT_TRUE(AppendEvent(path_, lab_, req).ok());
  std::ostringstream out;
  TrustSources t;
  t.use_trust_store = false;
  ASSERT_TRUE(ShowLog(path_, ShowFormat::kText, t, out, nullptr).ok());
  EXPECT_NE(out.str().find("ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"), std::string::npos);
}

TEST_F(CustodyLogFile, BundleEventsMustNameASealedBundle) {
  WritePub();
  v1::Event sealed = NoteEvent("", 200);
  sealed.set_action(v1::SEALED);
  sealed.set_bundle_id(std::string(16, 'b'));
  sealed.set_manifest_hash(std::string(32, 'm'));
  sealed.set_entries_digest(std::string(32, 'e'));
  v1::Event opened = NoteEvent("", 201);
  opened.set_action(v1::OPENED);
  opened.set_bundle_id(std::string(16, 'X'));  // not the sealed bundle
  opened.set_seal_hash(std::string(32, 's'));
  Add(log_, lab_, sealed);
  Add(log_, lab_, opened);
  ASSERT_TRUE(AppendRecords(path_, log_.records[3] + log_.records[4], nullptr).ok());
  VerifyOptions o = Options();
  auto r = VerifyLog(path_, o);
  ASSERT_TRUE(r.ok()) << r.error().message();
  EXPECT_FALSE(r->failure.has_value());
  ASSERT_FALSE(r->warnings.empty());
  std::string x;
  for (int i = 0; i < 16; ++i) x += "58";
  EXPECT_EQ(r->warnings.back(), "event 4: OPENED names bundle " + x + ", which no SEALED event of this log seals");
  o.strict = true;
  r = VerifyLog(path_, o);
  ASSERT_TRUE(r.ok());
  ASSERT_TRUE(r->failure.has_value());
  EXPECT_EQ(r->failure->code(), ErrorCode::kBrokenChain);
}

// A complete OPENED receipt by `signer` naming `head` at `seq` as the
// receiver's custody head, signed by the one receipt signer.
std::string Receipt(const SecretIdentity& signer, const crypto::Digest& head, std::uint64_t seq,
                    v1::ReceiptResult result = v1::RECEIPT_OPENED) {
  v1::Receipt r;
  r.set_bundle_id(std::string(16, 'b'));
  r.set_bundle_sha256(std::string(32, 's'));
  r.set_manifest_hash(std::string(32, 'm'));
  r.set_seal_hash(std::string(32, 'h'));
  r.set_sender_fingerprint(std::string(32, 'f'));
  r.set_custody_head(std::string(crypto::AsChars(head)));
  r.set_custody_seq(seq);
  r.set_result(result);
  return receipt::SignReceipt(signer, r);
}

TEST_F(CustodyLogFile, ReceiptAnchorVerifiedWhenTheReceiverIsKnown) {
  WritePub();
  const std::string rc = TempPath("receipt.pb");
  Spit(rc, Receipt(lab_, log_.tail.head, 2));
  VerifyOptions o = Options();
  o.receipts = {rc};
  auto r = VerifyLog(path_, o);
  ASSERT_TRUE(r.ok()) << r.error().message();
  EXPECT_FALSE(r->failure.has_value());
  ASSERT_EQ(r->anchors.size(), 1u);
  EXPECT_TRUE(r->anchors[0].extended);
  EXPECT_TRUE(r->anchors[0].signature_verified);
  // The receipt anchors event 2: a log cut back to two events fails.
  Spit(path_, log_.records[0] + log_.records[1]);
  r = VerifyLog(path_, o);
  ASSERT_TRUE(r.ok());
  ASSERT_TRUE(r->failure.has_value());
  EXPECT_EQ(r->failure->code(), ErrorCode::kBrokenChain);
}

TEST_F(CustodyLogFile, ReceiptByAnUnknownReceiverIsAnUnverifiedAnchor) {
  WritePub();
  const std::string rc = TempPath("receipt.pb");
  Spit(rc, Receipt(other_, log_.tail.head, 2));
  VerifyOptions o = Options();
  o.receipts = {rc};
  auto r = VerifyLog(path_, o);
  ASSERT_TRUE(r.ok()) << r.error().message();
  EXPECT_FALSE(r->failure.has_value());
  EXPECT_FALSE(r->anchors[0].signature_verified);
  EXPECT_NE(r->anchors[0].detail.find("unverified anchor"), std::string::npos);
  o.strict = true;
  r = VerifyLog(path_, o);
  ASSERT_TRUE(r.ok());
  ASSERT_TRUE(r->failure.has_value());
  EXPECT_EQ(r->failure->code(), ErrorCode::kUntrustedSigner);
}

TEST_F(CustodyLogFile, ReceiptWithABadSignatureIsRefused) {
  WritePub();
  const std::string rc = TempPath("receipt.pb");
  std::string bytes = Receipt(lab_, log_.tail.head, 2);
  bytes[bytes.size() - 1] ^= 1;
  Spit(rc, bytes);
  VerifyOptions o = Options();
  o.receipts = {rc};
  auto r = VerifyLog(path_, o);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().code(), ErrorCode::kBadSignature);
}

// The anchor reads receipts with the receipt parser's rules: a signed receipt
// with a result this version does not know is refused (it used to anchor).
TEST_F(CustodyLogFile, ReceiptWithAnUnknownResultIsRefused) {
  WritePub();
  const std::string rc = TempPath("receipt.pb");
  Spit(rc, Receipt(lab_, log_.tail.head, 2, static_cast<v1::ReceiptResult>(7)));
  VerifyOptions o = Options();
  o.receipts = {rc};
  auto r = VerifyLog(path_, o);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().code(), ErrorCode::kCorrupt);
  EXPECT_NE(r.error().message().find("receipt is malformed: unknown result 7"), std::string::npos)
      << r.error().message();
}

}  // namespace
}  // namespace custos::custody
