#include "io/files.h"
#include "io/read_ahead.h"

#include <fcntl.h>
#include <signal.h>
#include <sys/stat.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <mutex>
#include <random>

namespace custos::io {

Fd::~Fd() {
  if (fd_ >= 0) ::close(fd_);
}

Fd& Fd::operator=(Fd&& o) noexcept {
  if (this != &o) {
    if (fd_ >= 0) ::close(fd_);
    fd_ = o.Release();
  }
  return *this;
}

static Error TooBig(const std::string& path, std::size_t limit) {
  return Error(ErrorCode::kLimitExceeded,
               path + ": file is larger than the limit of " + std::to_string(limit) + " bytes");
}

Error ErrnoError(int err, const std::string& what) {
  std::string msg = what + ": " + std::strerror(err);
  switch (err) {
    case ENOENT:
    case ENOTDIR:
      return Error(ErrorCode::kNotFound, msg);
    case EACCES:
    case EPERM:
    case EROFS:
      return Error(ErrorCode::kPermission, msg);
    case EEXIST:
      return Error(ErrorCode::kExists, msg);
    case ENOSPC:
    case EDQUOT:
      return Error(ErrorCode::kNoSpace, msg);
    default:
      return Error(ErrorCode::kIo, msg);
  }
}

Fd OpenAtNoBlock(int dirfd, const std::string& path, int flags, struct stat* out) {
  int fd = ::openat(dirfd, path.c_str(), flags | O_NONBLOCK);
  if (fd < 0) return Fd();
  struct stat st {};
  const bool stat_ok = ::fstat(fd, &st) == 0;
  if (!stat_ok && out != nullptr) {
    const int err = errno;
    ::close(fd);
    errno = err;
    return Fd();
  }
  if (out != nullptr) *out = st;
  if (stat_ok && S_ISREG(st.st_mode)) {
    int fl = ::fcntl(fd, F_GETFL);
    if (fl < 0 || ::fcntl(fd, F_SETFL, fl & ~O_NONBLOCK) != 0) {  // reads would fail with EAGAIN
      const int err = errno;
      ::close(fd);
      errno = err;
      return Fd();
    }
  }
  return Fd(fd);
}

Fd OpenNoBlock(const std::string& path, int flags, struct stat* st) {
  return OpenAtNoBlock(AT_FDCWD, path, flags, st);
}

namespace {

// Opens `path` for a bounded read: no final symbolic link, a regular file, at
// most `limit` bytes by fstat (the readers check again while reading, as the
// file may grow). Shared by the plain and the secret reader.
Result<Fd> OpenForBoundedRead(const std::string& path, std::size_t limit, struct stat* st) {
  Fd fd = OpenNoBlock(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW | O_NOCTTY);
  if (!fd.valid()) {
    if (errno == ELOOP)
      return Error(ErrorCode::kIo, path + ": is a symbolic link; custos does not follow links here");
    return ErrnoError(errno, path);
  }
  if (::fstat(fd.get(), st) != 0) return ErrnoError(errno, path);
  if (!S_ISREG(st->st_mode)) return Error(ErrorCode::kIo, path + ": not a regular file");
  if (static_cast<std::uint64_t>(st->st_size) > limit) return TooBig(path, limit);
  return fd;
}

}  // namespace

Result<Bytes> ReadFileLimited(const std::string& path, std::size_t limit) {
  struct stat st {};
  CUSTOS_ASSIGN_OR_RETURN(Fd fd, OpenForBoundedRead(path, limit, &st));
  Bytes out(static_cast<std::size_t>(st.st_size) + 1);
  CUSTOS_ASSIGN_OR_RETURN(std::size_t n, ReadFull(fd.get(), out, path));
  if (n > limit) return TooBig(path, limit);
  out.resize(n);
  return out;
}

Result<SecretBytes> ReadSecretFileLimited(const std::string& path, std::size_t limit) {
  struct stat st {};
  CUSTOS_ASSIGN_OR_RETURN(Fd fd, OpenForBoundedRead(path, limit, &st));
  const Error too_big = TooBig(path, limit);
  // One byte more than the limit, so a file that grew after fstat is caught.
  SecretBytes buf(limit + 1);
  CUSTOS_ASSIGN_OR_RETURN(std::size_t n, ReadFull(fd.get(), buf.Reveal(), path));
  if (n > limit) return too_big;
  SecretBytes out(n);
  if (n > 0) std::memcpy(out.Reveal().data(), buf.Reveal().data(), n);
  return out;
}

Status WriteAll(int fd, std::span<const std::uint8_t> data, const std::string& what) {
  while (!data.empty()) {
    ssize_t n = ::write(fd, data.data(), data.size());
    if (n < 0) {
      if (errno == EINTR) continue;
      return ErrnoError(errno, what);
    }
    data = data.subspan(static_cast<std::size_t>(n));
  }
  return Ok();
}

Result<std::size_t> ReadSome(int fd, std::span<std::uint8_t> data, const std::string& what) {
  for (;;) {
    ssize_t n = ::read(fd, data.data(), data.size());
    if (n >= 0) return static_cast<std::size_t>(n);
    if (errno != EINTR) return ErrnoError(errno, what);
  }
}

Result<std::size_t> PreadSome(int fd, std::span<std::uint8_t> data, std::uint64_t offset,
                              const std::string& what) {
  for (;;) {
    ssize_t n = ::pread(fd, data.data(), data.size(), static_cast<off_t>(offset));
    if (n >= 0) return static_cast<std::size_t>(n);
    if (errno != EINTR) return ErrnoError(errno, what);
  }
}

bool SetDirectIo(int fd, bool on) {
  const int fl = ::fcntl(fd, F_GETFL);
  if (fl < 0) return false;
  const int want = on ? (fl | O_DIRECT) : (fl & ~O_DIRECT);
  return want == fl || ::fcntl(fd, F_SETFL, want) == 0;
}

Status WriteDirect(int fd, std::span<const std::uint8_t>* data, std::uint64_t* offset, bool* direct,
                   const std::string& what, WriteFn write_fn) {
  const bool aligned = reinterpret_cast<std::uintptr_t>(data->data()) % kPageAlign == 0 &&
                       data->size() % kPageAlign == 0 && *offset % kPageAlign == 0;
  if (aligned) {
    ssize_t n;
    do n = write_fn(fd, data->data(), data->size());
    while (n < 0 && errno == EINTR);
    if (n < 0 && errno != EINVAL) return ErrnoError(errno, what);
    if (n > 0) {
      *offset += static_cast<std::size_t>(n);
      *data = data->subspan(static_cast<std::size_t>(n));
    }
    if (data->empty()) return Ok();
    // Refused (EINVAL: the device wants another alignment) or short: the
    // rest goes through the page cache.
  }
  if (!SetDirectIo(fd, false)) return ErrnoError(errno, what);
  *direct = false;
  return Ok();
}

Result<std::size_t> ReadFull(int fd, std::span<std::uint8_t> data, const std::string& what) {
  std::size_t got = 0;
  while (got < data.size()) {
    CUSTOS_ASSIGN_OR_RETURN(std::size_t n, ReadSome(fd, data.subspan(got), what));
    if (n == 0) break;
    got += n;
  }
  return got;
}

bool Exists(const std::string& path) {
  struct stat st {};
  return ::lstat(path.c_str(), &st) == 0;
}

Status CheckNotWritableByOthers(const std::string& label, const std::string& path,
                                const struct stat& st, bool allow_sticky) {
  const bool others_write = (st.st_mode & (S_IWGRP | S_IWOTH)) != 0;
  if (!others_write || (allow_sticky && (st.st_mode & S_ISVTX) != 0)) return Ok();
  return Error(ErrorCode::kUnsafeOutput, label + " is unsafe: writable by group or others",
               "run 'chmod go-w " + path + "'");
}

Status MakePrivateDirs(const std::string& dir) {
  if (dir.empty() || Exists(dir)) return Ok();
  const std::string parent = DirName(dir);
  if (parent != dir) CUSTOS_TRY(MakePrivateDirs(parent));
  if (::mkdir(dir.c_str(), 0700) != 0 && errno != EEXIST) return ErrnoError(errno, dir);
  return Ok();
}

std::string DirName(const std::string& path) {
  auto pos = path.find_last_of('/');
  if (pos == std::string::npos) return ".";
  if (pos == 0) return "/";
  return path.substr(0, pos);
}

std::string BaseName(const std::string& path) {
  auto pos = path.find_last_of('/');
  return pos == std::string::npos ? path : path.substr(pos + 1);
}

Result<Fd> OpenDirForSync(const std::string& dir) {
  Fd d(::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
  if (!d.valid() && errno != EACCES) return ErrnoError(errno, dir);
  return d;
}

Status SyncDir(const Fd& dir, const std::string& name) {
  if (dir.valid() && ::fsync(dir.get()) != 0 && errno != EINVAL) return ErrnoError(errno, name);
  return Ok();
}

namespace {

std::string RandomSuffix() {
  static const char kAlphabet[] = "abcdefghijklmnopqrstuvwxyz0123456789";
  std::random_device rd;
  std::string s;
  for (int i = 0; i < 10; ++i) s.push_back(kAlphabet[rd() % 36]);
  return s;
}

// rename(2) that refuses to replace unless asked (renameat2 RENAME_NOREPLACE).
Status RenameInto(const std::string& from, const std::string& to, bool replace) {
  int rc = replace ? ::rename(from.c_str(), to.c_str())
                   : ::renameat2(AT_FDCWD, from.c_str(), AT_FDCWD, to.c_str(), RENAME_NOREPLACE);
  if (rc != 0) {
    int err = errno;
    if (err == EEXIST)
      return Error(ErrorCode::kExists, to + ": already exists", "use --force to replace it");
    return ErrnoError(err, to);
  }
  return Ok();
}

}  // namespace

// Temporary files to remove when custos is interrupted (SIGINT, SIGTERM,
// SIGHUP): an interrupted seal of a 2 TB image must not leave a hidden 1 TB
// `.OUT.tmp-*` behind. The handler only reads fixed slots and calls unlink(2),
// both async-signal-safe; it then re-raises the signal with its default action.
namespace cleanup {

constexpr int kSlots = 16;
constexpr std::size_t kPathMax = 4096;
struct Slot {
  std::atomic<int> state{0};  // 0 free, 1 being filled, 2 armed
  char path[kPathMax];
};
Slot g_slots[kSlots];

extern "C" void OnSignal(int sig) {
  for (Slot& s : g_slots)
    if (s.state.load(std::memory_order_acquire) == 2) ::unlink(s.path);
  ::signal(sig, SIG_DFL);
  ::raise(sig);
}

void Install() {
  static std::once_flag once;
  std::call_once(once, [] {
    for (int sig : {SIGINT, SIGTERM, SIGHUP}) {
      struct sigaction old {};
      if (::sigaction(sig, nullptr, &old) != 0 || old.sa_handler != SIG_DFL) continue;  // e.g. nohup
      struct sigaction sa {};
      sa.sa_handler = OnSignal;
      sigemptyset(&sa.sa_mask);
      ::sigaction(sig, &sa, nullptr);
    }
  });
}

// The slot now holding `path`, or -1 (all in use, or too long: then an
// interruption leaves the file, as before).
int Register(const std::string& path) {
  if (path.size() >= kPathMax) return -1;
  Install();
  for (int i = 0; i < kSlots; ++i) {
    int expected = 0;
    if (g_slots[i].state.compare_exchange_strong(expected, 1, std::memory_order_acq_rel)) {
      std::memcpy(g_slots[i].path, path.c_str(), path.size() + 1);
      g_slots[i].state.store(2, std::memory_order_release);
      return i;
    }
  }
  return -1;
}

void Unregister(int slot) {
  if (slot >= 0) g_slots[slot].state.store(0, std::memory_order_release);
}

}  // namespace cleanup

Result<AtomicOutputFile> AtomicOutputFile::Create(const std::string& path, mode_t mode,
                                                  bool replace) {
  if (!replace && Exists(path))
    return Error(ErrorCode::kExists, path + ": already exists", "use --force to replace it");
  AtomicOutputFile f;
  f.path_ = path;
  f.replace_ = replace;
  std::string dir = DirName(path);
  // Before anything is written: a failure here leaves nothing behind, and
  // none can come after the rename but a real I/O error.
  CUSTOS_ASSIGN_OR_RETURN(f.dir_, OpenDirForSync(dir));
  for (int attempt = 0; attempt < 16; ++attempt) {
    f.temp_ = (dir == "." ? std::string() : dir + "/") + "." + BaseName(path) + ".tmp-" +
              RandomSuffix();
    int fd = ::open(f.temp_.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, mode);
    if (fd >= 0) {
      f.fd_ = Fd(fd);
      f.cleanup_slot_ = cleanup::Register(f.temp_);
      // The umask may have removed bits; set exactly what was asked.
      if (::fchmod(fd, mode) != 0) return ErrnoError(errno, f.temp_);
      return f;
    }
    if (errno != EEXIST) return ErrnoError(errno, path);
  }
  return Error(ErrorCode::kIo, path + ": could not create a temporary file beside it");
}

AtomicOutputFile::AtomicOutputFile(AtomicOutputFile&& o) noexcept
    : path_(std::move(o.path_)),
      temp_(std::move(o.temp_)),
      fd_(std::move(o.fd_)),
      dir_(std::move(o.dir_)),
      replace_(o.replace_),
      committed_(o.committed_),
      written_(o.written_),
      direct_(o.direct_),
      flushed_(o.flushed_),
      cleanup_slot_(o.cleanup_slot_) {
  o.committed_ = true;  // the moved-from object must not unlink anything
  o.cleanup_slot_ = -1;
}

AtomicOutputFile::~AtomicOutputFile() {
  if (!committed_ && !temp_.empty()) ::unlink(temp_.c_str());
  cleanup::Unregister(cleanup_slot_);
}

Status AtomicOutputFile::Write(std::span<const std::uint8_t> data) {
  if (direct_) {
    const std::uint64_t before = written_;
    CUSTOS_TRY(WriteDirect(fd_.get(), &data, &written_, &direct_, path_));
    if (written_ != before) flushed_ = written_;  // on the device: no writeback to start
    if (data.empty()) return Ok();
  }
  CUSTOS_TRY(WriteAll(fd_.get(), data, path_));
  written_ += data.size();
  // Start writeback every 8 MiB so that the fsync at Commit() does not wait
  // for the whole file (bundles are often hundreds of GB).
  constexpr std::uint64_t kWriteback = 8u << 20;
  if (written_ - flushed_ >= kWriteback) {
    (void)::sync_file_range(fd_.get(), static_cast<off_t>(flushed_),
                            static_cast<off_t>(written_ - flushed_), SYNC_FILE_RANGE_WRITE);
    flushed_ = written_;
  }
  return Ok();
}

bool AtomicOutputFile::UseDirectIo() {
  direct_ = written_ % kPageAlign == 0 && SetDirectIo(fd_.get(), true);
  return direct_;
}

Status AtomicOutputFile::Commit() {
  if (::fsync(fd_.get()) != 0) return ErrnoError(errno, path_);
  if (::close(fd_.Release()) != 0) return ErrnoError(errno, path_);
  CUSTOS_TRY(RenameInto(temp_, path_, replace_));
  committed_ = true;
  cleanup::Unregister(cleanup_slot_);  // after: a signal in between finds nothing to unlink
  cleanup_slot_ = -1;
  return SyncDir(dir_, DirName(path_));
}

Status WriteFileAtomic(const std::string& path, std::span<const std::uint8_t> data, mode_t mode,
                       bool replace) {
  CUSTOS_ASSIGN_OR_RETURN(AtomicOutputFile out, AtomicOutputFile::Create(path, mode, replace));
  CUSTOS_TRY(out.Write(data));
  return out.Commit();
}

}  // namespace custos::io

namespace custos::io {

Status HashingFileSink::WriteStage::Write(std::span<const std::uint8_t> data) {
  if (buf.size() + data.size() > kBuffer) CUSTOS_TRY(Flush());
  if (data.size() >= kBuffer) return file.Write(data);
  buf.insert(buf.end(), data.begin(), data.end());
  return Ok();
}

Status HashingFileSink::WriteStage::Flush() {
  if (buf.empty()) return Ok();
  Status st = file.Write(buf);
  buf.clear();
  return st;
}

Result<std::unique_ptr<FileSource>> FileSource::Open(const std::string& path, bool hash) {
  std::unique_ptr<FileSource> s(new FileSource());
  s->path_ = path;
  s->hash_ = hash;
  s->fd_ = OpenNoBlock(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW | O_NOCTTY);
  if (!s->fd_.valid()) return ErrnoError(errno, path);
  struct stat st {};
  if (::fstat(s->fd_.get(), &st) != 0) return ErrnoError(errno, path);
  if (!S_ISREG(st.st_mode)) return Error(ErrorCode::kIo, path + ": not a regular file");
  s->size_ = static_cast<std::uint64_t>(st.st_size);
  (void)::posix_fadvise(s->fd_.get(), 0, 0, POSIX_FADV_SEQUENTIAL);
  return s;
}

FileSource::~FileSource() = default;  // ahead_ stops before fd_ closes

void FileSource::UseReadAhead() {
  ahead_ = std::make_unique<ReadAhead>();
  ahead_->Start(fd_.get(), size_, /*direct=*/true, path_);
}

Result<std::size_t> FileSource::Read(std::span<std::uint8_t> out) {
  std::size_t n = 0;
  if (ahead_) {
    if (piece_.empty()) {
      CUSTOS_ASSIGN_OR_RETURN(piece_, ahead_->Next());
      if (piece_.empty()) {
        // Only the size at Open() is read: one that grew (or shrank) since
        // is not the file that was read.
        struct stat st {};
        if (::fstat(fd_.get(), &st) != 0) return ErrnoError(errno, path_);
        if (static_cast<std::uint64_t>(st.st_size) != size_ || read_ != size_)
          return Error(ErrorCode::kCorrupt, path_ + ": file changed while it was read");
        return std::size_t{0};
      }
    }
    n = std::min(out.size(), piece_.size());
    std::memcpy(out.data(), piece_.data(), n);
    piece_ = piece_.subspan(n);
  } else {
    CUSTOS_ASSIGN_OR_RETURN(n, ReadSome(fd_.get(), out, path_));
  }
  if (hash_ && n > 0) hasher_.Update(out.subspan(0, n));
  read_ += n;
  return n;
}

}  // namespace custos::io
