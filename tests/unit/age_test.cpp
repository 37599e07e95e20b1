// The age v1 envelope (lib/src/age): round trips, a corruption catalogue (one
// test per way a file can be broken), limits, interop with the real `age`
// binary and a differential test of the two ChaCha20-Poly1305 backends.
#include "age/age.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <string>

#include "age/header.h"
#include "age/stream.h"
#include "age/x25519.h"
#include "crypto/crypto.h"

namespace custos::age {
namespace {

using crypto::Bytes;

struct KeyPair {
  SecretBytes secret = crypto::RandomSecret(32);
  X25519PublicKey pub = crypto::X25519Base(secret);
};

Bytes RandomBytes(std::size_t n) {
  Bytes b(n);
  crypto::RandomBytes(b);
  return b;
}

Bytes Encrypt(std::span<const std::uint8_t> plaintext, std::vector<X25519PublicKey> recipients) {
  VectorSink sink;
  auto enc = Encryptor::Create(recipients, sink);
  EXPECT_TRUE(enc.ok()) << enc.error().message();
  EXPECT_TRUE((*enc)->Write(plaintext).ok());
  EXPECT_TRUE((*enc)->Finish().ok());
  return sink.bytes;
}

struct Decrypted {
  Status status;
  Bytes plaintext;  // what was released before any failure
};

Decrypted Decrypt(std::span<const std::uint8_t> file, const SecretBytes& key,
                  std::size_t max_read = SIZE_MAX) {
  MemorySource src(file, max_read);
  Decrypted out;
  auto dec = Decryptor::Open(src, key);
  if (!dec.ok()) return {std::move(dec).error(), {}};
  std::vector<std::uint8_t> buf(10000);
  while (true) {
    auto n = (*dec)->Read(buf);
    if (!n.ok()) return {std::move(n).error(), out.plaintext};
    if (*n == 0) return out;
    out.plaintext.insert(out.plaintext.end(), buf.begin(), buf.begin() + *n);
  }
}

std::size_t HeaderEnd(const Bytes& file) {
  const std::string_view s = crypto::AsChars(file);
  return s.find('\n', s.find("\n--- ") + 1) + 1;
}

class AgeTest : public ::testing::Test {
 protected:
  void SetUp() override { ASSERT_TRUE(crypto::Init().ok()); }
  KeyPair alice_, bob_;
};

void ExpectError(const Status& s, ErrorCode code, std::string_view fragment = {}) {
  ASSERT_FALSE(s.ok()) << "expected an error";
  EXPECT_EQ(s.error().code(), code) << s.error().message();
  EXPECT_NE(s.error().message().find(fragment), std::string::npos) << s.error().message();
}

// ---- Round trips ----------------------------------------------------------------

class AgeRoundTrip : public AgeTest, public ::testing::WithParamInterface<std::size_t> {};

TEST_P(AgeRoundTrip, DecryptsWhatWasEncrypted) {
  const Bytes plaintext = RandomBytes(GetParam());
  const Bytes file = Encrypt(plaintext, {alice_.pub});
  const std::size_t chunks = plaintext.empty() ? 1 : (plaintext.size() + kChunkSize - 1) / kChunkSize;
  EXPECT_EQ(file.size(), HeaderEnd(file) + kPayloadNonceSize + plaintext.size() + chunks * kTagSize);
  Decrypted d = Decrypt(file, alice_.secret);
  ASSERT_TRUE(d.status.ok()) << d.status.error().message();
  EXPECT_EQ(d.plaintext, plaintext);
  Decrypted slow = Decrypt(file, alice_.secret, 7);  // short reads everywhere
  ASSERT_TRUE(slow.status.ok());
  EXPECT_EQ(slow.plaintext, plaintext);
}

INSTANTIATE_TEST_SUITE_P(Sizes, AgeRoundTrip,
                         ::testing::Values(0, 1, kChunkSize - 1, kChunkSize, kChunkSize + 1,
                                           2 * kChunkSize, 3 * kChunkSize - 100));

TEST_F(AgeTest, SmallWritesMakeTheSameChunksAsOneWrite) {
  const Bytes plaintext = RandomBytes(2 * kChunkSize + 3);
  VectorSink sink;
  auto enc = Encryptor::Create(std::vector{alice_.pub}, sink);
  ASSERT_TRUE(enc.ok());
  for (std::size_t i = 0; i < plaintext.size(); i += 1000)
    ASSERT_TRUE((*enc)->Write(std::span(plaintext).subspan(i, std::min<std::size_t>(1000, plaintext.size() - i))).ok());
  ASSERT_TRUE((*enc)->Finish().ok());
  EXPECT_EQ(sink.bytes.size(), HeaderEnd(sink.bytes) + 16 + plaintext.size() + 3 * kTagSize);
  EXPECT_EQ(Decrypt(sink.bytes, alice_.secret).plaintext, plaintext);
}

TEST_F(AgeTest, EveryRecipientDecrypts) {
  KeyPair carol;
  const Bytes plaintext = RandomBytes(100000);
  const Bytes file = Encrypt(plaintext, {alice_.pub, bob_.pub, carol.pub});
  for (const KeyPair* k : {&alice_, &bob_, &carol}) {
    Decrypted d = Decrypt(file, k->secret);
    ASSERT_TRUE(d.status.ok());
    EXPECT_EQ(d.plaintext, plaintext);
  }
  MemorySource src(file);
  auto summary = InspectHeader(src);
  ASSERT_TRUE(summary.ok());
  EXPECT_EQ(summary->stanza_types, (std::vector<std::string>{"X25519", "X25519", "X25519"}));
  EXPECT_EQ(summary->header_bytes, HeaderEnd(file));
}

TEST_F(AgeTest, HeaderSizeCountsHeaderAndNonce) {
  const Bytes file = Encrypt(RandomBytes(10), {alice_.pub});
  MemorySource src(file);
  auto dec = Decryptor::Open(src, alice_.secret);
  ASSERT_TRUE(dec.ok());
  EXPECT_EQ((*dec)->header_size(), HeaderEnd(file) + kPayloadNonceSize);
}

TEST_F(AgeTest, DuplicateRecipientIsRefused) {
  VectorSink sink;
  auto enc = Encryptor::Create(std::vector{alice_.pub, bob_.pub, alice_.pub}, sink);
  ASSERT_FALSE(enc.ok());
  EXPECT_EQ(enc.error().code(), ErrorCode::kUsage);
  EXPECT_NE(enc.error().message().find("more than once"), std::string::npos);
  EXPECT_TRUE(sink.bytes.empty());
}

TEST_F(AgeTest, NoRecipientIsRefused) {
  VectorSink sink;
  auto enc = Encryptor::Create({}, sink);
  ASSERT_FALSE(enc.ok());
  EXPECT_EQ(enc.error().code(), ErrorCode::kUsage);
  EXPECT_TRUE(sink.bytes.empty());
}

TEST_F(AgeTest, SmallOrderRecipientIsRefused) {
  VectorSink sink;
  auto enc = Encryptor::Create(std::vector{X25519PublicKey{}}, sink);
  ASSERT_FALSE(enc.ok());
  EXPECT_EQ(enc.error().code(), ErrorCode::kBadKeyFile);
  EXPECT_TRUE(sink.bytes.empty());
}

TEST_F(AgeTest, WrongKeyMatchesNoRecipient) {
  const Bytes file = Encrypt(RandomBytes(10), {alice_.pub});
  ExpectError(Decrypt(file, bob_.secret).status, ErrorCode::kNoMatchingKey,
              "none of the bundle's recipients matches this key");
}

// ---- Corruption catalogue -------------------------------------------------------

class AgeCorruption : public AgeTest {
 protected:
  void SetUp() override {
    AgeTest::SetUp();
    plaintext_ = RandomBytes(3 * kChunkSize - 10);
    file_ = Encrypt(plaintext_, {alice_.pub, bob_.pub});
    payload_ = HeaderEnd(file_) + kPayloadNonceSize;
  }
  std::size_t LineStart(std::string_view prefix, int nth = 0) const {
    std::size_t pos = 0;
    for (int i = 0; i <= nth; ++i) pos = crypto::AsChars(file_).find(prefix, pos) + 1;
    return pos - 1;
  }
  // Replaces a base64 character with another one (stays canonical at the start of a group).
  void SwapBase64Char(std::size_t at) { file_[at] = file_[at] == 'A' ? 'B' : 'A'; }
  Decrypted Run() { return Decrypt(file_, alice_.secret); }
  Bytes plaintext_, file_;
  std::size_t payload_ = 0;
};

TEST_F(AgeCorruption, FlippedByteInVersionLine) {
  file_[3] ^= 0x01;
  ExpectError(Run().status, ErrorCode::kCorrupt, "not an age file");
}

TEST_F(AgeCorruption, VersionV2IsUnsupported) {
  file_[20] = '2';
  ExpectError(Run().status, ErrorCode::kCorrupt, "unsupported age format version");
}

TEST_F(AgeCorruption, FlippedByteInOurStanzaArgumentMatchesNoKey) {
  // A different valid share is indistinguishable from a stanza for someone else.
  SwapBase64Char(LineStart("-> X25519 ") + 10);
  ExpectError(Run().status, ErrorCode::kNoMatchingKey);
}

TEST_F(AgeCorruption, FlippedByteInAnotherStanzaArgumentBreaksTheMac) {
  SwapBase64Char(LineStart("-> X25519 ", 1) + 10);
  ExpectError(Run().status, ErrorCode::kCorrupt, "MAC");
}

TEST_F(AgeCorruption, NonBase64ByteInStanzaArgument) {
  file_[LineStart("-> X25519 ") + 12] = '*';
  ExpectError(Run().status, ErrorCode::kCorrupt, "malformed X25519 stanza 1");
}

TEST_F(AgeCorruption, FlippedByteInStanzaType) {
  // "Y25519" is an unknown type, so ignored; alice's stanza still unwraps
  // and the MAC, which covers every byte of the header, fails.
  file_[LineStart("-> X25519 ", 1) + 3] = 'Y';
  ExpectError(Run().status, ErrorCode::kCorrupt, "MAC");
}

TEST_F(AgeCorruption, FlippedByteInOtherStanzaBodyBreaksTheMac) {
  SwapBase64Char(LineStart("-> X25519 ", 1) + 54);
  ExpectError(Run().status, ErrorCode::kCorrupt, "MAC");
}

TEST_F(AgeCorruption, NonBase64ByteInStanzaBody) {
  file_[LineStart("-> X25519 ") + 54] = '.';
  ExpectError(Run().status, ErrorCode::kCorrupt, "not unpadded base64");
}

TEST_F(AgeCorruption, FlippedByteInMac) {
  SwapBase64Char(LineStart("\n--- ") + 5);
  ExpectError(Run().status, ErrorCode::kCorrupt, "MAC does not verify");
}

TEST_F(AgeCorruption, CrLfHeader) {
  const std::size_t at = LineStart("\n-> ");
  file_.insert(file_.begin() + static_cast<std::ptrdiff_t>(at), '\r');
  ExpectError(Run().status, ErrorCode::kCorrupt);
}

TEST_F(AgeCorruption, FlippedByteInNonce) {
  file_[payload_ - 3] ^= 0x40;
  Decrypted d = Run();
  ExpectError(d.status, ErrorCode::kCorrupt, "chunk 1 failed authentication");
  EXPECT_TRUE(d.plaintext.empty());
}

TEST_F(AgeCorruption, FlippedByteInEachChunk) {
  const Bytes original = file_;
  for (std::size_t chunk = 0; chunk < 3; ++chunk) {
    file_ = original;
    file_[payload_ + chunk * kEncryptedChunkSize + 77] ^= 0x01;
    Decrypted d = Run();
    ExpectError(d.status, ErrorCode::kCorrupt, "chunk " + std::to_string(chunk + 1));
    // Only chunks before the damaged one were released.
    EXPECT_EQ(d.plaintext.size(), chunk * kChunkSize);
  }
}

TEST_F(AgeCorruption, FlippedByteInLastTag) {
  file_.back() ^= 0x80;
  ExpectError(Run().status, ErrorCode::kCorrupt, "chunk 3");
}

TEST_F(AgeCorruption, TruncatedInHeader) {
  file_.resize(LineStart("\n--- ") + 3);
  ExpectError(Run().status, ErrorCode::kCorrupt, "header is truncated");
}

TEST_F(AgeCorruption, TruncatedInNonce) {
  file_.resize(payload_ - 5);
  ExpectError(Run().status, ErrorCode::kCorrupt, "nonce is truncated");
}

TEST_F(AgeCorruption, TruncatedAfterNonce) {
  file_.resize(payload_);
  ExpectError(Run().status, ErrorCode::kCorrupt, "payload is missing");
}

TEST_F(AgeCorruption, TruncatedMidChunk) {
  file_.resize(payload_ + kEncryptedChunkSize + 1000);
  Decrypted d = Run();
  ExpectError(d.status, ErrorCode::kCorrupt, "chunk 2");
  EXPECT_EQ(d.plaintext.size(), kChunkSize);
}

TEST_F(AgeCorruption, TruncatedAtChunkBoundary) {
  // Both full chunks verify as middle chunks (and are released); the missing
  // final chunk is the error, never a clean end.
  file_.resize(payload_ + 2 * kEncryptedChunkSize);
  Decrypted d = Run();
  ExpectError(d.status, ErrorCode::kCorrupt, "the final chunk is missing");
  EXPECT_EQ(d.plaintext.size(), 2 * kChunkSize);
}

TEST_F(AgeCorruption, TruncatedJustBeforeEnd) {
  file_.pop_back();
  ExpectError(Run().status, ErrorCode::kCorrupt, "chunk 3");
}

TEST_F(AgeCorruption, TruncatedInsideFinalTag) {
  file_.resize(payload_ + 2 * kEncryptedChunkSize + 10);
  ExpectError(Run().status, ErrorCode::kCorrupt, "chunk 3 is truncated");
}

TEST_F(AgeCorruption, TrailingGarbage) {
  file_.push_back(0);
  ExpectError(Run().status, ErrorCode::kCorrupt, "chunk 3");
}

TEST_F(AgeCorruption, TrailingGarbageAfterFullFinalChunk) {
  Bytes file = Encrypt(RandomBytes(kChunkSize), {alice_.pub});
  file.insert(file.end(), 20, 'x');
  // The full chunk verifies as the final one and is released (as age and the
  // CCTV vectors do); the appended bytes then fail the read instead of EOF.
  Decrypted d = Decrypt(file, alice_.secret);
  ExpectError(d.status, ErrorCode::kCorrupt, "data after its final chunk");
  EXPECT_EQ(d.plaintext.size(), kChunkSize);
}

TEST_F(AgeCorruption, SwappedChunks) {
  std::swap_ranges(file_.begin() + static_cast<std::ptrdiff_t>(payload_),
                   file_.begin() + static_cast<std::ptrdiff_t>(payload_ + kEncryptedChunkSize),
                   file_.begin() + static_cast<std::ptrdiff_t>(payload_ + kEncryptedChunkSize));
  Decrypted d = Run();
  ExpectError(d.status, ErrorCode::kCorrupt, "chunk 1");
  EXPECT_TRUE(d.plaintext.empty());
}

TEST_F(AgeCorruption, PayloadOfAnotherFileWithTheSameHeader) {
  // Re-encrypting a different payload never reuses the nonce: the first
  // chunk of one file cannot be read under another file's header.
  Bytes other = Encrypt(plaintext_, {alice_.pub});
  std::copy(other.begin() + static_cast<std::ptrdiff_t>(HeaderEnd(other)), other.end(),
            file_.begin() + static_cast<std::ptrdiff_t>(HeaderEnd(file_)));
  ExpectError(Run().status, ErrorCode::kCorrupt, "chunk 1");
}

// ---- Interop with the real age binary --------------------------------------------

class AgeInterop : public AgeTest {
 protected:
  void SetUp() override {
    AgeTest::SetUp();
    if (access("/usr/bin/age", X_OK) != 0) GTEST_SKIP() << "/usr/bin/age is not installed";
    char tmpl[] = "/tmp/custos-age-test-XXXXXX";
    ASSERT_NE(mkdtemp(tmpl), nullptr);
    dir_ = tmpl;
    identity_file_ = dir_ / "key.txt";
    std::ofstream(identity_file_) << crypto::AsChars(EncodeIdentity(alice_.secret).Reveal()) << "\n";
  }
  void TearDown() override {
    if (!dir_.empty()) std::filesystem::remove_all(dir_);
  }
  static void WriteFile(const std::filesystem::path& p, const Bytes& b) {
    std::ofstream(p, std::ios::binary).write(reinterpret_cast<const char*>(b.data()),
                                             static_cast<std::streamsize>(b.size()));
  }
  static Bytes ReadFile(const std::filesystem::path& p) {
    std::ifstream in(p, std::ios::binary);
    return Bytes(std::istreambuf_iterator<char>(in), {});
  }
  std::filesystem::path dir_, identity_file_;
};

TEST_F(AgeInterop, WeDecryptWhatAgeEncrypted) {
  const Bytes plaintext = RandomBytes(2 * kChunkSize + 12345);
  WriteFile(dir_ / "plain", plaintext);
  const std::string cmd = "age -r " + EncodeRecipient(alice_.pub) + " -r " + EncodeRecipient(bob_.pub) +
                          " -o " + (dir_ / "x.age").string() + " " + (dir_ / "plain").string();
  ASSERT_EQ(std::system(cmd.c_str()), 0) << cmd;
  for (const KeyPair* k : {&alice_, &bob_}) {
    Decrypted d = Decrypt(ReadFile(dir_ / "x.age"), k->secret);
    ASSERT_TRUE(d.status.ok()) << d.status.error().message();
    EXPECT_EQ(d.plaintext, plaintext);
  }
}

TEST_F(AgeInterop, AgeDecryptsWhatWeEncrypted) {
  for (std::size_t size : {std::size_t{0}, kChunkSize, 3 * kChunkSize + 1}) {
    const Bytes plaintext = RandomBytes(size);
    WriteFile(dir_ / "x.age", Encrypt(plaintext, {bob_.pub, alice_.pub}));
    const std::string cmd = "age -d -i " + identity_file_.string() + " -o " +
                            (dir_ / "out").string() + " " + (dir_ / "x.age").string();
    ASSERT_EQ(std::system(cmd.c_str()), 0) << cmd;
    EXPECT_EQ(ReadFile(dir_ / "out"), plaintext) << size;
    std::filesystem::remove(dir_ / "out");
  }
}

TEST_F(AgeInterop, AgeRejectsOurFileWithAFlippedChunkByte) {
  Bytes file = Encrypt(RandomBytes(1000), {alice_.pub});
  file[file.size() - 100] ^= 1;
  WriteFile(dir_ / "x.age", file);
  const std::string cmd = "age -d -i " + identity_file_.string() + " -o " + (dir_ / "out").string() +
                          " " + (dir_ / "x.age").string() + " 2>/dev/null";
  EXPECT_NE(std::system(cmd.c_str()), 0);
}

// ---- Differential: OpenSSL and libsodium STREAM backends -----------------------

TEST_F(AgeTest, StreamBackendsProduceIdenticalBytes) {
  const SecretBytes key = crypto::RandomSecret(32);
  for (std::size_t size : {std::size_t{0}, std::size_t{1}, kChunkSize - 1, kChunkSize,
                           kChunkSize + 1, 2 * kChunkSize + 777}) {
    for (int round = 0; round < 3; ++round) {
      const Bytes plaintext = RandomBytes(size);
      VectorSink evp_out, sodium_out;
      StreamWriter evp(key, evp_out, StreamBackend::kOpenSsl);
      StreamWriter sodium(key, sodium_out, StreamBackend::kSodium);
      ASSERT_TRUE(evp.Write(plaintext).ok());
      ASSERT_TRUE(evp.Finish().ok());
      ASSERT_TRUE(sodium.Write(plaintext).ok());
      ASSERT_TRUE(sodium.Finish().ok());
      ASSERT_EQ(evp_out.bytes, sodium_out.bytes) << "size " << size;
      // And libsodium opens what the OpenSSL reader path expects, chunk by chunk.
      for (std::size_t off = 0, i = 0; off < sodium_out.bytes.size(); off += kEncryptedChunkSize, ++i) {
        const std::size_t len = std::min(kEncryptedChunkSize, sodium_out.bytes.size() - off);
        Bytes pt(len - kTagSize);
        const bool last = off + len == sodium_out.bytes.size();
        ASSERT_TRUE(crypto::ChaChaOpen(key.Reveal(), ChunkNonce(i, last),
                                       std::span(sodium_out.bytes).subspan(off, len), pt.data()));
      }
    }
  }
}

// A sink with buffers of its own (AsyncSink): the writer seals into them when
// a chunk fits and writes otherwise; the bytes are the same either way.
class BufferedSink final : public ByteSink {
 public:
  explicit BufferedSink(std::vector<std::size_t> sizes) : sizes_(std::move(sizes)) {}
  Status Write(std::span<const std::uint8_t> d) override {
    bytes.insert(bytes.end(), d.begin(), d.end());
    return Ok();
  }
  std::span<std::uint8_t> NextBuffer() override {
    buf_.assign(sizes_[next_++ % sizes_.size()], 0xEE);
    return buf_;
  }
  Status CommitBuffer(std::size_t n) override {
    if (n > buf_.size()) return Error(ErrorCode::kInternal, "past the buffer");
    bytes.insert(bytes.end(), buf_.begin(), buf_.begin() + static_cast<std::ptrdiff_t>(n));
    ++in_place;
    return Ok();
  }
  Bytes bytes;
  int in_place = 0;

