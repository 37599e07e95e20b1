// lib/src/bundle/bag — the BagIt tag files (RFC 8493), written and parsed.
// docs/FORMAT.md "Paths and the bag". Size limits live in bundle/limits.h
// (kMaxBagitTxtBytes, kMaxBagInfoBytes, kMaxManifestTxtBytes,
// kMaxTagManifestBytes).
//
// Every function here is pure: bytes in, bytes out. The files, exactly:
//
//   bagit.txt                 "BagIt-Version: 1.0\n"
//                             "Tag-File-Character-Encoding: UTF-8\n"
//   bag-info.txt              "<Label>: <value>\n", continuation lines begin
//                             with a space or tab (RFC 8493 §2.2.2)
//   manifest-sha256.txt       "<64 lowercase hex>  <encoded path>\n" per file
//   tagmanifest-sha256.txt    the same over bagit.txt, bag-info.txt,
//                             manifest-sha256.txt (in that order)
//
// Line endings are LF only. A bag never has fetch.txt: the reader refuses any
// member that is not in its list of expected members, so a fetch.txt (or any
// other tag file) fails verification rather than being ignored.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "bundle/limits.h"
#include "crypto/crypto.h"
#include "custos/error.h"

namespace custos::bundle {

// Lines of bag-info.txt are folded to at most this many bytes where a value
// has whitespace to break at (RFC 8493 §2.2.2 recommends 79).
constexpr std::size_t kBagInfoLineBytes = 79;

std::string BagitTxt();

// What bag-info.txt carries. Values are free text from the sender; empty
// optional fields are left out.
struct BagInfo {
  std::string source_organization;       // Source-Organization
  std::string external_identifier;       // External-Identifier: the case reference
  std::int64_t bagging_time = 0;         // Bagging-Date: YYYY-MM-DD of this UTC time
  std::uint64_t payload_octets = 0;      // Payload-Oxum: <octets>.<file count>
  std::uint64_t payload_files = 0;
  std::string bundle_id;                 // Custos-Bundle-Id (hex)
  std::string request_reference;         // Custos-Request-Reference
  std::vector<std::string> use_limitations;  // one Custos-Use-Limitation line each
  std::string confidentiality;           // Custos-Confidentiality
  std::string sender_fingerprint;        // Custos-Sender-Fingerprint
};

// The value as bag-info.txt stores it: invalid UTF-8 bytes become U+FFFD,
// control characters (C0, DEL, C1, so CR and LF) and U+2028/2029 become a
// space, and leading/trailing spaces are trimmed. So a newline in a value can
// never start a new label. The signed manifest keeps the exact text; a reader
// comparing External-Identifier compares with SanitizeTagValue(case ref).
std::string SanitizeTagValue(std::string_view value);

// bag-info.txt, labels in this order: Source-Organization, External-Identifier,
// Bagging-Date, Payload-Oxum, Custos-Bundle-Id, Custos-Request-Reference,
// Custos-Use-Limitation…, Custos-Confidentiality, Custos-Sender-Fingerprint.
// A field whose sanitised value is empty is left out (Bagging-Date and
// Payload-Oxum are always present). A line longer than kBagInfoLineBytes is
// folded before a space or tab, which starts the continuation line; removing
// each LF that precedes a space or tab restores the value exactly. A value
// without whitespace is never broken, so its line may be longer.
std::string BagInfoTxt(const BagInfo& info);

// A path in a manifest: "%" -> "%25", CR -> "%0D", LF -> "%0A" (RFC 8493
// §2.1.3); every other byte as is.
std::string EncodeManifestPath(std::string_view path);

using ManifestEntries = std::vector<std::pair<std::string, crypto::Digest>>;

// manifest-sha256.txt for (path under data/, SHA-256) pairs, in the order given
// (the signed manifest's order; the sealer and the reader both pass it).
std::string ManifestSha256(const ManifestEntries& entries);
// One line of it ("<hex>  <encoded path>\n") appended to *out.
void AppendManifestLine(std::string* out, std::string_view path, const crypto::Digest& digest);

// tagmanifest-sha256.txt over the three other tag files.
std::string TagManifestSha256(std::string_view bagit_txt, std::string_view bag_info_txt,
                              std::string_view manifest_sha256_txt);

// Parses exactly the format ManifestSha256 writes (also for the tag manifest,
// with `what` naming it): kLimitExceeded if text.size() > limit; kCorrupt for
// anything else: a missing final LF, a CR, a digest that is not 64 lowercase
// hex digits, a separator other than two spaces, an empty path, a "%" not
// followed by 25, 0D or 0A. Paths are returned decoded, in file order; they
// are NOT checked with CheckSafePath — the reader compares them with the
// signed manifest's (or, simpler and stricter, compares the whole text with
// ManifestSha256 of what it expects).
Result<ManifestEntries> ParseManifestSha256(std::string_view text, std::size_t limit,
                                            std::string_view what = "manifest-sha256.txt");

struct BagInfoFields {
  std::vector<std::pair<std::string, std::string>> tags;  // unfolded, in order
  std::uint64_t payload_octets = 0;
  std::uint64_t payload_files = 0;
  std::string external_identifier;
};

// Parses bag-info.txt (at most kMaxBagInfoBytes, else kLimitExceeded): valid
// UTF-8, LF line endings, every line "Label: value" or a continuation line
// (leading space or tab) after one; no empty lines. Exactly one Payload-Oxum
// ("<octets>.<count>", decimal, no leading zeros, fits in 64 bits) and exactly
// one External-Identifier are required. Anything else is kCorrupt naming the
// line.
Result<BagInfoFields> ParseBagInfo(std::string_view text);

}  // namespace custos::bundle
