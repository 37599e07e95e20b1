// Byte sources and sinks: how the stages of sealing and opening are chained
// (file -> age STREAM -> zstd -> tar, and back) without knowing each other.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>

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

}  // namespace custos
