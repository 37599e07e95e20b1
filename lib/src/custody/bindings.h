// The bundle bindings the audit can check from the log alone (docs/FORMAT.md
// "Chain-of-custody log", "Anchors"): SEALED names a bundle id, manifest hash and entries
// digest; the receiver's events (RECEIVED, VERIFIED, CONDITIONS_ACKNOWLEDGED,
// OPENED) that name a bundle name one this log saw sealed, and its seal hash;
// CONDITIONS_ACKNOWLEDGED names that bundle's manifest hash. Whether these
// equal the bundle's own hashes is checked by `custos verify`/`open`, which
// hold the bundle. Events naming no bundle (physical evidence) are not checked.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "custody/log.h"

namespace custos::custody {

class BindingCheck {
 public:
  void Observe(const ParsedEvent& e);
  // One sentence per problem found (bounded), for warnings or --strict failure.
  const std::vector<std::string>& problems() const { return problems_; }
  std::uint64_t problem_count() const { return count_; }
  // Receiver events whose bundle could not be looked up because more than
  // kMaxBundles SEALED events came first: not checked, and not a problem.
  std::uint64_t unchecked_count() const { return unchecked_; }
  static constexpr std::size_t kMaxBundles = 4096;

 private:
  void Problem(std::uint64_t seq, const std::string& what);
  static constexpr std::size_t kMaxListed = 10;
  std::map<std::string, std::string> sealed_;  // bundle id -> manifest hash
  std::vector<std::string> problems_;
  std::uint64_t count_ = 0;
  std::uint64_t unchecked_ = 0;
  bool full_ = false;  // a SEALED event was not remembered
};

}  // namespace custos::custody
