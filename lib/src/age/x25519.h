// lib/src/age/x25519.h — the X25519 recipient type (C2SP age.md "The X25519
// recipient type"; FORMAT.md "age envelope"). Internal to lib/src/age.
//
//   -> X25519 <b64 ephemeral share, 32 bytes>
//   <b64 ChaCha20-Poly1305(wrap key, nonce 0^12, file key): 32 bytes>
//
//   wrap key = HKDF-SHA-256(ikm = X25519(secret, peer), salt = share || recipient,
//                           info = "age-encryption.org/v1/X25519")
#pragma once

#include "age/age.h"
#include "age/header.h"

namespace custos::age {

// A fresh stanza wrapping `file_key` for `recipient` (a new ephemeral secret
// every call). kBadKeyFile if the recipient is a small-order point.
Result<Stanza> WrapX25519(const SecretBytes& file_key, const X25519PublicKey& recipient);

// Checks every stanza the way the spec tells an X25519 identity to, without
// a key: an "X25519" stanza must have exactly one argument after its type, the
// canonical base64 of 32 bytes, and a 32-byte body; an "scrypt" stanza must be
// the only stanza. Anything else is kCorrupt. Other types are ignored.
Status CheckStanzas(const Header& header);

// Tries every X25519 stanza with `identity` (a 32-byte scalar) and returns the
// 16-byte file key of the first that unwraps. kCorrupt if CheckStanzas fails
// or a share gives an all-zero shared secret; kNoMatchingKey if none unwraps.
// The header MAC is not checked here: the caller does it with the file key.
Result<SecretBytes> UnwrapX25519(const Header& header, const SecretBytes& identity);

}  // namespace custos::age
