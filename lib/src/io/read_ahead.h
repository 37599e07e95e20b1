// Reads a large file ahead of its consumer, on a thread of its own, into
// page-aligned buffers allocated once and reused for every file.
//
// With O_DIRECT where the file system allows it: a disk image read for
// sealing is read once, so it should neither be copied through the page
// cache (a kernel copy per byte, and fresh page-cache memory is what costs
// most on virtual machines) nor push everything else out of it. Where
// O_DIRECT is refused (tmpfs, some FUSE and network file systems) or a read
// cannot be aligned, it reads through the page cache instead; the bytes are
// the same either way.
#pragma once

#include <sys/types.h>
#include <unistd.h>

#include <condition_variable>
#include <cstddef>
#include <cstdint>
#include <deque>
#include <memory>
#include <mutex>
#include <span>
#include <string>
#include <thread>
#include <vector>

#include "custos/error.h"

namespace custos::io {

class ReadAhead {
 public:
  static constexpr std::size_t kChunk = 1 << 20;  // bytes a read, and a piece
  static constexpr std::size_t kSlots = 4;        // pieces read ahead at most

  // `pread_fn`: pread(2), or a stand-in for tests (a file system that
  // refuses direct reads).
  using PreadFn = ssize_t (*)(int, void*, std::size_t, off_t);
  explicit ReadAhead(PreadFn pread_fn = &::pread);
  ~ReadAhead();
  ReadAhead(const ReadAhead&) = delete;
  ReadAhead& operator=(const ReadAhead&) = delete;

  // Begins reading the first `size` bytes of `fd` from offset 0 (pread: the
  // descriptor's offset is left alone). `fd` must stay open until Next()
  // returned its end or an error, or Stop() returned. `what` names the file
  // in errors.
  void Start(int fd, std::uint64_t size, bool direct, std::string what);
  // The next piece of the file, in order: empty once `size` bytes were
  // delivered or the file ended before (the caller counts). Valid until the
  // next call. After the end or an error the thread no longer uses `fd`, and
  // the descriptor's O_DIRECT flag is as it was before Start().
  Result<std::span<const std::uint8_t>> Next();
  // Abandons the current file; on return the thread no longer uses its fd.
  void Stop();
  // Whether the last file was read with O_DIRECT throughout (for tests).
  bool last_direct() const { return last_direct_; }

 private:
  struct Buffer {
    void operator()(std::uint8_t* p) const;
  };
  struct Piece {
    int slot = -1;  // -1: the end, or an error
    std::size_t len = 0;
    Status status;
  };
  void Run();
  void ReadFile(int fd, std::uint64_t size, bool direct, const std::string& what);

  PreadFn pread_;
  std::vector<std::unique_ptr<std::uint8_t, Buffer>> buffers_;
  std::mutex mu_;
  std::condition_variable cv_;
  std::deque<int> free_;
  std::deque<Piece> full_;
  int current_ = -1;  // the slot the consumer holds
  // The job, under mu_.
  int fd_ = -1;
  std::uint64_t size_ = 0;
  bool direct_ = false;
  std::string what_;
  bool pending_ = false;  // Start() gave a file the thread has not taken yet
  bool active_ = false;   // the thread is reading a file
  bool cancel_ = false;
  bool stop_ = false;
  bool last_direct_ = false;
  std::thread thread_;
};

}  // namespace custos::io
