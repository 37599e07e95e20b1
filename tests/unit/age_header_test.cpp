// The age header grammar, stanza rules and limits (lib/src/age/header.cpp,
// x25519.cpp), on files built from known file keys so each rule is tested
// with an otherwise valid, correctly MAC'd header.
#include "age/header.h"

#include <gtest/gtest.h>

#include <string>

#include "age/age.h"
#include "age/stream.h"
#include "age/x25519.h"
#include "crypto/crypto.h"

namespace custos::age {
namespace {

using crypto::Bytes;

// A whole age file with the given stanzas, correctly MAC'd under file_key.
Bytes BuildFile(const SecretBytes& file_key, const std::vector<Stanza>& stanzas,
                std::string_view plaintext) {
  std::string header = SerializeHeaderWithoutMac(stanzas);
  header += " " + crypto::Base64EncodeNoPad(HeaderMac(file_key, crypto::AsBytes(header))) + "\n";
  VectorSink sink;
  EXPECT_TRUE(sink.Write(crypto::AsBytes(header)).ok());
  std::array<std::uint8_t, kPayloadNonceSize> nonce{};
  crypto::RandomBytes(nonce);
  EXPECT_TRUE(sink.Write(nonce).ok());
  StreamWriter w(crypto::HkdfSha256(file_key.Reveal(), nonce, "payload", 32), sink);
  EXPECT_TRUE(w.Write(crypto::AsBytes(plaintext)).ok());
  EXPECT_TRUE(w.Finish().ok());
  return sink.bytes;
}

Result<std::string> DecryptAll(const Bytes& file, const SecretBytes& key) {
  MemorySource src(file);
  CUSTOS_ASSIGN_OR_RETURN(auto dec, Decryptor::Open(src, key));
  std::string out;
  std::array<std::uint8_t, 4096> buf{};
  while (true) {
    CUSTOS_ASSIGN_OR_RETURN(const std::size_t n, dec->Read(buf));
    if (n == 0) return out;
    out.append(crypto::AsChars(std::span(buf).first(n)));
  }
}

class AgeHeaderTest : public ::testing::Test {
 protected:
  void SetUp() override { ASSERT_TRUE(crypto::Init().ok()); }
  Stanza Ours() { return WrapX25519(file_key_, pub_).value(); }
  void ExpectCorrupt(const std::vector<Stanza>& stanzas, std::string_view fragment) {
    auto r = DecryptAll(BuildFile(file_key_, stanzas, "age"), secret_);
    ASSERT_FALSE(r.ok());
    EXPECT_EQ(r.error().code(), ErrorCode::kCorrupt) << r.error().message();
    EXPECT_NE(r.error().message().find(fragment), std::string::npos) << r.error().message();
  }
  SecretBytes file_key_ = crypto::RandomSecret(kFileKeySize);
  SecretBytes secret_ = crypto::RandomSecret(32);
  X25519PublicKey pub_ = crypto::X25519Base(secret_);
};

TEST_F(AgeHeaderTest, BuiltFileDecrypts) {
  auto r = DecryptAll(BuildFile(file_key_, {Ours()}, "hello"), secret_);
  ASSERT_TRUE(r.ok()) << r.error().message();
  EXPECT_EQ(*r, "hello");
}

TEST_F(AgeHeaderTest, UnknownStanzasAreIgnored) {
  Stanza grease{{"grease.example/x", "a", "!\"#$%&'()*+,-./:;<=>?@[\\]^_`{|}~"}, Bytes(100, 7)};
  Stanza lower{{"x25519", "AAAA"}, Bytes(32, 1)};  // type names are case-sensitive
  auto r = DecryptAll(BuildFile(file_key_, {grease, lower, Ours()}, "hi"), secret_);
  ASSERT_TRUE(r.ok()) << r.error().message();
  EXPECT_EQ(*r, "hi");
}

TEST_F(AgeHeaderTest, ScryptBesideX25519IsCorrupt) {
  ExpectCorrupt({Ours(), Stanza{{"scrypt", "AAAAAAAAAAAAAAAAAAAAAA", "10"}, Bytes(32)}},
                "scrypt (passphrase) stanza must be the only stanza");
}

TEST_F(AgeHeaderTest, X25519ExtraArgumentIsCorrupt) {
  Stanza s = Ours();
  s.args.push_back("extra");
  ExpectCorrupt({s}, "exactly one argument");
}

TEST_F(AgeHeaderTest, X25519MissingShareIsCorrupt) {
  Stanza s = Ours();
  s.args.pop_back();
  ExpectCorrupt({s}, "exactly one argument");
}

TEST_F(AgeHeaderTest, X25519ShortShareIsCorrupt) {
  Stanza s = Ours();
  s.args[1] = crypto::Base64EncodeNoPad(Bytes(31, 9));
  ExpectCorrupt({s}, "32 bytes");
}

TEST_F(AgeHeaderTest, X25519LongBodyIsCorruptEvenAfterAGoodStanza) {
  Stanza bad = WrapX25519(file_key_, crypto::X25519Base(crypto::RandomSecret(32))).value();
  bad.body.push_back(0);
  ExpectCorrupt({Ours(), bad}, "malformed X25519 stanza 2");
}

TEST_F(AgeHeaderTest, AllZeroSharedSecretIsCorrupt) {
  Stanza s = Ours();
  s.args[1] = crypto::Base64EncodeNoPad(Bytes(32, 0));
  ExpectCorrupt({s}, "all-zero shared secret");
}

TEST_F(AgeHeaderTest, NoStanzaForUsIsNoMatchingKey) {
  Stanza other = WrapX25519(file_key_, crypto::X25519Base(crypto::RandomSecret(32))).value();
  auto r = DecryptAll(BuildFile(file_key_, {other}, "x"), secret_);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().code(), ErrorCode::kNoMatchingKey);
}

TEST_F(AgeHeaderTest, BodyOf48BytesEndsWithAnEmptyLine) {
  std::string h = SerializeHeaderWithoutMac({Stanza{{"t"}, Bytes(48, 0xff)}});
  EXPECT_EQ(h, "age-encryption.org/v1\n-> t\n" + std::string(64, '/') + "\n\n---");
  EXPECT_EQ(SerializeHeaderWithoutMac({Stanza{{"t"}, {}}}), "age-encryption.org/v1\n-> t\n\n---");
  h += " " + std::string(43, 'A') + "\n";
  auto parsed = ParseHeader(crypto::AsBytes(h));
  ASSERT_TRUE(parsed.ok()) << parsed.error().message();
  EXPECT_EQ(parsed->stanzas[0].body, Bytes(48, 0xff));
  EXPECT_EQ(parsed->mac_input_size, h.size() - 45);
}

struct BadHeader {
  const char* name;
  std::string text;
};

class AgeHeaderGrammar : public ::testing::TestWithParam<BadHeader> {};

TEST_P(AgeHeaderGrammar, IsRejected) {
  auto r = ParseHeader(crypto::AsBytes(GetParam().text));
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().code(), ErrorCode::kCorrupt) << r.error().message();
}

