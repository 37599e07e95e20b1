// The bundle bindings the audit can check from the log alone (docs/FORMAT.md
// "Chain-of-custody log", "Anchors"): SEALED names a bundle id, manifest hash and entries
// digest; the receiver's events (RECEIVED, VERIFIED, CONDITIONS_ACKNOWLEDGED,
// OPENED) that name a bundle name one this log saw sealed, and its seal hash;
// CONDITIONS_ACKNOWLEDGED names that bundle's manifest hash. Whether these
// equal the bundle's own hashes is checked by `custos verify`/`open`, which
// hold the bundle. Events naming no bundle (physical evidence) are not checked.
#pragma once

#include <array>
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "custody/log.h"

namespace custos::custody {

class BindingCheck {
 public:
  // Remembers at most `max_bundles` sealed bundles (48 bytes each).
  explicit BindingCheck(std::size_t max_bundles = kMaxBundles) : max_bundles_(max_bundles) {}
  void Observe(const ParsedEvent& e);
  // One sentence per problem found (bounded), for warnings or --strict failure.
  const std::vector<std::string>& problems() const { return problems_; }
  std::uint64_t problem_count() const { return count_; }
  // Receiver events naming a bundle that is not among the sealed bundles
  // remembered, after more than max_bundles were sealed: it may have been
  // sealed later, or never. Not checked: a warning, and a failure under --strict.
  std::uint64_t unchecked_count() const { return unchecked_; }
  // The warnings to report, and (strict) the failure sentence, if any.
  std::vector<std::string> Warnings() const;
  std::optional<std::string> StrictFailure() const;
  static constexpr std::size_t kMaxBundles = 100'000;

 private:
  using BundleId = std::array<std::uint8_t, 16>;
  using Hash = std::array<std::uint8_t, 32>;
  void Problem(std::uint64_t seq, const std::string& what);
  static constexpr std::size_t kMaxListed = 10;
  std::size_t max_bundles_;
  std::map<BundleId, Hash> sealed_;  // bundle id -> manifest hash
  std::vector<std::string> problems_;
  std::uint64_t count_ = 0;
  std::uint64_t unchecked_ = 0;
  bool full_ = false;  // a SEALED event was not remembered
};

}  // namespace custos::custody
