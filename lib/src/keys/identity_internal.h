// lib/src/keys/identity_internal.h — helpers shared by the keys/ files.
#pragma once

#include <array>
#include <cstdint>
#include <span>
#include <string>

#include "crypto/crypto.h"
#include "custos/keys.h"

namespace custos::keys {

// Limits (docs/FORMAT.md "Identities and keys").
inline constexpr std::size_t kMaxSignedIdentity = 16 * 1024;
inline constexpr std::size_t kMaxPubFile = 64 * 1024;
inline constexpr std::size_t kMaxKeyFile = 64 * 1024;
inline constexpr std::size_t kMaxTextField = 200;

// SHA-256("custos/v1/fingerprint\0" || ed25519_pk || x25519_pk).
Fingerprint ComputeFingerprint(std::span<const std::uint8_t, 32> ed25519_pk,
                               std::span<const std::uint8_t, 32> x25519_pk);

// Checks what a person typed at keygen (and what a parsed identity holds):
// name 1..200 bytes, other texts <= 200 bytes, no control characters, country
// empty or ISO 3166-1 alpha-2, e-mail empty or one '@', expiry after creation.
// kUsage with a sentence naming the field.
Status ValidateInfo(const IdentityInfo& info);

// Serialises Identity{info, keys} and self-signs it with `signer`: the bytes of
// a SignedIdentity.
std::string BuildSignedIdentity(const IdentityInfo& info, const crypto::SigningKey& signer,
                                const std::array<std::uint8_t, 32>& x25519_pk);

}  // namespace custos::keys
