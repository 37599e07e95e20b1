// Unit tests of lib/src/keys: fingerprints, .pub parsing, .key files (a
// corruption catalogue, one test per way a key file can be broken), passphrase
// files, country codes and the example identities.
#include <gtest/gtest.h>
#include <stdlib.h>
#include <sys/stat.h>

#include <cstring>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "crypto/crypto.h"
#include "crypto/domains.h"
#include "custos/keys.h"
#include "custos/v1/identity.pb.h"
#include "keys/armor.h"
#include "keys/identity_internal.h"
#include "keys/keyfile.h"

namespace custos {
namespace {

namespace fs = std::filesystem;

SecretBytes Secret(std::string_view s) {
  SecretBytes b(s.size());
  if (!s.empty()) std::memcpy(b.Reveal().data(), s.data(), s.size());
  return b;
}

std::string ReadText(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

void WriteText(const std::string& path, std::string_view text) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out << text;
}

IdentityInfo Info(std::string name = "Central Authority") {
  IdentityInfo i;
  i.name = std::move(name);
  i.organisation = "Ministry of Justice";
  i.country = "SI";
  i.role = "central authority";
  i.email = "ca@example.org";
  return i;
}

class KeyFiles : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_TRUE(crypto::Init().ok());
    ::setenv("CUSTOS_TEST_FAST_KDF", "1", 1);
    char tmpl[] = "/tmp/custos-keys-test.XXXXXX";
    ASSERT_NE(::mkdtemp(tmpl), nullptr);
    dir_ = tmpl;
  }
  void TearDown() override { fs::remove_all(dir_); }

  // Generates and saves PREFIX.{key,pub}; returns the prefix.
  std::string Make(const std::string& name, bool protect) {
    auto id = SecretIdentity::Generate(Info(name));
    EXPECT_TRUE(id.ok());
    SecretBytes pass = Secret("correct horse");
    const std::string prefix = dir_ + "/" + name;
    EXPECT_TRUE(id->Save(prefix, protect ? &pass : nullptr, false).ok());
    return prefix;
  }
  PassphraseProvider Pass(std::string p) {
    return [this, p] {
      ++calls_;
      return Result<SecretBytes>(Secret(p));
    };
  }
  // The bytes inside a .key file's armor.
  std::string Blob(const std::string& key_path) {
    const std::string text = ReadText(key_path);
    std::string b64(text.size(), '\0');
    auto n = keys::Dearmor(text, keys::kSecretLabel, key_path, b64);
    EXPECT_TRUE(n.ok());
    b64.resize(*n);
    auto bytes = crypto::Base64Decode(b64);
    EXPECT_TRUE(bytes.ok());
    return std::string(crypto::AsChars(*bytes));
  }
  void WriteBlob(const std::string& key_path, const std::string& blob) {
    WriteText(key_path, keys::Armor("# rewritten by a test\n", keys::kSecretLabel,
                                    crypto::Base64Encode(crypto::AsBytes(blob))));
  }
  Error LoadError(const std::string& key_path) {
    auto r = SecretIdentity::Load(key_path, Pass("correct horse"));
    EXPECT_FALSE(r.ok()) << key_path << " loaded but should not have";
    return r.ok() ? Error(ErrorCode::kInternal, "loaded") : r.error();
  }

  std::string dir_;
  int calls_ = 0;
};

// ---- fingerprints -----------------------------------------------------------

TEST(Fingerprint, PrintsSixteenGroupsOfFourLowercase) {
  Fingerprint fp{};
  for (std::size_t i = 0; i < fp.size(); ++i) fp[i] = static_cast<std::uint8_t>(0xa0 + i);
  const std::string s = FormatFingerprint(fp);
  EXPECT_EQ(s.size(), 79u);
  EXPECT_EQ(s.substr(0, 10), "a0a1 a2a3 ");
  EXPECT_EQ(ShortFingerprint(fp), "a0a1 a2a3");
  for (std::size_t i = 4; i < s.size(); i += 5) EXPECT_EQ(s[i], ' ');
}

