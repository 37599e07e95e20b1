// Reading a bundle: every check of docs/FORMAT.md "What the reader checks", in
// stream order, with one pass over the file (FORMAT.md §6). `verify` runs it
// with no sink; `open` passes a sink that writes into a staging directory.
#pragma once

#include <string>
#include <vector>

#include "bundle/manifest.h"
#include "bundle/tags.h"
#include "common/stream.h"
#include "custody/log.h"
#include "custos/open.h"

namespace custos::bundle {

// Receives what the reader has checked so far. Nothing reaches a sink before
// the manifest verified; the caller must discard everything unless ReadBundle
// returns success.
class ExtractSink {
 public:
  virtual ~ExtractSink() = default;
  virtual Status OnManifest(const VerifiedManifest& manifest) = 0;
  virtual Status MakeDirectory(const v1::DirectoryEntry& dir) = 0;
  virtual Status BeginFile(const v1::FileEntry& file) = 0;
  virtual Status FileData(std::span<const std::uint8_t> data) = 0;
  virtual Status EndFile() = 0;
  virtual Status CustodyData(std::span<const std::uint8_t> data) = 0;
  // A verified member of the bundle's metadata, as read: custos/manifest.pb
  // (right after OnManifest), each tag file, custos/seal.pb. Written out as
  // it verifies, so the reader holds none of them (~200 bytes a file
  // together) to the end.
  virtual Status MetadataFile(const std::string& name, std::span<const std::uint8_t> bytes) = 0;
  // Every evidence file has been handed over (after the last EndFile); the
  // tag files, the custody log and the seal follow.
  virtual Status EntriesDone() { return Ok(); }
};

struct ReadOutcome {
  VerifiedManifest manifest;
  std::string seal_member;       // SignedSeal bytes as read (without a sink)
  crypto::Digest seal_hash{};
  custody::Tail custody_tail;
  crypto::Digest bundle_sha256{};
  std::uint64_t bundle_size = 0;
  bool transport_checked = false;
  std::vector<crypto::Digest> file_hashes;  // manifest order, files only
  std::vector<std::string> warnings;
};

Result<ReadOutcome> ReadBundle(const ReadOptions& opts, ExtractSink* sink);

// For fuzzing and tests: the reader's checks over an already decrypted payload
// (zstd frames of the tar), as `receiver` with the senders in `from` trusted
// (example keys allowed). No age layer, no file size or transport checks.
Result<ReadOutcome> ReadPayloadForTesting(ByteSource& decrypted_payload, const Fingerprint& receiver,
                                          const std::vector<PublicIdentity>& from);

// The JSON VerifyReport and human summary of a successful read.
void FillReport(const ReadOutcome& r, const ReadOptions& opts, BundleReport* out);

}  // namespace custos::bundle