const std::string kMac = "--- " + std::string(43, 'A') + "\n";
INSTANTIATE_TEST_SUITE_P(
    Catalogue, AgeHeaderGrammar,
    ::testing::Values(
        BadHeader{"NoStanza", "age-encryption.org/v1\n" + kMac},
        BadHeader{"EmptyArgument", "age-encryption.org/v1\n-> a  b\n\n" + kMac},
        BadHeader{"NoArgument", "age-encryption.org/v1\n-> \n\n" + kMac},
        BadHeader{"ArrowWithoutSpace", "age-encryption.org/v1\n->a\n\n" + kMac},
        BadHeader{"TabInArgument", "age-encryption.org/v1\n-> a\tb\n\n" + kMac},
        BadHeader{"PaddedBody", "age-encryption.org/v1\n-> a\nAA==\n" + kMac},
        BadHeader{"NonCanonicalBody", "age-encryption.org/v1\n-> a\nAB\n" + kMac},
        BadHeader{"LongBodyLine", "age-encryption.org/v1\n-> a\n" + std::string(68, 'A') + "\n" + kMac},
        BadHeader{"MissingFinalLine", "age-encryption.org/v1\n-> a\n" + std::string(64, 'A') + "\n" + kMac},
        BadHeader{"MissingBody", "age-encryption.org/v1\n-> a\n" + kMac},
        BadHeader{"CrInBody", "age-encryption.org/v1\n-> a\nAAAA\r\n" + kMac},
        BadHeader{"MacWithoutSpace", "age-encryption.org/v1\n-> a\n\n---" + std::string(43, 'A') + "\n"},
        BadHeader{"MacShort", "age-encryption.org/v1\n-> a\n\n--- " + std::string(42, 'A') + "\n"},
        BadHeader{"MacNonCanonical", "age-encryption.org/v1\n-> a\n\n--- " + std::string(42, 'A') + "B\n"},
        BadHeader{"MacTrailingSpace", "age-encryption.org/v1\n-> a\n\n--- " + std::string(43, 'A') + " \n"},
        BadHeader{"VersionV2", "age-encryption.org/v2\n-> a\n\n" + kMac},
        BadHeader{"NotAge", "hello\n-> a\n\n" + kMac}),
    [](const ::testing::TestParamInfo<BadHeader>& p) { return std::string(p.param.name); });