TEST(Fingerprint, ParsesWithAndWithoutSpacesAnyCase) {
  Fingerprint fp{};
  crypto::RandomBytes(fp);
  const std::string spaced = FormatFingerprint(fp);
  std::string compact;
  for (char c : spaced)
    if (c != ' ') compact += static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  ASSERT_TRUE(ParseFingerprint(spaced).ok());
  EXPECT_EQ(*ParseFingerprint(spaced), fp);
  EXPECT_EQ(*ParseFingerprint(compact), fp);
  EXPECT_EQ(*ParseFingerprint("  " + spaced + "\n"), fp);
}

TEST(Fingerprint, RejectsAnythingElse) {
  const std::string good(64, 'a');
  for (const std::string& bad :
       {std::string(), good.substr(1), good + "a", std::string(63, 'a') + "g",
        "aaaa  " + std::string(60, 'a'), "aa aa" + std::string(60, 'a'), std::string(1000, 'a')}) {
    auto r = ParseFingerprint(bad);
    ASSERT_FALSE(r.ok()) << bad;
    EXPECT_EQ(r.error().code(), ErrorCode::kUsage);
  }
}

// ---- country codes ------------------------------------------------------------

TEST(Country, ExactlyTheAssignedAlpha2Codes) {
  int n = 0;
  for (char a = 'A'; a <= 'Z'; ++a)
    for (char b = 'A'; b <= 'Z'; ++b) n += IsIsoCountryCode(std::string{a, b});
  EXPECT_EQ(n, 249);
  for (const char* ok : {"SI", "NL", "DE", "UA", "BA", "PS", "SS", "AX", "ZW"})
    EXPECT_TRUE(IsIsoCountryCode(ok)) << ok;
  // XK (Kosovo) is user-assigned, EU and UK exceptionally reserved: not ISO 3166-1.
  for (const char* bad : {"si", "EU", "UK", "XK", "ZZ", "AA", "S", "SVN", ""})
    EXPECT_FALSE(IsIsoCountryCode(bad)) << bad;
}

TEST(Country, KeygenRefusesAnUnknownCode) {
  IdentityInfo i = Info();
  i.country = "XX";
  auto r = SecretIdentity::Generate(i);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().code(), ErrorCode::kUsage);
  EXPECT_NE(r.error().message().find("ISO 3166-1"), std::string::npos);
}

TEST(Identity, KeygenRefusesControlCharactersAndEmptyName) {
  IdentityInfo i = Info("Evil\nName");
  EXPECT_FALSE(SecretIdentity::Generate(i).ok());
  EXPECT_FALSE(SecretIdentity::Generate(Info("")).ok());
  EXPECT_FALSE(SecretIdentity::Generate(Info(std::string(201, 'x'))).ok());
}

// ---- round trips ----------------------------------------------------------------

TEST_F(KeyFiles, UnprotectedRoundTripNeverAsksForAPassphrase) {
  auto gen = SecretIdentity::Generate(Info());
  ASSERT_TRUE(gen.ok());
  ASSERT_TRUE(gen->Save(dir_ + "/a", nullptr, false).ok());
  auto back = SecretIdentity::Load(dir_ + "/a.key", Pass("unused"));
  ASSERT_TRUE(back.ok()) << back.error().message();
  EXPECT_EQ(calls_, 0);
  EXPECT_EQ(back->fingerprint(), gen->fingerprint());
  EXPECT_TRUE(back->x25519_secret().Equals(gen->x25519_secret().Reveal()));
  const std::string body = "hello";
  const auto sig = back->Sign(domain::kSigManifest, crypto::AsBytes(body));
  EXPECT_TRUE(gen->public_identity().Verify(domain::kSigManifest, crypto::AsBytes(body), sig));
  EXPECT_FALSE(gen->public_identity().Verify(domain::kSigSeal, crypto::AsBytes(body), sig));
}

