// lib/src/receipt/receipt.h — the two local registers of receipts and bundles
// (the receipt format itself: custody/receipt_format.h, which the custody
// audit shares)
// (opened bundles, sent bundles). docs/FORMAT.md "Receipts" is normative.
//
//   receipt file = SignedReceipt{ bytes receipt; bytes signature }
//   signature    = Ed25519 by the receiver over "custos/v1/sig/receipt" 0x00 receipt
//
// Registers, under CUSTOS_HOME = ${CUSTOS_HOME:-${XDG_CONFIG_HOME:-~/.config}/custos}
// (a directory refused when writable by group or others, like the trust store):
//   CUSTOS_HOME/opened              one line per open, appended under flock, 0600
//       "<bundle id hex> <seal hash hex> <unix time> <outdir, percent-encoded>\n"
//   CUSTOS_HOME/sent/<bundle id hex>.pb   a v1::SentRecord, written atomically, 0600
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <string>

#include "custos/error.h"
#include "custos/keys.h"
#include "custody/receipt_format.h"
#include "custos/v1/receipt.pb.h"

namespace custos::receipt {

// A SentRecord file (it carries at most bundle::kMaxRecipients fingerprints).
constexpr std::size_t kMaxSentRecordBytes = 64 * 1024;
// One line of the opened register (outdir included).
constexpr std::size_t kMaxOpenedLineBytes = 16 * 1024;

// CUSTOS_HOME as above (no trailing slash).
std::string CustosHome();

// True if (bundle id, seal hash) is in the opened register: a replay. Then
// *previous (if not null) says when and where ("2026-11-24T05:35:10Z into
// /cases/K-1"). A missing register is empty. Hex arguments are lowercase or
// upper case; kUsage if they are not a 16-byte id / 32-byte hash.
// kUnsafeOutput if CUSTOS_HOME or the register is writable by group/others,
// kCorrupt if a line is malformed.
Result<bool> SeenBefore(const std::string& bundle_id_hex, const std::string& seal_hash_hex,
                        std::string* previous);

// Appends one line to the opened register (creating CUSTOS_HOME 0700 and the
// file 0600 when missing) under flock(LOCK_EX); on a failed write the file is
// truncated back, so no partial line remains. Refuses a symbolic link or a
// non-regular file at the register's path.
Status RecordOpened(const std::string& bundle_id_hex, const std::string& seal_hash_hex,
                    const std::string& outdir);

// Writes CUSTOS_HOME/sent/<bundle id hex>.pb atomically (0600; directories
// 0700). format_version and time are filled in when unset. kExists if a
// record for this bundle id is already there (ids are random: never reused).
Status RecordSent(const v1::SentRecord& record);

// The sent record for this bundle id, or std::nullopt when there is none.
// Strict parse (kCorrupt), bounded (kLimitExceeded); the record must name the
// bundle id its file name says (kCorrupt otherwise).
Result<std::optional<v1::SentRecord>> FindSent(const std::string& bundle_id_hex);

}  // namespace custos::receipt