TEST_F(AgeHeaderTest, TooManyStanzasIsALimit) {
  std::string h = "age-encryption.org/v1\n";
  for (std::size_t i = 0; i <= kMaxStanzas; ++i) h += "-> a\n\n";
  h += kMac;
  auto r = ParseHeader(crypto::AsBytes(h));
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().code(), ErrorCode::kLimitExceeded);
  MemorySource src(crypto::AsBytes(h));
  auto inspected = InspectHeader(src);
  ASSERT_FALSE(inspected.ok());
  EXPECT_EQ(inspected.error().code(), ErrorCode::kLimitExceeded);
}

TEST_F(AgeHeaderTest, OversizedHeaderStopsAtTheLimit) {
  std::string h = "age-encryption.org/v1\n-> a\n";
  while (h.size() < 2 * kMaxHeaderBytes) h += std::string(64, 'A') + "\n";
  MemorySource src(crypto::AsBytes(h));
  auto r = Decryptor::Open(src, secret_);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().code(), ErrorCode::kLimitExceeded);
  EXPECT_LE(src.consumed(), kMaxHeaderBytes);
}

TEST_F(AgeHeaderTest, NonAgeInputIsRejectedAfterOneBlock) {
  const Bytes zeros(1 << 20, 0);
  MemorySource src(zeros);
  auto r = Decryptor::Open(src, secret_);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().code(), ErrorCode::kCorrupt);
  EXPECT_NE(r.error().message().find("not an age file"), std::string::npos);
  EXPECT_LE(src.consumed(), 16u * 1024);
}

TEST_F(AgeHeaderTest, EmptyInputIsNotAnAgeFile) {
  MemorySource src({});
  auto r = Decryptor::Open(src, secret_);
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.error().message().find("empty"), std::string::npos);
}

TEST_F(AgeHeaderTest, InspectListsTypesWithoutAKey) {
  Stanza grease{{"grease"}, Bytes(3)};
  const Bytes file = BuildFile(file_key_, {grease, Ours()}, "x");
  MemorySource src(file);
  auto s = InspectHeader(src);
  ASSERT_TRUE(s.ok()) << s.error().message();
  EXPECT_EQ(s->stanza_types, (std::vector<std::string>{"grease", "X25519"}));
  EXPECT_EQ(std::string_view(reinterpret_cast<const char*>(file.data()) + s->header_bytes - 48, 4),
            "--- ");
}

}  // namespace
}  // namespace custos::age