TEST_F(KeyFiles, ProtectedRoundTrip) {
  const std::string p = Make("alice", true);
  auto back = SecretIdentity::Load(p + ".key", Pass("correct horse"));
  ASSERT_TRUE(back.ok()) << back.error().message();
  EXPECT_EQ(calls_, 1);
  auto pub = PublicIdentity::Load(p + ".pub");
  ASSERT_TRUE(pub.ok());
  EXPECT_EQ(pub->fingerprint(), back->fingerprint());
  EXPECT_EQ(pub->name(), "alice");
  EXPECT_EQ(pub->country(), "SI");
  EXPECT_EQ(pub->DisplayName(), "alice (Ministry of Justice, SI)");
  EXPECT_EQ(pub->signed_bytes(), back->public_identity().signed_bytes());
}

TEST_F(KeyFiles, KeyFileIsCreatedOwnerOnly) {
  const std::string p = Make("alice", false);
  struct stat st {};
  ASSERT_EQ(::stat((p + ".key").c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0600u);
}

TEST_F(KeyFiles, SaveRefusesExistingFilesUnlessForced) {
  const std::string p = Make("alice", false);
  const std::string before = ReadText(p + ".key");
  auto other = SecretIdentity::Generate(Info("bob"));
  ASSERT_TRUE(other.ok());
  auto st = other->Save(p, nullptr, false);
  ASSERT_FALSE(st.ok());
  EXPECT_EQ(st.error().code(), ErrorCode::kExists);
  EXPECT_EQ(ReadText(p + ".key"), before);
  ASSERT_TRUE(other->Save(p, nullptr, true).ok());
  EXPECT_NE(ReadText(p + ".key"), before);
}

TEST_F(KeyFiles, FingerprintIsTheDomainHashOfBothKeys) {
  auto pub = PublicIdentity::Load(Make("alice", false) + ".pub");
  ASSERT_TRUE(pub.ok());
  std::string both(crypto::AsChars(pub->ed25519_public_key()));
  both += crypto::AsChars(pub->x25519_public_key());
  EXPECT_EQ(pub->fingerprint(), crypto::DomainHash("custos/v1/fingerprint", crypto::AsBytes(both)));
}

// ---- the .key corruption catalogue -------------------------------------------------

TEST_F(KeyFiles, WrongPassphrase) {
  const std::string p = Make("alice", true);
  auto r = SecretIdentity::Load(p + ".key", Pass("wrong"));
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().code(), ErrorCode::kWrongPassphrase);
  EXPECT_NE(r.error().message().find("wrong passphrase or damaged key file"), std::string::npos);
}

TEST_F(KeyFiles, TruncatedKeyFile) {
  const std::string k = Make("alice", true) + ".key";
  const std::string text = ReadText(k);
  WriteText(k, text.substr(0, text.size() / 2));
  Error e = LoadError(k);
  EXPECT_EQ(e.code(), ErrorCode::kBadKeyFile);
  EXPECT_NE(e.message().find(k), std::string::npos);
}

TEST_F(KeyFiles, TruncatedBlob) {
  const std::string k = Make("alice", true) + ".key";
  WriteBlob(k, Blob(k).substr(0, Blob(k).size() - 5));
  Error e = LoadError(k);
  EXPECT_EQ(e.code(), ErrorCode::kBadKeyFile);
  EXPECT_NE(e.message().find("truncated"), std::string::npos);
}

TEST_F(KeyFiles, TrailingBytesAfterTheCiphertext) {
  const std::string k = Make("alice", true) + ".key";
  WriteBlob(k, Blob(k) + "x");
  EXPECT_EQ(LoadError(k).code(), ErrorCode::kBadKeyFile);
}

TEST_F(KeyFiles, GarbledBase64) {
  const std::string k = Make("alice", true) + ".key";
  std::string text = ReadText(k);
  const std::size_t at = text.find("-----\n") + 10;
  text[at] = '*';
  WriteText(k, text);
  Error e = LoadError(k);
  EXPECT_EQ(e.code(), ErrorCode::kBadKeyFile);
  EXPECT_NE(e.message().find("garbled"), std::string::npos);
}

TEST_F(KeyFiles, WrongMagic) {
  const std::string k = Make("alice", false) + ".key";
  std::string blob = Blob(k);
  blob[0] = 'X';
  WriteBlob(k, blob);
  Error e = LoadError(k);
  EXPECT_EQ(e.code(), ErrorCode::kBadKeyFile);
  EXPECT_NE(e.message().find("wrong magic"), std::string::npos);
}

