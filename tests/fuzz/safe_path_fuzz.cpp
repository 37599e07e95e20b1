// Fuzzes the path rules and the collision detector (bundle/safe_path).
// The input is checked whole (NULs included: a path holding NUL must be
// refused), then split at NUL bytes into paths fed to one CollisionDetector.
#include <cstdint>
#include <string>
#include <string_view>

#include "bundle/safe_path.h"

using namespace custos::bundle;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  std::string_view all(reinterpret_cast<const char*>(data), size);
  // A path with a NUL must never be accepted.
  if (CheckSafePath(all).ok() && all.find('\0') != std::string_view::npos) __builtin_trap();
  (void)EscapeForDisplay(all);
  (void)NormalizeNfc(all);
  (void)CollisionKey(all);
  CollisionDetector detector;
  std::size_t start = 0;
  while (start <= all.size()) {
    std::size_t end = all.find('\0', start);
    if (end == std::string_view::npos) end = all.size();
    std::string_view p = all.substr(start, end - start);
    if (CheckSafePath(p).ok()) {
      // Every accepted path has a key and an NFC form, and adding it twice fails.
      if (!CollisionKey(p).ok() || !NormalizeNfc(p).ok()) __builtin_trap();
      if (detector.Add(p).ok() && detector.Add(p).ok()) __builtin_trap();
    }
    start = end + 1;
  }
  return 0;
}
