// Fuzzes the BagIt tag-file parsers (bundle/bag): manifest-sha256.txt and
// bag-info.txt. Whatever parses as a manifest must be re-encoded to the same
// bytes (the format has exactly one spelling of each entry).
#include <cstdint>
#include <string>
#include <string_view>

#include "bundle/bag.h"

using namespace custos::bundle;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  std::string_view text(reinterpret_cast<const char*>(data), size);
  auto m = ParseManifestSha256(text, kMaxManifestTxtBytes);
  if (m.ok() && ManifestSha256(*m) != text) __builtin_trap();
  auto info = ParseBagInfo(text);
  if (info.ok() && info->tags.empty()) __builtin_trap();
  (void)SanitizeTagValue(text);
  return 0;
}
