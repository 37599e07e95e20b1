// The tar stage of opening: libarchive's tar reader fed through our own read
// callback, so that we can (1) bound how many decompressed bytes it may see,
// (2) hash every byte that is not evidence content into the tar transcript
// without a second pass, and (3) check what follows the end of the archive.
// FORMAT.md §5.2.
//
//   offset 0 ............................................. end of stream
//   | hdr | manifest | pad | hdr | evidence... | pad | hdr | ... | seal | 0..0 |
//   \______ transcript _____/     (excluded)    \__ transcript __/
//
// Blocks handed to libarchive are kept until the transcript has passed them,
// so memory is bounded by one member's header plus one non-evidence member.
#pragma once

#include <archive.h>

#include <cstdint>
#include <deque>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "common/stream.h"
#include "crypto/crypto.h"

namespace custos::bundle {

struct TarMember {
  std::string path;          // UTF-8, as stored
  unsigned type = 0;         // AE_IFREG, AE_IFDIR, ...
  std::uint64_t size = 0;
  std::uint32_t perm = 0;    // permission bits including set-id and sticky
  std::int64_t mtime = 0;
  long mtime_nsec = 0;
  bool has_link = false;     // hard or symbolic link target
  bool has_extras = false;   // xattrs, ACLs, sparse map, file flags
  std::uint64_t header_pos = 0;
  std::uint64_t data_pos = 0;
};

class TarReader {
 public:
  static Result<std::unique_ptr<TarReader>> Create(ByteSource& in, std::uint64_t budget);
  ~TarReader();

  // The total number of decompressed bytes libarchive may be given from now on.
  void SetBudget(std::uint64_t total) { budget_ = total; }
  std::uint64_t delivered() const { return delivered_; }

  // The next member, or nullopt at the end of the archive.
  Result<std::optional<TarMember>> Next();
  // Marks the current member's content as evidence: excluded from the transcript.
  void ExcludeCurrentContent();
  // Reads the current member's content; an empty span at its end.
  Result<std::span<const std::uint8_t>> ReadBlock();
  // The current member's raw header bytes (pax and ustar headers before its
  // content); valid only before its content is read.
  std::vector<std::uint8_t> CurrentHeaderBytes() const;
  // Stops the transcript at the current member's header and returns it.
  crypto::Digest FinishTranscriptAtCurrentHeader();
  // After Next() returned nullopt: everything after the last member's padded
  // end must be zeros, at least the two end-of-archive blocks and at most up to
  // the end of the 10240-byte record they fall in; then the stream must end.
  Status CheckTrailer();

 private:
  explicit TarReader(ByteSource& in);
  static la_ssize_t ReadCallback(struct archive*, void* self, const void** buf);
  Error Fail(const std::string& what);
  void HashUpTo(std::uint64_t end);
  void ReleaseBlocks();
  std::uint64_t Consumed();

  struct Block {
    std::uint64_t start = 0;
    std::vector<std::uint8_t> bytes;
  };

  ByteSource& in_;
  struct archive* a_ = nullptr;
  struct archive_entry* entry_ = nullptr;
  Status source_status_;
  std::deque<Block> blocks_;
  std::vector<std::vector<std::uint8_t>> pool_;
  std::uint64_t delivered_ = 0;
  std::uint64_t budget_ = 0;
  bool source_eof_ = false;
  crypto::Sha256 transcript_;
  bool transcript_active_ = true;
  std::uint64_t transcript_pos_ = 0;   // bytes [0, pos) are hashed or excluded
  std::uint64_t keep_from_ = 0;        // blocks ending at or before this can go
  TarMember current_;
  std::uint64_t content_read_ = 0;
  std::uint64_t last_member_end_ = 0;  // padded end of the last member's content
  bool at_end_ = false;
};

}  // namespace custos::bundle
