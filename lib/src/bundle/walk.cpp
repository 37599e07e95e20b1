#include "bundle/walk.h"

#include <dirent.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <climits>
#include <cstdlib>
#include <memory>

#include "bundle/safe_path.h"

namespace custos::bundle {
namespace {

// Opened with io::OpenAtNoBlock: a FIFO swapped in cannot block the open.
constexpr int kOpenFile = O_RDONLY | O_NOFOLLOW | O_CLOEXEC | O_NOCTTY;
constexpr int kOpenDir = O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC;

const char* TypeName(mode_t m) {
  if (S_ISLNK(m)) return "a symbolic link";
  if (S_ISCHR(m)) return "a character device";
  if (S_ISBLK(m)) return "a block device";
  if (S_ISFIFO(m)) return "a FIFO (named pipe)";
  if (S_ISSOCK(m)) return "a socket";
  return "neither a regular file nor a directory";
}

Error NotSealable(const std::string& path, mode_t m) {
  return Error(ErrorCode::kIo, path + ": is " + TypeName(m) +
                                   "; custos seals only regular files and directories");
}

Error Changed(const std::string& path, const std::string& why) {
  return Error(ErrorCode::kIo, path + ": changed since it was listed (" + why + ")",
               "seal from read-only media or a snapshot, so the evidence cannot change while it is read");
}

// A name the receiver would refuse is an input problem here (exit 4), not a
// verification failure: the sender can rename it.
Error UnsafeInput(const Error& e) {
  return Error(ErrorCode::kIo, e.message(),
               "rename it before sealing: the receiver refuses such names (docs/FORMAT.md, "
               "\"Paths and the bag\")");
}

WalkEntry MakeEntry(std::string bundle_path, std::uint32_t top, const struct stat& st) {
  WalkEntry e;
  e.bundle_path = std::move(bundle_path);
  e.top = top;
  e.is_dir = S_ISDIR(st.st_mode);
  e.size = e.is_dir ? 0 : static_cast<std::uint64_t>(st.st_size);
  e.mode = static_cast<std::uint32_t>(st.st_mode & 0777);
  e.mtime = static_cast<std::int64_t>(st.st_mtim.tv_sec);
  e.dev = static_cast<std::uint64_t>(st.st_dev);
  e.ino = static_cast<std::uint64_t>(st.st_ino);
  return e;
}

// Fails early, before the manifest is written, on a file we could not read.
Status ProbeReadable(int dirfd, const char* name, const std::string& source) {
  io::Fd fd = io::OpenAtNoBlock(dirfd, name, kOpenFile);
  if (!fd.valid()) return io::ErrnoError(errno, source);
  return Ok();
}

// Opens a directory without following links and checks it is the one stat'ed.
Result<io::Fd> OpenDirAt(int dirfd, const char* name, const std::string& source,
                         const struct stat& listed) {
  io::Fd fd(::openat(dirfd, name, kOpenDir));
  if (!fd.valid()) {
    if (errno == ELOOP || errno == ENOTDIR) return Changed(source, "it is no longer a directory");
    return io::ErrnoError(errno, source);
  }
  struct stat st {};
  if (::fstat(fd.get(), &st) != 0) return io::ErrnoError(errno, source);
  if (st.st_dev != listed.st_dev || st.st_ino != listed.st_ino)
    return Changed(source, "it is a different directory now");
  return fd;
}

// Names in a directory, sorted by bytes (std::string compares as unsigned char).
// At most `room` names; `limit` is the whole walk's limit, for the message.
Result<std::vector<std::string>> ListDir(io::Fd dirfd, const std::string& source, std::size_t room,
                                         std::size_t limit) {
  int fd = dirfd.Release();
  std::unique_ptr<DIR, int (*)(DIR*)> dir(::fdopendir(fd), &::closedir);
  if (!dir) {
    int err = errno;
    ::close(fd);
    return io::ErrnoError(err, source);
  }
  std::vector<std::string> names;
  while (true) {
    errno = 0;
    struct dirent* d = ::readdir(dir.get());
    if (d == nullptr) {
      if (errno != 0) return io::ErrnoError(errno, source);
      break;
    }
    std::string_view n(d->d_name);
    if (n == "." || n == "..") continue;
    if (names.size() >= room)
      return Error(ErrorCode::kLimitExceeded,
                   source + ": more than " + std::to_string(limit) + " files and directories to seal",
                   "a bundle lists at most " + std::to_string(limit) +
                       "; seal the evidence in several bundles");
    names.emplace_back(n);
  }
  std::sort(names.begin(), names.end());
  return names;
}

class Walker {
 public:
  explicit Walker(std::size_t max_entries) : max_(max_entries) {}

