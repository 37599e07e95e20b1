// Time helpers: UTC only.
#pragma once

#include <cstdint>
#include <string>

namespace custos {

// Seconds since the Unix epoch, now. CUSTOS_FIXED_TIME (seconds), when set,
// replaces the clock: tests and known-answer vectors use it.
std::int64_t NowUnix();
// "2026-11-24T05:35:10Z"
std::string FormatUtc(std::int64_t unix_seconds);

}  // namespace custos
