// Unit tests of the trust store (docs/FORMAT.md "Trust store").
#include <gtest/gtest.h>
#include <stdlib.h>
#include <sys/stat.h>

#include <filesystem>
#include <fstream>

#include "crypto/crypto.h"
#include "custos/keys.h"
#include "keys/identity_internal.h"

namespace custos {
namespace {

namespace fs = std::filesystem;

IdentityInfo Info(const std::string& name) {
  IdentityInfo i;
  i.name = name;
  i.country = "NL";
  return i;
}

class TrustStoreTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_TRUE(crypto::Init().ok());
    char tmpl[] = "/tmp/custos-trust-test.XXXXXX";
    ASSERT_NE(::mkdtemp(tmpl), nullptr);
    base_ = tmpl;
    dir_ = base_ + "/trust";
  }
  void TearDown() override { fs::remove_all(base_); }

  PublicIdentity NewIdentity(const std::string& name) {
    auto id = SecretIdentity::Generate(Info(name));
    EXPECT_TRUE(id.ok());
    return id->public_identity();
  }
  TrustStore Open() {
    auto s = TrustStore::Open(dir_, true);
    EXPECT_TRUE(s.ok()) << s.error().message();
    return *s;
  }

  std::string base_, dir_;
};

TEST_F(TrustStoreTest, AddListFindRemove) {
  TrustStore store = Open();
  struct stat st {};
  ASSERT_EQ(::stat(dir_.c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0700u);

  const PublicIdentity bob = NewIdentity("bob"), alice = NewIdentity("alice");
  ASSERT_TRUE(store.Add(bob).ok());
  ASSERT_TRUE(store.Add(alice).ok());
  ASSERT_TRUE(store.Add(alice).ok()) << "adding twice is a no-op";
  EXPECT_TRUE(fs::exists(dir_ + "/" + crypto::Hex(alice.fingerprint()) + ".pub"));

  auto all = store.List();
  ASSERT_TRUE(all.ok());
  ASSERT_EQ(all->size(), 2u);
  EXPECT_EQ((*all)[0].name(), "alice");  // sorted by name
  EXPECT_EQ((*all)[1].name(), "bob");

  auto found = store.Find(bob.fingerprint());
  ASSERT_TRUE(found.ok());
  ASSERT_TRUE(found->has_value());
  EXPECT_EQ((*found)->signed_bytes(), bob.signed_bytes());

  ASSERT_TRUE(store.Remove(bob.fingerprint()).ok());
  EXPECT_FALSE(store.Find(bob.fingerprint())->has_value());
  auto again = store.Remove(bob.fingerprint());
  ASSERT_FALSE(again.ok());
  EXPECT_EQ(again.error().code(), ErrorCode::kNotFound);
  EXPECT_EQ(store.List()->size(), 1u);
}

TEST_F(TrustStoreTest, MissingDirectoryIsAnEmptyStore) {
  auto s = TrustStore::Open(dir_, false);
  ASSERT_TRUE(s.ok());
  EXPECT_FALSE(fs::exists(dir_));
  ASSERT_TRUE(s->List().ok());
  EXPECT_TRUE(s->List()->empty());
}

TEST_F(TrustStoreTest, ReuseOfAnotherIdentitysKeyIsRefused) {
  TrustStore store = Open();
  SecretBytes seed = crypto::RandomSecret(32);
  const auto signer = crypto::Ed25519FromSeed(seed.Reveal());
  SecretBytes x1 = crypto::RandomSecret(32), x2 = crypto::RandomSecret(32);
  auto make = [&](const std::string& name, const crypto::SigningKey& k, const SecretBytes& x) {
    IdentityInfo i = Info(name);
    i.created = 1700000000;
    const std::string s = keys::BuildSignedIdentity(i, k, crypto::X25519Base(x));
    auto id = PublicIdentity::FromSignedBytes(crypto::AsBytes(s));
    EXPECT_TRUE(id.ok());
    return *id;
  };
  ASSERT_TRUE(store.Add(make("original", signer, x1)).ok());

  auto same_ed = store.Add(make("impostor", signer, x2));
  ASSERT_FALSE(same_ed.ok());
  EXPECT_EQ(same_ed.error().code(), ErrorCode::kBadKeyFile);
  EXPECT_NE(same_ed.error().message().find("reuses the Ed25519 key"), std::string::npos);

  SecretBytes other_seed = crypto::RandomSecret(32);
  auto same_x = store.Add(make("impostor", crypto::Ed25519FromSeed(other_seed.Reveal()), x1));
  ASSERT_FALSE(same_x.ok());
  EXPECT_EQ(same_x.error().code(), ErrorCode::kBadKeyFile);
  EXPECT_NE(same_x.error().message().find("reuses the X25519 key"), std::string::npos);
  EXPECT_EQ(store.List()->size(), 1u) << "nothing was written";
}

TEST_F(TrustStoreTest, GroupOrWorldWritableDirectoryIsRefused) {
  Open();
  for (mode_t mode : {0770, 0702, 0777}) {
    ASSERT_EQ(::chmod(dir_.c_str(), mode), 0);
    auto s = TrustStore::Open(dir_, false);
    ASSERT_FALSE(s.ok()) << std::oct << mode;
    EXPECT_EQ(s.error().code(), ErrorCode::kUnsafeOutput);
    EXPECT_NE(s.error().message().find("writable by group or others"), std::string::npos);
  }
  ASSERT_EQ(::chmod(dir_.c_str(), 0755), 0);
  EXPECT_TRUE(TrustStore::Open(dir_, false).ok());
}

TEST_F(TrustStoreTest, WritableParentIsRefusedUnlessSticky) {
  Open();
  ASSERT_EQ(::chmod(base_.c_str(), 0777), 0);
  auto s = TrustStore::Open(dir_, false);
  ASSERT_FALSE(s.ok());
  EXPECT_EQ(s.error().code(), ErrorCode::kUnsafeOutput);
  ASSERT_EQ(::chmod(base_.c_str(), 01777), 0);
  EXPECT_TRUE(TrustStore::Open(dir_, false).ok());
  ASSERT_EQ(::chmod(base_.c_str(), 0700), 0);
}

TEST_F(TrustStoreTest, TamperedFileInTheStoreIsReported) {
  TrustStore store = Open();
  const PublicIdentity id = NewIdentity("alice");
  ASSERT_TRUE(store.Add(id).ok());
  const std::string path = dir_ + "/" + crypto::Hex(id.fingerprint()) + ".pub";
  std::string text = id.ArmoredText();
  // Flip one base64 character inside the block.
  const std::size_t at = text.find("-----\n") + 30;
  text[at] = text[at] == 'A' ? 'B' : 'A';
  std::ofstream(path, std::ios::trunc) << text;
  auto all = store.List();
  ASSERT_FALSE(all.ok());
  EXPECT_NE(all.error().message().find(path), std::string::npos);
  EXPECT_FALSE(store.Find(id.fingerprint()).ok());
}

TEST_F(TrustStoreTest, FileNamedForAnotherFingerprintIsReported) {
  TrustStore store = Open();
  const PublicIdentity a = NewIdentity("alice"), b = NewIdentity("bob");
  // Bob's identity planted under Alice's name.
  std::ofstream(dir_ + "/" + crypto::Hex(a.fingerprint()) + ".pub") << b.ArmoredText();
  auto all = store.List();
  ASSERT_FALSE(all.ok());
  EXPECT_EQ(all.error().code(), ErrorCode::kCorrupt);
  EXPECT_FALSE(store.Find(a.fingerprint()).ok());
}

TEST_F(TrustStoreTest, TamperedPubIsRefusedBeforeAdd) {
  const PublicIdentity id = NewIdentity("alice");
  std::string bytes = id.signed_bytes();
  bytes[bytes.find("alice")] = 'X';
  auto r = PublicIdentity::FromSignedBytes(crypto::AsBytes(bytes));
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().code(), ErrorCode::kBadSignature);
}

TEST(TrustStoreDefaultDir, FollowsCustosHomeThenXdgThenHome) {
  ::setenv("CUSTOS_HOME", "/c/home", 1);
  ::setenv("XDG_CONFIG_HOME", "/x/config", 1);
  ::setenv("HOME", "/h", 1);
  EXPECT_EQ(TrustStore::DefaultDir(), "/c/home/trust");
  ::unsetenv("CUSTOS_HOME");
  EXPECT_EQ(TrustStore::DefaultDir(), "/x/config/custos/trust");
  ::setenv("XDG_CONFIG_HOME", "relative", 1);  // ignored, per the XDG spec
  EXPECT_EQ(TrustStore::DefaultDir(), "/h/.config/custos/trust");
  ::unsetenv("XDG_CONFIG_HOME");
  EXPECT_EQ(TrustStore::DefaultDir(), "/h/.config/custos/trust");
}

}  // namespace
}  // namespace custos
