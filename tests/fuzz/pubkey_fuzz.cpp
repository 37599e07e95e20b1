// libFuzzer target: PublicIdentity::Parse on arbitrary .pub text (armor,
// base64, strict protobuf parse, key validation, self-signature).
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "crypto/crypto.h"
#include "custos/keys.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  static const bool init = custos::crypto::Init().ok();
  if (!init) return 0;
  std::string_view text(reinterpret_cast<const char*>(data), size);
  auto id = custos::PublicIdentity::Parse(text, "fuzz.pub");
  if (id.ok()) {
    // Whatever parses must print and re-parse to the same identity.
    auto again = custos::PublicIdentity::Parse(id->ArmoredText(), "again");
    if (!again.ok() || again->fingerprint() != id->fingerprint()) __builtin_trap();
    (void)id->ToJson();
  }
  // The raw bytes as a SignedIdentity too.
  (void)custos::PublicIdentity::FromSignedBytes({data, size});
  return 0;
}
