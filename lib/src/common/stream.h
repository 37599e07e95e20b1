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
};

class ByteSource {
 public:
  virtual ~ByteSource() = default;
  // Fills up to out.size() bytes; 0 means end of stream. A short read is not
  // the end of the stream.
  virtual Result<std::size_t> Read(std::span<std::uint8_t> out) = 0;
};

}  // namespace custos
