// The BagIt tag files of a bundle, derived entirely from the signed manifest
// and the streamed file hashes (FORMAT.md §5.4). The sealer writes exactly
// these bytes; the reader rebuilds them and requires byte equality.
#pragma once

#include <string>
#include <vector>

#include "crypto/crypto.h"
#include "custos/keys.h"
#include "custos/v1/manifest.pb.h"

namespace custos::bundle {

struct TagFile {
  std::string name;      // "bagit.txt", "bag-info.txt", "manifest-sha256.txt", "tagmanifest-sha256.txt"
  std::string content;
};

// In member order. `sender` is the sender's identity (Source-Organization).
std::vector<TagFile> BuildTagFiles(const v1::Manifest& manifest, const PublicIdentity& sender,
                                   const std::vector<crypto::Digest>& file_hashes);

// The largest a tag file may be for a manifest (checked before reading it).
std::size_t TagFileLimit(const std::string& name);

}  // namespace custos::bundle
