// Byte sources and sinks: how the stages of sealing and opening are chained
// (file -> age STREAM -> zstd -> tar, and back) without knowing each other.
#pragma once

#include <cstddef>
#include <algorithm>
#include <cstdint>
#include <cstring>
#include <limits>
#include <span>
#include <vector>

#include "custos/error.h"

namespace custos {

class ByteSink {
 public:
  virtual ~ByteSink() = default;
  // Consumes all of data or fails.
  virtual Status Write(std::span<const std::uint8_t> data) = 0;
  // Optional zero-copy path for a producer that can write in place (zstd's
  // output): the free part of the sink's current buffer, or an empty span if
  // the sink has none. CommitBuffer(n) then takes its first n bytes as if
  // they were written; any Write() or CommitBuffer() invalidates the span.
  virtual std::span<std::uint8_t> NextBuffer() { return {}; }
  virtual Status CommitBuffer(std::size_t n);
};

class ByteSource {
 public:
  virtual ~ByteSource() = default;
  // Fills up to out.size() bytes; 0 means end of stream. A short read is not
  // the end of the stream.
  virtual Result<std::size_t> Read(std::span<std::uint8_t> out) = 0;
};

// Bytes in memory (not owned) as a source; at most `max_read` bytes a Read,
// so tests and fuzz targets can make every stage meet short reads.
class MemorySource final : public ByteSource {
 public:
  explicit MemorySource(std::span<const std::uint8_t> data,
                        std::size_t max_read = std::numeric_limits<std::size_t>::max())
      : data_(data), max_read_(max_read == 0 ? 1 : max_read) {}
  Result<std::size_t> Read(std::span<std::uint8_t> out) override {
    const std::size_t n = std::min({out.size(), data_.size() - pos_, max_read_});
    if (n > 0) std::memcpy(out.data(), data_.data() + pos_, n);
    pos_ += n;
    return n;
  }
  std::size_t consumed() const { return pos_; }

 private:
  std::span<const std::uint8_t> data_;
  std::size_t max_read_;
  std::size_t pos_ = 0;
};

// Collects everything written into a vector.
class VectorSink final : public ByteSink {
 public:
  Status Write(std::span<const std::uint8_t> data) override {
    bytes.insert(bytes.end(), data.begin(), data.end());
    return Ok();
  }
  std::vector<std::uint8_t> bytes;
};

}  // namespace custos
