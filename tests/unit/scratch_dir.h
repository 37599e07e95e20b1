// A fresh directory for one test under the build directory: a disk file
// system, as evidence is on (tmpfs would hide O_DIRECT refusals, ACLs and
// the disk's own behaviour).
#pragma once

#include <stdlib.h>

#include <filesystem>
#include <string>

namespace custos::test_util {

// CUSTOS_BINARY_DIR/tmp/<prefix>-XXXXXX, made 0700; empty when it could not be made.
inline std::string MakeScratchDir(const std::string& prefix) {
  std::string dir = std::string(CUSTOS_BINARY_DIR) + "/tmp/" + prefix + "-XXXXXX";
  std::filesystem::create_directories(std::filesystem::path(dir).parent_path());
  return ::mkdtemp(dir.data()) != nullptr ? dir : std::string();
}

}  // namespace custos::test_util
