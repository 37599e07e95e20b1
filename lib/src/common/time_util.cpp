#include "common/time_util.h"

#include "common/test_hooks.h"

#include <cstdlib>
#include <ctime>

namespace custos {

std::int64_t NowUnix() {
  if (auto fixed = FixedTime()) return *fixed;
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
