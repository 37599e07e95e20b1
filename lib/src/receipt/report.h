// lib/src/receipt/report.h — rendering a receipt for `custos receipt`.
#pragma once

#include <string>
#include <vector>

#include "custos/keys.h"
#include "custos/v1/receipt.pb.h"

namespace custos::receipt {

// Lower-case hex of raw bytes ("" for none).
std::string HexOf(const std::string& bytes);
// The printed fingerprint form of 32 raw bytes (hex for other lengths, "" for none).
std::string FingerprintText(const std::string& bytes);
// Copies what the receipt attests into the report (hex, printed fingerprints, UTC).
void FillReport(const v1::Receipt& r, v1::ReceiptReport* report);
// "result:  OPENED ...", "bundle id: ...", ...: what the receipt attests.
std::vector<std::string> SummaryLines(const v1::ReceiptReport& report);

}  // namespace custos::receipt
