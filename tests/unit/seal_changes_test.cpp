// Evidence that changes while it is sealed is refused, whichever way it is
// read (ahead with O_DIRECT for large files when threaded, or on the caller's
// thread), and nothing is left behind: the file is changed from the progress
// callback after its first piece went into the bundle.
#include <fcntl.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <string>

#include "custos/seal.h"
#include "example_keys.h"

namespace custos {
namespace {

namespace fs = std::filesystem;

struct Case {
  const char* name;
  int threads;
  bool grow;  // else shrink
};

class SealChangesTest : public ::testing::TestWithParam<Case> {
 protected:
  void SetUp() override {
    dir_ = std::string(CUSTOS_BINARY_DIR) + "/tmp/seal-changes-XXXXXX";
    fs::create_directories(fs::path(dir_).parent_path());
    ASSERT_NE(::mkdtemp(dir_.data()), nullptr);
    ::setenv("CUSTOS_HOME", (dir_ + "/home").c_str(), 1);
    fs::create_directories(dir_ + "/ev");
  }
  void TearDown() override { fs::remove_all(dir_); }
  std::string dir_;
};

TEST_P(SealChangesTest, AFileThatChangesWhileSealedIsRefusedAndNothingIsWritten) {
  const Case c = GetParam();
  // 24 MiB (sparse, a few bytes set): more than the read-ahead holds, so a
  // truncation after the first piece is met before the thread could read it all.
  const std::string big = dir_ + "/ev/big";
  {
    std::ofstream(big, std::ios::binary) << "start";
    fs::resize_file(big, 24u << 20);
  }
  const SecretIdentity sender = testing::ExampleKey("si-central-authority");
  SealOptions o;
  o.sender = &sender;
  o.recipients = {testing::ExamplePub("nl-central-authority")};
  o.case_info.case_reference = "X-1";
  o.inputs = {dir_ + "/ev"};
  o.output = dir_ + "/out.custos";
  o.threads = c.threads;
  bool changed = false;
  o.progress = [&](const Progress& p) {
    if (changed || p.done_bytes == 0) return;
    changed = true;
    if (c.grow) {
      std::ofstream(big, std::ios::binary | std::ios::app) << "one more";
    } else {
      fs::resize_file(big, 1u << 20);
    }
  };
  auto r = SealBundle(o);
  ASSERT_TRUE(changed);
  ASSERT_FALSE(r.ok()) << "a file that " << (c.grow ? "grew" : "shrank") << " was sealed";
  const std::string msg = r.error().message();
  if (c.grow) {
    EXPECT_EQ(msg, big + ": file changed size while it was being sealed");
  } else {
    EXPECT_EQ(msg, big + ": file shrank while it was being sealed");
  }
  EXPECT_EQ(r.error().code(), ErrorCode::kIo);
  // Nothing under the output's name, no temporary file beside it.
  for (const auto& e : fs::directory_iterator(dir_)) {
    const std::string name = e.path().filename().string();
    EXPECT_TRUE(name == "ev" || name == "home") << "left behind: " << name;
  }
}

INSTANTIATE_TEST_SUITE_P(Modes, SealChangesTest,
                         ::testing::Values(Case{"GrowsReadAhead", 0, true}, Case{"ShrinksReadAhead", 0, false},
                                           Case{"GrowsOneThread", 1, true}, Case{"ShrinksOneThread", 1, false}),
                         [](const ::testing::TestParamInfo<Case>& i) { return std::string(i.param.name); });

}  // namespace
}  // namespace custos
