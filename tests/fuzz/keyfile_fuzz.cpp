// libFuzzer target: a .key file's text through the secret-key parser, with a
// fixed dummy passphrase. The KDF bounds are libsodium's minimum, so no input
// can make one iteration run a long Argon2id (a real Load allows up to
// ops 16 / 1 GiB, which tests/unit/keys_test.cpp covers).
#include <cstddef>
#include <cstdint>
#include <cstring>

#include "crypto/crypto.h"
#include "custos/keys.h"
#include "keys/keyfile.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  static const bool init = custos::crypto::Init().ok();
  if (!init) return 0;
  custos::SecretBytes text(size);
  if (size > 0) std::memcpy(text.Reveal().data(), data, size);
  const custos::PassphraseProvider pass = [] {
    custos::SecretBytes p(8);
    std::memcpy(p.Reveal().data(), "passw0rd", 8);
    return custos::Result<custos::SecretBytes>(std::move(p));
  };
  const custos::keys::KdfBounds bounds{custos::crypto::kArgonOpsMin, custos::crypto::kArgonMemMin};
  auto id = custos::keys::ParseSecretKeyText(text, "fuzz.key", pass, bounds);
  if (id.ok()) {
    // A key that loads must sign verifiably under its own identity.
    const std::uint8_t body[3] = {1, 2, 3};
    const auto sig = id->Sign("custos/v1/sig/manifest", body);
    if (!id->public_identity().Verify("custos/v1/sig/manifest", body, sig)) __builtin_trap();
  }
  return 0;
}
