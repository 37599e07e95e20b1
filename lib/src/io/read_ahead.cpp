#include "io/read_ahead.h"

#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <new>

#include "io/files.h"

namespace custos::io {

static_assert(ReadAhead::kChunk % kPageAlign == 0);

void ReadAhead::Buffer::operator()(std::uint8_t* p) const {
  ::operator delete(p, std::align_val_t{kPageAlign});
}

ReadAhead::ReadAhead(PreadFn pread_fn) : pread_(pread_fn) {
  for (std::size_t i = 0; i < kSlots; ++i) {
    buffers_.emplace_back(static_cast<std::uint8_t*>(::operator new(kChunk, std::align_val_t{kPageAlign})));
    free_.push_back(static_cast<int>(i));
  }
  thread_ = std::thread([this] { Run(); });
}

ReadAhead::~ReadAhead() {
  {
    std::lock_guard<std::mutex> l(mu_);
    stop_ = true;
    cancel_ = true;
  }
  cv_.notify_all();
  thread_.join();
}

void ReadAhead::Start(int fd, std::uint64_t size, bool direct, std::string what) {
  Stop();  // a previous file not read to its end
  {
    std::lock_guard<std::mutex> l(mu_);
    fd_ = fd;
    size_ = size;
    direct_ = direct;
    what_ = std::move(what);
    pending_ = true;
  }
  cv_.notify_all();
}

void ReadAhead::Stop() {
  std::unique_lock<std::mutex> l(mu_);
  cancel_ = true;
  pending_ = false;
  cv_.notify_all();
  cv_.wait(l, [&] { return !active_; });
  cancel_ = false;
  for (const Piece& p : full_)
    if (p.slot >= 0) free_.push_back(p.slot);
  full_.clear();
  if (current_ >= 0) free_.push_back(current_);
  current_ = -1;
}

Result<std::span<const std::uint8_t>> ReadAhead::Next() {
  std::unique_lock<std::mutex> l(mu_);
  if (current_ >= 0) {
    free_.push_back(current_);
    current_ = -1;
    cv_.notify_all();
  }
  cv_.wait(l, [&] { return !full_.empty() || (!pending_ && !active_); });
  if (full_.empty()) return std::span<const std::uint8_t>();  // no file started
  Piece p = std::move(full_.front());
  full_.pop_front();
  if (p.slot < 0) {
    if (!p.status.ok()) return p.status.error();
    return std::span<const std::uint8_t>();
  }
  current_ = p.slot;
  return std::span<const std::uint8_t>(buffers_[static_cast<std::size_t>(p.slot)].get(), p.len);
}

void ReadAhead::Run() {
  std::unique_lock<std::mutex> l(mu_);
  for (;;) {
    cv_.wait(l, [&] { return pending_ || stop_; });
    if (stop_) return;
    pending_ = false;
    active_ = true;
    const int fd = fd_;
    const std::uint64_t size = size_;
    const bool direct = direct_;
    const std::string what = what_;
    l.unlock();
    ReadFile(fd, size, direct, what);
    l.lock();
  }
}

// On the thread. Ends by pushing the end (or an error) and clearing active_
// under one lock, after the descriptor's flags are restored; a cancelled
// read pushes nothing.
void ReadAhead::ReadFile(int fd, std::uint64_t size, bool direct, const std::string& what) {
  const int flags = ::fcntl(fd, F_GETFL);
  const bool was_direct = flags >= 0 && (flags & O_DIRECT) != 0;
  bool on = was_direct || (direct && flags >= 0 && SetDirectIo(fd, true));
  bool all_direct = on;
  const auto fall_back = [&] {
    if (on && SetDirectIo(fd, false)) {
      on = false;
      all_direct = false;
      return true;
    }
    return false;
  };
  std::uint64_t off = 0;
  Status st;
  bool cancelled = false, short_file = false;
  while (off < size && st.ok() && !short_file) {
    int slot = -1;
    {
      std::unique_lock<std::mutex> l(mu_);
      cv_.wait(l, [&] { return !free_.empty() || cancel_; });
      if (cancel_) {
        cancelled = true;
        break;
      }
      slot = free_.front();
      free_.pop_front();
    }
    std::uint8_t* buf = buffers_[static_cast<std::size_t>(slot)].get();
    const std::size_t len = static_cast<std::size_t>(std::min<std::uint64_t>(kChunk, size - off));
    std::size_t got = 0;
    while (got < len) {
      if (on && (off + got) % kPageAlign != 0 && !fall_back()) {
        st = ErrnoError(errno, what);
        break;
      }
      // A direct read asks for whole blocks; past the end of the file it
      // returns what there is.
      const std::size_t want = on ? (len - got + kPageAlign - 1) / kPageAlign * kPageAlign : len - got;
      const ssize_t n = pread_(fd, buf + got, want, static_cast<off_t>(off + got));
      if (n < 0) {
        if (errno == EINTR) continue;
        if (errno == EINVAL && fall_back()) continue;
        st = ErrnoError(errno, what);
        break;
      }
      if (n == 0) {
        short_file = true;  // the caller finds the file shorter than listed
        break;
      }
      got += std::min(static_cast<std::size_t>(n), len - got);  // a grown file: the caller checks
    }
    std::lock_guard<std::mutex> l(mu_);
    if (got > 0) {
      full_.push_back({slot, got, Ok()});
      off += got;
    } else {
      free_.push_back(slot);
    }
    cv_.notify_all();
  }
  if (on != was_direct) (void)SetDirectIo(fd, was_direct);
  std::lock_guard<std::mutex> l(mu_);
  if (!cancelled && !cancel_) full_.push_back({-1, 0, st});
  last_direct_ = all_direct;
  active_ = false;
  cv_.notify_all();
}

}  // namespace custos::io
