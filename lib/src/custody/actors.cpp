#include "custody/actors.h"

#include "common/proto_util.h"

#include <cstdio>

#include "crypto/crypto.h"

namespace custos::custody {

Result<ActorDirectory> ActorDirectory::Open(const TrustSources& sources,
                                            std::vector<std::string>* warnings) {
  ActorDirectory dir;
  dir.allow_example_keys_ = sources.allow_example_keys;
  for (const auto& path : sources.from_files) {
    CUSTOS_ASSIGN_OR_RETURN(PublicIdentity id, PublicIdentity::Load(path));
    CUSTOS_TRY(CheckExampleKey(id, sources.allow_example_keys, warnings));
    dir.trusted_.push_back(std::move(id));
  }
  if (sources.use_trust_store) {
    CUSTOS_ASSIGN_OR_RETURN(TrustStore store, TrustStore::Open(sources.trust_dir, false));
    CUSTOS_ASSIGN_OR_RETURN(std::vector<PublicIdentity> ids, store.List());
    for (auto& id : ids) dir.trusted_.push_back(std::move(id));
  }
  return dir;
}

const PublicIdentity* ActorDirectory::Find(const Fingerprint& fp) const {
  for (const auto& id : trusted_)
    if (crypto::ConstantTimeEqual(id.fingerprint(), fp)) return &id;
  return nullptr;
}

bool ActorDirectory::Trusted(const PublicIdentity& embedded) const {
  if (Find(embedded.fingerprint()) == nullptr) return false;
  return allow_example_keys_ || !embedded.is_example();
}

std::string ActorDirectory::Label(const PublicIdentity& embedded) const {
  const std::string fp = "[" + ShortFingerprint(embedded.fingerprint()) + "]";
  if (const PublicIdentity* t = Find(embedded.fingerprint()))
    return t->DisplayName() + " " + fp + (embedded.is_example() ? " (example key)" : "");
  return "\"" + embedded.name() + "\" (unverified name: not a trusted identity) " + fp;
}

std::string HexOf(std::string_view bytes) { return crypto::Hex(crypto::AsBytes(bytes)); }

std::string JsonQuote(std::string_view s) { return custos::JsonQuote(s); }

}  // namespace custos::custody
