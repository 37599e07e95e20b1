// libFuzzer target: receipt::VerifyReceiptBytes on arbitrary bytes with a
// fixed receiver (the NL example identity, whose secret key is public, so the
// corpus holds receipts with valid signatures that reach the content checks),
// plus the unverified parse used by `receipt show` and the report rendering.
#include <cstddef>
#include <cstdint>
#include <optional>

#include "crypto/crypto.h"
#include "custos/keys.h"
#include "receipt/receipt.h"
#include "receipt/report.h"

namespace {

// keys/examples/nl-central-authority.pub
constexpr const char kReceiverPub[] =
    "# custos public identity\n"
    "# name: EXAMPLE Central Authority of the Netherlands\n"
    "# organisation: Ministry of Justice and Security (example)\n"
    "# country: NL\n"
    "# fingerprint: be24 b3ef b043 7985 e851 3a95 b6f9 cd3c 581d dc51 c7bb 9d7c ae23 a88e 2d11 751d\n"
    "-----BEGIN CUSTOS PUBLIC IDENTITY-----\n"
    "CuEBCAESLEVYQU1QTEUgQ2VudHJhbCBBdXRob3JpdHkgb2YgdGhlIE5ldGhlcmxh\n"
    "bmRzGipNaW5pc3RyeSBvZiBKdXN0aWNlIGFuZCBTZWN1cml0eSAoZXhhbXBsZSki\n"
    "Ak5MKhFjZW50cmFsIGF1dGhvcml0eTIgbmwtY2VudHJhbC1hdXRob3JpdHlAZXhh\n"
    "bXBsZS5vcmc6BgiA8tbKBkogFLbTbvoX8aU2kGUsFjMMh1AaESANtB9+fGUFzIzU\n"
    "UKRSIMstIZ43VztVdk1qaRrlxOa/XbqScYdA27y2fCD0vWZvEkAOaaX/DKBhEgXr\n"
    "ogyqlBJ+OGEUPiGsR0bUdIfFNPmXuTun1fnim34kF1kFQ35ZFSJ1l862JXaRoJOc\n"
    "n5SGaZ0K\n"
    "-----END CUSTOS PUBLIC IDENTITY-----\n";

const custos::PublicIdentity* Receiver() {
  static const std::optional<custos::PublicIdentity> id = []() -> std::optional<custos::PublicIdentity> {
    if (!custos::crypto::Init().ok()) return std::nullopt;
    auto p = custos::PublicIdentity::Parse(kReceiverPub, "nl-central-authority.pub");
    if (!p.ok()) return std::nullopt;
    return std::move(p).value();
  }();
  return id ? &*id : nullptr;
}

void Render(const custos::v1::Receipt& r) {
  custos::v1::ReceiptReport rep;
  custos::receipt::FillReport(r, &rep);
  (void)custos::receipt::SummaryLines(rep);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const custos::PublicIdentity* receiver = Receiver();
  if (receiver == nullptr) __builtin_trap();  // the embedded identity must load
  auto verified = custos::receipt::VerifyReceiptBytes({data, size}, *receiver);
  auto parsed = custos::receipt::ParseReceiptUnverified({data, size});
  // A receipt that verifies must also pass the unverified parse (same rules).
  if (verified.ok() && !parsed.ok()) __builtin_trap();
  if (verified.ok()) Render(*verified);
  if (parsed.ok()) Render(*parsed);
  return 0;
}
