// lib/src/io — the one place that owns file descriptors and atomic writes.
#pragma once

#include <sys/stat.h>
#include <sys/types.h>
#include <unistd.h>

#include <cstdint>
#include <span>
#include <string>
#include <vector>

#include <memory>

#include "common/stream.h"
#include "crypto/crypto.h"
#include "common/page_aligned.h"
#include "custos/error.h"
#include "custos/secret_bytes.h"

namespace custos::io {

class ReadAhead;

using Bytes = std::vector<std::uint8_t>;

// An owned file descriptor, closed on destruction.
class Fd {
 public:
  Fd() = default;
  explicit Fd(int fd) : fd_(fd) {}
  ~Fd();
  Fd(Fd&& o) noexcept : fd_(o.Release()) {}
  Fd& operator=(Fd&& o) noexcept;
  Fd(const Fd&) = delete;
  Fd& operator=(const Fd&) = delete;
  int get() const { return fd_; }
  bool valid() const { return fd_ >= 0; }
  int Release() {
    int f = fd_;
    fd_ = -1;
    return f;
  }

 private:
  int fd_ = -1;
};

// Turns errno into an Error: ENOENT -> kNotFound, EACCES/EPERM -> kPermission,
// EEXIST -> kExists, ENOSPC/EDQUOT -> kNoSpace, else kIo. `what` names the file.
Error ErrnoError(int err, const std::string& what);

// Reads a whole regular file of at most `limit` bytes (kLimitExceeded beyond),
// refusing to follow a symbolic link at the last component.
Result<Bytes> ReadFileLimited(const std::string& path, std::size_t limit);
// The same into secret memory (key and passphrase files): no other buffer ever
// holds the file's bytes.
Result<SecretBytes> ReadSecretFileLimited(const std::string& path, std::size_t limit);

// open(2) of a file that will be read and must be a regular file: with
// O_NONBLOCK while opening (a FIFO planted where a bundle, a .sig, a key, a
// log or evidence is expected would otherwise block open() forever), cleared
// again once fstat shows a regular file. The caller still refuses anything
// else. Like open(2): an invalid Fd and errno on failure. With `st`, the
// fstat it made is stored there (an fstat that fails fails the open).
Fd OpenNoBlock(const std::string& path, int flags, struct stat* st = nullptr);
// The same relative to a directory descriptor (openat(2)).
Fd OpenAtNoBlock(int dirfd, const std::string& path, int flags, struct stat* st = nullptr);

// A descriptor of `dir` to fsync after a rename or a create in it, opened
// BEFORE anything is written there. A directory the user may write into but
// not list (a drop box, mode -wx) gives an invalid Fd, not an error: the new
// entry's durability is then the file system's (the file's data is fsync'ed).
Result<Fd> OpenDirForSync(const std::string& dir);
// fsync(2) of such a descriptor (nothing for an invalid one).
Status SyncDir(const Fd& dir, const std::string& name);

// Writes every byte or fails (EINTR and short writes handled).
Status WriteAll(int fd, std::span<const std::uint8_t> data, const std::string& what);
// Reads up to data.size() bytes; returns the count (0 at end of file).
Result<std::size_t> ReadSome(int fd, std::span<std::uint8_t> data, const std::string& what);
// Sets or clears O_DIRECT on `fd`; false if the file system refuses it.
bool SetDirectIo(int fd, bool on);
// For a descriptor with O_DIRECT set (`*direct`): writes `*data` at `*offset`,
// the file's end, straight to the device when the memory, the length and the
// offset are page-aligned, advancing both. Otherwise, or if the device
// refuses, clears O_DIRECT and `*direct` and leaves the rest in `*data` for
// the caller to write through the page cache. `write_fn`: write(2), or a
// stand-in for tests (a device that refuses or shortens direct writes).
using WriteFn = ssize_t (*)(int, const void*, std::size_t);
Status WriteDirect(int fd, std::span<const std::uint8_t>* data, std::uint64_t* offset, bool* direct,
                   const std::string& what, WriteFn write_fn = &::write);
// pread(2) of up to data.size() bytes at `offset`; returns the count (0 at end of file).
Result<std::size_t> PreadSome(int fd, std::span<std::uint8_t> data, std::uint64_t offset,
                              const std::string& what);
// Fills data completely unless end of file comes first; returns the count.
Result<std::size_t> ReadFull(int fd, std::span<std::uint8_t> data, const std::string& what);

// True if something (a file, a link, anything) exists at path.
bool Exists(const std::string& path);

// Writes `data` to `path` atomically: a temporary file in the same directory,
// created with `mode` from the start (O_EXCL), written, fsynced, then renamed
// into place (RENAME_NOREPLACE unless `replace`), and the directory fsynced.
// On failure the temporary file is removed and `path` is untouched.
Status WriteFileAtomic(const std::string& path, std::span<const std::uint8_t> data, mode_t mode,
                       bool replace);

// A streaming output file that appears under its final name only on Commit().
// Until then it is a hidden temporary beside the destination; destruction
// without Commit() removes it.
class AtomicOutputFile {
 public:
  static Result<AtomicOutputFile> Create(const std::string& path, mode_t mode, bool replace);
  AtomicOutputFile(AtomicOutputFile&&) noexcept;
  AtomicOutputFile& operator=(AtomicOutputFile&&) = delete;
  AtomicOutputFile(const AtomicOutputFile&) = delete;
  ~AtomicOutputFile();

