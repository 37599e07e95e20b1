// Fuzz target: the manifest and seal parsers on arbitrary member bytes, with
// the example SI authority as the pinned sender and NL as the receiver.
#include <cstdint>
#include <cstdlib>
#include <span>
#include <string>
#include <vector>

#include "bundle/manifest.h"
#include "bundle/seal_record.h"
#include "crypto/crypto.h"
#include "custos/keys.h"

namespace {

const custos::PublicIdentity* Example(const char* name) {
  const char* dir = std::getenv("CUSTOS_SOURCE_DIR");
  std::string base = dir ? dir : CUSTOS_FUZZ_SOURCE_DIR;
  auto r = custos::PublicIdentity::Load(base + "/keys/examples/" + name + ".pub");
  return r.ok() ? new custos::PublicIdentity(std::move(r).value()) : nullptr;
}

const custos::PublicIdentity* Sender() {
  static const custos::PublicIdentity* id = Example("si-central-authority");
  return id;
}

const custos::PublicIdentity* Receiver() {
  static const custos::PublicIdentity* id = Example("nl-central-authority");
  return id;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  (void)custos::crypto::Init();
  const custos::PublicIdentity* sender = Sender();
  if (sender == nullptr || Receiver() == nullptr) std::abort();
  std::vector<custos::PublicIdentity> from{*sender};
  std::vector<std::string> warnings;
  custos::bundle::SenderPolicy policy{&from, nullptr, true, &warnings};
  const custos::Fingerprint& receiver = Receiver()->fingerprint();
  std::span<const std::uint8_t> bytes(data, size);
  (void)custos::bundle::VerifyManifest(bytes, receiver, policy);
  custos::bundle::SealFacts facts;
  (void)custos::bundle::VerifySeal(bytes, *sender, facts, {});
  return 0;
}
