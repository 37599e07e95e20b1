// The example identities in keys/examples/ (their secret keys are public),
// loaded by unit tests from the source tree.
#pragma once

#include <gtest/gtest.h>

#include <cstdlib>
#include <string>

#include "custos/keys.h"

namespace custos::testing {

inline std::string SourceDir() {
  const char* dir = std::getenv("CUSTOS_SOURCE_DIR");
  return dir ? dir : CUSTOS_SOURCE_DIR;
}

// keys/examples/NAME.key (unencrypted: no passphrase is asked for).
inline SecretIdentity ExampleKey(const std::string& name) {
  auto r = SecretIdentity::Load(SourceDir() + "/keys/examples/" + name + ".key",
                                [] { return Result<SecretBytes>(Error(ErrorCode::kNoPassphrase, "none")); });
  EXPECT_TRUE(r.ok()) << name;
  return std::move(r).value();
}

// keys/examples/NAME.pub
inline PublicIdentity ExamplePub(const std::string& name) {
  auto r = PublicIdentity::Load(SourceDir() + "/keys/examples/" + name + ".pub");
  EXPECT_TRUE(r.ok()) << name;
  return std::move(r).value();
}

}  // namespace custos::testing
