#include "bundle/manifest.h"


#include <google/protobuf/io/coded_stream.h>
#include <google/protobuf/io/zero_copy_stream_impl_lite.h>
#include <google/protobuf/wire_format_lite.h>
#include <sodium.h>

#include "bundle/limits.h"
#include "bundle/safe_path.h"
#include "common/proto_util.h"
#include "common/time_util.h"
#include "crypto/domains.h"

namespace custos::bundle {

namespace {


Status CheckText(const std::string& value, const char* what) {
  if (value.size() > kMaxTextField)
    return Error(ErrorCode::kUsage, std::string(what) + " is longer than " +
                                        std::to_string(kMaxTextField) + " bytes");
  return Ok();
}

Status CheckState(const std::string& code, const char* what) {
  if (!code.empty() && !IsIsoCountryCode(code))
    return Error(ErrorCode::kUsage, std::string(what) + " '" + code +
                                        "' is not an ISO 3166-1 alpha-2 country code",
                 "use a two-letter code such as SI or NL");
  return Ok();
}

Result<v1::Direction> ParseDirection(const std::string& d) {
  if (d.empty()) return v1::DIRECTION_UNSPECIFIED;
  if (d == "request") return v1::DIRECTION_REQUEST;
  if (d == "execution") return v1::DIRECTION_EXECUTION;
  if (d == "spontaneous") return v1::DIRECTION_SPONTANEOUS;
  return Error(ErrorCode::kUsage, "direction '" + d + "' is not one of request, execution, spontaneous");
}

Status FillCase(const CaseInfo& c, v1::CaseMetadata* m) {
  if (c.case_reference.empty())
    return Error(ErrorCode::kUsage, "a case reference is required", "pass --case REF");
  CUSTOS_TRY(CheckState(c.requesting_state, "requesting state"));
  CUSTOS_TRY(CheckState(c.requested_state, "requested state"));
  CUSTOS_ASSIGN_OR_RETURN(v1::Direction dir, ParseDirection(c.direction));
  for (const std::string* s : {&c.case_reference, &c.other_case_reference, &c.request_reference,
                               &c.legal_basis, &c.offence, &c.purpose, &c.confidentiality,
                               &c.data_protection, &c.description, &c.note})
    CUSTOS_TRY(CheckText(*s, "a case metadata value"));
  if (c.use_limitations.size() > 64) return Error(ErrorCode::kUsage, "more than 64 use limitations");
  m->set_requesting_state(c.requesting_state);
  m->set_requested_state(c.requested_state);
  m->set_direction(dir);
  m->set_case_reference(c.case_reference);
  m->set_other_case_reference(c.other_case_reference);
  m->set_request_reference(c.request_reference);
  m->set_legal_basis(c.legal_basis);
  m->set_offence(c.offence);
  m->set_purpose(c.purpose);
  for (const auto& u : c.use_limitations) {
    CUSTOS_TRY(CheckText(u, "a use limitation"));
    m->add_use_limitations(u);
  }
  m->set_confidentiality(c.confidentiality);
  m->set_data_protection(c.data_protection);
  m->set_description(c.description);
  m->set_note(c.note);
  return Ok();
}

}  // namespace

std::size_t ConditionsBytes(const v1::CaseMetadata& c) {
  std::size_t n = c.confidentiality().size() + c.data_protection().size();
  for (const auto& u : c.use_limitations()) n += u.size();
  return n;
}

Result<v1::Manifest> BuildManifest(const SecretIdentity& sender,
                                   const std::vector<PublicIdentity>& recipients,
                                   const CaseInfo& case_info, std::size_t count,
                                   const std::function<ManifestEntryInput(std::size_t)>& entry) {
  if (count > kMaxEntries)
    return Error(ErrorCode::kLimitExceeded,
                 "these " + std::to_string(count) + " files and directories are more than one bundle may list (" +
                     std::to_string(kMaxEntries) + ")",
                 "seal the evidence in several bundles");
  v1::Manifest m;
  m.set_format_version(1);
  std::uint8_t id[16];
  crypto::RandomBytes(id);
  m.set_bundle_id(id, sizeof id);
  m.mutable_created()->set_seconds(NowUnix());
  v1::SignedIdentity* si = m.mutable_sender();
  if (!si->ParseFromString(sender.public_identity().signed_bytes()))
    return Error(ErrorCode::kInternal, "sender identity does not re-parse");
  if (recipients.empty() || recipients.size() > kMaxRecipients)
    return Error(ErrorCode::kUsage, "between 1 and " + std::to_string(kMaxRecipients) +
                                        " recipients are needed", "pass -r RECIPIENT.pub");
  for (const auto& r : recipients) {
    v1::Recipient* out = m.add_recipients();
    out->set_fingerprint(r.fingerprint().data(), r.fingerprint().size());
    out->set_name(r.name());
    out->set_organisation(r.organisation());
    out->set_country(r.country());
  }
  CUSTOS_TRY(FillCase(case_info, m.mutable_case_metadata()));
  if (std::size_t n = ConditionsBytes(m.case_metadata()); n > kMaxConditionsBytes)
    return Error(ErrorCode::kUsage,
                 "the use limitations and conditions are " + std::to_string(n) +
                     " bytes together, over the limit of " + std::to_string(kMaxConditionsBytes),
                 "the receiver records them in one custody event; shorten them or refer to a "
                 "document by its reference");
  if (!case_info.supersedes.empty()) {
    auto sup = crypto::FromHex(case_info.supersedes);
    if (!sup.ok() || sup->size() != 16)
      return Error(ErrorCode::kUsage, "--supersedes must be a bundle id of 32 hex digits");
    m.set_supersedes(sup->data(), sup->size());
  }
  m.set_tool("custos 0.1.0");
  m.mutable_entries()->Reserve(static_cast<int>(count));
  for (std::size_t i = 0; i < count; ++i) {
    ManifestEntryInput e = entry(i);
    v1::Entry* out = m.add_entries();
    if (e.is_dir) {
      auto* d = out->mutable_directory();
      d->set_path(std::move(e.path));
      d->set_mode(e.mode & 0777);
      d->set_mtime(e.mtime);
    } else {
      auto* f = out->mutable_file();
      f->set_path(std::move(e.path));
      f->set_size(e.size);
      f->set_mode(e.mode & 0777);
      f->set_mtime(e.mtime);
    }
  }
  std::uint64_t bytes = 0, files = 0, dirs = 0;
  CUSTOS_TRY(CheckEntries(m, &bytes, &files, &dirs));
  return m;
}

Result<v1::Manifest> BuildManifest(const SecretIdentity& sender,
                                   const std::vector<PublicIdentity>& recipients,
                                   const CaseInfo& case_info,
                                   std::vector<ManifestEntryInput> entries) {
  return BuildManifest(sender, recipients, case_info, entries.size(),
                       [&](std::size_t i) { return std::move(entries[i]); });
}

SignedBody SignManifest(const SecretIdentity& sender, const v1::Manifest& manifest) {
  // The canonical SignedManifest is field 1 (the body) then field 2 (the
  // signature), so it is written into one buffer with the body in place:
  // the body (~50 bytes a file) exists once. A unit test holds this to
  // protobuf's own encoding, and the reader accepts nothing else.
  SignedBody out;
  std::string& w = out.wrapper;
  const std::size_t n = manifest.ByteSizeLong();
  w.reserve(n + 16 + crypto_sign_BYTES);
  {
    google::protobuf::io::StringOutputStream sos(&w);  // appends
    google::protobuf::io::CodedOutputStream cos(&sos);
    cos.SetSerializationDeterministic(true);
    cos.WriteTag(google::protobuf::internal::WireFormatLite::MakeTag(
        v1::SignedManifest::kManifestFieldNumber,
        google::protobuf::internal::WireFormatLite::WIRETYPE_LENGTH_DELIMITED));
    cos.WriteVarint64(n);
    manifest.SerializeWithCachedSizes(&cos);
    cos.Trim();
  }
  const std::size_t at = w.size() - n;
  const std::span<const std::uint8_t> body(reinterpret_cast<const std::uint8_t*>(w.data()) + at, n);
  auto sig = sender.Sign(domain::kSigManifest, body);
  out.hash = crypto::DomainHash(domain::kHashManifest, body);
  w.push_back(static_cast<char>(google::protobuf::internal::WireFormatLite::MakeTag(
      v1::SignedManifest::kSignatureFieldNumber,
      google::protobuf::internal::WireFormatLite::WIRETYPE_LENGTH_DELIMITED)));
  static_assert(sizeof sig < 128);  // one-byte length
  w.push_back(static_cast<char>(sizeof sig));
  w.append(reinterpret_cast<const char*>(sig.data()), sig.size());
  return out;
}

Status CheckEntries(const v1::Manifest& m, std::uint64_t* payload_bytes, std::uint64_t* files,
                    std::uint64_t* dirs) {
  if (static_cast<std::size_t>(m.entries_size()) > kMaxEntries)
    return Error(ErrorCode::kLimitExceeded, "manifest lists more than " +
                                                std::to_string(kMaxEntries) + " entries");
  // One trie of the paths serves both checks: collisions, and that every
  // entry's directory was listed before it.
  CollisionDetector collisions;
  CUSTOS_TRY(collisions.Add("data", /*is_dir=*/true));
  *payload_bytes = *files = *dirs = 0;
  for (const v1::Entry& e : m.entries()) {
    const bool is_dir = e.has_directory();
    if (!is_dir && !e.has_file()) return Error(ErrorCode::kCorrupt, "manifest has an empty entry");
    const std::string& path = is_dir ? e.directory().path() : e.file().path();
    const std::uint32_t mode = is_dir ? e.directory().mode() : e.file().mode();
    CUSTOS_TRY(CheckSafePath(path));
    if (path.rfind("data/", 0) != 0)
      return Error(ErrorCode::kUnsafePath,
                   "manifest entry '" + EscapeForDisplay(path) + "' is not under data/");
    if ((mode & ~0777u) != 0)
      return Error(ErrorCode::kCorrupt,
                   "manifest entry '" + EscapeForDisplay(path) + "' has a mode beyond 0777");
    bool parent_listed = false;
    CUSTOS_TRY(collisions.Add(path, is_dir, &parent_listed));
    if (!parent_listed)
      return Error(ErrorCode::kCorrupt, "manifest entry '" + EscapeForDisplay(path) +
                                            "' comes before its directory");
    if (is_dir) {
      ++*dirs;
    } else {
      if (e.file().size() > (1ull << 62) - *payload_bytes)
        return Error(ErrorCode::kLimitExceeded, "manifest sizes add up beyond 2^62 bytes");
      *payload_bytes += e.file().size();
      ++*files;
    }
  }
  return Ok();
}

std::string RecipientNames(const v1::Manifest& m) {
  std::string out;
  for (const auto& r : m.recipients()) {
    if (!out.empty()) out += ", ";
    std::array<std::uint8_t, 32> fp{};
    if (r.fingerprint().size() == fp.size()) std::memcpy(fp.data(), r.fingerprint().data(), 32);
    out += "'" + EscapeForDisplay(r.name()) + "' (" + ShortFingerprint(fp) + ")";
  }
  return out;
}

}  // namespace custos::bundle