TEST_F(KeyFiles, UnknownVersionAndProtection) {
  const std::string k = Make("alice", false) + ".key";
  const std::string blob = Blob(k);
  std::string v = blob;
  v[8] = 2;
  WriteBlob(k, v);
  EXPECT_EQ(LoadError(k).code(), ErrorCode::kBadKeyFile);
  std::string kdf = blob;
  kdf[9] = 7;
  WriteBlob(k, kdf);
  EXPECT_EQ(LoadError(k).code(), ErrorCode::kBadKeyFile);
}

TEST_F(KeyFiles, NotACustosFile) {
  const std::string k = dir_ + "/random.key";
  WriteText(k, "hello, world\n");
  Error e = LoadError(k);
  EXPECT_EQ(e.code(), ErrorCode::kBadKeyFile);
  EXPECT_NE(e.message().find(k), std::string::npos);
}

TEST_F(KeyFiles, APublicFileIsNotASecretKey) {
  const std::string p = Make("alice", false);
  Error e = LoadError(p + ".pub");
  EXPECT_EQ(e.code(), ErrorCode::kBadKeyFile);
  EXPECT_NE(e.message().find("public identity"), std::string::npos);
}

TEST_F(KeyFiles, FlippedCiphertextByteReadsAsWrongPassphrase) {
  const std::string k = Make("alice", true) + ".key";
  std::string blob = Blob(k);
  blob[blob.size() - 20] ^= 1;
  WriteBlob(k, blob);
  EXPECT_EQ(LoadError(k).code(), ErrorCode::kWrongPassphrase);
}

TEST_F(KeyFiles, FlippedSaltOrNonceReadsAsWrongPassphrase) {
  const std::string k = Make("alice", true) + ".key";
  for (std::size_t at : {22u, 40u}) {
    std::string blob = Blob(k);
    const std::string good = blob;
    blob[at] ^= 1;
    WriteBlob(k, blob);
    EXPECT_EQ(LoadError(k).code(), ErrorCode::kWrongPassphrase) << at;
    WriteBlob(k, good);
  }
}

TEST_F(KeyFiles, FlippedByteInTheEmbeddedIdentity) {
  const std::string k = Make("alice", true) + ".key";
  std::string blob = Blob(k);
  blob[keys::kKeyHeaderSize + 4 + 20] ^= 1;  // inside the name
  WriteBlob(k, blob);
  Error e = LoadError(k);
  EXPECT_EQ(e.code(), ErrorCode::kBadKeyFile);
  EXPECT_EQ(calls_, 0) << "asked for a passphrase before checking the identity";
}

TEST_F(KeyFiles, FlippedSecretByteInAnUnprotectedKey) {
  const std::string k = Make("alice", false) + ".key";
  std::string blob = Blob(k);
  blob[blob.size() - 1] ^= 1;
  WriteBlob(k, blob);
  Error e = LoadError(k);
  EXPECT_EQ(e.code(), ErrorCode::kBadKeyFile);
  EXPECT_NE(e.message().find("do not belong"), std::string::npos);
}

TEST_F(KeyFiles, KdfParametersOverTheBoundAreRefusedBeforeArgon2) {
  const std::string k = Make("alice", true) + ".key";
  const std::string blob = Blob(k);
  std::string ops = blob;
  ops[13] = 17;  // opslimit 17 > 16
  WriteBlob(k, ops);
  Error e = LoadError(k);
  EXPECT_EQ(e.code(), ErrorCode::kBadKeyFile);
  EXPECT_NE(e.message().find("out of bounds"), std::string::npos);
  std::string mem = blob;
  mem[14] = 1;  // memlimit >= 2^56 bytes
  WriteBlob(k, mem);
  EXPECT_EQ(LoadError(k).code(), ErrorCode::kBadKeyFile);
  std::string zero_ops = blob;
  std::memset(zero_ops.data() + 10, 0, 4);
  WriteBlob(k, zero_ops);
  EXPECT_EQ(LoadError(k).code(), ErrorCode::kBadKeyFile);
  EXPECT_EQ(calls_, 0) << "asked for a passphrase for an out-of-bounds KDF";
}

