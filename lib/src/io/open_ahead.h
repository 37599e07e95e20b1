// Opens the files a reader will read next, ahead of it and in its order, and
// asks the kernel to start reading the small ones (posix_fadvise WILLNEED).
//
// Sealing small files one read at a time waits for the disk once a file:
// each read is issued only when the one before has completed. With the next
// files' reads already queued, the disk serves many at once. Measured on the
// benchmark's 20,000 files of 1-8 KiB, cold: 1.33 s to read them in order,
// 0.50 s with 16 files advised ahead (bench/RESULTS.md, run 11). It needs no
// thread: the advice returns once the reads are queued.
//
// A file opened ahead is handed over only if it is unchanged since (fstat:
// ctime, mtime, size and link count as when it was opened); otherwise it is
// opened again at its turn. Either way the caller's own checks at open (the
// walk's identity, size and mtime) hold at the file's turn, as they would
// have had it been opened then.
//
// Bounded: at most kFiles descriptors open ahead (and at most 1/8 of the
// soft limit on open files: the process may need the rest), and at most
// kBytes of advised data (page cache, not this process's memory) not yet
// taken. Files of `advise_below` bytes and more are opened ahead but not
// advised: they are read in large pieces (with O_DIRECT by io::ReadAhead when
// sealing on threads), which advice would not speed up.
#pragma once

#include <cstddef>
#include <cstdint>
#include <deque>
#include <functional>
#include <optional>

#include <sys/stat.h>

#include "custos/error.h"
#include "io/files.h"

namespace custos::io {

class OpenAhead {
 public:
  static constexpr std::size_t kFiles = 32;
  static constexpr std::uint64_t kBytes = 8u << 20;

  // The size of item i if it is a file to open, nullopt if it is not (a
  // directory): such items are skipped.
  using SizeFn = std::function<std::optional<std::uint64_t>(std::size_t)>;
  // Opens item i with every check the caller needs (the walk's identity),
  // and stores in `st` the fstat of what it opened (on success).
  using OpenFn = std::function<Result<Fd>(std::size_t, struct stat* st)>;
  // `advise` stands in for posix_fadvise in tests (nullptr: the real one).
  using AdviseFn = int (*)(int fd, off_t offset, off_t len, int advice);

  OpenAhead(std::size_t count, SizeFn size, OpenFn open, std::uint64_t advise_below,
            AdviseFn advise = nullptr);

  // Item i's descriptor, or the error opening it gave. Items are taken in
  // increasing order; items skipped over are closed. The files after i are
  // opened ahead before this returns. A file whose open ahead failed is
  // opened again when it is taken (the error ahead is dropped): a descriptor
  // limit the window ran into costs no seal, and the error reported is the
  // one of the file's own turn.
  Result<Fd> Take(std::size_t i);

  // For tests: descriptors open ahead, advised bytes not yet taken, files
  // opened again because they changed after their open ahead, and the window.
  std::size_t files_ahead() const { return ahead_.size(); }
  std::uint64_t bytes_ahead() const { return bytes_; }
  std::size_t reopened() const { return reopened_; }
  std::size_t window() const { return window_; }

  struct Stamp {
    std::int64_t ctime_s, ctime_ns, mtime_s, mtime_ns, size;
    std::uint64_t nlink;
    bool operator==(const Stamp&) const = default;
  };

 private:
  struct Opened {
    std::size_t index;
    std::uint64_t advised;  // bytes
    Stamp stamp;            // at the open ahead
    Fd fd;
  };
  void Fill();

  std::size_t count_;
  SizeFn size_;
  OpenFn open_;
  std::uint64_t advise_below_;
  AdviseFn advise_;
  std::size_t window_;  // kFiles, or less under a low limit on open files
  std::deque<Opened> ahead_;
  std::size_t reopened_ = 0;
  std::size_t next_ = 0;  // the next item to consider opening
  std::uint64_t bytes_ = 0;
  bool failed_ = false;  // an open ahead failed: none more until it is taken
  std::size_t failed_at_ = 0;
};

}  // namespace custos::io