  Status Add(WalkEntry e, const std::string& source) {
    if (out_.size() >= max_)
      return Error(ErrorCode::kLimitExceeded,
                   source + ": more than " + std::to_string(max_) + " files and directories to seal",
                   "a bundle lists at most " + std::to_string(max_) +
                       "; seal the evidence in several bundles");
    if (auto st = detector_.Add(e.bundle_path); !st.ok()) return UnsafeInput(st.error());
    out_.push_back(std::move(e));
    return Ok();
  }

  // Lists the directory open at `fd` (already added) and everything below it.
  Status WalkDir(io::Fd fd, const std::string& bundle, const std::string& source) {
    int raw = fd.get();
    io::Fd keep(::dup(raw));  // ListDir consumes one descriptor; we need one for *at calls
    if (!keep.valid()) return io::ErrnoError(errno, source);
    CUSTOS_ASSIGN_OR_RETURN(std::vector<std::string> names,
                            ListDir(std::move(fd), source, max_ - std::min(max_, out_.size()), max_));
    for (const std::string& name : names) {
      std::string child_bundle = bundle + "/" + name;
      std::string child_source = source + "/" + name;
      struct stat st {};
      if (::fstatat(keep.get(), name.c_str(), &st, AT_SYMLINK_NOFOLLOW) != 0)
        return io::ErrnoError(errno, child_source);
      CUSTOS_TRY(AddChecked(keep.get(), name.c_str(), child_bundle, child_source, st));
      if (!S_ISDIR(st.st_mode)) continue;
      CUSTOS_ASSIGN_OR_RETURN(io::Fd sub, OpenDirAt(keep.get(), name.c_str(), child_source, st));
      CUSTOS_TRY(WalkDir(std::move(sub), child_bundle, child_source));
    }
    return Ok();
  }

  // Checks the type (and, for a file, that it can be opened), then adds it.
  Status AddChecked(int dirfd, const char* name, const std::string& bundle, const std::string& source,
                    const struct stat& st) {
    WalkEntry e = MakeEntry(bundle, top_, st);
    // The name first: "unsafe path" says more than the type about an odd name.
    if (auto s = CheckSafePath(bundle); !s.ok()) return UnsafeInput(s.error());
    if (!S_ISREG(st.st_mode) && !S_ISDIR(st.st_mode)) return NotSealable(source, st.st_mode);
    if (S_ISREG(st.st_mode)) CUSTOS_TRY(ProbeReadable(dirfd, name, source));
    return Add(std::move(e), source);
  }

  void SetTop(std::uint32_t top) { top_ = top; }

  // A deque: no doubling slack, and the sealer frees it from the front as
  // the manifest takes the entries over.
  std::deque<WalkEntry> Take() { return std::move(out_); }

