#include "custody/bindings.h"

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
    if (sealed_.size() < kMaxBundles || sealed_.count(e.bundle_id()) != 0)
      sealed_.emplace(e.bundle_id(), e.manifest_hash());
    else
      full_ = true;
    return;
  }
  const bool receiver_event = e.action() == v1::RECEIVED || e.action() == v1::VERIFIED ||
                              e.action() == v1::CONDITIONS_ACKNOWLEDGED || e.action() == v1::OPENED;
  if (!receiver_event) return;
  auto it = sealed_.find(e.bundle_id());
  if (it == sealed_.end()) {
    if (full_) {  // perhaps sealed by one we could not remember
      ++unchecked_;
      return;
    }
    Problem(e.seq(), action + " names bundle " + HexOf(e.bundle_id()) + ", which no SEALED event of this log seals");
    return;
  }
  if (e.seal_hash().size() != 32) Problem(e.seq(), action + " does not name the seal hash");
  if (e.action() == v1::CONDITIONS_ACKNOWLEDGED && e.manifest_hash() != it->second)
    Problem(e.seq(), "CONDITIONS_ACKNOWLEDGED names another manifest hash than the SEALED event");
}

}  // namespace custos::custody
