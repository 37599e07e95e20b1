#include "io/open_ahead.h"

#include <fcntl.h>
#include <sys/resource.h>
#include <sys/stat.h>

#include <algorithm>
#include <utility>

namespace custos::io {

namespace {

// What changes when a file is written, truncated, renamed, replaced or
// unlinked (ctime moves with each, nlink with the last two).
OpenAhead::Stamp StampOf(const struct stat& st) {
  return {static_cast<std::int64_t>(st.st_ctim.tv_sec), static_cast<std::int64_t>(st.st_ctim.tv_nsec),
          static_cast<std::int64_t>(st.st_mtim.tv_sec), static_cast<std::int64_t>(st.st_mtim.tv_nsec),
          static_cast<std::int64_t>(st.st_size), static_cast<std::uint64_t>(st.st_nlink)};
}

std::size_t WindowFor(std::size_t files) {
  struct rlimit rl {};
  if (::getrlimit(RLIMIT_NOFILE, &rl) != 0 || rl.rlim_cur == RLIM_INFINITY) return files;
  return std::clamp<std::size_t>(static_cast<std::size_t>(rl.rlim_cur / 8), 1, files);
}

}  // namespace

OpenAhead::OpenAhead(std::size_t count, SizeFn size, OpenFn open, std::uint64_t advise_below,
                     AdviseFn advise)
    : count_(count),
      size_(std::move(size)),
      open_(std::move(open)),
      advise_below_(advise_below),
      advise_(advise != nullptr ? advise : &::posix_fadvise),
      window_(WindowFor(kFiles)) {}

Result<Fd> OpenAhead::Take(std::size_t i) {
  while (!ahead_.empty() && ahead_.front().index < i) {  // skipped over: closed
    bytes_ -= ahead_.front().advised;
    ahead_.pop_front();
  }
  std::optional<Result<Fd>> got;
  if (!ahead_.empty() && ahead_.front().index == i) {
    Opened o = std::move(ahead_.front());
    bytes_ -= o.advised;
    ahead_.pop_front();
    // Unchanged since it was opened ahead, or opened again now: the caller's
    // checks then hold at the file's turn, as if it had been opened now.
    struct stat st {};
    if (::fstat(o.fd.get(), &st) == 0 && StampOf(st) == o.stamp) {
      got.emplace(std::move(o.fd));
    } else {
      o.fd = Fd();
      ++reopened_;
      got.emplace(open_(i, &st));
    }
  } else {
    struct stat st {};
    got.emplace(open_(i, &st));
    if (next_ <= i) next_ = i + 1;
  }
  if (failed_ && i >= failed_at_) failed_ = false;  // it was opened again just now
  if (got->ok()) Fill();  // after a failure the caller stops: open nothing more
  return std::move(*got);
}

void OpenAhead::Fill() {
  while (!failed_ && next_ < count_ && ahead_.size() < window_) {
    const std::optional<std::uint64_t> size = size_(next_);
    if (!size) {
      ++next_;
      continue;
    }
    std::uint64_t advised = *size < advise_below_ ? *size : 0;
    if (advised > 0 && bytes_ + advised > kBytes) break;
    struct stat st {};
    Result<Fd> fd = open_(next_, &st);  // st: what the opener's checks saw
    if (!fd.ok()) {
      // Not kept: the file is opened again at its turn, and that open's
      // outcome is the one reported. An error ahead may be the window's own
      // doing (EMFILE under a low descriptor limit), or may have gone by then.
      // Nothing more is opened ahead until this file has been taken.
      failed_ = true;
      failed_at_ = next_;
      break;
    }
    if (advised > 0) {
      // Advice only: if the kernel declines, the read waits as it would have.
      (void)advise_(fd->get(), 0, static_cast<off_t>(advised), POSIX_FADV_WILLNEED);
    }
    bytes_ += advised;
    ahead_.push_back({next_, advised, StampOf(st), std::move(fd).value()});
    ++next_;
  }
}

}  // namespace custos::io
