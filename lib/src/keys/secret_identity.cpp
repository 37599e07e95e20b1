// lib/src/keys/secret_identity.cpp — generating, saving and loading secret
// keys. docs/FORMAT.md "Secret key file"; the byte layout is in keyfile.h.
#include <cstdlib>
#include <unistd.h>

#include <cstring>

#include "common/time_util.h"
#include "crypto/domains.h"
#include "io/files.h"
#include "common/test_hooks.h"
#include "keys/armor.h"
#include "keys/identity_internal.h"
#include "keys/keyfile.h"

namespace custos {

struct SecretIdentity::Impl {
  PublicIdentity pub;
  SecretBytes seed;  // Ed25519 seed, 32 bytes
  crypto::SigningKey signing;
  SecretBytes x25519;  // X25519 secret scalar, 32 bytes
};

// Builds a SecretIdentity from a verified public identity and the 64-byte
// plaintext (seed || x25519 secret); checks that the secrets belong to it.
struct SecretIdentityBuilder {
  static Result<SecretIdentity> Build(PublicIdentity pub, std::span<const std::uint8_t> secrets,
                                      const std::string& what) {
    SecretIdentity out;
    out.impl_->seed = SecretBytes(32);
    out.impl_->x25519 = SecretBytes(32);
    std::memcpy(out.impl_->seed.Reveal().data(), secrets.data(), 32);
    std::memcpy(out.impl_->x25519.Reveal().data(), secrets.data() + 32, 32);
    out.impl_->signing = crypto::Ed25519FromSeed(out.impl_->seed.Reveal());
    const auto x_pk = crypto::X25519Base(out.impl_->x25519);
    // Both must match: a key file whose identity was swapped for another's
    // would otherwise sign under one name and decrypt for another.
    const bool ed_ok = crypto::ConstantTimeEqual(out.impl_->signing.public_key, pub.ed25519_public_key());
    const bool x_ok = crypto::ConstantTimeEqual(x_pk, pub.x25519_public_key());
    if (!ed_ok || !x_ok)
      return Error(ErrorCode::kBadKeyFile,
                   what + ": the secret keys do not belong to the identity in the file",
                   "the key file was altered; restore it from a backup");
    out.impl_->pub = std::move(pub);
    return out;
  }
};

namespace {

std::string KeyComments(const PublicIdentity& pub, bool protected_key) {
  std::string c = "# custos secret key: keep it private\n# name: " + pub.name() + "\n" +
                  "# fingerprint: " + FormatFingerprint(pub.fingerprint()) + "\n";
  c += protected_key ? "# protection: passphrase (Argon2id, XChaCha20-Poly1305)\n"
                     : "# protection: NONE: anyone who can read this file holds the key\n";
  return c;
}

// CUSTOS_TEST_FAST_KDF=1 selects libsodium's minimum Argon2id limits. For the
// test suite only: a key saved so is cheap to brute-force.
void KdfLimits(std::uint64_t* ops, std::uint64_t* mem) {
  const bool test = FastKdfForTests();
  *ops = test ? crypto::kArgonOpsMin : crypto::kArgonOpsModerate;
  *mem = test ? crypto::kArgonMemMin : crypto::kArgonMemModerate;
}

// The decoded key file bytes, in secret memory (kdf 0 stores the secrets).
Result<SecretBytes> EncodeKeyBlob(const PublicIdentity& pub, const SecretBytes& plaintext,
                                  const SecretBytes* passphrase) {
  keys::KeyFileFields f;
  f.signed_identity = crypto::AsBytes(pub.signed_bytes());
  std::string secret_part_storage;
  if (passphrase != nullptr) {
    f.kdf = keys::kKdfArgon2id;
    KdfLimits(&f.ops, &f.mem);
    crypto::RandomBytes(f.salt);
    crypto::RandomBytes(f.nonce);
  }
  const std::string head = keys::EncodeKeyFileHead(f);
  crypto::Bytes ciphertext;
  std::span<const std::uint8_t> tail = plaintext.Reveal();
  if (passphrase != nullptr) {
    CUSTOS_ASSIGN_OR_RETURN(SecretBytes key,
                            crypto::Argon2id(*passphrase, f.salt, f.ops, f.mem, 32));
    ciphertext = crypto::XChaChaSeal(key.Reveal(), f.nonce, plaintext.Reveal(), crypto::AsBytes(head));
    tail = ciphertext;
  }
  SecretBytes blob(head.size() + tail.size());
  std::memcpy(blob.Reveal().data(), head.data(), head.size());
  std::memcpy(blob.Reveal().data() + head.size(), tail.data(), tail.size());
  return blob;
}

Status RefuseExisting(const std::string& path) {
  if (!io::Exists(path)) return Ok();
  return Error(ErrorCode::kExists, path + " already exists",
               "choose another --out, or pass --force to replace it");
}

}  // namespace

SecretIdentity::SecretIdentity() : impl_(std::make_unique<Impl>()) {}
SecretIdentity::SecretIdentity(SecretIdentity&&) noexcept = default;
SecretIdentity& SecretIdentity::operator=(SecretIdentity&&) noexcept = default;
SecretIdentity::~SecretIdentity() = default;

const PublicIdentity& SecretIdentity::public_identity() const { return impl_->pub; }
const SecretBytes& SecretIdentity::x25519_secret() const { return impl_->x25519; }

std::array<std::uint8_t, 64> SecretIdentity::Sign(std::string_view domain,
                                                  std::span<const std::uint8_t> body) const {
  return crypto::Sign(impl_->signing, domain, body);
}

Result<SecretIdentity> SecretIdentity::Generate(const IdentityInfo& info_in) {
  IdentityInfo info = info_in;
  if (info.created == 0) info.created = NowUnix();
  CUSTOS_TRY(keys::ValidateInfo(info));
  SecretBytes secrets = crypto::RandomSecret(keys::kSecretPlaintextSize);
  const auto signer = crypto::Ed25519FromSeed(secrets.Reveal().first(32));
  SecretBytes x(32);
  std::memcpy(x.Reveal().data(), secrets.Reveal().data() + 32, 32);
  const std::string signed_id = keys::BuildSignedIdentity(info, signer, crypto::X25519Base(x));
  CUSTOS_ASSIGN_OR_RETURN(PublicIdentity pub,
                          PublicIdentity::FromSignedBytes(crypto::AsBytes(signed_id)));
  return SecretIdentityBuilder::Build(std::move(pub), secrets.Reveal(), "new key");
}

Status SecretIdentity::Save(const std::string& prefix, const SecretBytes* passphrase,
                            bool force) const {
  const std::string key_path = prefix + ".key", pub_path = prefix + ".pub";
  if (!force) {
    CUSTOS_TRY(RefuseExisting(key_path));
    CUSTOS_TRY(RefuseExisting(pub_path));
  }
  if (passphrase != nullptr && passphrase->empty())
    return Error(ErrorCode::kUsage, "an empty passphrase is refused");
  SecretBytes plaintext(keys::kSecretPlaintextSize);
  std::memcpy(plaintext.Reveal().data(), impl_->seed.Reveal().data(), 32);
  std::memcpy(plaintext.Reveal().data() + 32, impl_->x25519.Reveal().data(), 32);
  CUSTOS_ASSIGN_OR_RETURN(SecretBytes blob, EncodeKeyBlob(impl_->pub, plaintext, passphrase));
  const SecretBytes b64 = crypto::Base64EncodeSecret(blob.Reveal());
  const SecretBytes text = keys::ArmorSecret(KeyComments(impl_->pub, passphrase != nullptr),
                                             keys::kSecretLabel, crypto::AsChars(b64.Reveal()));
  // Both files are written completely to temporaries (the key's made 0600
  // from creation) before either is renamed into place, so a failure leaves
  // neither behind; if the .pub rename fails after the .key's, the new .key
  // is removed again (unless it replaced one: --force).
  const std::string pub_text = impl_->pub.ArmoredText();
  CUSTOS_ASSIGN_OR_RETURN(io::AtomicOutputFile key_out, io::AtomicOutputFile::Create(key_path, 0600, force));
  CUSTOS_ASSIGN_OR_RETURN(io::AtomicOutputFile pub_out, io::AtomicOutputFile::Create(pub_path, 0644, force));
  CUSTOS_TRY(key_out.Write(text.Reveal()));
  CUSTOS_TRY(pub_out.Write(crypto::AsBytes(pub_text)));
  const bool key_existed = io::Exists(key_path);
  CUSTOS_TRY(key_out.Commit());
  Status pub = pub_out.Commit();
  if (!pub.ok() && !key_existed) ::unlink(key_path.c_str());
  return pub;
}

Result<SecretIdentity> SecretIdentity::Load(const std::string& path,
                                            const PassphraseProvider& passphrase) {
  auto text = io::ReadSecretFileLimited(path, keys::kMaxKeyFile);
  if (!text.ok()) {
    if (text.error().code() == ErrorCode::kLimitExceeded)
      return Error(ErrorCode::kBadKeyFile, text.error().message() + "; not a custos secret key");
    return std::move(text).error();
  }
  return keys::ParseSecretKeyText(*text, path, passphrase, keys::KdfBounds{});
}

bool LooksLikeSecretKeyFile(const std::string& path) {
  auto text = io::ReadSecretFileLimited(path, keys::kMaxKeyFile);
  if (!text.ok()) return false;
  return crypto::AsChars(text->Reveal()).find("-----BEGIN " + std::string(keys::kSecretLabel) +
                                              "-----") != std::string_view::npos;
}

Result<SecretIdentity> SecretIdentity::Parse(const SecretBytes& text, const std::string& what,
                                             const PassphraseProvider& passphrase) {
  return keys::ParseSecretKeyText(text, what, passphrase, keys::KdfBounds{});
}

namespace keys {
namespace {

// The decoded bytes inside the armor, in secret memory.
Result<SecretBytes> DecodeArmor(const SecretBytes& text, const std::string& what) {
  const std::string_view chars = crypto::AsChars(text.Reveal());
  if (chars.size() > kMaxKeyFile)
    return Error(ErrorCode::kBadKeyFile, what + ": larger than any custos secret key");
  if (chars.find("-----BEGIN " + std::string(kPublicLabel) + "-----") != std::string_view::npos)
    return Error(ErrorCode::kBadKeyFile,
                 what + ": is a public identity (.pub), not a secret key (.key)");
  SecretBytes b64(chars.size());
  auto n = Dearmor(chars, kSecretLabel, what,
                   {reinterpret_cast<char*>(b64.Reveal().data()), b64.size()});
  if (!n.ok()) return Error(ErrorCode::kBadKeyFile, n.error().message());
  auto blob = crypto::Base64DecodeSecret(crypto::AsChars(b64.Reveal().first(*n)));
  if (!blob.ok()) return Error(ErrorCode::kBadKeyFile, what + ": garbled armor: invalid base64");
  return std::move(blob).value();
}

}  // namespace

Result<SecretIdentity> ParseSecretKeyText(const SecretBytes& text, const std::string& what,
                                          const PassphraseProvider& passphrase,
                                          const KdfBounds& bounds) {
  CUSTOS_ASSIGN_OR_RETURN(SecretBytes blob, DecodeArmor(text, what));
  auto fields = DecodeKeyFile(blob.Reveal(), bounds);
  if (!fields.ok()) return fields.error().Wrap(what);
  auto pub = PublicIdentity::FromSignedBytes(fields->signed_identity);
  if (!pub.ok())
    return Error(ErrorCode::kBadKeyFile, what + ": embedded identity: " + pub.error().message());
  if (fields->kdf == kKdfNone)
    return SecretIdentityBuilder::Build(std::move(pub).value(), fields->secret_part, what);
  CUSTOS_ASSIGN_OR_RETURN(SecretBytes pass, passphrase());
  CUSTOS_ASSIGN_OR_RETURN(SecretBytes key,
                          crypto::Argon2id(pass, fields->salt, fields->ops, fields->mem, 32));
  auto plain = crypto::XChaChaOpen(key.Reveal(), fields->nonce, fields->secret_part,
                                   fields->associated_data);
  if (!plain.ok())
    return Error(ErrorCode::kWrongPassphrase, what + ": wrong passphrase or damaged key file",
                 "check the passphrase; a damaged key file must be restored from a backup");
  return SecretIdentityBuilder::Build(std::move(pub).value(), plain->Reveal(), what);
}

}  // namespace keys
}  // namespace custos
