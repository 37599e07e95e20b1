// Fuzz target: the age header parser and decryptor on arbitrary bytes, with a
// fixed identity (the public test key from age's README, so corpus files
// encrypted to it reach the STREAM reader too).
//
// Beyond "no crash, no unbounded allocation" it checks two invariants:
//   * the parser is canonical: any header it accepts re-serialises to exactly
//     the bytes it read (no two encodings of one header);
//   * a decryptor never releases more plaintext than the input could carry.
#include <algorithm>
#include <cstdint>
#include <cstring>
#include <span>
#include <string>
#include <vector>

#include "age/age.h"
#include "age/header.h"
#include "crypto/crypto.h"

namespace {

using namespace custos;

class SpanSource final : public ByteSource {
 public:
  explicit SpanSource(std::span<const std::uint8_t> d) : data_(d) {}
  Result<std::size_t> Read(std::span<std::uint8_t> out) override {
    // Odd-sized short reads exercise the buffering paths.
    const std::size_t n = std::min({out.size(), data_.size() - pos_, std::size_t{4093}});
    if (n > 0) std::memcpy(out.data(), data_.data() + pos_, n);
    pos_ += n;
    return n;
  }

 private:
  std::span<const std::uint8_t> data_;
  std::size_t pos_ = 0;
};

const SecretBytes& Identity() {
  static const SecretBytes key = [] {
    (void)crypto::Init();
    return age::ParseIdentity(
               "AGE-SECRET-KEY-1N9JEPW6DWJ0ZQUDX63F5A03GX8QUW7PXDE39N8UYF82VZ9PC8UFS3M7XA9")
        .value();
  }();
  return key;
}

void CheckCanonical(std::span<const std::uint8_t> data) {
  SpanSource src(data);
  age::HeaderReader reader(src);
  auto header = reader.Read();
  if (!header.ok()) return;
  std::string again = age::SerializeHeaderWithoutMac(header->stanzas);
  again += " " + crypto::Base64EncodeNoPad(header->mac) + "\n";
  const auto original = reader.header_bytes();
  if (again.size() != original.size() || std::memcmp(again.data(), original.data(), again.size()) != 0)
    __builtin_trap();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const SecretBytes& key = Identity();
  std::span<const std::uint8_t> input(data, size);
  CheckCanonical(input);
  {
    SpanSource src(input);
    (void)age::InspectHeader(src);
  }
  SpanSource src(input);
  auto dec = age::Decryptor::Open(src, key);
  if (!dec.ok()) return 0;
  std::vector<std::uint8_t> buf(1 << 16);
  std::size_t total = 0;
  while (true) {
    auto n = (*dec)->Read(buf);
    if (!n.ok() || *n == 0) break;
    total += *n;
    if (total > size) __builtin_trap();
  }
  return 0;
}
