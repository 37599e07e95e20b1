#include "custody/bindings.h"

#include <algorithm>

#include "custody/render.h"

namespace custos::custody {

void BindingCheck::Problem(std::uint64_t seq, const std::string& what) {
  ++count_;
  if (problems_.size() < kMaxListed) problems_.push_back("event " + std::to_string(seq) + ": " + what);
}

void BindingCheck::Observe(const ParsedEvent& p) {
  const v1::Event& e = p.event;
  const std::string action = ActionName(e);
  // Events that name no bundle are about physical evidence (a sealed bag, a
  // disk received by courier): nothing to bind.
  if (e.bundle_id().empty()) return;
  if (e.action() == v1::SEALED) {
    if (e.bundle_id().size() != 16 || e.manifest_hash().size() != 32 || e.entries_digest().size() != 32) {
      Problem(e.seq(), "SEALED does not name a 16-byte bundle id, a manifest hash and an entries digest");
      return;
    }
    BundleId id{};
    Hash manifest{};
    std::copy(e.bundle_id().begin(), e.bundle_id().end(), id.begin());
    std::copy(e.manifest_hash().begin(), e.manifest_hash().end(), manifest.begin());
    if (sealed_.size() < max_bundles_ || sealed_.count(id) != 0)
      sealed_.emplace(id, manifest);
    else
      full_ = true;
    return;
  }
  const bool receiver_event = e.action() == v1::RECEIVED || e.action() == v1::VERIFIED ||
                              e.action() == v1::CONDITIONS_ACKNOWLEDGED || e.action() == v1::OPENED;
  if (!receiver_event) return;
  auto it = sealed_.end();
  if (e.bundle_id().size() == 16) {
    BundleId id{};
    std::copy(e.bundle_id().begin(), e.bundle_id().end(), id.begin());
    it = sealed_.find(id);
  }
  if (it == sealed_.end()) {
    if (full_) {  // perhaps sealed by one we could not remember, perhaps never
      ++unchecked_;
      return;
    }
    Problem(e.seq(), action + " names bundle " + HexOf(e.bundle_id()) + ", which no SEALED event of this log seals");
    return;
  }
  if (e.seal_hash().size() != 32) Problem(e.seq(), action + " does not name the seal hash");
  if (e.action() == v1::CONDITIONS_ACKNOWLEDGED &&
      (e.manifest_hash().size() != 32 || !std::equal(it->second.begin(), it->second.end(), e.manifest_hash().begin())))
    Problem(e.seq(), "CONDITIONS_ACKNOWLEDGED names another manifest hash than the SEALED event");
}

std::vector<std::string> BindingCheck::Warnings() const {
  std::vector<std::string> out = problems_;
  if (count_ > problems_.size()) out.push_back(std::to_string(count_ - problems_.size()) + " more binding problems");
  if (unchecked_ > 0)
    out.push_back(std::to_string(unchecked_) + " receiver event(s) name a bundle that is not among the first " +
                  std::to_string(max_bundles_) +
                  " sealed bundles of this log (the most the check remembers); their bindings were not checked");
  return out;
}

std::optional<std::string> BindingCheck::StrictFailure() const {
  if (count_ > 0) return "the log's bundle events are not bound to a sealed bundle (--strict): " + problems_.front();
  // What could not be checked is not passed as checked.
  if (unchecked_ > 0)
    return std::to_string(unchecked_) + " receiver event(s) could not be checked against their SEALED event: the log "
           "seals more than " + std::to_string(max_bundles_) + " bundles (--strict); split it with a checkpoint";
  return std::nullopt;
}

}  // namespace custos::custody
