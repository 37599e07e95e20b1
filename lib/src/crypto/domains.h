// Domain-separation prefixes: docs/FORMAT.md §1.2 is the normative table.
// Every signature is Ed25519 over  prefix || 0x00 || body  and every hash is
// SHA-256 over  prefix || 0x00 || data . A prefix is never reused for two
// kinds of object.
#pragma once

#include <string_view>

namespace custos::domain {

inline constexpr std::string_view kSigIdentity = "custos/v1/sig/identity";
inline constexpr std::string_view kSigManifest = "custos/v1/sig/manifest";
inline constexpr std::string_view kSigSeal = "custos/v1/sig/seal";
inline constexpr std::string_view kSigEvent = "custos/v1/sig/event";
inline constexpr std::string_view kSigReceipt = "custos/v1/sig/receipt";
inline constexpr std::string_view kSigTransport = "custos/v1/sig/transport";
inline constexpr std::string_view kSigCheckpoint = "custos/v1/sig/checkpoint";

inline constexpr std::string_view kHashFingerprint = "custos/v1/fingerprint";
inline constexpr std::string_view kHashManifest = "custos/v1/manifest";
inline constexpr std::string_view kHashSeal = "custos/v1/seal";
inline constexpr std::string_view kHashEvent = "custos/v1/event";
inline constexpr std::string_view kHashEntries = "custos/v1/entries";
inline constexpr std::string_view kHashTarTranscript = "custos/v1/tar-transcript";

}  // namespace custos::domain
