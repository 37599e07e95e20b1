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
#include <thread>
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
  // `mode`: the mode EndFile will be given. The file is created with it when
  // the creation should give exactly that (no umask bit in it, no default
  // ACL) and fstat confirms it did, which saves EndFile an fchmod; otherwise
  // EndFile sets it. Nobody else can reach it either way: the staging
  // directory is 0700.
  Status BeginFile(const std::string& rel, bool direct = false, std::uint32_t mode = 0600);
  Status Write(std::span<const std::uint8_t> data);
  // Whether the current file is still being written with O_DIRECT (tests).
  bool writing_direct() const { return file_direct_; }
  // Whether the current file was created with the mode BeginFile was given,
  // so that EndFile needs no fchmod for it (tests).
  bool created_with_mode() const { return file_mode_ != kUnknownMode; }
  // Sets mode (0777 bits) and mtime of the current file; Commit() makes
  // everything durable (syncfs) before the rename.
  Status EndFile(std::uint32_t mode, std::int64_t mtime);
  Status WriteFile(const std::string& rel, std::span<const std::uint8_t> data, std::uint32_t mode,
                   std::int64_t mtime);
  // Appends to a file written earlier (the custody log after verification)
  // and sets its mtime.
  Status AppendTo(const std::string& rel, std::span<const std::uint8_t> data, std::int64_t mtime);

  // Starts writing what is staged so far to the disk (syncfs) on a thread of
  // its own, so that Commit's syncfs has only what is staged after it. Open
  // calls it when the evidence files are all written, and the smaller files
  // that follow are verified and written meanwhile. Optional: without a
  // thread, Commit's syncfs does it all. If the open fails after it, the
  // destructor waits for it before removing the tree.
  void StartSync();
  // Applies directory modes/mtimes (deepest first), syncs the file system
  // (syncfs: every file and directory staged), renames into place, and checks
  // that OUTDIR is the directory written (device and inode).
  Status Commit();
  std::uint64_t FreeBytes() const;
  const std::string& outdir() const { return outdir_; }

 private:
  StagingDir() = default;
  Result<int> ParentFd(const std::string& rel, std::string* leaf);
  // Joins StartSync's thread; its syncfs's errno, or 0.
  int JoinSync();

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
  static constexpr std::uint32_t kUnknownMode = 0xffffffff;
  std::uint32_t file_mode_ = kUnknownMode;  // the mode the current file was created with
  // The process's umask when the creation mode alone decides a new file's
  // mode (no default ACL on the staging directory); kUnknownMode if not.
  std::uint32_t create_umask_ = kUnknownMode;
  std::thread sync_thread_;
  int sync_errno_ = 0;
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
