#include "io/open_ahead.h"

#include <fcntl.h>

#include <utility>

namespace custos::io {

OpenAhead::OpenAhead(std::size_t count, SizeFn size, OpenFn open, std::uint64_t advise_below,
                     AdviseFn advise)
    : count_(count),
      size_(std::move(size)),
      open_(std::move(open)),
      advise_below_(advise_below),
      advise_(advise != nullptr ? advise : &::posix_fadvise) {}

Result<Fd> OpenAhead::Take(std::size_t i) {
  while (!ahead_.empty() && ahead_.front().index < i) {  // skipped over: closed
    bytes_ -= ahead_.front().advised;
    ahead_.pop_front();
  }
  std::optional<Result<Fd>> got;
  if (!ahead_.empty() && ahead_.front().index == i) {
    bytes_ -= ahead_.front().advised;
    got.emplace(std::move(ahead_.front().fd));
    ahead_.pop_front();
  } else {
    got.emplace(open_(i));
    if (next_ <= i) next_ = i + 1;
  }
  if (failed_ && i >= failed_at_) failed_ = false;  // it was opened again just now
  Fill();
  return std::move(*got);
}

void OpenAhead::Fill() {
  while (!failed_ && next_ < count_ && ahead_.size() < kFiles) {
    const std::optional<std::uint64_t> size = size_(next_);
    if (!size) {
      ++next_;
      continue;
    }
    std::uint64_t advised = *size < advise_below_ ? *size : 0;
    if (advised > 0 && bytes_ + advised > kBytes) break;
    Result<Fd> fd = open_(next_);
    if (!fd.ok()) {
      // Not kept: the file is opened again at its turn, and that open's
      // outcome is the one reported. An error ahead may be the window's own
      // doing (EMFILE under a low descriptor limit), or may have gone by then.
      // Nothing more is opened ahead until the window is empty again.
      failed_ = true;
      failed_at_ = next_;
      break;
    }
    if (advised > 0) {
      // Advice only: if the kernel declines, the read waits as it would have.
      (void)advise_(fd->get(), 0, static_cast<off_t>(advised), POSIX_FADV_WILLNEED);
    }
    bytes_ += advised;
    ahead_.push_back({next_, advised, std::move(fd).value()});
    ++next_;
  }
}

}  // namespace custos::io
