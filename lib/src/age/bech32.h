// lib/src/age/bech32.h — BIP 173 bech32, as age uses it for keys (FORMAT.md,
// "age envelope").
//
//   hrp "1" data-chars(5 bits each) checksum(6 chars)
//
// Both directions work on caller-provided buffers and convert 8<->5 bits on
// the fly, so an identity's secret scalar is never copied into a std::string
// or a heap buffer the caller cannot wipe.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>
#include <string_view>

#include "custos/error.h"

namespace custos::age::bech32 {

// BIP 173's limit on a whole bech32 string.
constexpr std::size_t kMaxLength = 90;

// Characters needed to encode `data_len` bytes under an hrp of `hrp_len`.
constexpr std::size_t EncodedSize(std::size_t hrp_len, std::size_t data_len) {
  return hrp_len + 1 + (data_len * 8 + 4) / 5 + 6;
}

// Writes the bech32 string of (hrp, data) into out, which must hold exactly
// EncodedSize(hrp.size(), data.size()) chars. hrp must be lower case; with
// upper_case the whole result (hrp included) is upper case. Fails with
// kInternal on a bad hrp or a result longer than kMaxLength.
Status Encode(std::string_view hrp, std::span<const std::uint8_t> data, bool upper_case,
              std::span<char> out);

struct Decoded {
  std::string_view hrp;  // a view into the input text, in its original case
  std::size_t data_len = 0;
};

// Decodes `text` per BIP 173: length <= kMaxLength, printable ASCII only, no
// mixed case, a non-empty hrp, a valid checksum, zero padding of fewer than
// 5 bits. The 8-bit data go to `out`; kCorrupt (with a sentence) if anything is
// wrong or `out` is too small.
Result<Decoded> Decode(std::string_view text, std::span<std::uint8_t> out);

}  // namespace custos::age::bech32
