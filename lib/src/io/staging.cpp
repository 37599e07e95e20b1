#include "io/staging.h"

#include <dirent.h>
#include <fcntl.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <sys/xattr.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <fstream>
#include <optional>
#include <system_error>

#include "crypto/crypto.h"

namespace custos::io {

namespace {

constexpr const char* kPartial = ".custos-partial-";

// Removes `name` below `dirfd` recursively without following links; makes
// directories writable first (their final modes may forbid it).
void RemoveTree(int dirfd, const std::string& name) {
  struct stat st {};
  if (::fstatat(dirfd, name.c_str(), &st, AT_SYMLINK_NOFOLLOW) != 0) return;
  if (!S_ISDIR(st.st_mode)) {
    ::unlinkat(dirfd, name.c_str(), 0);
    return;
  }
  int fd = ::openat(dirfd, name.c_str(), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
  if (fd >= 0) {
    ::fchmod(fd, 0700);
    DIR* d = ::fdopendir(fd);
    if (d != nullptr) {
      std::vector<std::string> names;
      while (struct dirent* e = ::readdir(d)) {
        std::string n = e->d_name;
        if (n != "." && n != "..") names.push_back(n);
      }
      for (const auto& n : names) RemoveTree(::dirfd(d), n);
      ::closedir(d);
    } else {
      ::close(fd);
    }
  }
  ::unlinkat(dirfd, name.c_str(), AT_REMOVEDIR);
}

// Removes staging directories of interrupted runs for this OUTDIR: ours, and
// not locked by a run still in progress.
void RemoveStale(int parent_fd, const std::string& parent, const std::string& name,
                 std::vector<std::string>* warnings) {
  DIR* d = ::fdopendir(::dup(parent_fd));
  if (d == nullptr) return;
  const std::string prefix = "." + name + kPartial;
  std::vector<std::string> stale;
  while (struct dirent* e = ::readdir(d))
    if (std::strncmp(e->d_name, prefix.c_str(), prefix.size()) == 0) stale.push_back(e->d_name);
  ::closedir(d);
  for (const auto& s : stale) {
    Fd fd(::openat(parent_fd, s.c_str(), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC));
    struct stat st {};
    if (!fd.valid() || ::fstat(fd.get(), &st) != 0 || st.st_uid != ::getuid()) continue;
    if (::flock(fd.get(), LOCK_EX | LOCK_NB) != 0) continue;  // a run in progress
    RemoveTree(parent_fd, s);
    if (warnings) warnings->push_back("removed " + parent + "/" + s + ", left by an interrupted open");
  }
}

}  // namespace

namespace {

struct OutdirParts {
  std::string trimmed, parent, name;
};

Result<OutdirParts> SplitOutdir(const std::string& outdir) {
  if (outdir.empty()) return Error(ErrorCode::kUsage, "no output directory given", "pass -o OUTDIR");
  OutdirParts p;
  p.trimmed = outdir;
  while (p.trimmed.size() > 1 && p.trimmed.back() == '/') p.trimmed.pop_back();
  p.name = BaseName(p.trimmed);
  if (p.name.empty() || p.name == "." || p.name == ".." || p.name == "/")
    return Error(ErrorCode::kUsage, outdir + ": give the output directory a name");
  p.parent = DirName(p.trimmed);
  return p;
}

// Opens OUTDIR's parent once; every later step (checks, mkdir, rename,
// cleanup) is relative to this descriptor, so swapping a directory above it
// between the steps cannot redirect them.
Result<Fd> OpenParent(const OutdirParts& p) {
  Fd fd(::open(p.parent.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
  if (!fd.valid()) return ErrnoError(errno, p.parent);
  struct stat ps {};
  if (::fstat(fd.get(), &ps) != 0) return ErrnoError(errno, p.parent);
  // Its owner can rename or replace anything in it (sticky or not), so the
  // parent must be ours or root's, as ssh's StrictModes requires.
  if (ps.st_uid != ::getuid() && ps.st_uid != 0)
    return Error(ErrorCode::kUnsafeOutput,
                 p.parent + ": is owned by another user, who could interfere with the output",
                 "open into a directory you or root own");
  if ((ps.st_mode & 022) != 0 && (ps.st_mode & S_ISVTX) == 0)
    return Error(ErrorCode::kUnsafeOutput,
                 p.parent + ": is writable by other users and not sticky, so another user could "
                            "interfere with the output",
                 "open into a directory only you can write to");
  return fd;
}

// OUTDIR must not exist, or be an empty directory of ours. Returns whether it exists.
Result<bool> CheckTarget(int parent_fd, const OutdirParts& p) {
  struct stat os {};
  if (::fstatat(parent_fd, p.name.c_str(), &os, AT_SYMLINK_NOFOLLOW) != 0) {
    if (errno == ENOENT) return false;
    return ErrnoError(errno, p.trimmed);
  }
  bool empty = false;
  if (S_ISDIR(os.st_mode) && os.st_uid == ::getuid()) {
    Fd d(::openat(parent_fd, p.name.c_str(), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC));
    DIR* dir = d.valid() ? ::fdopendir(d.Release()) : nullptr;
    if (dir != nullptr) {
      empty = true;
      while (struct dirent* e = ::readdir(dir)) {
        std::string n = e->d_name;
        if (n != "." && n != "..") empty = false;
      }
      ::closedir(dir);
    }
  }
  if (!empty)
    return Error(ErrorCode::kExists, p.trimmed + ": exists and is not an empty directory of yours",
                 "choose a new output directory");
  return true;
}

// The process's umask, read without changing it (umask(2) can only be read
// by setting it, which would race with other threads creating files).
std::optional<std::uint32_t> ReadUmask() {
  std::ifstream in("/proc/self/status");
  std::string line;
  while (std::getline(in, line))
    if (line.rfind("Umask:", 0) == 0) {
      try {
        return static_cast<std::uint32_t>(std::stoul(line.substr(6), nullptr, 8)) & 0777;
      } catch (const std::exception&) {
        return std::nullopt;
      }
    }
  return std::nullopt;
}

// Whether a file created in directory `fd` gets its creation mode less the
// umask: not so when the directory has a default ACL, which replaces the umask.
bool UmaskDecidesModes(int fd) {
  return ::fgetxattr(fd, "system.posix_acl_default", nullptr, 0) < 0 &&
         (errno == ENODATA || errno == EOPNOTSUPP);
}

std::string RandomName(const std::string& prefix) {
  static const char kAlphabet[] = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789";
  std::uint8_t r[12];
  crypto::RandomBytes(r);
  std::string out = prefix;
  for (std::uint8_t b : r) out.push_back(kAlphabet[b % 62]);
  return out;
}

}  // namespace

Status StagingDir::CheckOutdir(const std::string& outdir, std::vector<std::string>* warnings) {
  CUSTOS_ASSIGN_OR_RETURN(OutdirParts p, SplitOutdir(outdir));
  CUSTOS_ASSIGN_OR_RETURN(Fd parent, OpenParent(p));
  CUSTOS_ASSIGN_OR_RETURN(bool exists, CheckTarget(parent.get(), p));
  (void)exists;
  RemoveStale(parent.get(), p.parent, p.name, warnings);
  return Ok();
}

Result<std::unique_ptr<StagingDir>> StagingDir::Create(const std::string& outdir) {
  CUSTOS_ASSIGN_OR_RETURN(OutdirParts p, SplitOutdir(outdir));
  std::unique_ptr<StagingDir> s(new StagingDir());
  s->outdir_ = p.trimmed;
  s->parent_ = p.parent;
  s->name_ = p.name;
  CUSTOS_ASSIGN_OR_RETURN(s->parent_fd_, OpenParent(p));
  CUSTOS_ASSIGN_OR_RETURN(s->replace_empty_, CheckTarget(s->parent_fd_.get(), p));
  for (int attempt = 0;; ++attempt) {
    std::string name = RandomName("." + p.name + kPartial);
    if (::mkdirat(s->parent_fd_.get(), name.c_str(), 0700) == 0) {
      s->staging_name_ = name;
      break;
    }
    if (errno != EEXIST || attempt > 16) return ErrnoError(errno, p.parent);
  }
  s->staging_path_ = p.parent + "/" + s->staging_name_;
  s->root_ = Fd(::openat(s->parent_fd_.get(), s->staging_name_.c_str(),
                         O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC));
  if (!s->root_.valid()) return ErrnoError(errno, s->staging_path_);
  // mkdirat's 0700 less the umask: a umask with owner bits (0277) would
  // leave a directory its owner cannot write into.
  if (::fchmod(s->root_.get(), 0700) != 0) return ErrnoError(errno, s->staging_path_);
  // The lock tells a concurrent run's stale-directory sweep that we are alive.
  if (::flock(s->root_.get(), LOCK_EX | LOCK_NB) != 0) return ErrnoError(errno, s->staging_path_);
  struct stat st {};
  if (::fstat(s->root_.get(), &st) != 0 || st.st_uid != ::getuid() || (st.st_mode & 077) != 0)
    return Error(ErrorCode::kUnsafeOutput, s->staging_path_ + ": is not the private directory custos made");
  // Every directory below is made by us, with no default ACL of its own.
  if (auto mask = ReadUmask(); mask && UmaskDecidesModes(s->root_.get())) s->create_umask_ = *mask;
  return s;
}

StagingDir::~StagingDir() {
  JoinSync();
  file_ = Fd();
  cached_fd_ = Fd();
  if (!committed_ && !staging_name_.empty() && parent_fd_.valid())
    RemoveTree(parent_fd_.get(), staging_name_);
}

// The descriptor of `rel`'s parent directory, opened component by component
// from the root without following links (cached for runs of siblings).
Result<int> StagingDir::ParentFd(const std::string& rel, std::string* leaf) {
  auto slash = rel.find_last_of('/');
  std::string dir = slash == std::string::npos ? "" : rel.substr(0, slash);
  *leaf = slash == std::string::npos ? rel : rel.substr(slash + 1);
  if (dir.empty()) return root_.get();
  if (cached_fd_.valid() && cached_dir_ == dir) return cached_fd_.get();
  Fd cur(::dup(root_.get()));
  std::size_t pos = 0;
  while (pos <= dir.size()) {
    auto next = dir.find('/', pos);
    if (next == std::string::npos) next = dir.size();
    std::string comp = dir.substr(pos, next - pos);
    Fd child(::openat(cur.get(), comp.c_str(), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC));
    if (!child.valid()) return ErrnoError(errno, "staging directory " + dir);
    cur = std::move(child);
    pos = next + 1;
  }
  cached_dir_ = dir;
  cached_fd_ = std::move(cur);
  return cached_fd_.get();
}

Status StagingDir::MakeDir(const std::string& rel, std::uint32_t mode, std::int64_t mtime) {
  std::string leaf;
  CUSTOS_ASSIGN_OR_RETURN(int pfd, ParentFd(rel, &leaf));
  if (::mkdirat(pfd, leaf.c_str(), 0700) != 0) return ErrnoError(errno, "staging " + rel);
  if (create_umask_ == kUnknownMode || (create_umask_ & 0700) != 0) {  // as for the root
    Fd d(::openat(pfd, leaf.c_str(), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC));
    if (!d.valid() || ::fchmod(d.get(), 0700) != 0) return ErrnoError(errno, "staging " + rel);
  }
  dirs_.push_back({rel, mode & 0777, mtime});
  return Ok();
}

Status StagingDir::BeginFile(const std::string& rel, bool direct, std::uint32_t mode) {
  std::string leaf;
  CUSTOS_ASSIGN_OR_RETURN(int pfd, ParentFd(rel, &leaf));
  mode &= 0777;
  const bool exact = create_umask_ != kUnknownMode && (mode & create_umask_) == 0;
  const std::uint32_t create = exact ? mode : 0600;
  file_ = Fd(::openat(pfd, leaf.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC,
                      static_cast<mode_t>(create)));
  if (!file_.valid()) return ErrnoError(errno, "staging " + rel);
  // The prediction is checked (fstat dirties nothing, unlike fchmod): another
  // thread may have changed the umask, or the file system may impose modes.
  struct stat st {};
  file_mode_ = exact && ::fstat(file_.get(), &st) == 0 && (st.st_mode & 07777) == mode ? mode
                                                                                       : kUnknownMode;
  file_what_ = "staging " + rel;  // built once, not per write
  file_written_ = file_flushed_ = 0;
  file_direct_ = direct && SetDirectIo(file_.get(), true);
  return Ok();
}

Status StagingDir::Write(std::span<const std::uint8_t> data) {
  if (file_direct_) {
    const std::uint64_t before = file_written_;
    CUSTOS_TRY(WriteDirect(file_.get(), &data, &file_written_, &file_direct_, file_what_));
    if (file_written_ != before) file_flushed_ = file_written_;  // on the device already
    if (data.empty()) return Ok();
  }
  CUSTOS_TRY(WriteAll(file_.get(), data, file_what_));
  file_written_ += data.size();
  if (file_written_ - file_flushed_ >= (8u << 20)) {  // start writeback as we go
    (void)::sync_file_range(file_.get(), static_cast<off_t>(file_flushed_),
                            static_cast<off_t>(file_written_ - file_flushed_), SYNC_FILE_RANGE_WRITE);
    file_flushed_ = file_written_;
  }
  return Ok();
}

Status StagingDir::EndFile(std::uint32_t mode, std::int64_t mtime) {
  struct timespec ts[2] = {{mtime, 0}, {mtime, 0}};
  // No fsync (nor a writeback call) per file: thousands of small files would
  // each wait for the disk. Large files start writeback as they are written
  // (Write), and Commit() syncs the whole file system once before anything
  // is renamed into place.
  if ((mode & 0777) != file_mode_ && ::fchmod(file_.get(), mode & 0777) != 0)
    return ErrnoError(errno, file_what_);
  if (::futimens(file_.get(), ts) != 0) return ErrnoError(errno, file_what_);
  file_ = Fd();
  return Ok();
}

Status StagingDir::WriteFile(const std::string& rel, std::span<const std::uint8_t> data,
                             std::uint32_t mode, std::int64_t mtime) {
  CUSTOS_TRY(BeginFile(rel));
  CUSTOS_TRY(Write(data));
  return EndFile(mode, mtime);
}

Status StagingDir::AppendTo(const std::string& rel, std::span<const std::uint8_t> data,
                            std::int64_t mtime) {
  std::string leaf;
  CUSTOS_ASSIGN_OR_RETURN(int pfd, ParentFd(rel, &leaf));
  Fd fd(::openat(pfd, leaf.c_str(), O_WRONLY | O_APPEND | O_NOFOLLOW | O_CLOEXEC));
  if (!fd.valid()) return ErrnoError(errno, "staging " + rel);
  CUSTOS_TRY(WriteAll(fd.get(), data, "staging " + rel));
  // The write set the mtime to now, with nanoseconds; whole seconds like every other file.
  struct timespec ts[2] = {{mtime, 0}, {mtime, 0}};
  // No fsync: Commit()'s syncfs makes it durable with everything else.
  if (::futimens(fd.get(), ts) != 0) return ErrnoError(errno, "staging " + rel);
  return Ok();
}

std::uint64_t StagingDir::FreeBytes() const {
  struct statvfs vs {};
  if (::fstatvfs(root_.get(), &vs) != 0) return UINT64_MAX;
  return static_cast<std::uint64_t>(vs.f_bavail) * vs.f_frsize;
}

void StagingDir::StartSync() {
  if (sync_thread_.joinable()) return;
  try {
    sync_thread_ = std::thread([this] {
      if (::syncfs(root_.get()) != 0) sync_errno_ = errno;
    });
  } catch (const std::exception&) {  // std::system_error, std::bad_alloc
    // No thread: Commit's syncfs writes everything.
  }
}

int StagingDir::JoinSync() {
  if (sync_thread_.joinable()) sync_thread_.join();
  return sync_errno_;
}

Status StagingDir::Commit() {
  file_ = Fd();
  // An error of the early sync is reported here: the file system may report
  // a write error only once.
  if (int e = JoinSync(); e != 0) return ErrnoError(e, staging_path_);
  // Deepest first: the manifest lists parents before children, and a
  // directory's final mode may forbid opening what is below it.
  for (auto it = dirs_.rbegin(); it != dirs_.rend(); ++it) {
    std::string leaf;
    CUSTOS_ASSIGN_OR_RETURN(int pfd, ParentFd(it->rel, &leaf));
    Fd d(::openat(pfd, leaf.c_str(), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC));
    struct timespec ts[2] = {{it->mtime, 0}, {it->mtime, 0}};
    if (!d.valid() || ::fchmod(d.get(), it->mode) != 0 || ::futimens(d.get(), ts) != 0)
      return ErrnoError(errno, "staging " + it->rel);
  }
  cached_fd_ = Fd();
  cached_dir_.clear();
  if (::fchmod(root_.get(), 0700) != 0) return ErrnoError(errno, staging_path_);
  // Every staged file and directory, with its final mode and mtime, reaches
  // the disk before the rename makes any of it visible.
  if (::syncfs(root_.get()) != 0) return ErrnoError(errno, staging_path_);
  int pfd = parent_fd_.get();
  int rc = replace_empty_
               ? ::renameat(pfd, staging_name_.c_str(), pfd, name_.c_str())
               : ::renameat2(pfd, staging_name_.c_str(), pfd, name_.c_str(), RENAME_NOREPLACE);
  if (rc != 0) return ErrnoError(errno, outdir_);
  committed_ = true;
  struct stat a {}, b {};
  if (::fstat(root_.get(), &a) != 0 || ::fstatat(pfd, name_.c_str(), &b, AT_SYMLINK_NOFOLLOW) != 0 ||
      a.st_dev != b.st_dev || a.st_ino != b.st_ino)
    return Error(ErrorCode::kCorrupt, outdir_ + ": is not the directory custos wrote (it was "
                                                "replaced during the rename); do not trust it");
  ::fsync(pfd);
  return Ok();
}

}  // namespace custos::io
