// lib/src/keys/age_export.cpp — the X25519 keys in age's text form, so plain
// `age` can encrypt to / decrypt as a custos identity (docs/FORMAT.md "age form of the keys").
#include "age/age.h"
#include "custos/keys.h"

namespace custos {

std::string PublicIdentity::AgeRecipient() const { return age::EncodeRecipient(x25519_); }

SecretBytes SecretIdentity::AgeIdentity() const { return age::EncodeIdentity(x25519_secret()); }

}  // namespace custos
