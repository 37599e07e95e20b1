// lib/src/keys/examples.cpp — the example identities of keys/examples/. Their
// secret keys are committed to the repository, so they are recognised by
// fingerprint, from this compiled-in list, not by anything in the files.
#include <algorithm>
#include <array>

#include "crypto/crypto.h"
#include "custos/keys.h"

namespace custos {
namespace {

// keys/examples/*.pub, as printed by `custos key fingerprint` without spaces.
constexpr std::array<std::string_view, 4> kExampleFingerprints = {
    "a811288b320f9086d56e8431f381ba79d63e4a7685599bdf1ddb4512ea040da6",  // si-central-authority
    "be24b3efb0437985e8513a95b6f9cd3c581ddc51c7bb9d7cae23a88e2d11751d",  // nl-central-authority
    "742aed231755071aa73ad203f1d3f767a974f3ce1da5c7133c42e827827712db",  // forensic-lab
    "5bfdd67595816de603010869b5f2779456fae36e144d8d5750736e4d118f2289",  // prosecutor
};

}  // namespace

bool IsExampleFingerprint(const Fingerprint& fp) {
  const std::string hex = crypto::Hex(fp);
  return std::any_of(kExampleFingerprints.begin(), kExampleFingerprints.end(),
                     [&hex](std::string_view e) { return e == hex; });
}

Status CheckExampleKey(const PublicIdentity& id, bool allow_example_keys,
                       std::vector<std::string>* warnings) {
  if (!id.is_example()) return Ok();
  const std::string who = id.DisplayName() + " (" + FormatFingerprint(id.fingerprint()) + ")";
  if (!allow_example_keys)
    return Error(ErrorCode::kExampleKey, who + " is a public example key",
                 "its secret key is published in keys/examples/; pass --allow-example-keys "
                 "only for tests and demonstrations");
  if (warnings != nullptr)
    warnings->push_back("using example key " + who +
                        " whose secret key is public; never use it for real evidence");
  return Ok();
}

}  // namespace custos
