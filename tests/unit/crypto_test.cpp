// Known-answer and differential tests for lib/src/crypto.
#include "crypto/crypto.h"

#include <gtest/gtest.h>

#include "crypto/domains.h"

namespace custos::crypto {
namespace {

Bytes H(std::string_view hex) { return FromHex(hex).value(); }

class CryptoTest : public ::testing::Test {
 protected:
  void SetUp() override { ASSERT_TRUE(Init().ok()); }
};

// RFC 5869 appendix A.1.
TEST_F(CryptoTest, HkdfMatchesRfc5869Case1) {
  Bytes ikm(22, 0x0b);
  Bytes salt = H("000102030405060708090a0b0c");
  Bytes info = H("f0f1f2f3f4f5f6f7f8f9");
  SecretBytes okm = HkdfSha256(ikm, salt, AsChars(info), 42);
  EXPECT_EQ(Hex(okm.Reveal()),
            "3cb25f25faacd57a90434f64d0362f2a2d2d0a90cf1a5a4c5db02d56ecc4c5bf34007208d5b887185865");
}

// RFC 5869 appendix A.3: empty salt and info.
TEST_F(CryptoTest, HkdfMatchesRfc5869Case3) {
  Bytes ikm(22, 0x0b);
  SecretBytes okm = HkdfSha256(ikm, {}, "", 42);
  EXPECT_EQ(Hex(okm.Reveal()),
            "8da4e775a563c18f715f802a063c5a31b8a11f5c5ee1879ec3454e5f3c738d2d9d201395faa4b61a96c8");
}

// FIPS 180-2 "abc".
TEST_F(CryptoTest, Sha256KnownAnswer) {
  EXPECT_EQ(Hex(Sha256Of(AsBytes("abc"))),
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
}

TEST_F(CryptoTest, OpenSslAndSodiumSha256AgreeOnRandomInputs) {
  for (std::size_t size : {0u, 1u, 63u, 64u, 65u, 1000u, 65536u, 1000003u}) {
    Bytes data(size);
    RandomBytes(data);
    EXPECT_EQ(Sha256Of(data), SodiumSha256Of(data)) << "size " << size;
    Sha256 streaming;
    for (std::size_t off = 0; off < size; off += 777)
      streaming.Update(ByteView(data).subspan(off, std::min<std::size_t>(777, size - off)));
    EXPECT_EQ(streaming.Finish(), SodiumSha256Of(data));
  }
}

TEST_F(CryptoTest, DomainHashSeparatesPrefixes) {
  Bytes data = {1, 2, 3};
  EXPECT_NE(DomainHash(domain::kHashManifest, data), DomainHash(domain::kHashSeal, data));
  Bytes manual(domain::kHashSeal.begin(), domain::kHashSeal.end());
  manual.push_back(0);
  manual.insert(manual.end(), data.begin(), data.end());
  EXPECT_EQ(DomainHash(domain::kHashSeal, data), Sha256Of(manual));
}

// RFC 8439 §2.8.2 AEAD test vector.
TEST_F(CryptoTest, ChaChaPolyRfc8439) {
  Bytes key = H("808182838485868788898a8b8c8d8e8f909192939495969798999a9b9c9d9e9f");
  Bytes nonce = H("070000004041424344454647");
  std::string_view pt =
      "Ladies and Gentlemen of the class of '99: If I could offer you only one tip for the "
      "future, sunscreen would be it.";
  Bytes out(pt.size() + 16);
  ChaChaSeal(key, nonce, AsBytes(pt), out.data());
  // Without AAD the tag differs from the RFC's; the ciphertext must match.
  EXPECT_EQ(Hex(ByteView(out).subspan(0, 16)), "d31a8d34648e60db7b86afbc53ef7ec2");
}

TEST_F(CryptoTest, OpenSslAndSodiumChaChaPolyAgreeOnRandomInputs) {
  Bytes key(32), nonce(12);
  RandomBytes(key);
  ChaChaPolyEvp evp(key);
  for (std::size_t size : {0u, 1u, 16u, 1000u, 65536u}) {
    RandomBytes(nonce);
    Bytes pt(size);
    RandomBytes(pt);
    Bytes a(size + 16), b(size + 16);
    ChaChaSeal(key, nonce, pt, a.data());
    evp.Seal(nonce, pt, b.data());
    EXPECT_EQ(a, b) << "size " << size;
    Bytes back(size + 1);
    EXPECT_TRUE(evp.Open(nonce, a, back.data()));
    EXPECT_TRUE(std::equal(pt.begin(), pt.end(), back.begin()));
    EXPECT_TRUE(ChaChaOpen(key, nonce, b, back.data()));
    b[size / 2] ^= 1;
    EXPECT_FALSE(evp.Open(nonce, b, back.data()));
    EXPECT_FALSE(ChaChaOpen(key, nonce, b, back.data()));
  }
}

TEST_F(CryptoTest, SignatureIsBoundToItsDomain) {
  SecretBytes seed = RandomSecret(32);
  SigningKey key = Ed25519FromSeed(seed.Reveal());
  Bytes body = {9, 8, 7};
  auto sig = Sign(key, domain::kSigManifest, body);
  EXPECT_TRUE(Verify(key.public_key, domain::kSigManifest, body, sig));
  EXPECT_FALSE(Verify(key.public_key, domain::kSigSeal, body, sig));
  body[0] ^= 1;
  EXPECT_FALSE(Verify(key.public_key, domain::kSigManifest, body, sig));
}

TEST_F(CryptoTest, SmallOrderKeysAreRejected) {
  Bytes zero(32, 0);
  EXPECT_FALSE(X25519PublicKeyValid(zero));
  EXPECT_FALSE(Ed25519PublicKeyValid(zero));
  Bytes one(32, 0);
  one[0] = 1;  // the identity point / order-1 u-coordinate
  EXPECT_FALSE(X25519PublicKeyValid(one));
  SecretBytes sk = RandomSecret(32);
  EXPECT_TRUE(X25519PublicKeyValid(X25519Base(sk)));
  EXPECT_FALSE(X25519(sk, zero).ok());
}

TEST_F(CryptoTest, Base64RejectsNonCanonicalInput) {
  EXPECT_EQ(Base64EncodeNoPad(AsBytes("ab")), "YWI");
  EXPECT_TRUE(Base64DecodeNoPad("YWI").ok());
  EXPECT_FALSE(Base64DecodeNoPad("YWJ").ok());   // non-zero trailing bits
  EXPECT_FALSE(Base64DecodeNoPad("YWI=").ok());  // padding where none is allowed
  EXPECT_FALSE(Base64DecodeNoPad("YW I").ok());
}

TEST_F(CryptoTest, XChaChaWrongKeyIsWrongPassphrase) {
  Bytes key(32, 1), nonce(24, 2), ad = {1, 2};
  Bytes ct = XChaChaSeal(key, nonce, AsBytes("secret"), ad);
  EXPECT_TRUE(XChaChaOpen(key, nonce, ct, ad).ok());
  key[0] ^= 1;
  auto r = XChaChaOpen(key, nonce, ct, ad);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().code(), ErrorCode::kWrongPassphrase);
}

}  // namespace
}  // namespace custos::crypto

