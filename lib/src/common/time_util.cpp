#include "common/time_util.h"

#include <cstdlib>
#include <ctime>

namespace custos {

std::int64_t NowUnix() {
  if (const char* fixed = std::getenv("CUSTOS_FIXED_TIME"); fixed != nullptr && *fixed != '\0') {
    char* end = nullptr;
    long long v = std::strtoll(fixed, &end, 10);
    if (end != nullptr && *end == '\0') return v;
  }
  return static_cast<std::int64_t>(std::time(nullptr));
}

std::string FormatUtc(std::int64_t unix_seconds) {
  std::time_t t = static_cast<std::time_t>(unix_seconds);
  std::tm tm{};
  gmtime_r(&t, &tm);
  char buf[32];
  std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%SZ", &tm);
  return buf;
}

}  // namespace custos
