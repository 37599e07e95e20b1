// Fuzzes the path rules and the collision detector (bundle/safe_path).
// The input is checked whole (NULs included: a path holding NUL must be
// refused), then split at NUL bytes into paths fed to one CollisionDetector
// and to a slow reference model of the same rule (maps of whole prefixes):
// the two must agree on every path, including "was the parent a directory".
#include <cstdint>
#include <map>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "bundle/safe_path.h"

using namespace custos::bundle;

namespace {

// The collision rule written the obvious way: every prefix by the sequence
// of its components' keys, mapped to its bytes.
class Reference {
 public:
  bool Add(std::string_view path, bool is_dir, bool* parent_is_dir) {
    std::string keys, bytes, parent;
    std::size_t start = 0;
    while (true) {
      std::size_t slash = path.find('/', start);
      std::size_t end = slash == std::string_view::npos ? path.size() : slash;
      std::string_view comp = path.substr(start, end - start);
      auto key = CollisionKey(comp);
      if (!key.ok()) return false;
      keys += std::to_string(key->size()) + ":" + *key;  // keys may hold '/'
      parent = bytes;
      bytes = std::string(path.substr(0, end));
      auto [it, inserted] = by_key_.try_emplace(keys, bytes);
      if (!inserted && it->second != bytes) return false;
      if (slash == std::string_view::npos) break;
      start = slash + 1;
    }
    *parent_is_dir = dirs_.count(parent) != 0;
    if (!listed_.insert(bytes).second) return false;
    if (is_dir) dirs_.insert(bytes);
    return true;
  }

 private:
  std::map<std::string, std::string> by_key_;
  std::set<std::string> listed_, dirs_;
};

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  std::string_view all(reinterpret_cast<const char*>(data), size);
  // A path with a NUL must never be accepted.
  if (CheckSafePath(all).ok() && all.find('\0') != std::string_view::npos) __builtin_trap();
  (void)EscapeForDisplay(all);
  (void)NormalizeNfc(all);
  (void)CollisionKey(all);
  CollisionDetector detector;
  CollisionDetector model_checked;
  Reference reference;
  std::size_t start = 0;
  while (start <= all.size()) {
    std::size_t end = all.find('\0', start);
    if (end == std::string_view::npos) end = all.size();
    std::string_view p = all.substr(start, end - start);
    if (CheckSafePath(p).ok()) {
      // Every accepted path has a key and an NFC form, and adding it twice fails.
      if (!CollisionKey(p).ok() || !NormalizeNfc(p).ok()) __builtin_trap();
      if (detector.Add(p).ok() && detector.Add(p).ok()) __builtin_trap();
      // Directories and files alternate with the parity of the first byte.
      const bool is_dir = (static_cast<unsigned char>(p[0]) & 1) != 0;
      bool parent_dir = false, ref_parent_dir = false;
      const bool ok = model_checked.Add(p, is_dir, &parent_dir).ok();
      if (ok != reference.Add(p, is_dir, &ref_parent_dir)) __builtin_trap();
      if (ok && parent_dir != ref_parent_dir) __builtin_trap();
    }
    start = end + 1;
  }
  return 0;
}