#include "common/proto_util.h"

namespace custos {
namespace {

TEST(JsonQuote, EscapesControlsAndReplacesInvalidUtf8) {
  EXPECT_EQ(JsonQuote("a\"b\\c\n"), "\"a\\\"b\\\\c\\u000a\"");
  EXPECT_EQ(JsonQuote("\xc3\xa9"), "\"\xc3\xa9\"");          // é kept
  EXPECT_EQ(JsonQuote("x\xff" "y"), "\"x\\ufffdy\"");        // invalid byte
  EXPECT_EQ(JsonQuote("\xed\xa0\x80"), "\"\\ufffd\\ufffd\\ufffd\"");  // surrogate
  EXPECT_EQ(JsonQuote("\x1b[2J"), "\"\\u001b[2J\"");
}

}  // namespace
}  // namespace custos

#include "custos/v1/receipt.pb.h"

namespace custos {
namespace {

TEST(ParseCanonical, RefusesADuplicatedFieldThatParsesToTheSameMessage) {
  v1::SignedTransport w;
  w.set_transport("body");
  w.set_signature("sig");
  std::string good = SerializeForSigning(w);
  v1::SignedTransport out;
  EXPECT_TRUE(ParseCanonical(crypto::AsBytes(good), 1024, out, "t").ok());
  // A junk copy of field 1 first: protobuf keeps the last, the bytes differ.
  std::string dup = std::string("\x0a\x04junk", 6) + good;
  ASSERT_TRUE(ParseStrict(crypto::AsBytes(dup), 1024, out, "t").ok());
  auto st = ParseCanonical(crypto::AsBytes(dup), 1024, out, "t");
  ASSERT_FALSE(st.ok());
  EXPECT_NE(st.error().message().find("canonical"), std::string::npos);
}

}  // namespace
}  // namespace custos

#include "custos/v1/manifest.pb.h"

namespace custos {
namespace {

class CollectSink final : public ByteSink {
 public:
  Status Write(std::span<const std::uint8_t> data) override {
    text.append(reinterpret_cast<const char*>(data.data()), data.size());
    ++writes;
    return Ok();
  }
  std::string text;
  int writes = 0;
};

// open streams custos/manifest.json with WriteJson; it must be exactly what
// ToJson gives (plus one newline), in pieces, for a manifest of many entries.
TEST(WriteJson, StreamsExactlyToJsonPlusNewline) {
  v1::Manifest m;
  m.set_format_version(1);
  m.set_bundle_id(std::string(16, '\x07'));
  m.mutable_case_metadata()->set_case_reference("ICC-01/04 \"quoted\" \xc5\xbe");
  for (int i = 0; i < 5000; ++i) {
    auto* f = m.add_entries()->mutable_file();
    f->set_path("data/d/f" + std::to_string(i) + "\n");
    f->set_size(static_cast<std::uint64_t>(i) * 1000003);
    f->set_mode(0640);
    f->set_mtime(1700000000 + i);
  }
  for (bool pretty : {true, false}) {
    CollectSink out;
    ASSERT_TRUE(WriteJson(m, pretty, out).ok());
    EXPECT_EQ(out.text, ToJson(m, pretty) + "\n");
    EXPECT_GT(out.writes, 1);  // streamed, not one buffer
  }
}

}  // namespace
}  // namespace custos
