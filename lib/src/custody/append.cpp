// Appending to and reading the tail of a custody log file.
// docs/FORMAT.md "Chain-of-custody log": appending is the only write.
#include <fcntl.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>

#include "custody/log.h"

namespace custos::custody {
namespace {

Status CheckRegular(int fd, const std::string& path, off_t* size) {
  struct stat st {};
  if (::fstat(fd, &st) != 0) return io::ErrnoError(errno, path);
  if (!S_ISREG(st.st_mode))
    return Error(ErrorCode::kIo, path + ": is not a regular file, so it cannot be a custody log");
  if (size != nullptr) *size = st.st_size;
  return Ok();
}

Error OpenError(int err, const std::string& path) {
  if (err == ELOOP)
    return Error(ErrorCode::kIo, path + ": is a symbolic link; custody logs are opened without following links");
  return io::ErrnoError(err, path);
}

Status Lock(int fd, int op, const std::string& path) {
  while (::flock(fd, op) != 0) {
    if (errno != EINTR) return io::ErrnoError(errno, path + ": cannot lock the log");
  }
  return Ok();
}

// Opens the log for appending, creating it (0600) only when missing.
Result<io::Fd> OpenForAppend(const std::string& path, bool* created) {
  for (int attempt = 0; attempt < 3; ++attempt) {
    io::Fd fd = io::OpenNoBlock(path, O_RDWR | O_NOFOLLOW | O_CLOEXEC);
    if (fd.valid()) {
      *created = false;
      return fd;
    }
    if (errno != ENOENT) return OpenError(errno, path);
    io::Fd made(::open(path.c_str(), O_RDWR | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600));
    if (made.valid()) {
      *created = true;
      return made;
    }
    if (errno != EEXIST) return OpenError(errno, path);
  }
  return Error(ErrorCode::kIo, path + ": cannot be opened (it keeps appearing and disappearing)");
}

// The file's tail: fully verified, or scanned and compared with *expected.
Result<Tail> FileTail(int fd, const std::string& path, const Tail* expected) {
  if (::lseek(fd, 0, SEEK_SET) != 0) return io::ErrnoError(errno, path);
  FdSource src(fd, path);
  Tail tail;
  Status st = expected != nullptr ? ReadLogFrom(src, kMaxLogFileBytes, Tail{}, false, nullptr, &tail)
                                  : ReadLog(src, kMaxLogFileBytes, nullptr, &tail);
  if (!st.ok()) return st.error().Wrap(path);
  if (expected != nullptr && !(tail == *expected))
    return Error(ErrorCode::kBrokenChain,
                 path + ": log changed since it was read (it now holds " + std::to_string(tail.count) +
                     " events, expected " + std::to_string(expected->count) + ")",
                 "read the log again and retry");
  return tail;
}

// The records to append must continue `tail`, with valid signatures.
Status CheckContinues(std::string_view records, const Tail& tail, const std::string& path) {
  if (records.empty()) return Error(ErrorCode::kInternal, path + ": no records to append");
  MemorySource src(crypto::AsBytes(records));
  Status st = ReadLogFrom(src, kMaxLogFileBytes, tail, true, nullptr, nullptr);
  if (!st.ok()) return st.error().Wrap(path + ": the new records do not continue the log");
  return Ok();
}

// Writes at `at`, fsyncs; on any failure cuts the file back to `at`.
Status WriteAt(int fd, off_t at, std::string_view records, const std::string& path) {
  Status st = Ok();
  if (::lseek(fd, at, SEEK_SET) != at) {
    st = io::ErrnoError(errno, path);
  } else {
    st = io::WriteAll(fd, crypto::AsBytes(records), path);
    if (st.ok() && ::fsync(fd) != 0) st = io::ErrnoError(errno, path);
  }
  if (!st.ok()) {
    // Leave the log exactly as it was: an earlier log is always a prefix.
    if (::ftruncate(fd, at) == 0) (void)::fsync(fd);
  }
  return st;
}

}  // namespace

Result<io::Fd> OpenLogForReading(const std::string& path) {
  io::Fd fd = io::OpenNoBlock(path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
  if (!fd.valid()) return OpenError(errno, path);
  CUSTOS_TRY(CheckRegular(fd.get(), path, nullptr));
  return fd;
}

Result<Tail> ReadTail(const std::string& path) {
  auto fd = OpenLogForReading(path);
  if (!fd.ok()) {
    if (fd.error().code() == ErrorCode::kNotFound) return Tail{};
    return std::move(fd).error();
  }
  // A shared lock: never read half of a record another process is appending.
  CUSTOS_TRY(Lock(fd->get(), LOCK_SH, path));
  FdSource src(fd->get(), path);
  Tail tail;
  Status st = ReadLog(src, kMaxLogFileBytes, nullptr, &tail);
  if (!st.ok()) return st.error().Wrap(path);
  return tail;
}

Status AppendRecords(const std::string& path, std::string_view records, const Tail* expected_tail) {
  // A missing log: check the records first so a refused append creates nothing.
  if (!io::Exists(path)) CUSTOS_TRY(CheckContinues(records, Tail{}, path));
  // Opened before the log can be created: nothing fails after the write
  // but a real I/O error.
  CUSTOS_ASSIGN_OR_RETURN(io::Fd dir, io::OpenDirForSync(io::DirName(path)));
  bool created = false;
  CUSTOS_ASSIGN_OR_RETURN(io::Fd fd, OpenForAppend(path, &created));
  CUSTOS_TRY(CheckRegular(fd.get(), path, nullptr));
  CUSTOS_TRY(Lock(fd.get(), LOCK_EX, path));
  off_t size = 0;
  CUSTOS_TRY(CheckRegular(fd.get(), path, &size));  // after the lock: the size we extend
  CUSTOS_ASSIGN_OR_RETURN(Tail tail, FileTail(fd.get(), path, expected_tail));
  CUSTOS_TRY(CheckContinues(records, tail, path));
  CUSTOS_TRY(WriteAt(fd.get(), size, records, path));
  if (created) CUSTOS_TRY(io::SyncDir(dir, io::DirName(path)));
  return Ok();
}

}  // namespace custos::custody
