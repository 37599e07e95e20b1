// Fuzz target: arbitrary bytes as a bundle's decrypted payload (the inside of
// the age layer) through every stage a receiver runs after decryption — zstd
// frame checks, the tar reader with its budgets and transcript, and the
// manifest, entry, tag-file, custody-log and seal checks — as the example NL
// authority with the example SI authority pinned as the sender.
//
// Invariants: never a crash or an unbounded allocation; and a payload that
// reads successfully names NL among its recipients, has a seal hash, and has
// one streamed hash per file of its manifest.
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <span>
#include <string>
#include <vector>

#include "bundle/reader.h"
#include "crypto/crypto.h"
#include "custos/keys.h"

namespace {

const custos::PublicIdentity* Example(const char* name) {
  const char* dir = std::getenv("CUSTOS_SOURCE_DIR");
  std::string base = dir ? dir : CUSTOS_FUZZ_SOURCE_DIR;
  auto r = custos::PublicIdentity::Load(base + "/keys/examples/" + name + ".pub");
  return r.ok() ? new custos::PublicIdentity(std::move(r).value()) : nullptr;
}

// The fuzz input as a ByteSource, in small irregular reads so the stages'
// refill and boundary logic is exercised too.
class InputSource final : public custos::ByteSource {
 public:
  explicit InputSource(std::span<const std::uint8_t> in) : in_(in) {}
  custos::Result<std::size_t> Read(std::span<std::uint8_t> out) override {
    std::size_t n = std::min({out.size(), in_.size() - pos_, std::size_t{4096} + pos_ % 977});
    if (n > 0) std::memcpy(out.data(), in_.data() + pos_, n);
    pos_ += n;
    return n;
  }

 private:
  std::span<const std::uint8_t> in_;
  std::size_t pos_ = 0;
};

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  (void)custos::crypto::Init();
  static const custos::PublicIdentity* sender = Example("si-central-authority");
  static const custos::PublicIdentity* receiver = Example("nl-central-authority");
  if (sender == nullptr || receiver == nullptr) std::abort();
  InputSource src({data, size});
  auto r = custos::bundle::ReadPayloadForTesting(src, receiver->fingerprint(), {*sender});
  if (!r.ok()) {
    if (r.error().message().empty()) __builtin_trap();
    return 0;
  }
  bool for_us = false;
  for (const auto& rc : r->manifest.manifest.recipients())
    if (rc.fingerprint().size() == 32 &&
        std::memcmp(rc.fingerprint().data(), receiver->fingerprint().data(), 32) == 0)
      for_us = true;
  if (!for_us || r->seal_member.empty() || r->file_hashes.size() != r->manifest.file_count)
    __builtin_trap();
  return 0;
}
