// The two environment hooks for tests, read in one place: the library obeys
// them and the CLI warns about them with the same reading (a value the library
// ignores draws no warning, one it obeys always does).
#pragma once

#include <cstdint>
#include <optional>

namespace custos {

// CUSTOS_FIXED_TIME=<decimal seconds>: every time custos signs is this one.
std::optional<std::int64_t> FixedTime();
// CUSTOS_TEST_FAST_KDF=1: new key files get libsodium's minimum Argon2id cost.
bool FastKdfForTests();

}  // namespace custos
