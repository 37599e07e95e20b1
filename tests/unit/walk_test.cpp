// WalkInputs and OpenForSealing on real trees in a temporary directory.
#include "bundle/walk.h"

#include <fcntl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>

namespace custos::bundle {
namespace {

namespace fs = std::filesystem;

class WalkTest : public ::testing::Test {
 protected:
  void SetUp() override {
    char tmpl[] = "/tmp/custos-walk-XXXXXX";  // short: socket paths are limited to 108 bytes
    ASSERT_NE(::mkdtemp(tmpl), nullptr);
    root_ = tmpl;
  }
  void TearDown() override {
    std::error_code ec;
    fs::permissions(root_, fs::perms::owner_all, fs::perm_options::add, ec);
    for (auto& p : fs::recursive_directory_iterator(root_, ec))
      fs::permissions(p.path(), fs::perms::owner_all, fs::perm_options::add | fs::perm_options::nofollow, ec);
    fs::remove_all(root_, ec);
  }
  std::string P(const std::string& rel) const { return root_ + "/" + rel; }
  void File(const std::string& rel, const std::string& content = "x") {
    fs::create_directories(fs::path(P(rel)).parent_path());
    std::ofstream(P(rel), std::ios::binary) << content;
  }
  void Dir(const std::string& rel) { fs::create_directories(P(rel)); }

  static std::vector<std::string> Paths(const WalkResult& w) {
    std::vector<std::string> out;
    for (const auto& e : w.entries) out.push_back(e.bundle_path);
    return out;
  }
  // Expects failure with `code` and a message containing `text`.
  static void ExpectError(const Result<WalkResult>& r, ErrorCode code, const std::string& text) {
    ASSERT_FALSE(r.ok());
    EXPECT_EQ(r.error().code(), code) << r.error().message();
    EXPECT_NE(r.error().message().find(text), std::string::npos) << r.error().message();
  }

