// lib/src/keys/identity.cpp — public identities: parsing and verifying the
// SignedIdentity, the .pub text. docs/FORMAT.md "Identities and keys".
#include <algorithm>

#include "common/proto_util.h"
#include "crypto/domains.h"
#include "custos/v1/identity.pb.h"
#include "io/files.h"
#include "keys/armor.h"
#include "keys/identity_internal.h"

namespace custos {
namespace {

Error Malformed(const std::string& why) {
  return Error(ErrorCode::kCorrupt, "identity is malformed: " + why);
}

bool HasControlChar(std::string_view s) {
  return std::any_of(s.begin(), s.end(),
                     [](char c) { return static_cast<unsigned char>(c) < 0x20 || c == 0x7f; });
}

}  // namespace

namespace keys {

Fingerprint ComputeFingerprint(std::span<const std::uint8_t, 32> ed25519_pk,
                               std::span<const std::uint8_t, 32> x25519_pk) {
  std::array<std::uint8_t, 64> both{};
  std::copy(ed25519_pk.begin(), ed25519_pk.end(), both.begin());
  std::copy(x25519_pk.begin(), x25519_pk.end(), both.begin() + 32);
  return crypto::DomainHash(domain::kHashFingerprint, both);
}

Status ValidateInfo(const IdentityInfo& info) {
  auto text = [](std::string_view field, const std::string& v, bool required) -> Status {
    if (required && v.empty()) return Error(ErrorCode::kUsage, "the " + std::string(field) + " is empty");
    if (v.size() > kMaxTextField)
      return Error(ErrorCode::kUsage, "the " + std::string(field) + " is longer than " +
                                          std::to_string(kMaxTextField) + " bytes");
    if (HasControlChar(v))
      return Error(ErrorCode::kUsage, "the " + std::string(field) + " contains a control character");
    return Ok();
  };
  CUSTOS_TRY(text("name", info.name, true));
  CUSTOS_TRY(text("organisation", info.organisation, false));
  CUSTOS_TRY(text("role", info.role, false));
  CUSTOS_TRY(text("e-mail address", info.email, false));
  if (!info.country.empty() && !IsIsoCountryCode(info.country))
    return Error(ErrorCode::kUsage,
                 "'" + info.country.substr(0, 20) + "' is not an ISO 3166-1 alpha-2 country code",
                 "use the two capital letters of the country, e.g. SI, NL, DE");
  if (!info.email.empty() &&
      (std::count(info.email.begin(), info.email.end(), '@') != 1 ||
       info.email.find(' ') != std::string::npos || info.email.front() == '@' ||
       info.email.back() == '@'))
    return Error(ErrorCode::kUsage, "'" + info.email + "' is not an e-mail address");
  if (info.created < 0) return Error(ErrorCode::kUsage, "the creation time is before 1970");
  if (info.expires != 0 && info.expires <= info.created)
    return Error(ErrorCode::kUsage, "the expiry date is not after the creation date");
  return Ok();
}

std::string BuildSignedIdentity(const IdentityInfo& info, const crypto::SigningKey& signer,
                                const std::array<std::uint8_t, 32>& x25519_pk) {
  v1::Identity id;
  id.set_format_version(1);
  id.set_name(info.name);
  id.set_organisation(info.organisation);
  id.set_country(info.country);
  id.set_role(info.role);
  id.set_email(info.email);
  id.mutable_created()->set_seconds(info.created);
  if (info.expires != 0) id.mutable_expires()->set_seconds(info.expires);
  id.set_ed25519_public_key(std::string(crypto::AsChars(signer.public_key)));
  id.set_x25519_public_key(std::string(crypto::AsChars(x25519_pk)));
  const std::string body = SerializeForSigning(id);
  const auto sig = crypto::Sign(signer, domain::kSigIdentity, crypto::AsBytes(body));
  v1::SignedIdentity signed_id;
  signed_id.set_identity(body);
  signed_id.set_self_signature(std::string(crypto::AsChars(sig)));
  return SerializeForSigning(signed_id);
}

}  // namespace keys

Result<PublicIdentity> PublicIdentity::FromSignedBytes(std::span<const std::uint8_t> bytes) {
  v1::SignedIdentity signed_id;
  CUSTOS_TRY(ParseCanonical(bytes, keys::kMaxSignedIdentity, signed_id, "signed identity"));
  v1::Identity id;
  CUSTOS_TRY(ParseStrict(crypto::AsBytes(signed_id.identity()), keys::kMaxSignedIdentity, id,
                         "identity"));
  if (id.format_version() != 1)
    return Malformed("format version " + std::to_string(id.format_version()) + " is not 1");
  const auto ed = crypto::AsBytes(id.ed25519_public_key());
  const auto x = crypto::AsBytes(id.x25519_public_key());
  if (ed.size() != 32 || !crypto::Ed25519PublicKeyValid(ed))
    return Malformed("the Ed25519 public key is not a valid key");
  if (x.size() != 32 || !crypto::X25519PublicKeyValid(x))
    return Malformed("the X25519 public key is not a valid key");
  if (!crypto::Verify(ed, domain::kSigIdentity, crypto::AsBytes(signed_id.identity()),
                      crypto::AsBytes(signed_id.self_signature())))
    return Error(ErrorCode::kBadSignature,
                 "self-signature invalid: the identity was altered or is not signed by its own key");
  if (!id.has_created()) return Malformed("no creation time");
  PublicIdentity out;
  out.info_ = IdentityInfo{id.name(),    id.organisation(),       id.country(), id.role(),
                           id.email(),   id.created().seconds(),
                           id.has_expires() ? id.expires().seconds() : 0};
  if (auto st = keys::ValidateInfo(out.info_); !st.ok()) return Malformed(st.error().message());
  std::copy(ed.begin(), ed.end(), out.ed25519_.begin());
  std::copy(x.begin(), x.end(), out.x25519_.begin());
  out.fingerprint_ = keys::ComputeFingerprint(out.ed25519_, out.x25519_);
  out.signed_bytes_.assign(crypto::AsChars(bytes));
  return out;
}

Result<PublicIdentity> PublicIdentity::Parse(std::string_view text, const std::string& what) {
  if (text.size() > keys::kMaxPubFile)
    return Error(ErrorCode::kLimitExceeded, what + ": larger than the limit of " +
                                                std::to_string(keys::kMaxPubFile) + " bytes");
  std::string b64(text.size(), '\0');
  CUSTOS_ASSIGN_OR_RETURN(std::size_t n, keys::Dearmor(text, keys::kPublicLabel, what, b64));
  b64.resize(n);
  auto bytes = crypto::Base64Decode(b64);
  if (!bytes.ok()) return Error(ErrorCode::kCorrupt, what + ": garbled armor: invalid base64");
  auto id = FromSignedBytes(*bytes);
  if (!id.ok()) return id.error().Wrap(what);
  return id;
}

Result<PublicIdentity> PublicIdentity::Load(const std::string& path) {
  CUSTOS_ASSIGN_OR_RETURN(auto bytes, io::ReadFileLimited(path, keys::kMaxPubFile));
  return Parse(crypto::AsChars(bytes), path);
}

std::string PublicIdentity::DisplayName() const {
  std::string where = info_.organisation;
  if (!info_.country.empty()) where += (where.empty() ? "" : ", ") + info_.country;
  return where.empty() ? info_.name : info_.name + " (" + where + ")";
}

std::string PublicIdentity::ArmoredText() const {
  std::string comments = "# custos public identity\n# name: " + info_.name + "\n";
  if (!info_.organisation.empty()) comments += "# organisation: " + info_.organisation + "\n";
  if (!info_.country.empty()) comments += "# country: " + info_.country + "\n";
  comments += "# fingerprint: " + FormatFingerprint(fingerprint_) + "\n";
  return keys::Armor(comments, keys::kPublicLabel,
                     crypto::Base64Encode(crypto::AsBytes(signed_bytes_)));
}

std::string PublicIdentity::ToJson() const {
  v1::SignedIdentity signed_id;
  v1::Identity id;
  // Both parses succeeded when this object was built from the same bytes.
  (void)signed_id.ParseFromString(signed_bytes_);
  (void)id.ParseFromString(signed_id.identity());
  return "{\"fingerprint\":\"" + FormatFingerprint(fingerprint_) +
         "\",\"identity\":" + custos::ToJson(id) + "}";
}

bool PublicIdentity::Verify(std::string_view domain, std::span<const std::uint8_t> body,
                            std::span<const std::uint8_t> signature) const {
  return crypto::Verify(ed25519_, domain, body, signature);
}

bool PublicIdentity::is_example() const { return IsExampleFingerprint(fingerprint_); }

}  // namespace custos
