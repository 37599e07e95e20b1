// lib/src/custody/receipt_format.h — signed receipts (docs/FORMAT.md
// "Receipts"): the one parser and verifier, shared by `receipt verify|show`
// and by the custody audit (`custody verify --receipt`).
//
//   receipt file = SignedReceipt{ bytes receipt; bytes signature }
//   signature    = Ed25519 by the receiver over "custos/v1/sig/receipt" 0x00 receipt
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>
#include <string>

#include "custos/error.h"
#include "custos/keys.h"
#include "custos/v1/receipt.pb.h"

namespace custos::receipt {

// A SignedReceipt file, checked before anything is parsed.
constexpr std::size_t kMaxReceiptBytes = 64 * 1024;
// The only receipt / sent-record format this version writes and reads.
constexpr std::uint32_t kReceiptFormatVersion = 1;

// Signs `receipt` as `receiver` and returns the SignedReceipt bytes (the
// receipt file). Fields left unset are filled in first: format_version (1),
// receiver_fingerprint (the receiver's), time (now). Precondition: the other
// fields are what the receiver attests (FORMAT.md "Receipts").
std::string SignReceipt(const SecretIdentity& receiver, const v1::Receipt& receipt);

// Verifies a receipt file's bytes as signed by `receiver`: size at most
// kMaxReceiptBytes (kLimitExceeded), strict parse of SignedReceipt and
// Receipt (kCorrupt: malformed, unknown fields), format_version 1, the
// Ed25519 signature over the received bytes (kBadSignature), and
// receipt.receiver_fingerprint == receiver's fingerprint (kBadSignature).
// Also checks the contents (kCorrupt): a known result; hashes and ids of the
// right length; an OPENED receipt carries every hash, a custody head and a
// time; a VERIFICATION_FAILED receipt carries a reason (and whichever
// hashes the receiver knew).
Result<v1::Receipt> VerifyReceiptBytes(std::span<const std::uint8_t> signed_receipt,
                                       const PublicIdentity& receiver);

// Strict parse without a signature check (for `receipt show`): the same size,
// parse and content rules as VerifyReceiptBytes.
Result<v1::Receipt> ParseReceiptUnverified(std::span<const std::uint8_t> signed_receipt);

}  // namespace custos::receipt
