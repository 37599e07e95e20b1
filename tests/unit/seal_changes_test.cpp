// Evidence that changes while it is sealed is refused, whichever way it is
// read (ahead with O_DIRECT for large files when threaded, or on the caller's
// thread), and nothing is left behind: the file is changed from the progress
// callback after its first piece went into the bundle.
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include <algorithm>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include "custos/seal.h"
#include "example_keys.h"
#include "scratch_dir.h"

namespace custos {
namespace {

namespace fs = std::filesystem;

struct Case {
  const char* name;
  int threads;
  bool grow;  // else shrink
};

// A scratch directory with ev/ to seal, and the options to seal it.
template <typename Param>
class ScratchSealTest : public test_util::ScratchDirTest<::testing::TestWithParam<Param>> {
 protected:
  using test_util::ScratchDirTest<::testing::TestWithParam<Param>>::dir_;
  void SetUp() override {
    test_util::ScratchDirTest<::testing::TestWithParam<Param>>::SetUp();
    if (this->HasFatalFailure()) return;
    ::setenv("CUSTOS_HOME", (dir_ + "/home").c_str(), 1);
    fs::create_directories(dir_ + "/ev");
  }
  SealOptions Options(int threads) {
    SealOptions o;
    o.sender = &sender_;
    o.recipients = {testing::ExamplePub("nl-central-authority")};
    o.case_info.case_reference = "X-1";
    o.inputs = {dir_ + "/ev"};
    o.output = dir_ + "/out.custos";
    o.threads = threads;
    return o;
  }
  // Nothing under the output's name, no temporary file beside it.
  void ExpectNothingWritten() {
    for (const auto& e : fs::directory_iterator(dir_)) {
      const std::string name = e.path().filename().string();
      EXPECT_TRUE(name == "ev" || name == "home") << "left behind: " << name;
    }
  }
  const SecretIdentity sender_ = testing::ExampleKey("si-central-authority");
};

using SealChangesTest = ScratchSealTest<Case>;

TEST_P(SealChangesTest, AFileThatChangesWhileSealedIsRefusedAndNothingIsWritten) {
  const Case c = GetParam();
  // 24 MiB (sparse, a few bytes set): more than the read-ahead holds, so a
  // truncation after the first piece is met before the thread could read it all.
  const std::string big = dir_ + "/ev/big";
  {
    std::ofstream(big, std::ios::binary) << "start";
    fs::resize_file(big, 24u << 20);
  }
  SealOptions o = Options(c.threads);
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
  ExpectNothingWritten();
}

INSTANTIATE_TEST_SUITE_P(Modes, SealChangesTest,
                         ::testing::Values(Case{"GrowsReadAhead", 0, true}, Case{"ShrinksReadAhead", 0, false},
                                           Case{"GrowsOneThread", 1, true}, Case{"ShrinksOneThread", 1, false}),
                         [](const ::testing::TestParamInfo<Case>& i) { return std::string(i.param.name); });

// The files after the one being read are opened ahead (io/open_ahead.h). A
// file changed after that, before its turn, is still refused exactly as if
// it had been opened at its turn: rewritten in place (same size, new mtime),
// or replaced by another file under its name. And a file rewritten in place
// while it is read (same size) is refused by its mtime afterwards.
enum class Change { kRewrittenBeforeItsTurn, kReplacedBeforeItsTurn, kRewrittenWhileRead };
struct ChangeCase {
  const char* name;
  int threads;
  Change change;
};
using SealChangedFileTest = ScratchSealTest<ChangeCase>;

void SetMtime(const std::string& path, std::int64_t seconds) {
  const struct timespec times[2] = {{0, UTIME_OMIT}, {static_cast<time_t>(seconds), 0}};
  ASSERT_EQ(::utimensat(AT_FDCWD, path.c_str(), times, 0), 0) << path;
}

TEST_P(SealChangedFileTest, IsRefusedAndNothingIsWritten) {
  const ChangeCase c = GetParam();
  const std::string a = dir_ + "/ev/a", b = dir_ + "/ev/b";
  {
    std::ofstream(a, std::ios::binary) << "start";
    fs::resize_file(a, c.change == Change::kRewrittenWhileRead ? 24u << 20 : 64u << 10);
  }
  std::ofstream(b, std::ios::binary) << "witness statement";
  SetMtime(a, 1700000000);
  SetMtime(b, 1700000000);
  SealOptions o = Options(c.threads);
  bool changed = false;
  o.progress = [&](const Progress& p) {
    if (changed || p.done_bytes == 0) return;  // a's first piece is in: b was opened ahead
    changed = true;
    switch (c.change) {
      case Change::kRewrittenBeforeItsTurn: {
        std::fstream(b, std::ios::binary | std::ios::in | std::ios::out) << "W";
        SetMtime(b, 1700000100);
        break;
      }
      case Change::kReplacedBeforeItsTurn:
        std::ofstream(b + ".new", std::ios::binary) << "witness statemenT";
        SetMtime(b + ".new", 1700000000);
        ASSERT_EQ(::rename((b + ".new").c_str(), b.c_str()), 0);
        break;
      case Change::kRewrittenWhileRead:
        std::fstream(a, std::ios::binary | std::ios::in | std::ios::out) << "S";
        SetMtime(a, 1700000100);
        break;
    }
  };
  auto r = SealBundle(o);
  ASSERT_TRUE(changed);
  ASSERT_FALSE(r.ok()) << "a changed file was sealed";
  switch (c.change) {
    case Change::kRewrittenBeforeItsTurn:
      EXPECT_EQ(r.error().message(), b + ": changed since it was listed (its modification time differs)");
      break;
    case Change::kReplacedBeforeItsTurn:
      EXPECT_EQ(r.error().message(),
                b + ": changed since it was listed (it is a different file now: device or inode differ)");
      break;
    case Change::kRewrittenWhileRead:
      EXPECT_EQ(r.error().message(), a + ": file was modified while it was being sealed");
      break;
  }
  EXPECT_EQ(r.error().code(), ErrorCode::kIo);
  ExpectNothingWritten();
}

INSTANTIATE_TEST_SUITE_P(
    Modes, SealChangedFileTest,
    ::testing::Values(ChangeCase{"RewrittenBeforeItsTurnThreads", 0, Change::kRewrittenBeforeItsTurn},
                      ChangeCase{"RewrittenBeforeItsTurnOneThread", 1, Change::kRewrittenBeforeItsTurn},
                      ChangeCase{"ReplacedBeforeItsTurnThreads", 0, Change::kReplacedBeforeItsTurn},
                      ChangeCase{"ReplacedBeforeItsTurnOneThread", 1, Change::kReplacedBeforeItsTurn},
                      ChangeCase{"RewrittenWhileReadThreads", 0, Change::kRewrittenWhileRead},
                      ChangeCase{"RewrittenWhileReadOneThread", 1, Change::kRewrittenWhileRead}),
    [](const ::testing::TestParamInfo<ChangeCase>& i) { return std::string(i.param.name); });

// While a file is read, the files after it are already open (io/open_ahead.h):
// the disk gets their reads together. Seen from /proc/self/fd.
using SealOpenAheadTest = ScratchSealTest<int>;

TEST_P(SealOpenAheadTest, TheNextFilesAreOpenWhileOneIsRead) {
  const std::string ev = dir_ + "/ev/";
  {
    std::ofstream(ev + "a", std::ios::binary) << "start";
    fs::resize_file(ev + "a", 64u << 10);
  }
  for (const char* name : {"b", "c", "d", "e"}) std::ofstream(ev + name, std::ios::binary) << name;
  SealOptions o = Options(GetParam());
  std::vector<std::string> open_while_a;
  bool seen = false;
  o.progress = [&](const Progress& p) {
    if (seen || p.current != ev + "a") return;
    seen = true;
    for (const auto& e : fs::directory_iterator("/proc/self/fd")) {
      std::error_code ec;
      const fs::path target = fs::read_symlink(e.path(), ec);
      if (!ec && target.string().rfind(ev, 0) == 0) open_while_a.push_back(target.filename().string());
    }
  };
  auto r = SealBundle(o);
  ASSERT_TRUE(r.ok()) << r.error().message();
  ASSERT_TRUE(seen);
  std::sort(open_while_a.begin(), open_while_a.end());
  EXPECT_EQ(open_while_a, (std::vector<std::string>{"a", "b", "c", "d", "e"}));
}

INSTANTIATE_TEST_SUITE_P(Modes, SealOpenAheadTest, ::testing::Values(0, 1),
                         [](const ::testing::TestParamInfo<int>& i) {
                           return i.param == 1 ? std::string("OneThread") : std::string("Threads");
                         });

}  // namespace
}  // namespace custos