TEST_F(KeyFiles, UnprotectedKeyWithKdfFieldsSet) {
  const std::string k = Make("alice", false) + ".key";
  std::string blob = Blob(k);
  blob[30] = 1;  // salt of an unprotected key must be zero
  WriteBlob(k, blob);
  EXPECT_EQ(LoadError(k).code(), ErrorCode::kBadKeyFile);
}

TEST_F(KeyFiles, IdentityLengthBeyondTheLimit) {
  const std::string k = Make("alice", false) + ".key";
  std::string blob = Blob(k);
  blob[keys::kKeyHeaderSize] = 0x7f;
  WriteBlob(k, blob);
  EXPECT_EQ(LoadError(k).code(), ErrorCode::kBadKeyFile);
}

// The identity of another key spliced into a key file, length adjusted.
std::string SpliceIdentity(const std::string& blob, const std::string& other_signed) {
  const std::size_t n = (static_cast<std::uint8_t>(blob[62]) << 24) |
                        (static_cast<std::uint8_t>(blob[63]) << 16) |
                        (static_cast<std::uint8_t>(blob[64]) << 8) | static_cast<std::uint8_t>(blob[65]);
  std::string out = blob.substr(0, keys::kKeyHeaderSize);
  const std::size_t m = other_signed.size();
  out += static_cast<char>(m >> 24);
  out += static_cast<char>(m >> 16);
  out += static_cast<char>(m >> 8);
  out += static_cast<char>(m);
  out += other_signed;
  out += blob.substr(keys::kKeyHeaderSize + 4 + n);
  return out;
}

TEST_F(KeyFiles, SwappedIdentityInAnUnprotectedKey) {
  const std::string k = Make("alice", false) + ".key";
  auto bob = PublicIdentity::Load(Make("bob", false) + ".pub");
  ASSERT_TRUE(bob.ok());
  WriteBlob(k, SpliceIdentity(Blob(k), bob->signed_bytes()));
  Error e = LoadError(k);
  EXPECT_EQ(e.code(), ErrorCode::kBadKeyFile);
  EXPECT_NE(e.message().find("do not belong"), std::string::npos);
}

TEST_F(KeyFiles, SwappedIdentityInAProtectedKey) {
  const std::string k = Make("alice", true) + ".key";
  auto bob = PublicIdentity::Load(Make("bob", false) + ".pub");
  ASSERT_TRUE(bob.ok());
  WriteBlob(k, SpliceIdentity(Blob(k), bob->signed_bytes()));
  // The identity is associated data: the AEAD fails.
  EXPECT_EQ(LoadError(k).code(), ErrorCode::kWrongPassphrase);
}

TEST_F(KeyFiles, FuzzBoundsRefuseEvenModerateArgon2) {
  const std::string k = Make("alice", true) + ".key";
  std::string blob = Blob(k);
  blob[13] = 3;  // ops 3: allowed by Load, refused under the fuzz bounds
  WriteBlob(k, blob);
  const std::string text = ReadText(k);
  SecretBytes s = Secret(text);
  auto r = keys::ParseSecretKeyText(s, "fuzz", Pass("x"),
                                    keys::KdfBounds{crypto::kArgonOpsMin, crypto::kArgonMemMin});
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().code(), ErrorCode::kBadKeyFile);
  EXPECT_EQ(calls_, 0);
}

// ---- .pub files -------------------------------------------------------------------

// A SignedIdentity with chosen fields, correctly self-signed.
std::string SignedWith(const std::function<void(v1::Identity&)>& edit) {
  SecretBytes seed = crypto::RandomSecret(32);
  auto key = crypto::Ed25519FromSeed(seed.Reveal());
  SecretBytes x = crypto::RandomSecret(32);
  v1::Identity id;
  id.set_format_version(1);
  id.set_name("Mallory");
  id.mutable_created()->set_seconds(1700000000);
  id.set_ed25519_public_key(std::string(crypto::AsChars(key.public_key)));
  const auto xpk = crypto::X25519Base(x);
  id.set_x25519_public_key(std::string(crypto::AsChars(xpk)));
  edit(id);
  const std::string body = id.SerializeAsString();
  const auto sig = crypto::Sign(key, domain::kSigIdentity, crypto::AsBytes(body));
  v1::SignedIdentity s;
  s.set_identity(body);
  s.set_self_signature(std::string(crypto::AsChars(sig)));
  return s.SerializeAsString();
}

