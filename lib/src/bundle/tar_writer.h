// The tar stage of sealing: libarchive's pax writer driven through our own
// write callback, so we know which bytes are headers and which are content.
// FORMAT.md §5.2 "The tar transcript".
#pragma once

#include <archive.h>

#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <vector>

#include "common/stream.h"
#include "crypto/crypto.h"

namespace custos::bundle {

// Mode and mtime source of custos's own members (manifest, tag files, log,
// seal): 0644 and the manifest's creation time.
constexpr std::uint32_t kOwnMemberMode = 0644;

// The exact header bytes TarWriter writes for a regular file member (a ustar
// header, preceded by a pax header where ustar cannot hold the values). The
// reader compares the seal member's header with it: the seal's header is the
// one stretch of the tar that the tar transcript cannot cover.
Result<std::vector<std::uint8_t>> CanonicalFileHeader(const std::string& path, std::uint64_t size,
                                                       std::uint32_t mode, std::int64_t mtime);

class TarWriter {
 public:
  // Writes a pax tar stream to `out`, unblocked (each header, content run and
  // padding is handed to the callback as libarchive produces it).
  static Result<std::unique_ptr<TarWriter>> Create(ByteSink& out);
  ~TarWriter();

  Status AddDirectory(const std::string& path, std::uint32_t mode, std::int64_t mtime);
  // Starts a regular file member of `size` bytes. `is_evidence` content is
  // excluded from the transcript (it is hashed per file instead).
  Status BeginFile(const std::string& path, std::uint64_t size, std::uint32_t mode,
                   std::int64_t mtime, bool is_evidence);
  Status WriteData(std::span<const std::uint8_t> data);
  // Fails if fewer or more bytes than announced were written.
  Status EndFile();
  // A small non-evidence member in one call.
  Status AddSmallFile(const std::string& path, std::span<const std::uint8_t> data,
                      std::uint32_t mode, std::int64_t mtime);
  // Ends the transcript (called before the seal member) and returns it:
  // H("custos/v1/tar-transcript", every byte so far except evidence content).
  crypto::Digest FinishTranscript();
  // Writes the end-of-archive blocks.
  Status Close();
  std::uint64_t position() const { return position_; }

 private:
  TarWriter(ByteSink& out);
  static la_ssize_t WriteCallback(struct archive*, void* self, const void* buf, size_t len);
  Status Check(int rc, const std::string& what);
  Status WriteHeader(const std::string& path, unsigned type, std::uint64_t size,
                     std::uint32_t mode, std::int64_t mtime);

  ByteSink& out_;
  struct archive* a_ = nullptr;
  Status sink_status_;
  crypto::Sha256 transcript_;
  bool transcript_active_ = true;
  bool in_evidence_ = false;
  std::uint64_t position_ = 0;
  std::uint64_t remaining_ = 0;
};

}  // namespace custos::bundle
