#include "common/test_hooks.h"

#include <cstdlib>
#include <string_view>

namespace custos {

std::optional<std::int64_t> FixedTime() {
  const char* fixed = std::getenv("CUSTOS_FIXED_TIME");
  if (fixed == nullptr || *fixed == '\0') return std::nullopt;
  char* end = nullptr;
  long long v = std::strtoll(fixed, &end, 10);
  if (end == nullptr || *end != '\0') return std::nullopt;
  return static_cast<std::int64_t>(v);
}

bool FastKdfForTests() {
  const char* fast = std::getenv("CUSTOS_TEST_FAST_KDF");
  return fast != nullptr && std::string_view(fast) == "1";
}

}  // namespace custos
