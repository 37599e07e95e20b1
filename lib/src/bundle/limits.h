// Limits a bundle reader enforces (docs/FORMAT.md §7 "Limits"). Every length
// is checked against its limit before anything is allocated for it.
#pragma once

#include <cstddef>
#include <cstdint>

namespace custos::bundle {

constexpr std::size_t kMaxManifestBytes = 64u << 20;     // SignedManifest member
constexpr std::size_t kMaxEntries = 1'000'000;           // directories + files
constexpr std::size_t kMaxRecipients = 64;
constexpr std::size_t kMaxSealBytes = 64u << 20;         // SignedSeal member
constexpr std::size_t kMaxBagitTxtBytes = 4096;
constexpr std::size_t kMaxBagInfoBytes = 1u << 20;
constexpr std::size_t kMaxTagManifestBytes = 4096;
constexpr std::size_t kMaxManifestTxtBytes = 256u << 20;  // manifest-sha256.txt
constexpr std::uint64_t kMaxCustodyLogBytes = 1ull << 30;
constexpr std::size_t kMaxPaxHeaderBytes = 64u * 1024;    // pax records of one member
constexpr std::size_t kMaxTextField = 64u * 1024;          // one case-metadata string
// The use limitations, confidentiality and data-protection conditions
// together: open records them in one CONDITIONS_ACKNOWLEDGED custody event,
// which may be at most 64 KiB with its signature and actor.
constexpr std::size_t kMaxConditionsBytes = 32u * 1024;
constexpr std::uint64_t kTarRecord = 10240;
constexpr std::uint64_t kTarBlock = 512;
// Decompressed bytes allowed before the manifest's signature has been checked:
// one ustar header, its pax records (+ header and padding), the manifest.
constexpr std::uint64_t kPreAuthBudget =
    3 * kTarBlock + kMaxPaxHeaderBytes + kMaxManifestBytes + kTarBlock;
// Overhead allowed per member beyond its content (headers, pax, padding).
constexpr std::uint64_t kPerMemberOverhead = 3 * kTarBlock + kMaxPaxHeaderBytes;
constexpr int kZstdWindowLogMax = 24;
constexpr int kMinLevel = 1;
constexpr int kMaxLevel = 19;   // levels above 19 need windows over 2^24

// Not a limit: evidence files this large are read (seal) and written (open)
// with O_DIRECT where the file system allows it; smaller ones go through the
// page cache (a direct write per small file would wait for the disk).
inline constexpr std::uint64_t kDirectIoFrom = 4u << 20;

}  // namespace custos::bundle
