// custos/keys.h — identities, secret keys, fingerprints, the trust store and
// the example keys. docs/FORMAT.md §2 is the normative description.
#pragma once

#include <array>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "custos/error.h"
#include "custos/secret_bytes.h"

namespace custos {

// SHA-256("custos/v1/fingerprint\0" || ed25519 public key || x25519 public key).
using Fingerprint = std::array<std::uint8_t, 32>;

// 64 lowercase hex digits in 16 groups of four separated by single spaces.
std::string FormatFingerprint(const Fingerprint& fp);
// The first two groups ("a1b2 c3d4"), for tables.
std::string ShortFingerprint(const Fingerprint& fp);
// Accepts the printed form with or without the spaces (any case); kUsage otherwise.
Result<Fingerprint> ParseFingerprint(std::string_view text);

// What a person fills in at keygen.
struct IdentityInfo {
  std::string name;          // required, 1..200 bytes of UTF-8
  std::string organisation;
  std::string country;       // ISO 3166-1 alpha-2 ("SI"), validated
  std::string role;
  std::string email;
  std::int64_t created = 0;  // seconds since the epoch; 0 = now
  std::int64_t expires = 0;  // 0 = no expiry
};

// True if `code` is an assigned ISO 3166-1 alpha-2 code (upper case).
bool IsIsoCountryCode(std::string_view code);

// A verified public identity. Only constructed from bytes whose strict parse,
// key validity (canonical, not small order) and self-signature all passed.
class PublicIdentity {
 public:
  // Parses the bytes of a SignedIdentity. kBadSignature ("self-signature
  // invalid") if the self-signature fails, kCorrupt if malformed.
  static Result<PublicIdentity> FromSignedBytes(std::span<const std::uint8_t> signed_identity);
  // Loads a .pub file (armored). Errors name the file.
  static Result<PublicIdentity> Load(const std::string& path);
  // Parses the text of a .pub file.
  static Result<PublicIdentity> Parse(std::string_view text, const std::string& what);

  const Fingerprint& fingerprint() const { return fingerprint_; }
  // The SignedIdentity bytes exactly as read (embedded into manifests/events).
  const std::string& signed_bytes() const { return signed_bytes_; }
  const std::string& name() const { return info_.name; }
  const std::string& organisation() const { return info_.organisation; }
  const std::string& country() const { return info_.country; }
  const std::string& role() const { return info_.role; }
  const std::string& email() const { return info_.email; }
  std::int64_t created() const { return info_.created; }
  std::int64_t expires() const { return info_.expires; }
  const std::array<std::uint8_t, 32>& ed25519_public_key() const { return ed25519_; }
  const std::array<std::uint8_t, 32>& x25519_public_key() const { return x25519_; }
  // True if this is one of the example identities (compiled-in fingerprints).
  bool is_example() const;

  // "Name (Organisation, CC)".
  std::string DisplayName() const;
  // The .pub file text: '#' comment lines (name, fingerprint) + armored block.
  std::string ArmoredText() const;
  // protobuf's JSON mapping of {Identity, fingerprint}.
  std::string ToJson() const;
  // The age recipient "age1..." of the X25519 key.
  std::string AgeRecipient() const;

  // Ed25519 verification by this identity over domain || 0x00 || body.
  bool Verify(std::string_view domain, std::span<const std::uint8_t> body,
              std::span<const std::uint8_t> signature) const;

 private:
  Fingerprint fingerprint_{};
  std::string signed_bytes_;
  IdentityInfo info_;
  std::array<std::uint8_t, 32> ed25519_{};
  std::array<std::uint8_t, 32> x25519_{};
};

// Supplies a passphrase when a key needs one (a file, a terminal prompt).
using PassphraseProvider = std::function<Result<SecretBytes>()>;

// Reads a passphrase file: the whole file minus exactly one trailing LF or CRLF.
// An empty passphrase is refused.
Result<SecretBytes> ReadPassphraseFile(const std::string& path);

// True if the file at `path` carries a secret key's armor line (so `key show`
// knows whether it needs a passphrase). Reads it into secret memory only.
bool LooksLikeSecretKeyFile(const std::string& path);

struct SecretIdentityBuilder;  // lib/src/keys: builds a SecretIdentity from checked parts

// A secret identity: the public identity and the two secret keys, which live
// only in sodium_malloc memory.
class SecretIdentity {
 public:
  SecretIdentity(SecretIdentity&&) noexcept;
  SecretIdentity& operator=(SecretIdentity&&) noexcept;
  ~SecretIdentity();

  // New random keys, self-signed identity.
  static Result<SecretIdentity> Generate(const IdentityInfo& info);
  // Loads a .key file. `passphrase` is called only if the key is protected.
  // On every load both public keys are recomputed from the secrets and must
  // equal the identity's, and the self-signature must verify.
  // kWrongPassphrase: "wrong passphrase or damaged key file"; kBadKeyFile for
  // truncated/garbled/non-custos files (naming the file).
  static Result<SecretIdentity> Load(const std::string& path, const PassphraseProvider& passphrase);
  // The same on the text of a .key file held in secret memory; `what` names
  // it in errors.
  static Result<SecretIdentity> Parse(const SecretBytes& text, const std::string& what,
                                      const PassphraseProvider& passphrase);

  // Writes PREFIX.key (0600, atomically) and PREFIX.pub. With a passphrase the
  // key is sealed with Argon2id (MODERATE) + XChaCha20-Poly1305; without, it is
  // stored unsealed. kExists unless `force`.
  Status Save(const std::string& prefix, const SecretBytes* passphrase, bool force) const;

  const PublicIdentity& public_identity() const;
  const Fingerprint& fingerprint() const { return public_identity().fingerprint(); }

  // Ed25519 over domain || 0x00 || body.
  std::array<std::uint8_t, 64> Sign(std::string_view domain, std::span<const std::uint8_t> body) const;
  // The X25519 secret scalar (age key agreement).
  const SecretBytes& x25519_secret() const;
  // "AGE-SECRET-KEY-1..." in secret memory.
  SecretBytes AgeIdentity() const;

 private:
  friend struct SecretIdentityBuilder;
  SecretIdentity();
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

// Example identities (keys/examples/): recognised by fingerprint.
bool IsExampleFingerprint(const Fingerprint& fp);
// kExampleKey (exit 3) unless allowed; when allowed, appends a warning sentence.
Status CheckExampleKey(const PublicIdentity& id, bool allow_example_keys,
                       std::vector<std::string>* warnings);

// The directory of trusted .pub files. docs/FORMAT.md "Trust store".
class TrustStore {
 public:
  // ${CUSTOS_HOME:-${XDG_CONFIG_HOME:-~/.config}/custos}/trust
  static std::string DefaultDir();
  // Opens `dir` (DefaultDir() if empty). Refuses (kUnsafeOutput, exit 4) a
  // directory writable by group or others. With `create`, makes it (0700)
  // when missing; without, a missing directory is an empty store.
  static Result<TrustStore> Open(const std::string& dir, bool create);

  const std::string& dir() const { return dir_; }
  // Every trusted identity, sorted by name. Unreadable or tampered files are
  // reported as errors, never skipped silently.
  Result<std::vector<PublicIdentity>> List() const;
  // The trusted identity with this fingerprint, or std::nullopt.
  Result<std::optional<PublicIdentity>> Find(const Fingerprint& fp) const;
  // Adds; refuses an identity reusing another trusted one's Ed25519 or X25519 key.
  Status Add(const PublicIdentity& id);
  Status Remove(const Fingerprint& fp);

 private:
  std::string dir_;
};

}  // namespace custos
