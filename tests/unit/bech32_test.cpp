// BIP 173 bech32 (lib/src/age/bech32.cpp) and age's key text forms.
#include "age/bech32.h"

#include <gtest/gtest.h>

#include <array>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <vector>

#include "age/age.h"
#include "crypto/crypto.h"

namespace custos::age {
namespace {

// The key pair printed in age's README (checked against `age-keygen -y`).
constexpr std::string_view kReadmeIdentity =
    "AGE-SECRET-KEY-1N9JEPW6DWJ0ZQUDX63F5A03GX8QUW7PXDE39N8UYF82VZ9PC8UFS3M7XA9";
constexpr std::string_view kReadmeRecipient =
    "age1lvyvwawkr0mcnnnncaghunadrqkmuf9e6507x9y920xxpp866cnql7dp2z";

std::string_view AsView(const SecretBytes& s) {
  return crypto::AsChars(s.Reveal());
}

class Bech32Test : public ::testing::Test {
 protected:
  void SetUp() override { ASSERT_TRUE(crypto::Init().ok()); }
};

// BIP 173 "valid" test vectors whose data is whole bytes.
TEST_F(Bech32Test, AcceptsBip173ValidStrings) {
  for (std::string_view s : {"A12UEL5L", "a12uel5l",
                             "an83characterlonghumanreadablepartthatcontainsthenumber1andtheexcludedcharactersbio1tt5tgs",
                             "abcdef1qpzry9x8gf2tvdw0s3jn54khce6mua7lmqqqxw",
                             "split1checkupstagehandshakeupstreamerranterredcaperred2y9e3w", "?1ezyfcl"}) {
    std::array<std::uint8_t, 90> buf{};
    auto r = bech32::Decode(s, buf);
    EXPECT_TRUE(r.ok()) << s << ": " << (r.ok() ? "" : r.error().message());
  }
}

// BIP 173 "invalid" test vectors, plus mixed case and a bad checksum.
TEST_F(Bech32Test, RejectsBip173InvalidStrings) {
  const std::string bad_char_hrp = std::string(1, '\x20') + "1nwldj5";
  const std::string del_hrp = std::string(1, '\x7f') + "1axkwrx";
  const std::string bad_checksum_char = std::string("de1lg7wt") + '\xff';
  for (std::string_view s :
       {std::string_view(bad_char_hrp), std::string_view(del_hrp),
        std::string_view("an84characterslonghumanreadablepartthatcontainsthenumber1andtheexcludedcharactersbio1569pvx"),
        std::string_view("pzry9x0s0muk"), std::string_view("1pzry9x0s0muk"),
        std::string_view("x1b4n0q5v"), std::string_view("li1dgmt3"),
        std::string_view(bad_checksum_char), std::string_view("A1G7SGD8"),
        std::string_view("10a06t8"), std::string_view("1qzzfhee"), std::string_view("A12uEL5L"),
        std::string_view("a12uel5m")}) {
    std::array<std::uint8_t, 90> buf{};
    auto r = bech32::Decode(s, buf);
    ASSERT_FALSE(r.ok()) << s;
    EXPECT_EQ(r.error().code(), ErrorCode::kCorrupt);
  }
}

TEST_F(Bech32Test, EncodeDecodeRoundTrip) {
  std::array<std::uint8_t, 32> data{};
  crypto::RandomBytes(data);
  std::string text(bech32::EncodedSize(3, data.size()), '\0');
  ASSERT_TRUE(bech32::Encode("xyz", data, false, text).ok());
  std::array<std::uint8_t, 32> back{};
  auto r = bech32::Decode(text, back);
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->hrp, "xyz");
  EXPECT_EQ(r->data_len, 32u);
  EXPECT_EQ(back, data);
}

// An independent BIP 173 encoder over raw 5-bit values, so tests can build
// strings with a right checksum but wrong padding.
std::string EncodeFiveBit(std::string_view hrp, const std::vector<std::uint8_t>& values) {
  auto polymod = [](const std::vector<std::uint8_t>& v) {
    std::uint32_t chk = 1;
    const std::uint32_t gen[5] = {0x3b6a57b2, 0x26508e6d, 0x1ea119fa, 0x3d4233dd, 0x2a1462b3};
    for (std::uint8_t x : v) {
      const std::uint32_t b = chk >> 25;
      chk = ((chk & 0x1ffffff) << 5) ^ x;
      for (int i = 0; i < 5; ++i) chk ^= ((b >> i) & 1) ? gen[i] : 0;
    }
    return chk;
  };
  std::vector<std::uint8_t> all;
  for (char c : hrp) all.push_back(static_cast<std::uint8_t>(c) >> 5);
  all.push_back(0);
  for (char c : hrp) all.push_back(static_cast<std::uint8_t>(c) & 31);
  all.insert(all.end(), values.begin(), values.end());
  all.insert(all.end(), 6, 0);
  const std::uint32_t chk = polymod(all) ^ 1;
  const char* cs = "qpzry9x8gf2tvdw0s3jn54khce6mua7l";
  std::string out = std::string(hrp) + "1";
  for (std::uint8_t v : values) out += cs[v];
  for (int i = 0; i < 6; ++i) out += cs[(chk >> (5 * (5 - i))) & 31];
  return out;
}

TEST_F(Bech32Test, ReferenceEncoderAgrees) {
  // 0xff -> 11111 111(00): values 31, 28.
  std::array<std::uint8_t, 1> one = {0xff};
  std::string text(bech32::EncodedSize(1, 1), '\0');
  ASSERT_TRUE(bech32::Encode("a", one, false, text).ok());
  EXPECT_EQ(text, EncodeFiveBit("a", {31, 28}));
}

TEST_F(Bech32Test, RejectsNonZeroPadding) {
  std::array<std::uint8_t, 4> buf{};
  auto r = bech32::Decode(EncodeFiveBit("a", {31, 29}), buf);  // padding bits 01
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.error().message().find("padding"), std::string::npos);
}

