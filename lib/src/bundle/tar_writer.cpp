#include "bundle/tar_writer.h"

#include <archive_entry.h>
#include <sys/stat.h>

#include "bundle/utf8_locale.h"
#include "crypto/domains.h"

namespace custos::bundle {

TarWriter::TarWriter(ByteSink& out)
    : out_(out), transcript_(crypto::DomainHasher(domain::kHashTarTranscript)) {}

TarWriter::~TarWriter() {
  if (a_ != nullptr) archive_write_free(a_);
}

la_ssize_t TarWriter::WriteCallback(struct archive*, void* self, const void* buf, size_t len) {
  auto* w = static_cast<TarWriter*>(self);
  std::span<const std::uint8_t> bytes(static_cast<const std::uint8_t*>(buf), len);
  if (w->transcript_active_ && !w->in_evidence_) w->transcript_.Update(bytes);
  w->position_ += len;
  Status st = w->out_.Write(bytes);
  if (!st.ok()) {
    w->sink_status_ = std::move(st);
    return -1;
  }
  return static_cast<la_ssize_t>(len);
}

Result<std::unique_ptr<TarWriter>> TarWriter::Create(ByteSink& out) {
  Utf8LocaleScope utf8;
  std::unique_ptr<TarWriter> w(new TarWriter(out));
  w->a_ = archive_write_new();
  if (w->a_ == nullptr) return Error(ErrorCode::kInternal, "libarchive: out of memory");
  // pax_restricted: ustar headers, pax records only where ustar cannot say it
  // (long or non-ASCII names, sizes of 8 GiB and more).
  if (archive_write_set_format_pax_restricted(w->a_) != ARCHIVE_OK ||
      archive_write_set_bytes_per_block(w->a_, 0) != ARCHIVE_OK ||
      archive_write_open(w->a_, w.get(), nullptr, &TarWriter::WriteCallback, nullptr) != ARCHIVE_OK)
    return Error(ErrorCode::kInternal,
                 std::string("libarchive: ") + archive_error_string(w->a_));
  return w;
}

Status TarWriter::Check(int rc, const std::string& what) {
  if (rc >= ARCHIVE_OK) return Ok();
  if (!sink_status_.ok()) return sink_status_.error();
  const char* msg = archive_error_string(a_);
  return Error(ErrorCode::kIo, what + ": " + (msg ? msg : "tar writer failed"));
}

Status TarWriter::WriteHeader(const std::string& path, unsigned type, std::uint64_t size,
                              std::uint32_t mode, std::int64_t mtime) {
  Utf8LocaleScope utf8;
  struct archive_entry* e = archive_entry_new();
  archive_entry_set_pathname_utf8(e, path.c_str());
  archive_entry_set_filetype(e, type);
  archive_entry_set_perm(e, mode & 0777);
  archive_entry_set_mtime(e, mtime, 0);
  archive_entry_set_uid(e, 0);
  archive_entry_set_gid(e, 0);
  if (type == AE_IFREG) archive_entry_set_size(e, static_cast<la_int64_t>(size));
  int rc = archive_write_header(a_, e);
  archive_entry_free(e);
  return Check(rc, path);
}

Status TarWriter::AddDirectory(const std::string& path, std::uint32_t mode, std::int64_t mtime) {
  return WriteHeader(path, AE_IFDIR, 0, mode, mtime);
}

Status TarWriter::BeginFile(const std::string& path, std::uint64_t size, std::uint32_t mode,
                            std::int64_t mtime, bool is_evidence) {
  if (remaining_ != 0) return Error(ErrorCode::kInternal, "tar member started before the last ended");
  CUSTOS_TRY(WriteHeader(path, AE_IFREG, size, mode, mtime));
  remaining_ = size;
  in_evidence_ = is_evidence;
  return Ok();
}

Status TarWriter::WriteData(std::span<const std::uint8_t> data) {
  Utf8LocaleScope utf8;
  if (data.size() > remaining_)
    return Error(ErrorCode::kIo, "a file grew while it was being sealed");
  while (!data.empty()) {
    la_ssize_t n = archive_write_data(a_, data.data(), data.size());
    if (n <= 0) {
      in_evidence_ = false;
      CUSTOS_TRY(Check(ARCHIVE_FATAL, "tar data"));
    }
    data = data.subspan(static_cast<std::size_t>(n));
    remaining_ -= static_cast<std::uint64_t>(n);
  }
  return Ok();
}

Status TarWriter::EndFile() {
  in_evidence_ = false;
  if (remaining_ != 0) {
    remaining_ = 0;
    return Error(ErrorCode::kIo, "a file shrank while it was being sealed");
  }
  return Ok();
}

Status TarWriter::AddSmallFile(const std::string& path, std::span<const std::uint8_t> data,
                               std::uint32_t mode, std::int64_t mtime) {
  CUSTOS_TRY(BeginFile(path, data.size(), mode, mtime, /*is_evidence=*/false));
  CUSTOS_TRY(WriteData(data));
  return EndFile();
}

crypto::Digest TarWriter::FinishTranscript() {
  Utf8LocaleScope utf8;
  // The previous member's padding is written lazily by libarchive (at the next
  // header); flush it into the transcript first so the boundary is exact.
  archive_write_finish_entry(a_);
  transcript_active_ = false;
  return transcript_.Finish();
}


Result<std::vector<std::uint8_t>> CanonicalFileHeader(const std::string& path, std::uint64_t size,
                                                       std::uint32_t mode, std::int64_t mtime) {
  VectorSink sink;
  std::vector<std::uint8_t> header;
  {
    CUSTOS_ASSIGN_OR_RETURN(auto w, TarWriter::Create(sink));
    CUSTOS_TRY(w->BeginFile(path, size, mode, mtime, false));
    // With bytes_per_block 0 libarchive hands the header to the callback at
    // once; take it before the writer's destructor pads and ends the archive.
    header = sink.bytes;
  }
  if (header.size() < 512 || header.size() % 512 != 0)
    return Error(ErrorCode::kInternal, "tar writer produced no header");
  return header;
}

Status TarWriter::Close() {
  Utf8LocaleScope utf8;
  int rc = archive_write_close(a_);
  return Check(rc, "tar end-of-archive");
}

}  // namespace custos::bundle
