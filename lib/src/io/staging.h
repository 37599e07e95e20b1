// The staging directory `open` writes into (docs/FORMAT.md "The opened directory"),
// the only code that creates files from a bundle. Every write is relative to
// the staging directory's descriptor (openat with O_CREAT|O_EXCL|O_NOFOLLOW,
// mkdirat, directories re-opened with O_NOFOLLOW|O_DIRECTORY); no path string
// from a bundle is ever joined onto an outside path.
//
//   PARENT/.NAME.custos-partial-XXXXXXXXXXXX   (mkdirat 0700, flock'ed while in use)
//   — every step relative to one descriptor of PARENT, opened once
//      └─ everything, then renamed to PARENT/NAME in one step
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <vector>

#include "custos/error.h"
#include "io/files.h"

namespace custos::io {

class StagingDir {
 public:
  // Checks OUTDIR (absent, or an empty directory we own), its parent (exists,
  // not writable by group/others unless sticky), removes stale staging
  // directories of earlier interrupted runs. Creates nothing.
  static Status CheckOutdir(const std::string& outdir, std::vector<std::string>* warnings);
  // Creates the staging directory beside `outdir`.
  static Result<std::unique_ptr<StagingDir>> Create(const std::string& outdir);
  ~StagingDir();  // removes the staging tree unless committed

  // Creates directory `rel` ("a/b"; its parent must exist) with mode 0700;
  // `mode` and `mtime` are applied at Commit, deepest first.
  Status MakeDir(const std::string& rel, std::uint32_t mode, std::int64_t mtime);
  // Starts a new file `rel` (O_EXCL: it must not exist). One file at a time.
  // `direct`: write it with O_DIRECT where the file system allows it, as long
  // as the writes are page-aligned (memory, length, offset); the first one
  // that is not (the tail) and the rest go through the page cache.
  Status BeginFile(const std::string& rel, bool direct = false);
  Status Write(std::span<const std::uint8_t> data);
  // Whether the current file is still being written with O_DIRECT (tests).
  bool writing_direct() const { return file_direct_; }
  // Sets mode (0777 bits) and mtime of the current file and starts its
  // writeback; Commit() makes everything durable (syncfs) before the rename.
  Status EndFile(std::uint32_t mode, std::int64_t mtime);
  Status WriteFile(const std::string& rel, std::span<const std::uint8_t> data, std::uint32_t mode,
                   std::int64_t mtime);
  // Appends to a file written earlier (the custody log after verification)
  // and sets its mtime.
  Status AppendTo(const std::string& rel, std::span<const std::uint8_t> data, std::int64_t mtime);

  // syncfs, applies directory modes/mtimes (fsyncing each), renames into place, and checks
  // that OUTDIR is the directory written (device and inode).
  Status Commit();
  std::uint64_t FreeBytes() const;
  const std::string& outdir() const { return outdir_; }

 private:
  StagingDir() = default;
  Result<int> ParentFd(const std::string& rel, std::string* leaf);

  std::string outdir_;
  std::string parent_;
  std::string name_;
  std::string staging_name_;
  std::string staging_path_;
  Fd parent_fd_;
  Fd root_;
  Fd file_;
  std::string file_what_;  // "staging <rel>", for errors
  std::uint64_t file_written_ = 0;
  std::uint64_t file_flushed_ = 0;
  bool file_direct_ = false;
  std::string cached_dir_;
  Fd cached_fd_;
  struct DirMeta {
    std::string rel;
    std::uint32_t mode;
    std::int64_t mtime;
  };
  std::vector<DirMeta> dirs_;
  bool committed_ = false;
  bool replace_empty_ = false;
};

}  // namespace custos::io