Result<PublicIdentity> FromString(const std::string& s) {
  return PublicIdentity::FromSignedBytes(crypto::AsBytes(s));
}

TEST_F(KeyFiles, PubAlteredIdentityByteFailsTheSelfSignature) {
  auto pub = PublicIdentity::Load(Make("alice", false) + ".pub");
  ASSERT_TRUE(pub.ok());
  std::string bytes = pub->signed_bytes();
  const std::size_t at = bytes.find("alice");
  ASSERT_NE(at, std::string::npos);
  bytes[at] = 'A';
  auto r = FromString(bytes);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().code(), ErrorCode::kBadSignature);
  EXPECT_NE(r.error().message().find("self-signature invalid"), std::string::npos);
}

TEST_F(KeyFiles, PubAlteredSignatureFails) {
  auto pub = PublicIdentity::Load(Make("alice", false) + ".pub");
  ASSERT_TRUE(pub.ok());
  std::string bytes = pub->signed_bytes();
  bytes[bytes.size() - 3] ^= 0x10;
  auto r = FromString(bytes);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().code(), ErrorCode::kBadSignature);
}

TEST_F(KeyFiles, PubCommentsAreNotTrusted) {
  const std::string p = Make("alice", false) + ".pub";
  std::string text = ReadText(p);
  text.replace(text.find("# name: alice"), 13, "# name: Eve!!");
  auto r = PublicIdentity::Parse(text, p);
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->name(), "alice");
}

TEST_F(KeyFiles, PubArmorIsStrict) {
  const std::string text = ReadText(Make("alice", false) + ".pub");
  EXPECT_TRUE(PublicIdentity::Parse(text, "x").ok());
  EXPECT_FALSE(PublicIdentity::Parse(text.substr(0, text.size() - 10), "x").ok());  // no END
  EXPECT_FALSE(PublicIdentity::Parse(text + "trailing\n", "x").ok());
  EXPECT_FALSE(PublicIdentity::Parse("junk\n" + text, "x").ok());
  EXPECT_FALSE(PublicIdentity::Parse(std::string(70 * 1024, '#'), "x").ok());
}

TEST(PublicIdentity, ValidSignatureButBadContentIsRefused) {
  ASSERT_TRUE(crypto::Init().ok());
  EXPECT_TRUE(FromString(SignedWith([](v1::Identity&) {})).ok());
  auto v2 = FromString(SignedWith([](v1::Identity& i) { i.set_format_version(2); }));
  ASSERT_FALSE(v2.ok());
  EXPECT_EQ(v2.error().code(), ErrorCode::kCorrupt);
  auto small = FromString(
      SignedWith([](v1::Identity& i) { i.set_x25519_public_key(std::string(32, '\0')); }));
  ASSERT_FALSE(small.ok());
  EXPECT_EQ(small.error().code(), ErrorCode::kCorrupt);
  auto unknown = FromString(SignedWith([](v1::Identity& i) {
    i.GetReflection()->MutableUnknownFields(&i)->AddVarint(99, 1);
  }));
  ASSERT_FALSE(unknown.ok());
  EXPECT_EQ(unknown.error().code(), ErrorCode::kCorrupt);
  auto control = FromString(SignedWith([](v1::Identity& i) { i.set_name("A\x1b[2JB"); }));
  EXPECT_FALSE(control.ok());
  auto country = FromString(SignedWith([](v1::Identity& i) { i.set_country("QQ"); }));
  EXPECT_FALSE(country.ok());
}