  Status Write(std::span<const std::uint8_t> data);
  // From now on, writes of whole 4 KiB blocks from 4 KiB-aligned memory go
  // straight to the device (O_DIRECT: no page-cache copy, nothing of a large
  // bundle left in the cache); the first other write (the tail) turns it off.
  // False where the file system refuses O_DIRECT (tmpfs): writes stay as they are.
  bool UseDirectIo();
  // fsync, rename into place, fsync the directory.
  Status Commit();
  // Bytes written so far.
  std::uint64_t size() const { return written_; }
  const std::string& path() const { return path_; }
  const std::string& temp_path() const { return temp_; }
  int fd() const { return fd_.get(); }

 private:
  AtomicOutputFile() = default;
  std::string path_;
  std::string temp_;
  Fd fd_;
  Fd dir_;  // the destination's directory, opened at Create (OpenDirForSync)
  bool replace_ = false;
  bool committed_ = false;
  std::uint64_t written_ = 0;
  bool direct_ = false;
  std::uint64_t flushed_ = 0;  // bytes whose writeback has been started
  int cleanup_slot_ = -1;      // removed on SIGINT/SIGTERM/SIGHUP while registered
};

// Like ssh's StrictModes: Ok unless `st` is writable by group or others (a
// sticky directory is accepted when allow_sticky). `label` names the object
// in the error ("trust store /x"), `path` goes into the chmod hint.
Status CheckNotWritableByOthers(const std::string& label, const std::string& path,
                                const struct stat& st, bool allow_sticky);
// mkdir -p, every directory it creates mode 0700.
Status MakePrivateDirs(const std::string& dir);

// Directory part and base name of a path ("a/b" -> "a", "b"; "b" -> ".", "b").
std::string DirName(const std::string& path);
std::string BaseName(const std::string& path);

}  // namespace custos::io

namespace custos::io {

// A ByteSource over a file opened read-only without following a final
// symbolic link. Optionally hashes (SHA-256) every byte it returns.
class FileSource final : public ByteSource {
 public:
  static Result<std::unique_ptr<FileSource>> Open(const std::string& path, bool hash);
  ~FileSource() override;
  // Before the first Read(): read the file_size() bytes the file had when
  // opened on a read-ahead thread, with O_DIRECT where the file system
  // allows it (io/read_ahead.h).
  void UseReadAhead();
  Result<std::size_t> Read(std::span<std::uint8_t> out) override;
  std::uint64_t bytes_read() const { return read_; }
  std::uint64_t file_size() const { return size_; }
  // SHA-256 of every byte returned so far (only if opened with hash=true).
  crypto::Digest Digest() { return hasher_.Finish(); }
  int fd() const { return fd_.get(); }

 private:
  FileSource() = default;
  Fd fd_;
  std::string path_;
  bool hash_ = false;
  crypto::Sha256 hasher_;
  std::uint64_t read_ = 0;
  std::uint64_t size_ = 0;
  std::unique_ptr<ReadAhead> ahead_;
  std::span<const std::uint8_t> piece_;  // of ahead_, not yet returned
};

// A ByteSink into an AtomicOutputFile that also hashes it. Writes are
// gathered into 1 MiB before they reach the file. Its two halves can run as
// stages on threads of their own (AsyncSink): hash_stage() then write_stage(),
// so hashing the next buffer overlaps waiting for the disk to take this one.
class HashingFileSink final : public ByteSink {
 public:
  explicit HashingFileSink(AtomicOutputFile& file) : write_(file) {}
  Status Write(std::span<const std::uint8_t> data) override {
    CUSTOS_TRY(hash_.Write(data));
    return write_.Write(data);
  }
  // Writes what is buffered; call before AtomicOutputFile::Commit().
  Status Flush() { return write_.Flush(); }
  crypto::Digest Digest() { return hash_.hasher.Finish(); }
  ByteSink& hash_stage() { return hash_; }
  ByteSink& write_stage() { return write_; }

 private:
  struct HashStage final : ByteSink {
    Status Write(std::span<const std::uint8_t> data) override {
      hasher.Update(data);
      return Ok();
    }
    crypto::Sha256 hasher;
  };
  struct WriteStage final : ByteSink {
    static constexpr std::size_t kBuffer = 1 << 20;
    explicit WriteStage(AtomicOutputFile& f) : file(f) { buf.reserve(kBuffer); }
    Status Write(std::span<const std::uint8_t> data) override;
    Status Flush();
    AtomicOutputFile& file;
    std::vector<std::uint8_t> buf;
  };
  HashStage hash_;
  WriteStage write_;
};

}  // namespace custos::io