  std::string root_;
};

TEST_F(WalkTest, DirectoriesFirstChildrenInByteOrder) {
  File("ev/b", "bb");
  File("ev/a", "a");
  File("ev/C", "ccc");
  File("ev/d/z");
  File("ev/\xC3\xA9");  // é sorts after ASCII by bytes
  File("single.txt", "12345");
  auto r = WalkInputs({P("ev"), P("single.txt")});
  ASSERT_TRUE(r.ok()) << r.error().message();
  EXPECT_EQ(Paths(*r), (std::vector<std::string>{"data/ev", "data/ev/C", "data/ev/a", "data/ev/b", "data/ev/d",
                                                 "data/ev/d/z", "data/ev/\xC3\xA9", "data/single.txt"}));
  const auto& v = r->entries;
  EXPECT_TRUE(v[0].is_dir);
  EXPECT_EQ(v[0].size, 0u);
  EXPECT_FALSE(v[1].is_dir);
  EXPECT_EQ(v[1].size, 3u);
  EXPECT_EQ(r->SourcePath(v[1]), P("ev") + "/C");
  EXPECT_EQ(v[7].size, 5u);
  EXPECT_EQ(r->SourcePath(v[7]), P("single.txt"));
  EXPECT_EQ(v[1].top, 0u);
  EXPECT_EQ(v[7].top, 1u);
}

TEST_F(WalkTest, SymlinkInsideIsRefusedByName) {
  File("ev/a");
  ASSERT_EQ(::symlink("a", P("ev/link").c_str()), 0);
  ExpectError(WalkInputs({P("ev")}), ErrorCode::kIo,
              P("ev") + "/link: is a symbolic link; custos seals only regular files and directories");
}

TEST_F(WalkTest, SymlinkInputIsRefusedEvenWithTrailingSlash) {
  Dir("real");
  ASSERT_EQ(::symlink("real", P("link").c_str()), 0);
  ExpectError(WalkInputs({P("link")}), ErrorCode::kIo, "link: is a symbolic link");
  ExpectError(WalkInputs({P("link") + "/"}), ErrorCode::kIo, "link: is a symbolic link");
}

TEST_F(WalkTest, FifoIsRefused) {
  Dir("ev");
  ASSERT_EQ(::mkfifo(P("ev/pipe").c_str(), 0600), 0);
  ExpectError(WalkInputs({P("ev")}), ErrorCode::kIo, "ev/pipe: is a FIFO (named pipe); custos seals only");
}

TEST_F(WalkTest, SocketIsRefused) {
  Dir("ev");
  int s = ::socket(AF_UNIX, SOCK_STREAM, 0);
  ASSERT_GE(s, 0);
  sockaddr_un addr{};
  addr.sun_family = AF_UNIX;
  std::string path = P("ev/sock");
  ASSERT_LT(path.size(), sizeof addr.sun_path);
  std::memcpy(addr.sun_path, path.c_str(), path.size() + 1);
  ASSERT_EQ(::bind(s, reinterpret_cast<sockaddr*>(&addr), sizeof addr), 0);
  ::close(s);
  ExpectError(WalkInputs({P("ev")}), ErrorCode::kIo, "ev/sock: is a socket");
}

TEST_F(WalkTest, DeviceInputIsRefused) {
  ExpectError(WalkInputs({"/dev/null"}), ErrorCode::kIo, "/dev/null: is a character device");
}

TEST_F(WalkTest, DuplicateBaseNamesAreAUsageError) {
  File("a/x");
  File("b/x");
  ExpectError(WalkInputs({P("a/x"), P("b/x")}), ErrorCode::kUsage, "would both be sealed as data/x");
}

TEST_F(WalkTest, CollidingBaseNamesAreAUsageError) {
  File("a/Report");
  File("b/report");
  ExpectError(WalkInputs({P("a/Report"), P("b/report")}), ErrorCode::kUsage, "case-folding");
}

TEST_F(WalkTest, CollidingNamesInsideATreeFailBeforeReading) {
  File("ev/Photo.jpg");
  File("ev/photo.jpg");
  auto r = WalkInputs({P("ev")});
  ExpectError(r, ErrorCode::kIo, "\"data/ev/photo.jpg\" and the earlier \"data/ev/Photo.jpg\"");
  EXPECT_NE(r.error().hint().find("rename"), std::string::npos);
}

TEST_F(WalkTest, UnsafeNameInsideATreeIsNamedEscaped) {
  File("ev/bad\nname");
  ExpectError(WalkInputs({P("ev")}), ErrorCode::kIo, "unsafe path \"data/ev/bad\\x0aname\": contains the control");
}

TEST_F(WalkTest, DotAndDotDotAndTrailingSlashResolveToTheRealName) {
  File("ev/sub/f");
  for (const std::string& in : {P("ev") + "/.", P("ev/sub") + "/..", P("ev") + "/", P("ev") + "//"}) {
    auto r = WalkInputs({in});
    ASSERT_TRUE(r.ok()) << in << ": " << r.error().message();
    EXPECT_EQ(Paths(*r), (std::vector<std::string>{"data/ev", "data/ev/sub", "data/ev/sub/f"})) << in;
  }
}

TEST_F(WalkTest, RootHasNoBaseName) {
  ExpectError(WalkInputs({"/"}), ErrorCode::kUsage, "root directory, which has no base name");
  ExpectError(WalkInputs({"/.."}), ErrorCode::kUsage, "no base name");
}

TEST_F(WalkTest, MissingInputIsNotFound) {
  ExpectError(WalkInputs({P("nope")}), ErrorCode::kNotFound, P("nope"));
  ExpectError(WalkInputs({}), ErrorCode::kUsage, "no inputs");
  ExpectError(WalkInputs({""}), ErrorCode::kUsage, "empty");
}

TEST_F(WalkTest, UnreadableFileAndDirectoryAreRefused) {
  if (::geteuid() == 0) GTEST_SKIP() << "root reads everything";
  File("ev/secret");
  ASSERT_EQ(::chmod(P("ev/secret").c_str(), 0), 0);
  ExpectError(WalkInputs({P("ev")}), ErrorCode::kPermission, "ev/secret");
  ASSERT_EQ(::chmod(P("ev/secret").c_str(), 0600), 0);
  File("ev/closed/x");
  ASSERT_EQ(::chmod(P("ev/closed").c_str(), 0), 0);
  ExpectError(WalkInputs({P("ev")}), ErrorCode::kPermission, "ev/closed");
}

TEST_F(WalkTest, DepthLimit) {
  // data/ev + 62 more = 64 components: accepted; one more is refused.
  std::string rel = "ev";
  for (int i = 0; i < 62; ++i) rel += "/d";
  Dir(rel);
  auto ok = WalkInputs({P("ev")});
  ASSERT_TRUE(ok.ok()) << ok.error().message();
  EXPECT_EQ(ok->entries.size(), 63u);
  Dir(rel + "/d");
  ExpectError(WalkInputs({P("ev")}), ErrorCode::kIo, "has 65 components, more than the limit of 64");
}

TEST_F(WalkTest, EntryLimit) {
  File("ev/a");
  File("ev/b");
  File("ev/c");
  EXPECT_TRUE(WalkInputsLimited({P("ev")}, 4).ok());
  ExpectError(WalkInputsLimited({P("ev")}, 3), ErrorCode::kLimitExceeded, "more than 3");
}

TEST_F(WalkTest, SetIdAndStickyBitsAreDropped) {
  File("ev/tool");
  ASSERT_EQ(::chmod(P("ev/tool").c_str(), 04755), 0);
  Dir("ev/shared");
  ASSERT_EQ(::chmod(P("ev/shared").c_str(), 01777), 0);
  ASSERT_EQ(::chmod(P("ev").c_str(), 02750), 0);
  auto r = WalkInputs({P("ev")});
  ASSERT_TRUE(r.ok()) << r.error().message();
  ASSERT_EQ(r->entries.size(), 3u);
  EXPECT_EQ(r->entries[0].mode, 0750u);
  EXPECT_EQ(r->entries[1].mode, 0777u);  // shared
  EXPECT_EQ(r->entries[2].mode, 0755u);  // tool
}

TEST_F(WalkTest, OpenForSealingChecksTheFileIsUnchanged) {
  File("f", "hello");
  auto r = WalkInputs({P("f")});
  ASSERT_TRUE(r.ok());
  WalkEntry e = r->entries[0];
  const std::string path = r->SourcePath(e);
  {
    struct stat st {};
    auto fd = OpenForSealing(path, Listed(e), &st);
    ASSERT_TRUE(fd.ok()) << fd.error().message();
    // The fstat the checks saw is handed back (io::OpenAhead stamps with it).
    EXPECT_EQ(static_cast<std::uint64_t>(st.st_ino), e.ino);
    EXPECT_EQ(st.st_size, 5);
    EXPECT_TRUE(S_ISREG(st.st_mode));
    char buf[8];
    EXPECT_EQ(::read(fd->get(), buf, sizeof buf), 5);
  }
  std::ofstream(P("f"), std::ios::app) << "!";
  auto grown = OpenForSealing(path, Listed(e));
  ASSERT_FALSE(grown.ok());
  EXPECT_EQ(grown.error().code(), ErrorCode::kIo);
  EXPECT_NE(grown.error().message().find("changed since it was listed (it was 5 bytes, now 6)"),
            std::string::npos);

  File("other", "hello");
  fs::rename(P("other"), P("f"));
  auto replaced = OpenForSealing(path, Listed(e));
  ASSERT_FALSE(replaced.ok());
  EXPECT_NE(replaced.error().message().find("device or inode differ"), std::string::npos);

  fs::remove(P("f"));
  ASSERT_EQ(::symlink("/etc/passwd", P("f").c_str()), 0);
  auto link = OpenForSealing(path, Listed(e));
  ASSERT_FALSE(link.ok());
  EXPECT_NE(link.error().message().find("it is now a symbolic link"), std::string::npos);
}

}  // namespace
}  // namespace custos::bundle
