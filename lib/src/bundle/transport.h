// The transport signature OUT.custos.sig (FORMAT.md §9): lets a courier or
// registry confirm "sealed by X, intact in transit" without a decryption key.
#pragma once

#include <string>

#include "crypto/crypto.h"
#include "custos/keys.h"
#include "custos/seal.h"
#include "custos/v1/receipt.pb.h"

namespace custos::bundle {

constexpr std::size_t kMaxTransportBytes = 16 * 1024;

struct TransportFacts {
  std::string bundle_id;
  std::uint64_t bundle_size = 0;
  crypto::Digest bundle_sha256{};
  crypto::Digest manifest_hash{};
  crypto::Digest seal_hash{};
};

struct SignedTransportOut {
  std::string wrapper;       // SignedTransport bytes: the .sig file
  v1::Transport transport;
};

SignedTransportOut SignTransport(const SecretIdentity& sender, const TransportFacts& facts);

// Strictly parses a .sig file and verifies it was signed by `sender` and names
// `sender`'s fingerprint. The caller compares the facts.
Result<v1::Transport> VerifyTransportSignature(std::span<const std::uint8_t> sig_file,
                                               const PublicIdentity& sender);

// Checks a verified transport record against the bundle file's hash and size
// and (when known) the inner bundle id, manifest hash and seal hash.
Status CheckTransportFacts(const v1::Transport& t, const TransportFacts& actual, bool inner_known);

// The SealReport JSON for `custos seal --json`.
std::string SealReportJson(const SealResult& r, const SealOptions& o, const v1::Transport& t);

}  // namespace custos::bundle
