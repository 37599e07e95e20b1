// The staging directory open writes into (io/staging): every file ends with
// exactly the mode and mtime it was given, whatever the umask and whether or
// not a default ACL decides new files' modes (a file is created with its
// final mode only when that creation is certain to give it); the early sync
// (StartSync) changes nothing of what is committed, and an abandoned staging
// directory goes whether or not it was syncing.
#include "io/staging.h"

#include <sys/stat.h>
#include <sys/xattr.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include <cerrno>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <functional>
#include <string>
#include <vector>

#include "scratch_dir.h"

namespace custos::io {
namespace {

namespace fs = std::filesystem;

std::string ReadAll(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(in), {});
}

std::span<const std::uint8_t> Bytes(const std::string& s) {
  return {reinterpret_cast<const std::uint8_t*>(s.data()), s.size()};
}

// Sets the process's umask for one test.
class ScopedUmask {
 public:
  explicit ScopedUmask(mode_t m) : old_(::umask(m)) {}
  ~ScopedUmask() { ::umask(old_); }

 private:
  mode_t old_;
};

class StagingTest : public test_util::ScratchDirTest<> {
 protected:

  // Stages files of every mode (and a directory) into dir_/out and commits.
  // `shortcut(mode)`: whether the file is expected to be created with its
  // mode (no fchmod at its end).
  void StageEveryMode(bool early_sync, const std::function<bool(std::uint32_t)>& shortcut) {
    auto staging = StagingDir::Create(out());
    ASSERT_TRUE(staging.ok()) << staging.error().message();
    StagingDir& s = **staging;
    ASSERT_TRUE(s.MakeDir("d", 0750, 1600000000).ok());
    for (std::uint32_t mode : kModes) {
      const std::string name = "d/f" + std::to_string(mode);
      ASSERT_TRUE(s.BeginFile(name, false, mode).ok()) << name;
      EXPECT_EQ(s.created_with_mode(), shortcut(mode)) << name;
      ASSERT_TRUE(s.Write(Bytes("content of " + name)).ok()) << name;
      ASSERT_TRUE(s.EndFile(mode, 1600000000 + mode).ok()) << name;
    }
    if (early_sync) s.StartSync();
    // Given a different mode at the end than at the start: the end decides.
    ASSERT_TRUE(s.BeginFile("late", false, 0600).ok());
    ASSERT_TRUE(s.Write(Bytes("late")).ok());
    ASSERT_TRUE(s.EndFile(0640, 1600000001).ok());
    ASSERT_TRUE(s.Commit().ok());
  }
  void ExpectEveryMode() {
    for (std::uint32_t mode : kModes) {
      const std::string p = out() + "/d/f" + std::to_string(mode);
      struct stat st {};
      ASSERT_EQ(::stat(p.c_str(), &st), 0) << p;
      EXPECT_EQ(st.st_mode & 07777, mode) << p;
      EXPECT_EQ(st.st_mtime, 1600000000 + mode) << p;
      if (::geteuid() == 0 || (mode & 0400) != 0) {
        EXPECT_EQ(ReadAll(p), "content of d/f" + std::to_string(mode)) << p;
      }
    }
    struct stat st {};
    ASSERT_EQ(::stat((out() + "/late").c_str(), &st), 0);
    EXPECT_EQ(st.st_mode & 07777, 0640u);
    EXPECT_EQ(ReadAll(out() + "/late"), "late");
    ASSERT_EQ(::stat((out() + "/d").c_str(), &st), 0);
    EXPECT_EQ(st.st_mode & 07777, 0750u);
    EXPECT_EQ(st.st_mtime, 1600000000);
  }
  std::string out() const { return dir_ + "/out"; }

  static constexpr std::uint32_t kModes[] = {0644, 0755, 0600, 0640, 0444, 0400, 0, 0777, 0666, 0070};
};

// Created with its mode exactly when the umask takes nothing from it.
std::function<bool(std::uint32_t)> UmaskLeaves(std::uint32_t umask) {
  return [umask](std::uint32_t mode) { return (mode & umask) == 0; };
}

TEST_F(StagingTest, EveryFileHasItsExactModeUnderTheUsualUmask) {
  ScopedUmask u(022);
  StageEveryMode(false, UmaskLeaves(022));
  ExpectEveryMode();
}

TEST_F(StagingTest, EveryFileHasItsExactModeUnderAStrictUmask) {
  ScopedUmask u(0277);
  StageEveryMode(false, UmaskLeaves(0277));
  ExpectEveryMode();
}

TEST_F(StagingTest, EveryFileHasItsExactModeUnderNoUmask) {
  ScopedUmask u(0);
  StageEveryMode(true, UmaskLeaves(0));
  ExpectEveryMode();
}

// A default ACL replaces the umask for files created below it: predicting the
// mode from the umask would give 0600 for a 0644 file here.
TEST_F(StagingTest, EveryFileHasItsExactModeUnderADefaultAcl) {
  ScopedUmask u(022);
  // system.posix_acl_default: version 2, then user::rwx group::--- other::---.
  struct Entry {
    std::uint16_t tag, perm;
    std::uint32_t id;
  };
  struct {
    std::uint32_t version = 2;
    Entry e[3] = {{0x01, 7, 0xffffffff}, {0x04, 0, 0xffffffff}, {0x20, 0, 0xffffffff}};
  } acl;
  static_assert(sizeof(acl) == 4 + 3 * 8);
  if (::setxattr(dir_.c_str(), "system.posix_acl_default", &acl, sizeof(acl), 0) != 0)
    GTEST_SKIP() << "no POSIX ACLs on " << dir_ << ": " << std::strerror(errno);
  StageEveryMode(true, [](std::uint32_t) { return false; });  // the ACL decides: never
  ExpectEveryMode();
}

TEST_F(StagingTest, AnEarlySyncThenMoreFilesCommitsThemAll) {
  auto staging = StagingDir::Create(out());
  ASSERT_TRUE(staging.ok()) << staging.error().message();
  StagingDir& s = **staging;
  ASSERT_TRUE(s.WriteFile("a", Bytes("a"), 0600, 1600000000).ok());
  s.StartSync();
  s.StartSync();  // a second call while the first runs is harmless
  ASSERT_TRUE(s.WriteFile("b", Bytes("b"), 0600, 1600000000).ok());
  ASSERT_TRUE(s.AppendTo("a", Bytes("+"), 1600000002).ok());
  ASSERT_TRUE(s.Commit().ok());
  EXPECT_EQ(ReadAll(out() + "/a"), "a+");
  EXPECT_EQ(ReadAll(out() + "/b"), "b");
  struct stat st {};
  ASSERT_EQ(::stat((out() + "/a").c_str(), &st), 0);
  EXPECT_EQ(st.st_mtime, 1600000002);
}

TEST_F(StagingTest, AnAbandonedStagingDirectoryGoesWhileSyncing) {
  {
    auto staging = StagingDir::Create(out());
    ASSERT_TRUE(staging.ok()) << staging.error().message();
    ASSERT_TRUE((*staging)->WriteFile("a", Bytes("a"), 0644, 1600000000).ok());
    (*staging)->StartSync();
  }  // no Commit
  EXPECT_FALSE(fs::exists(out()));
  EXPECT_TRUE(fs::is_empty(dir_)) << "the staging directory was left behind";
}

}  // namespace
}  // namespace custos::io
