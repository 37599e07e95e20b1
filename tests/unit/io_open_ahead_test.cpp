// io::OpenAhead: files are opened once each, in order, at most kFiles and
// kBytes of advice ahead; small files are advised, large ones not; an open
// that fails ahead is reported at its turn, and nothing is opened past it.
#include "io/open_ahead.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <sys/resource.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "scratch_dir.h"

namespace custos::io {
namespace {

struct Advice {
  off_t offset, len;
  int advice;
};
std::vector<Advice> g_advice;

int RecordAdvice(int, off_t offset, off_t len, int advice) {
  g_advice.push_back({offset, len, advice});
  return 0;
}

constexpr std::uint64_t kMiB = 1u << 20;

// What an OpenFn does: opens `path` and reports the fstat it made.
Result<Fd> OpenAndStat(const std::string& path, struct stat* st) {
  Fd fd(::open(path.c_str(), O_RDONLY | O_CLOEXEC));
  if (!fd.valid() || ::fstat(fd.get(), st) != 0) return ErrnoError(errno, path);
  return fd;
}

// `sizes[i]`: a file of that size, or nullopt for a directory. Every file is
// /dev/null underneath; opens are counted per item.
struct Fixture {
  std::vector<std::optional<std::uint64_t>> sizes;
  std::map<std::size_t, int> opens;
  std::optional<std::size_t> fail_at;