TEST_F(KeyFiles, ToJsonHasTheIdentityFieldsAndFingerprint) {
  auto pub = PublicIdentity::Load(Make("alice", false) + ".pub");
  ASSERT_TRUE(pub.ok());
  const std::string j = pub->ToJson();
  EXPECT_NE(j.find("\"fingerprint\":\"" + FormatFingerprint(pub->fingerprint()) + "\""),
            std::string::npos);
  EXPECT_NE(j.find("\"name\":\"alice\""), std::string::npos);
  EXPECT_NE(j.find("\"country\":\"SI\""), std::string::npos);
}

// ---- passphrase files ------------------------------------------------------------

TEST_F(KeyFiles, PassphraseFileLosesExactlyOneTrailingNewline) {
  const std::vector<std::pair<std::string, std::string>> cases = {
      {"pw\n", "pw"},     {"pw\r\n", "pw"},     {"pw", "pw"},        {"pw\n\n", "pw\n"},
      {" pw \n", " pw "}, {"pw\r", "pw\r"},     {"pw\r\n\r\n", "pw\r\n"}, {"\npw\n", "\npw"},
  };
  for (const auto& [content, want] : cases) {
    WriteText(dir_ + "/pw", content);
    auto r = ReadPassphraseFile(dir_ + "/pw");
    ASSERT_TRUE(r.ok()) << content;
    EXPECT_TRUE(r->Equals(crypto::AsBytes(want))) << content;
  }
  for (const char* empty : {"", "\n", "\r\n"}) {
    WriteText(dir_ + "/pw", empty);
    auto r = ReadPassphraseFile(dir_ + "/pw");
    ASSERT_FALSE(r.ok());
    EXPECT_EQ(r.error().code(), ErrorCode::kUsage);
  }
  EXPECT_EQ(ReadPassphraseFile(dir_ + "/missing").error().code(), ErrorCode::kNotFound);
}

// ---- example identities ----------------------------------------------------------

TEST(Examples, TheCommittedExamplesAreRecognised) {
  ASSERT_TRUE(crypto::Init().ok());
  const std::string dir = std::string(CUSTOS_SOURCE_DIR) + "/keys/examples/";
  for (const char* name : {"si-central-authority", "nl-central-authority", "forensic-lab", "prosecutor"}) {
    auto pub = PublicIdentity::Load(dir + name + ".pub");
    ASSERT_TRUE(pub.ok()) << name << ": " << pub.error().message();
    EXPECT_TRUE(pub->is_example()) << name;
    auto key = SecretIdentity::Load(dir + name + ".key", nullptr);
    ASSERT_TRUE(key.ok()) << name << ": " << key.error().message();
    EXPECT_EQ(key->fingerprint(), pub->fingerprint());
  }
}

TEST(Examples, CheckExampleKeyRefusesUnlessAllowedAndThenWarns) {
  ASSERT_TRUE(crypto::Init().ok());
  auto pub = PublicIdentity::Load(std::string(CUSTOS_SOURCE_DIR) + "/keys/examples/prosecutor.pub");
  ASSERT_TRUE(pub.ok());
  std::vector<std::string> warnings;
  auto st = CheckExampleKey(*pub, false, &warnings);
  ASSERT_FALSE(st.ok());
  EXPECT_EQ(st.error().code(), ErrorCode::kExampleKey);
  EXPECT_NE(st.error().message().find("is a public example key"), std::string::npos);
  EXPECT_NE(st.error().hint().find("--allow-example-keys"), std::string::npos);
  EXPECT_TRUE(warnings.empty());
  ASSERT_TRUE(CheckExampleKey(*pub, true, &warnings).ok());
  ASSERT_EQ(warnings.size(), 1u);
  EXPECT_NE(warnings[0].find("never use it for real evidence"), std::string::npos);
}

TEST(Examples, AFreshKeyIsNotAnExample) {
  ASSERT_TRUE(crypto::Init().ok());
  auto id = SecretIdentity::Generate(Info());
  ASSERT_TRUE(id.ok());
  EXPECT_FALSE(id->public_identity().is_example());
  std::vector<std::string> warnings;
  EXPECT_TRUE(CheckExampleKey(id->public_identity(), false, &warnings).ok());
  EXPECT_TRUE(warnings.empty());
}

}  // namespace
}  // namespace custos