 private:
  std::vector<std::size_t> sizes_;
  std::size_t next_ = 0;
  Bytes buf_;
};

TEST_F(AgeTest, StreamSealedInPlaceIsTheSameAsWritten) {
  const SecretBytes key = crypto::RandomSecret(32);
  const Bytes plaintext = RandomBytes(5 * kChunkSize + 4321);
  for (StreamBackend backend : {StreamBackend::kOpenSsl, StreamBackend::kSodium}) {
    VectorSink plain_out;
    // Room for a chunk, too little, exactly enough, none.
    BufferedSink buffered({kEncryptedChunkSize + 5, 100, kEncryptedChunkSize, 0});
    StreamWriter a(key, plain_out, backend), b(key, buffered, backend);
    for (std::size_t off = 0; off < plaintext.size(); off += 40000) {
      const auto piece = std::span(plaintext).subspan(off, std::min<std::size_t>(40000, plaintext.size() - off));
      ASSERT_TRUE(a.Write(piece).ok());
      ASSERT_TRUE(b.Write(piece).ok());
    }
    ASSERT_TRUE(a.Finish().ok());
    ASSERT_TRUE(b.Finish().ok());
    EXPECT_EQ(buffered.bytes, plain_out.bytes);
    EXPECT_GE(buffered.in_place, 2);  // both paths were taken (6 chunks, half fit)
    EXPECT_LT(buffered.in_place, 6);
  }
}

TEST_F(AgeTest, ChunkNonceIsBigEndianCounterAndFlag) {
  const auto n = ChunkNonce(0x0102030405060708ull, true);
  EXPECT_EQ(crypto::Hex(n), "000000010203040506070801");
  EXPECT_EQ(crypto::Hex(ChunkNonce(1, false)), "000000000000000000000100");
}

}  // namespace
}  // namespace custos::age
