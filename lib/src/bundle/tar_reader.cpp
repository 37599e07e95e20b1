#include "bundle/tar_reader.h"

#include <archive_entry.h>

#include <algorithm>
#include <cerrno>
#include <cstring>

#include "bundle/limits.h"
#include "bundle/utf8_locale.h"
#include "crypto/domains.h"

namespace custos::bundle {

namespace {
constexpr std::size_t kBlockSize = 128 * 1024;
std::uint64_t Pad512(std::uint64_t n) { return (n + 511) / 512 * 512; }
}  // namespace

TarReader::TarReader(ByteSource& in)
    : in_(in), transcript_(crypto::DomainHasher(domain::kHashTarTranscript)) {}

TarReader::~TarReader() {
  if (a_ != nullptr) archive_read_free(a_);
}

Result<std::unique_ptr<TarReader>> TarReader::Create(ByteSource& in, std::uint64_t budget) {
  Utf8LocaleScope utf8;
  std::unique_ptr<TarReader> r(new TarReader(in));
  r->budget_ = budget;
  r->a_ = archive_read_new();
  if (r->a_ == nullptr) return Error(ErrorCode::kInternal, "libarchive: out of memory");
  // tar only: no filters, no other formats, never archive_write_disk.
  if (archive_read_support_format_tar(r->a_) != ARCHIVE_OK ||
      archive_read_open(r->a_, r.get(), nullptr, &TarReader::ReadCallback, nullptr) != ARCHIVE_OK) {
    if (!r->source_status_.ok()) return r->source_status_.error();
    return Error(ErrorCode::kCorrupt, std::string("payload is not a tar archive: ") +
                                          std::string(archive_error_string(r->a_) ? archive_error_string(r->a_) : "unknown error"));
  }
  return r;
}

la_ssize_t TarReader::ReadCallback(struct archive* a, void* self, const void** buf) {
  auto* r = static_cast<TarReader*>(self);
  r->ReleaseBlocks();
  if (r->source_eof_) return 0;
  if (r->delivered_ >= r->budget_) {
    r->source_status_ = Error(ErrorCode::kLimitExceeded,
                              "payload is larger than its signed manifest allows (" +
                                  std::to_string(r->budget_) + " bytes)");
    archive_set_error(a, EFBIG, "budget exceeded");
    return -1;
  }
  std::vector<std::uint8_t> bytes;
  if (!r->pool_.empty()) {
    bytes = std::move(r->pool_.back());
    r->pool_.pop_back();
  }
  std::size_t want = static_cast<std::size_t>(
      std::min<std::uint64_t>(kBlockSize, r->budget_ - r->delivered_));
  bytes.resize(kBlockSize);
  std::size_t got = 0;
  while (got < want) {
    auto n = r->in_.Read({bytes.data() + got, want - got});
    if (!n.ok()) {
      r->source_status_ = std::move(n).error();
      archive_set_error(a, EIO, "source failed");
      return -1;
    }
    if (*n == 0) {
      r->source_eof_ = true;
      break;
    }
    got += *n;
  }
  if (got == 0) {
    r->pool_.push_back(std::move(bytes));
    return 0;
  }
  bytes.resize(got);
  r->blocks_.push_back(Block{r->delivered_, std::move(bytes)});
  r->delivered_ += got;
  *buf = r->blocks_.back().bytes.data();
  return static_cast<la_ssize_t>(got);
}

// Blocks wholly before keep_from_ are no longer needed, except the last one,
// which libarchive may still be reading.
void TarReader::ReleaseBlocks() {
  while (blocks_.size() > 1 &&
         blocks_.front().start + blocks_.front().bytes.size() <= keep_from_) {
    pool_.push_back(std::move(blocks_.front().bytes));
    blocks_.pop_front();
  }
  if (pool_.size() > 4) pool_.resize(4);
}

std::uint64_t TarReader::Consumed() {
  return static_cast<std::uint64_t>(archive_filter_bytes(a_, 0));
}

void TarReader::HashUpTo(std::uint64_t end) {
  if (!transcript_active_ || end <= transcript_pos_) return;
  for (const Block& b : blocks_) {
    std::uint64_t b_end = b.start + b.bytes.size();
    if (b_end <= transcript_pos_ || b.start >= end) continue;
    std::uint64_t from = std::max(b.start, transcript_pos_);
    std::uint64_t to = std::min(b_end, end);
    transcript_.Update(std::span<const std::uint8_t>(b.bytes).subspan(
        static_cast<std::size_t>(from - b.start), static_cast<std::size_t>(to - from)));
    transcript_pos_ = to;
  }
  keep_from_ = transcript_pos_;
}

Error TarReader::Fail(const std::string& what) {
  if (!source_status_.ok()) return source_status_.error();
  const char* msg = archive_error_string(a_);
  return Error(ErrorCode::kCorrupt,
               "payload tar is malformed: " + what + (msg ? std::string(": ") + msg : ""));
}

Result<std::optional<TarMember>> TarReader::Next() {
  Utf8LocaleScope utf8;
  if (at_end_) return std::optional<TarMember>();
  int rc = archive_read_next_header(a_, &entry_);
  if (rc == ARCHIVE_EOF) {
    at_end_ = true;
    return std::optional<TarMember>();
  }
  if (rc != ARCHIVE_OK) return Fail("bad member header");
  TarMember m;
  m.header_pos = static_cast<std::uint64_t>(archive_read_header_position(a_));
  m.data_pos = Consumed();
  const char* path = archive_entry_pathname_utf8(entry_);
  if (path == nullptr) return Fail("a member name is not valid UTF-8");
  m.path = path;
  m.type = archive_entry_filetype(entry_);
  la_int64_t size = archive_entry_size(entry_);
  if (size < 0 || !archive_entry_size_is_set(entry_)) return Fail("a member has no size");
  m.size = static_cast<std::uint64_t>(size);
  m.perm = archive_entry_perm(entry_) & 07777;
  m.mtime = archive_entry_mtime(entry_);
  m.mtime_nsec = archive_entry_mtime_nsec(entry_);
  m.has_link = archive_entry_hardlink(entry_) != nullptr || archive_entry_symlink(entry_) != nullptr;
  unsigned long set = 0, clear = 0;
  archive_entry_fflags(entry_, &set, &clear);
  m.has_extras = archive_entry_xattr_count(entry_) != 0 ||
                 archive_entry_acl_count(entry_, ARCHIVE_ENTRY_ACL_TYPE_ACCESS |
                                                     ARCHIVE_ENTRY_ACL_TYPE_DEFAULT |
                                                     ARCHIVE_ENTRY_ACL_TYPE_NFS4) != 0 ||
                 archive_entry_sparse_count(entry_) != 0 || set != 0 || clear != 0;
  if (m.data_pos < m.header_pos || m.data_pos - m.header_pos > kPerMemberOverhead)
    return Error(ErrorCode::kLimitExceeded, "payload tar member header of '" + m.path +
                                                "' is larger than the limit");
  // Only up to this member's header: if it is the seal, the transcript ends
  // here; otherwise its header is hashed by the next step.
  HashUpTo(m.header_pos);
  current_ = m;
  content_read_ = 0;
  last_member_end_ = m.data_pos + Pad512(m.size);
  return std::optional<TarMember>(std::move(m));
}

void TarReader::ExcludeCurrentContent() {
  if (!transcript_active_) return;
  HashUpTo(current_.data_pos);
  transcript_pos_ = current_.data_pos + current_.size;
  keep_from_ = transcript_pos_;
}

Result<std::span<const std::uint8_t>> TarReader::ReadBlock() {
  Utf8LocaleScope utf8;
  if (content_read_ >= current_.size) return std::span<const std::uint8_t>();
  const void* buf = nullptr;
  size_t len = 0;
  la_int64_t offset = 0;
  int rc = archive_read_data_block(a_, &buf, &len, &offset);
  if (rc == ARCHIVE_EOF || (rc == ARCHIVE_OK && len == 0))
    return Error(ErrorCode::kCorrupt, "payload is truncated inside member '" + current_.path + "'");
  if (rc != ARCHIVE_OK) return Fail("reading '" + current_.path + "'");
  if (offset < 0 || static_cast<std::uint64_t>(offset) != content_read_ ||
      len > current_.size - content_read_)
    return Error(ErrorCode::kCorrupt, "payload member '" + current_.path + "' is not contiguous");
  content_read_ += len;
  // Non-evidence content is hashed as it is read (HashUpTo is a no-op inside
  // excluded evidence), so no member's content is retained.
  if (transcript_active_) HashUpTo(current_.data_pos + content_read_);
  else keep_from_ = std::max(keep_from_, current_.data_pos + content_read_);
  return std::span<const std::uint8_t>(static_cast<const std::uint8_t*>(buf), len);
}

std::vector<std::uint8_t> TarReader::CurrentHeaderBytes() const {
  std::vector<std::uint8_t> out;
  for (const Block& b : blocks_) {
    std::uint64_t b_end = b.start + b.bytes.size();
    if (b_end <= current_.header_pos || b.start >= current_.data_pos) continue;
    std::uint64_t from = std::max(b.start, current_.header_pos);
    std::uint64_t to = std::min(b_end, current_.data_pos);
    out.insert(out.end(), b.bytes.begin() + static_cast<std::ptrdiff_t>(from - b.start),
               b.bytes.begin() + static_cast<std::ptrdiff_t>(to - b.start));
  }
  return out;
}

crypto::Digest TarReader::FinishTranscriptAtCurrentHeader() {
  HashUpTo(current_.header_pos);
  transcript_active_ = false;
  keep_from_ = current_.header_pos;
  return transcript_.Finish();
}

Status TarReader::CheckTrailer() {
  const std::uint64_t start = last_member_end_;
  const std::uint64_t min_end = start + 2 * kTarBlock;
  const std::uint64_t max_end = (min_end + kTarRecord - 1) / kTarRecord * kTarRecord;
  auto not_zero = [] { return Error(ErrorCode::kCorrupt, "payload has data after the end of the tar archive"); };
  // The last member's padding too: no signature covers it (the transcript
  // ends at the seal's header; the seal signs only its own content).
  const std::uint64_t zeros_from = std::min(start, current_.data_pos + current_.size);
  for (const Block& b : blocks_) {
    for (std::size_t i = 0; i < b.bytes.size(); ++i)
      if (b.start + i >= zeros_from && b.bytes[i] != 0) return not_zero();
  }
  std::uint64_t total = delivered_;
  std::vector<std::uint8_t> buf(64 * 1024);
  while (!source_eof_) {
    CUSTOS_ASSIGN_OR_RETURN(std::size_t n, in_.Read(buf));
    if (n == 0) break;
    if (total + n > max_end) return not_zero();
    for (std::size_t i = 0; i < n; ++i)
      if (buf[i] != 0) return not_zero();
    total += n;
  }
  if (total < min_end)
    return Error(ErrorCode::kCorrupt, "payload tar archive is truncated (no end-of-archive blocks)");
  if (total > max_end) return not_zero();
  return Ok();
}

}  // namespace custos::bundle
