#include "bundle/tags.h"

#include "bundle/bag.h"
#include "bundle/limits.h"

namespace custos::bundle {

std::vector<TagFile> BuildTagFiles(const v1::Manifest& m, const PublicIdentity& sender,
                                   const std::vector<crypto::Digest>& file_hashes) {
  BagInfo info;
  info.source_organization = sender.organisation().empty() ? sender.name() : sender.organisation();
  info.external_identifier = m.case_metadata().case_reference();
  info.bagging_time = m.created().seconds();
  info.bundle_id = crypto::Hex(crypto::AsBytes(m.bundle_id()));
  info.request_reference = m.case_metadata().request_reference();
  for (const auto& u : m.case_metadata().use_limitations()) info.use_limitations.push_back(u);
  info.confidentiality = m.case_metadata().confidentiality();
  info.sender_fingerprint = FormatFingerprint(sender.fingerprint());
  // manifest-sha256.txt is written in place, its size reserved once (it is
  // ~100 bytes a file: no second copy of the paths, no doubling slack).
  std::size_t reserve = 0;
  for (const auto& e : m.entries())
    if (e.has_file()) reserve += 64 + 2 + e.file().path().size() + 1;
  std::string manifest_txt;
  manifest_txt.reserve(reserve);
  std::size_t i = 0;
  for (const auto& e : m.entries()) {
    if (!e.has_file()) continue;
    info.payload_octets += e.file().size();
    ++info.payload_files;
    if (i < file_hashes.size()) AppendManifestLine(&manifest_txt, e.file().path(), file_hashes[i]);
    ++i;
  }
  std::vector<TagFile> out;
  out.reserve(4);
  out.push_back({"bagit.txt", BagitTxt()});
  out.push_back({"bag-info.txt", BagInfoTxt(info)});
  out.push_back({"manifest-sha256.txt", std::move(manifest_txt)});
  out.push_back({"tagmanifest-sha256.txt",
                 TagManifestSha256(out[0].content, out[1].content, out[2].content)});
  return out;
}

std::size_t TagFileLimit(const std::string& name) {
  if (name == "bagit.txt") return kMaxBagitTxtBytes;
  if (name == "bag-info.txt") return kMaxBagInfoBytes;
  if (name == "tagmanifest-sha256.txt") return kMaxTagManifestBytes;
  return kMaxManifestTxtBytes;
}

}  // namespace custos::bundle
