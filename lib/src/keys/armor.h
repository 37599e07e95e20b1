// lib/src/keys/armor.h — the text wrapping of .pub and .key files.
// docs/FORMAT.md "Identities and keys".
//
//   # comment lines a person can read (never trusted)
//   -----BEGIN <LABEL>-----
//   <standard padded base64, 64 characters a line, the last line shorter>
//   -----END <LABEL>-----
//
// A reader accepts '#' comment lines and empty lines before BEGIN, LF or CRLF
// line ends, and only empty lines after END. Anything else is refused.
#pragma once

#include <cstddef>
#include <span>
#include <string>
#include <string_view>

#include "custos/error.h"
#include "custos/secret_bytes.h"

namespace custos::keys {

inline constexpr std::string_view kPublicLabel = "CUSTOS PUBLIC IDENTITY";
inline constexpr std::string_view kSecretLabel = "CUSTOS SECRET KEY";
inline constexpr std::size_t kArmorLineLength = 64;

// `comments` (already '#'-prefixed lines, each ending in '\n') followed by the
// armored block of `base64`.
std::string Armor(std::string_view comments, std::string_view label, std::string_view base64);
// The same into secret memory (an unprotected .key holds secret keys).
SecretBytes ArmorSecret(std::string_view comments, std::string_view label,
                        std::string_view base64);

// Extracts the base64 body of the block labelled `label` from `text` into
// `out` (which must hold at least text.size() bytes) and returns its length.
// kCorrupt with a sentence naming `what` when the text is not such a block.
Result<std::size_t> Dearmor(std::string_view text, std::string_view label,
                            const std::string& what, std::span<char> out);

}  // namespace custos::keys
