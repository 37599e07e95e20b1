// lib/src/age/header.h — the age v1 header grammar (C2SP age.md "Header";
// FORMAT.md "age envelope"). Internal to lib/src/age.
//
//   age-encryption.org/v1 LF
//   "-> " arg *(SP arg) LF          arg = 1*VCHAR          ┐ one or more
//   *(64 base64 chars LF) (0..63 base64 chars LF)          ┘ stanzas
//   "--- " 43 base64 chars LF       HMAC-SHA-256 over everything up to "---"
//
// The parser is strict: only LF line ends, canonical unpadded base64, no empty
// arguments, a body that ends with a line shorter than 64 columns. It checks
// the header and stanza limits before it allocates anything for them.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <span>
#include <string>
#include <vector>

#include "common/stream.h"
#include "crypto/crypto.h"
#include "custos/error.h"
#include "custos/secret_bytes.h"

namespace custos::age {

struct Stanza {
  std::vector<std::string> args;  // args[0] is the stanza type, e.g. "X25519"
  crypto::Bytes body;
};

struct Header {
  std::vector<Stanza> stanzas;
  crypto::Digest mac{};
  std::size_t mac_input_size = 0;  // bytes covered by the MAC: up to and incl. "---"
  std::size_t size = 0;            // bytes of the header incl. the MAC line's LF
};

// Parses exactly one header: `bytes` must end with the MAC line's LF.
// kCorrupt with a sentence naming the line on any grammar violation;
// kLimitExceeded if the header or stanza count is over the limits.
Result<Header> ParseHeader(std::span<const std::uint8_t> bytes);

// Serialises the version line and stanzas followed by "---" (the MAC input).
std::string SerializeHeaderWithoutMac(const std::vector<Stanza>& stanzas);

// HMAC-SHA-256 keyed with HKDF(ikm = file key, salt = empty, info = "header").
crypto::Digest HeaderMac(const SecretBytes& file_key, std::span<const std::uint8_t> mac_input);

// Reads a header from `in` a block at a time, stopping at the MAC line, so no
// more than the header plus one block is consumed. The bytes read past the
// header are kept for the payload.
class HeaderReader {
 public:
  explicit HeaderReader(ByteSource& in) : in_(in) {}
  // Reads and parses the header. kCorrupt on truncation or bad grammar,
  // kLimitExceeded past kMaxHeaderBytes, kIo errors of `in` pass through.
  Result<Header> Read();
  // The header's own bytes (valid after a successful Read).
  std::span<const std::uint8_t> header_bytes() const;
  // Bytes read from `in` after the header (the start of the payload).
  std::span<const std::uint8_t> leftover() const;

 private:
  Result<std::size_t> FindEnd();
  ByteSource& in_;
  crypto::Bytes buf_;
  std::size_t scanned_ = 0;     // lines before this offset hold no MAC line
  std::size_t stanza_lines_ = 0;
  std::size_t header_size_ = 0;
};

}  // namespace custos::age
