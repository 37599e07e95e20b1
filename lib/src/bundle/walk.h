// lib/src/bundle/walk — walking the inputs of `seal`. docs/FORMAT.md "Paths
// and the bag", "Walking the inputs (`seal`)".
//
// Sealing stats everything first, so the manifest (every path, size, mode and
// mtime) is known before any byte is read, and a name the receiver would
// refuse fails the seal at once rather than hours into a disk image.
#pragma once

#include <sys/types.h>

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <deque>
#include <vector>

#include "bundle/limits.h"
#include "custos/error.h"
#include "io/files.h"

namespace custos::bundle {

// A hostile tree (millions of empty files) must not exhaust memory, and a
// bundle lists at most kMaxEntries: the walk stops at the first entry more.
constexpr std::size_t kMaxWalkEntries = kMaxEntries;

struct WalkEntry {
  std::string bundle_path;  // "data/<base name>[/…]", passed CheckSafePath
  bool is_dir = false;
  std::uint32_t mode = 0;   // st_mode & 0777: set-id and sticky bits dropped
  std::uint32_t top = 0;    // which input it is under (WalkResult::tops)
  std::uint64_t size = 0;   // 0 for directories
  std::int64_t mtime = 0;   // seconds since the epoch
  std::uint64_t dev = 0;
  std::uint64_t ino = 0;
};

// One input as walked: where it is read from and where it lands.
struct WalkTop {
  std::string source;  // the input as given (or its realpath for "."/".."
                       // inputs), without trailing slashes
  std::string bundle;  // "data/<base name>"
};

// The walk: entries in bundle order. The source path of an entry is not
// stored (it would cost a path per file for the whole seal): it is its top's
// source joined with the rest of its bundle path.
struct WalkResult {
  std::vector<WalkTop> tops;
  std::deque<WalkEntry> entries;  // popped from the front by the sealer
  std::string SourcePath(std::uint32_t top, std::string_view bundle_path) const;
  std::string SourcePath(const WalkEntry& e) const { return SourcePath(e.top, e.bundle_path); }
};

// Walks `inputs` in the order given. Each input lands at data/<base name>; a
// directory is listed before its contents, and its children in byte order of
// their names, so the result is deterministic. Nothing is followed: the last
// component of an input and every name below it is lstat'ed, and directories
// are descended through descriptors (openat/fdopendir, O_NOFOLLOW, device and
// inode re-checked), never by re-resolving path strings.
//
// Errors (nothing is read before all of them are ruled out):
//  - kUsage:      no inputs, an empty input, an input without a base name ("/"),
//                 two inputs with the same (or colliding) base name;
//  - kNotFound / kPermission: an input or a directory that is missing or
//                 unreadable, or a file that cannot be opened for reading;
//  - kIo:         a symbolic link, device, FIFO or socket ("<path>: is a
//                 symbolic link; custos seals only regular files and
//                 directories"), or a name the receiver would refuse
//                 (CheckSafePath, CollisionDetector) — with a hint to rename it;
//  - kLimitExceeded: more than kMaxWalkEntries entries.
Result<WalkResult> WalkInputs(const std::vector<std::string>& inputs);
// The same with another entry limit (tests).
Result<WalkResult> WalkInputsLimited(const std::vector<std::string>& inputs, std::size_t max_entries);

// What the walk saw of a regular file.
struct ListedFile {
  std::uint64_t dev = 0;
  std::uint64_t ino = 0;
  std::uint64_t size = 0;
  std::int64_t mtime = 0;
};
inline ListedFile Listed(const WalkEntry& e) { return {e.dev, e.ino, e.size, e.mtime}; }

// Opens a file listed by WalkInputs for reading (O_RDONLY|O_NOFOLLOW|O_CLOEXEC)
// and checks with fstat that it is still the file that was listed: a regular
// file with the same device, inode, size and mtime. Otherwise kIo:
// "<path>: changed since it was listed (…)".
// `st`, if given, receives the fstat the checks were made on.
Result<io::Fd> OpenForSealing(const std::string& source_path, const ListedFile& listed,
                              struct stat* st = nullptr);

}  // namespace custos::bundle
