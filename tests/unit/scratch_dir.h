// A fresh directory for one test under the build directory: a disk file
// system, as evidence is on (tmpfs would hide O_DIRECT refusals, ACLs and
// the disk's own behaviour).
#pragma once

#include <stdlib.h>

#include <gtest/gtest.h>

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <string>

namespace custos::test_util {

// CUSTOS_BINARY_DIR/tmp/<prefix>-XXXXXX, made 0700; empty when it could not be made.
inline std::string MakeScratchDir(const std::string& prefix) {
  std::string dir = std::string(CUSTOS_BINARY_DIR) + "/tmp/" + prefix + "-XXXXXX";
  std::filesystem::create_directories(std::filesystem::path(dir).parent_path());
  return ::mkdtemp(dir.data()) != nullptr ? dir : std::string();
}

// A fixture with a scratch directory dir_ of its own for each test (named
// after the test suite), removed after the test. `Base`: ::testing::Test or
// ::testing::TestWithParam<...>.
template <typename Base = ::testing::Test>
class ScratchDirTest : public Base {
 protected:
  void SetUp() override {
    std::string suite = ::testing::UnitTest::GetInstance()->current_test_info()->test_suite_name();
    for (char& c : suite)
      if (c == '/') c = '-';  // Instance/Suite of a parameterised test
    dir_ = MakeScratchDir(suite);
    ASSERT_FALSE(dir_.empty()) << std::strerror(errno);
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }
  std::string dir_;
};

}  // namespace custos::test_util
