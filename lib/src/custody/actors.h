// Who the actors of a log are, as the user trusts them: --from files and/or
// the trust store. Names shown come from the trusted .pub, never from the
// identity a log embeds (that one is labelled unverified).
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "custos/custody.h"
#include "custos/keys.h"

namespace custos::custody {

class ActorDirectory {
 public:
  // Loads every --from file and (if used) lists the trust store once.
  // A --from example key without allow_example_keys is kExampleKey.
  static Result<ActorDirectory> Open(const TrustSources& sources, std::vector<std::string>* warnings);

  // The trusted identity with this fingerprint, or nullopt.
  const PublicIdentity* Find(const Fingerprint& fp) const;
  // "Name (Org, CC) [a1b2 c3d4]" if trusted, else
  // "\"Name\" (unverified name) [a1b2 c3d4]".
  std::string Label(const PublicIdentity& embedded) const;
  // Trusted, and not an example key unless they are allowed.
  bool Trusted(const PublicIdentity& embedded) const;
  bool allow_example_keys() const { return allow_example_keys_; }

 private:
  std::vector<PublicIdentity> trusted_;
  bool allow_example_keys_ = false;
};

// Lowercase hex of bytes.
std::string HexOf(std::string_view bytes);
// A JSON string literal (quotes included) for UTF-8 text.
std::string JsonQuote(std::string_view s);

}  // namespace custos::custody