TEST_F(Bech32Test, RejectsOverlongPadding) {
  std::array<std::uint8_t, 4> buf{};
  // 3 values = 15 bits: one byte and 7 bits of padding (BIP 173 allows < 5).
  auto r = bech32::Decode(EncodeFiveBit("a", {31, 28, 0}), buf);
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.error().message().find("padding"), std::string::npos);
}

TEST_F(Bech32Test, ReadmeKeyPair) {
  auto secret = ParseIdentity(kReadmeIdentity);
  ASSERT_TRUE(secret.ok()) << secret.error().message();
  const X25519PublicKey pub = crypto::X25519Base(*secret);
  EXPECT_EQ(EncodeRecipient(pub), kReadmeRecipient);
  auto parsed = ParseRecipient(kReadmeRecipient);
  ASSERT_TRUE(parsed.ok());
  EXPECT_EQ(*parsed, pub);
  EXPECT_EQ(AsView(EncodeIdentity(*secret)), kReadmeIdentity);
}

TEST_F(Bech32Test, RecipientMustBeLowerCaseAge) {
  std::string upper(kReadmeRecipient);
  for (char& c : upper) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  auto r = ParseRecipient(upper);
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.error().message().find("lower case"), std::string::npos);
  EXPECT_FALSE(ParseRecipient(kReadmeIdentity).ok());
}

TEST_F(Bech32Test, IdentityMustBeUpperCaseSecretKey) {
  std::string lower(kReadmeIdentity);
  for (char& c : lower) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  auto r = ParseIdentity(lower);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().code(), ErrorCode::kCorrupt);
  EXPECT_FALSE(ParseIdentity(kReadmeRecipient).ok());
  // A flipped character breaks the checksum; the message never echoes the key.
  std::string flipped(kReadmeIdentity);
  flipped[20] = flipped[20] == 'Q' ? 'P' : 'Q';
  auto f = ParseIdentity(flipped);
  ASSERT_FALSE(f.ok());
  EXPECT_NE(f.error().message().find("checksum"), std::string::npos);
  EXPECT_EQ(f.error().message().find(flipped.substr(16)), std::string::npos);
}

TEST_F(Bech32Test, RejectsWrongKeyLength) {
  std::array<std::uint8_t, 31> short_key{};
  std::string text(bech32::EncodedSize(3, short_key.size()), '\0');
  ASSERT_TRUE(bech32::Encode("age", short_key, false, text).ok());
  auto r = ParseRecipient(text);
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.error().message().find("32 bytes"), std::string::npos);
}

// A fresh pair from the real age-keygen: our encoding must agree with it.
TEST_F(Bech32Test, AgreesWithAgeKeygen) {
  FILE* p = popen("age-keygen 2>/dev/null", "r");
  if (p == nullptr) GTEST_SKIP() << "cannot run age-keygen";
  std::string out;
  char buf[256];
  while (std::fgets(buf, sizeof buf, p) != nullptr) out += buf;
  if (pclose(p) != 0) GTEST_SKIP() << "age-keygen is not installed";
  const auto pk_at = out.find("# public key: ");
  const auto sk_at = out.find("AGE-SECRET-KEY-1");
  ASSERT_NE(pk_at, std::string::npos);
  ASSERT_NE(sk_at, std::string::npos);
  const std::string recipient = out.substr(pk_at + 14, out.find('\n', pk_at) - pk_at - 14);
  const std::string identity = out.substr(sk_at, out.find('\n', sk_at) - sk_at);
  auto secret = ParseIdentity(identity);
  ASSERT_TRUE(secret.ok());
  EXPECT_EQ(EncodeRecipient(crypto::X25519Base(*secret)), recipient);
  EXPECT_EQ(AsView(EncodeIdentity(*secret)), identity);
}

}  // namespace
}  // namespace custos::age