 private:
  std::size_t max_;
  std::uint32_t top_ = 0;
  std::deque<WalkEntry> out_;
  CollisionDetector detector_;
};

struct TopInput {
  std::string given;   // as on the command line, for messages
  std::string source;  // what is opened
  std::string base;    // its name under data/
};

Result<TopInput> ResolveInput(const std::string& input) {
  if (input.empty()) return Error(ErrorCode::kUsage, "an input path is empty");
  // A trailing slash would make lstat follow a symbolic link: strip it.
  std::string s = input;
  while (s.size() > 1 && s.back() == '/') s.pop_back();
  std::size_t slash = s.rfind('/');
  std::string base = slash == std::string::npos ? s : s.substr(slash + 1);
  if (s == "/" || base == "." || base == "..") {
    char* real = ::realpath(s.c_str(), nullptr);
    if (real == nullptr) return io::ErrnoError(errno, input);
    s = real;
    std::free(real);
    if (s == "/")
      return Error(ErrorCode::kUsage, "input \"" + input + "\" is the root directory, which has no base name",
                   "name the directories below it instead");
    base = s.substr(s.rfind('/') + 1);
  }
  return TopInput{input, s, base};
}

// Same base name twice is a usage error: the user named both.
Status CheckTopLevelNames(const std::vector<TopInput>& tops) {
  CollisionDetector names;
  for (std::size_t i = 0; i < tops.size(); ++i) {
    for (std::size_t j = 0; j < i; ++j)
      if (tops[j].base == tops[i].base)
        return Error(ErrorCode::kUsage, "inputs \"" + tops[j].given + "\" and \"" + tops[i].given +
                                            "\" would both be sealed as data/" + EscapeForDisplay(tops[i].base),
                     "seal them from differently named directories, or rename one");
    std::string bundle = "data/" + tops[i].base;
    if (auto st = CheckSafePath(bundle); !st.ok()) return UnsafeInput(st.error());
    if (auto st = names.Add(bundle); !st.ok())
      return Error(ErrorCode::kUsage, "inputs \"" + tops[i].given + "\" and an earlier input collide: " +
                                          st.error().message());
  }
  return Ok();
}

Status WalkOneInput(Walker& w, const TopInput& top) {
  struct stat st {};
  if (::lstat(top.source.c_str(), &st) != 0) return io::ErrnoError(errno, top.given);
  std::string bundle = "data/" + top.base;
  CUSTOS_TRY(w.AddChecked(AT_FDCWD, top.source.c_str(), bundle, top.source, st));
  if (!S_ISDIR(st.st_mode)) return Ok();
  CUSTOS_ASSIGN_OR_RETURN(io::Fd fd, OpenDirAt(AT_FDCWD, top.source.c_str(), top.source, st));
  return w.WalkDir(std::move(fd), bundle, top.source);
}

}  // namespace

Result<WalkResult> WalkInputsLimited(const std::vector<std::string>& inputs, std::size_t max_entries) {
  if (inputs.empty()) return Error(ErrorCode::kUsage, "no inputs to seal");
  std::vector<TopInput> tops;
  for (const std::string& in : inputs) {
    CUSTOS_ASSIGN_OR_RETURN(TopInput t, ResolveInput(in));
    tops.push_back(std::move(t));
  }
  CUSTOS_TRY(CheckTopLevelNames(tops));
  Walker w(max_entries);
  WalkResult out;
  for (std::size_t i = 0; i < tops.size(); ++i) {
    w.SetTop(static_cast<std::uint32_t>(i));
    CUSTOS_TRY(WalkOneInput(w, tops[i]));
    out.tops.push_back({tops[i].source, "data/" + tops[i].base});
  }
  out.entries = w.Take();
  return out;
}

Result<WalkResult> WalkInputs(const std::vector<std::string>& inputs) {
  return WalkInputsLimited(inputs, kMaxWalkEntries);
}

std::string WalkResult::SourcePath(std::uint32_t top, std::string_view bundle_path) const {
  const WalkTop& t = tops.at(top);
  if (bundle_path.substr(0, t.bundle.size()) != t.bundle) return {};  // not under it
  std::string out = t.source;
  out.append(bundle_path.substr(t.bundle.size()));
  return out;
}

Result<io::Fd> OpenForSealing(const std::string& path, const ListedFile& listed, struct stat* out) {
  struct stat st {};
  io::Fd fd = io::OpenNoBlock(path, kOpenFile, &st);  // one fstat for both
  if (!fd.valid()) {
    if (errno == ELOOP) return Changed(path, "it is now a symbolic link");
    if (errno == ENOENT) return Changed(path, "it no longer exists");
    return io::ErrnoError(errno, path);
  }
  if (out != nullptr) *out = st;
  if (!S_ISREG(st.st_mode)) return Changed(path, "it is no longer a regular file");
  if (static_cast<std::uint64_t>(st.st_dev) != listed.dev || static_cast<std::uint64_t>(st.st_ino) != listed.ino)
    return Changed(path, "it is a different file now: device or inode differ");
  if (static_cast<std::uint64_t>(st.st_size) != listed.size)
    return Changed(path, "it was " + std::to_string(listed.size) + " bytes, now " +
                             std::to_string(st.st_size));
  if (static_cast<std::int64_t>(st.st_mtim.tv_sec) != listed.mtime)
    return Changed(path, "its modification time differs");
  return fd;  // O_NONBLOCK was cleared once fstat showed a regular file
}

}  // namespace custos::bundle