  OpenAhead Make(std::uint64_t advise_below = 4 * kMiB) {
    g_advice.clear();
    return OpenAhead(
        sizes.size(), [this](std::size_t i) { return sizes.at(i); },
        [this](std::size_t i, struct stat* st) -> Result<Fd> {
          ++opens[i];
          if (fail_at && *fail_at == i)
            return Error(ErrorCode::kNotFound, "item " + std::to_string(i) + ": gone");
          return OpenAndStat("/dev/null", st);
        },
        advise_below, &RecordAdvice);
  }
};

// `count` files f0, f1, ... in `dir`, file i holding content(i).
std::vector<std::string> MakeFiles(const std::string& dir, int count,
                                   const std::function<std::string(int)>& content) {
  std::vector<std::string> paths;
  for (int i = 0; i < count; ++i) {
    paths.push_back(dir + "/f" + std::to_string(i));
    std::ofstream(paths.back(), std::ios::binary) << content(i);
  }
  return paths;
}

// An OpenAhead over real paths, with the real posix_fadvise; opens are
// counted per item in `opens` if given.
OpenAhead OverPaths(const std::vector<std::string>& paths, OpenAhead::SizeFn size,
                    std::map<std::size_t, int>* opens = nullptr) {
  return OpenAhead(
      paths.size(), std::move(size),
      [&paths, opens](std::size_t i, struct stat* st) -> Result<Fd> {
        if (opens != nullptr) ++(*opens)[i];
        return OpenAndStat(paths[i], st);
      },
      4 * kMiB);
}

TEST(OpenAheadTest, OpensEachFileOnceInOrderAndAdvisesTheNextOnes) {
  Fixture fx;
  fx.sizes.assign(100, 4096);
  OpenAhead ahead = fx.Make();
  for (std::size_t i = 0; i < 100; ++i) {
    auto fd = ahead.Take(i);
    ASSERT_TRUE(fd.ok()) << i;
    EXPECT_TRUE(fd->valid());
    // Item i itself is open now; the window runs to i + kFiles.
    EXPECT_EQ(ahead.files_ahead(), std::min<std::size_t>(OpenAhead::kFiles, 99 - i)) << i;
    EXPECT_EQ(ahead.bytes_ahead(), 4096u * ahead.files_ahead()) << i;
  }
  ASSERT_EQ(fx.opens.size(), 100u);
  for (const auto& [i, n] : fx.opens) EXPECT_EQ(n, 1) << "item " << i << " opened " << n << " times";
  // Every file but the first (read at once) was advised ahead, whole.
  ASSERT_EQ(g_advice.size(), 99u);
  for (const Advice& a : g_advice) {
    EXPECT_EQ(a.offset, 0);
    EXPECT_EQ(a.len, 4096);
    EXPECT_EQ(a.advice, POSIX_FADV_WILLNEED);
  }
}

TEST(OpenAheadTest, AdviceAheadStaysUnderItsByteBound) {
  Fixture fx;
  fx.sizes.assign(10, 3 * kMiB);  // three would be 9 MiB, over kBytes (8)
  OpenAhead ahead = fx.Make();
  ASSERT_TRUE(ahead.Take(0).ok());
  EXPECT_EQ(ahead.files_ahead(), 2u);
  EXPECT_EQ(ahead.bytes_ahead(), 6 * kMiB);
  EXPECT_LE(ahead.bytes_ahead(), OpenAhead::kBytes);
  ASSERT_TRUE(ahead.Take(1).ok());
  EXPECT_EQ(ahead.files_ahead(), 2u);
  EXPECT_EQ(fx.opens.size(), 4u);  // items 0 to 3
}

TEST(OpenAheadTest, LargeFilesAreOpenedAheadButNotAdvised) {
  Fixture fx;
  fx.sizes.assign(40, 5 * kMiB);
  OpenAhead ahead = fx.Make(/*advise_below=*/4 * kMiB);
  ASSERT_TRUE(ahead.Take(0).ok());
  EXPECT_EQ(ahead.files_ahead(), OpenAhead::kFiles);
  EXPECT_EQ(ahead.bytes_ahead(), 0u);
  EXPECT_TRUE(g_advice.empty());
}

TEST(OpenAheadTest, DirectoriesAreNeitherOpenedNorCounted) {
  Fixture fx;
  fx.sizes = {std::nullopt, 10, std::nullopt, std::nullopt, 20, std::nullopt};
  OpenAhead ahead = fx.Make();
  ASSERT_TRUE(ahead.Take(1).ok());
  EXPECT_EQ(ahead.files_ahead(), 1u);  // item 4
  EXPECT_EQ(ahead.bytes_ahead(), 20u);
  ASSERT_TRUE(ahead.Take(4).ok());
  EXPECT_EQ(ahead.files_ahead(), 0u);
  EXPECT_EQ(fx.opens.size(), 2u);
  EXPECT_EQ(fx.opens.count(0) + fx.opens.count(2) + fx.opens.count(3) + fx.opens.count(5), 0u);
}

// Ten files of 100 bytes whose third opens with an error; the first is taken.
class OpenAheadFailureTest : public ::testing::Test {
 protected:
  static Fixture Failing() {
    Fixture f;
    f.sizes.assign(10, 100);
    f.fail_at = 3;
    return f;
  }
  void SetUp() override { ASSERT_TRUE(ahead.Take(0).ok()); }
  Fixture fx = Failing();
  OpenAhead ahead = fx.Make();  // after fx: it opens through fx
};

// An open that fails ahead is not kept: nothing more is opened ahead, and the
// file is opened again at its turn; that open's error is the one reported.
TEST_F(OpenAheadFailureTest, IsRetriedAtItsTurnAndNothingIsOpenedPastIt) {
  EXPECT_EQ(ahead.files_ahead(), 2u);  // 1 and 2; 3 failed
  EXPECT_EQ(fx.opens[3], 1);
  EXPECT_EQ(fx.opens.count(4), 0u);
  ASSERT_TRUE(ahead.Take(1).ok());
  ASSERT_TRUE(ahead.Take(2).ok());
  EXPECT_EQ(fx.opens[3], 1);
  EXPECT_EQ(fx.opens.count(4), 0u);
  auto failed = ahead.Take(3);
  ASSERT_FALSE(failed.ok());
  EXPECT_EQ(failed.error().message(), "item 3: gone");
  EXPECT_EQ(fx.opens[3], 2);  // its own turn's open
  // The caller stops at an error: nothing more was opened for it.
  EXPECT_EQ(ahead.files_ahead(), 0u);
  EXPECT_EQ(fx.opens.count(4), 0u);
  // One that goes on gets the rest opened ahead again.
  ASSERT_TRUE(ahead.Take(4).ok());
  EXPECT_EQ(ahead.files_ahead(), 5u);
}

// A failure ahead that is gone by the file's turn (a descriptor limit the
// window itself ran into) costs nothing.
TEST_F(OpenAheadFailureTest, ThatIsGoneAtItsTurnIsNoError) {
  fx.fail_at.reset();
  for (std::size_t i = 1; i < 10; ++i) ASSERT_TRUE(ahead.Take(i).ok()) << i;
  EXPECT_EQ(fx.opens[3], 2);
}

// Under a real descriptor limit lower than the window, every file is still
// opened and read.
TEST(OpenAheadTest, ALowDescriptorLimitCostsNoFile) {
  struct rlimit old {};
  ASSERT_EQ(::getrlimit(RLIMIT_NOFILE, &old), 0);
  // The limit caps descriptor numbers: put it where 8 numbers below it are free.
  int limit = 0;
  for (int free_below = 0; free_below < 8; ++limit)
    if (::fcntl(limit, F_GETFD) < 0) ++free_below;
  const std::vector<std::string> names(100, "/dev/null");
  std::size_t opened = 0;
  {
    // Made before the limit drops: its window (32) is then more than the
    // descriptors left, and its opens ahead meet EMFILE.
    OpenAhead ahead = OverPaths(names, [](std::size_t) -> std::optional<std::uint64_t> { return 0; });
    ASSERT_EQ(ahead.window(), OpenAhead::kFiles);
    struct Restore {  // whatever happens below
      rlimit old;
      ~Restore() { ::setrlimit(RLIMIT_NOFILE, &old); }
    } restore{old};
    struct rlimit low = old;
    low.rlim_cur = static_cast<rlim_t>(limit);  // room for 8 more only
    ASSERT_EQ(::setrlimit(RLIMIT_NOFILE, &low), 0);
    for (std::size_t i = 0; i < names.size(); ++i) {
      auto fd = ahead.Take(i);
      EXPECT_TRUE(fd.ok()) << i << ": " << fd.error().message();
      opened += fd.ok() ? 1 : 0;
      EXPECT_LE(ahead.files_ahead(), 8u);
    }
  }
  EXPECT_EQ(opened, names.size());
}

// The window takes at most 1/8 of the limit on open files.
TEST(OpenAheadTest, TheWindowLeavesMostOfALowLimitToTheProcess) {
  struct rlimit old {};
  ASSERT_EQ(::getrlimit(RLIMIT_NOFILE, &old), 0);
  struct Restore {
    rlimit old;
    ~Restore() { ::setrlimit(RLIMIT_NOFILE, &old); }
  } restore{old};
  const std::vector<std::string> names(100, "/dev/null");
  const auto size = [](std::size_t) -> std::optional<std::uint64_t> { return 0; };
  for (rlim_t limit : {rlim_t{1024}, rlim_t{100}, rlim_t{40}, rlim_t{7}}) {
    struct rlimit low = old;
    low.rlim_cur = std::min(limit, old.rlim_max);
    ASSERT_EQ(::setrlimit(RLIMIT_NOFILE, &low), 0);
    EXPECT_EQ(OverPaths(names, size).window(),
              std::clamp<std::size_t>(static_cast<std::size_t>(low.rlim_cur / 8), 1, OpenAhead::kFiles))
        << "limit " << low.rlim_cur;
  }
}

// A file that changes after its open ahead (rewritten in place, replaced by
// a rename, removed) is opened again at its turn: the caller's checks are
// made on what the path holds then, as if nothing had been opened ahead.
using OpenAheadFilesTest = test_util::ScratchDirTest<>;

TEST_F(OpenAheadFilesTest, AFileChangedAfterItsOpenAheadIsOpenedAgainAtItsTurn) {
  const std::string& dir = dir_;
  const std::vector<std::string> paths = MakeFiles(dir, 5, [](int) { return std::string("before"); });
  std::map<std::size_t, int> opens;
  OpenAhead ahead = OverPaths(paths, [](std::size_t) -> std::optional<std::uint64_t> { return 6; }, &opens);
  ASSERT_TRUE(ahead.Take(0).ok());
  ASSERT_EQ(ahead.files_ahead(), 4u);
  // f1 rewritten in place, same size, with another mtime.
  {
    Fd w(::open(paths[1].c_str(), O_WRONLY | O_CLOEXEC));
    ASSERT_TRUE(w.valid());
    ASSERT_EQ(::pwrite(w.get(), "AFTER!", 6, 0), 6);
    const struct timespec times[2] = {{0, UTIME_OMIT}, {1000000000, 0}};
    ASSERT_EQ(::futimens(w.get(), times), 0);
  }
  // f2 replaced by a rename; f3 removed; f4 left alone.
  std::ofstream(dir + "/new", std::ios::binary) << "after!";
  ASSERT_EQ(::rename((dir + "/new").c_str(), paths[2].c_str()), 0);
  ASSERT_EQ(::unlink(paths[3].c_str()), 0);
  const auto read_all = [](const Fd& fd) {
    char buf[16] = {};
    const ssize_t n = ::pread(fd.get(), buf, sizeof buf, 0);
    return std::string(buf, n > 0 ? static_cast<std::size_t>(n) : 0);
  };
  auto f1 = ahead.Take(1);
  ASSERT_TRUE(f1.ok());
  EXPECT_EQ(read_all(*f1), "AFTER!");
  EXPECT_EQ(opens[1], 2);
  auto f2 = ahead.Take(2);
  ASSERT_TRUE(f2.ok());
  EXPECT_EQ(read_all(*f2), "after!");  // the new file, not the unlinked one
  EXPECT_EQ(opens[2], 2);
  auto f3 = ahead.Take(3);
  ASSERT_FALSE(f3.ok());
  EXPECT_EQ(f3.error().code(), ErrorCode::kNotFound);
  auto f4 = ahead.Take(4);
  ASSERT_TRUE(f4.ok());
  EXPECT_EQ(read_all(*f4), "before");
  EXPECT_EQ(opens[4], 1);  // unchanged: the descriptor opened ahead
  EXPECT_EQ(ahead.reopened(), 3u);
}

TEST(OpenAheadTest, ItemsTakenOutOfTheWindowOrSkippedAreHandledOnce) {
  Fixture fx;
  fx.sizes.assign(80, 1);
  OpenAhead ahead = fx.Make();
  ASSERT_TRUE(ahead.Take(0).ok());
  ASSERT_TRUE(ahead.Take(5).ok());  // 1..4 are closed unread
  EXPECT_EQ(ahead.files_ahead(), OpenAhead::kFiles);
  ASSERT_TRUE(ahead.Take(70).ok());  // beyond the window: opened now
  EXPECT_EQ(ahead.files_ahead(), 9u);
  for (const auto& [i, n] : fx.opens) EXPECT_EQ(n, 1) << "item " << i;
}

// With the real posix_fadvise on real files the bytes read are the files'.
TEST_F(OpenAheadFilesTest, RealFilesReadBackWhole) {
  const std::string& dir = dir_;
  const std::vector<std::string> paths = MakeFiles(
      dir, 50, [](int i) { return std::string(static_cast<std::size_t>(i) * 97, char('a' + i % 26)); });
  OpenAhead ahead = OverPaths(paths, [](std::size_t i) -> std::optional<std::uint64_t> { return i * 97; });
  for (std::size_t i = 0; i < paths.size(); ++i) {
    auto fd = ahead.Take(i);
    ASSERT_TRUE(fd.ok()) << fd.error().message();
    std::string got(i * 97 + 1, '\0');
    ssize_t n = ::read(fd->get(), got.data(), got.size());
    ASSERT_EQ(n, static_cast<ssize_t>(i * 97));
    got.resize(static_cast<std::size_t>(n));
    EXPECT_EQ(got, std::string(i * 97, char('a' + i % 26)));
  }
}

}  // namespace
}  // namespace custos::io
