// Direct I/O for bulk data (io/read_ahead, AtomicOutputFile::UseDirectIo):
// the bytes delivered and written are exactly the file's whatever the size
// and alignment, the descriptor's flags are restored, the file system's
// refusal of O_DIRECT falls back to the page cache, and an abandoned file
// frees its buffers for the next.
#include "io/read_ahead.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <new>
#include <string>
#include <vector>

#include "io/files.h"
#include "io/staging.h"
#include "scratch_dir.h"

namespace custos::io {
namespace {

namespace fs = std::filesystem;
using Bytes = std::vector<std::uint8_t>;

Bytes Pattern(std::size_t n, unsigned seed) {
  Bytes b(n);
  std::uint32_t x = seed * 2654435761u + 1;
  for (auto& c : b) {
    x ^= x << 13, x ^= x >> 17, x ^= x << 5;
    c = static_cast<std::uint8_t>(x);
  }
  return b;
}

Bytes ReadAll(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  return Bytes(std::istreambuf_iterator<char>(in), {});
}

// Whether the file system under `dir` takes O_DIRECT (tmpfs before Linux 6.6 does not).
bool DirectWorksIn(const std::string& dir) {
  const std::string p = dir + "/probe";
  int fd = ::open(p.c_str(), O_RDWR | O_CREAT | O_DIRECT, 0600);
  if (fd >= 0) ::close(fd);
  ::unlink(p.c_str());
  return fd >= 0;
}

class DirectIoTest : public test_util::ScratchDirTest<> {
 protected:
  std::string Make(const std::string& name, const Bytes& content, const std::string& in = "") {
    const std::string p = (in.empty() ? dir_ : in) + "/" + name;
    std::ofstream(p, std::ios::binary).write(reinterpret_cast<const char*>(content.data()),
                                             static_cast<std::streamsize>(content.size()));
    return p;
  }
  // Everything ReadAhead delivers for `size` bytes of `path`.
  static Bytes Drain(ReadAhead& r, int fd, std::uint64_t size, bool direct, Status* error = nullptr) {
    Bytes got;
    r.Start(fd, size, direct, "the file");
    for (;;) {
      auto piece = r.Next();
      if (!piece.ok()) {
        if (error != nullptr) *error = piece.error();
        return got;
      }
      if (piece->empty()) return got;
      EXPECT_LE(piece->size(), ReadAhead::kChunk);
      got.insert(got.end(), piece->begin(), piece->end());
    }
  }
};

TEST_F(DirectIoTest, ReadAheadDeliversEveryByteOfEverySizeInOrder) {
  const bool direct_ok = DirectWorksIn(dir_);
  ReadAhead r;  // one for all files: its buffers are reused
  unsigned seed = 1;
  for (std::size_t size : {std::size_t{0}, std::size_t{1}, std::size_t{4095}, std::size_t{4096},
                           std::size_t{4097}, ReadAhead::kChunk - 1, ReadAhead::kChunk,
                           ReadAhead::kChunk + 1, 5 * ReadAhead::kChunk + 12345}) {
    const Bytes content = Pattern(size, seed++);
    const std::string p = Make("f" + std::to_string(size), content);
    Fd fd(::open(p.c_str(), O_RDONLY | O_CLOEXEC));
    ASSERT_TRUE(fd.valid());
    EXPECT_EQ(Drain(r, fd.get(), size, /*direct=*/true), content) << size;
    if (direct_ok && size > 0) {
      EXPECT_TRUE(r.last_direct()) << size;
    }
    // The flag is the caller's again, and its offset untouched (pread).
    EXPECT_EQ(::fcntl(fd.get(), F_GETFL) & O_DIRECT, 0) << size;
    EXPECT_EQ(::lseek(fd.get(), 0, SEEK_CUR), 0) << size;
  }
}

TEST_F(DirectIoTest, ReadAheadStopsAtTheGivenSizeAndAtAnEarlyEnd) {
  ReadAhead r;
  const Bytes content = Pattern(3 * ReadAhead::kChunk + 100, 7);
  const std::string p = Make("f", content);
  Fd fd(::open(p.c_str(), O_RDONLY | O_CLOEXEC));
  ASSERT_TRUE(fd.valid());
  // A file that grew: exactly the listed bytes, no more.
  const std::size_t listed = 2 * ReadAhead::kChunk + 5000;
  EXPECT_EQ(Drain(r, fd.get(), listed, true), Bytes(content.begin(), content.begin() + listed));
  // A file that shrank: what there is, then the end (the caller compares counts).
  EXPECT_EQ(Drain(r, fd.get(), content.size() + 9000, true), content);
}

TEST_F(DirectIoTest, ReadAheadReportsAReadErrorWithTheFileName) {
  ReadAhead r;
  const std::string p = Make("f", Pattern(2 * ReadAhead::kChunk, 3));
  Fd fd(::open(p.c_str(), O_WRONLY | O_CLOEXEC));  // pread fails: EBADF
  ASSERT_TRUE(fd.valid());
  Status error;
  EXPECT_TRUE(Drain(r, fd.get(), 2 * ReadAhead::kChunk, true, &error).empty());
  ASSERT_FALSE(error.ok());
  EXPECT_NE(error.error().message().find("the file"), std::string::npos) << error.error().message();
}

TEST_F(DirectIoTest, AnAbandonedFileFreesItsBuffersForTheNext) {
  ReadAhead r;
  const Bytes big = Pattern(12 * ReadAhead::kChunk, 11), next = Pattern(3 * ReadAhead::kChunk + 1, 12);
  const std::string pb = Make("big", big), pn = Make("next", next);
  for (int round = 0; round < 5; ++round) {
    Fd fb(::open(pb.c_str(), O_RDONLY | O_CLOEXEC));
    ASSERT_TRUE(fb.valid());
    r.Start(fb.get(), big.size(), true, "big");
    auto first = r.Next();  // the consumer holds one piece, the thread fills the others
    ASSERT_TRUE(first.ok());
    ASSERT_EQ(first->size(), ReadAhead::kChunk);
    EXPECT_TRUE(std::equal(first->begin(), first->end(), big.begin()));
    r.Stop();
    EXPECT_EQ(::fcntl(fb.get(), F_GETFL) & O_DIRECT, 0);
    Fd fn(::open(pn.c_str(), O_RDONLY | O_CLOEXEC));
    ASSERT_TRUE(fn.valid());
    EXPECT_EQ(Drain(r, fn.get(), next.size(), true), next) << round;
  }
  // And destroying it in the middle of a file does not hang.
  Fd fb(::open(pb.c_str(), O_RDONLY | O_CLOEXEC));
  auto r2 = std::make_unique<ReadAhead>();
  r2->Start(fb.get(), big.size(), true, "big");
  r2.reset();
}

// tmpfs refuses O_DIRECT before Linux 6.6 (the fcntl fails: read through
// the page cache) and takes it from 6.6 on; the bytes are the same.
TEST_F(DirectIoTest, ReadAheadOnTmpfsReadsTheSameBytes) {
  if (!fs::is_directory("/dev/shm")) GTEST_SKIP() << "no /dev/shm";
  char tmpl[] = "/dev/shm/custos-io-XXXXXX";
  ASSERT_NE(::mkdtemp(tmpl), nullptr);
  const std::string shm = tmpl;
  const bool direct_ok = DirectWorksIn(shm);
  const Bytes content = Pattern(2 * ReadAhead::kChunk + 333, 5);
  const std::string p = Make("f", content, shm);
  Fd fd(::open(p.c_str(), O_RDONLY | O_CLOEXEC));
  ReadAhead r;
  EXPECT_EQ(Drain(r, fd.get(), content.size(), true), content);
  EXPECT_EQ(r.last_direct(), direct_ok);
  fs::remove_all(shm);
}

// A file system that accepts the O_DIRECT flag but refuses direct reads
// (EINVAL) from some offset on, as some FUSE and network file systems and
// devices with larger blocks do: the rest is read through the page cache.
std::uint64_t g_refuse_from = 0;
ssize_t RefusingPread(int fd, void* buf, std::size_t n, off_t off) {
  if ((::fcntl(fd, F_GETFL) & O_DIRECT) != 0 && static_cast<std::uint64_t>(off) >= g_refuse_from) {
    errno = EINVAL;
    return -1;
  }
  return ::pread(fd, buf, n, off);
}

TEST_F(DirectIoTest, ReadAheadFallsBackWhenDirectReadsAreRefused) {
  const Bytes content = Pattern(5 * ReadAhead::kChunk + 4321, 9);
  const std::string p = Make("f", content);
  for (std::uint64_t from : {std::uint64_t{0}, std::uint64_t{2 * ReadAhead::kChunk}}) {
    g_refuse_from = from;
    ReadAhead r(&RefusingPread);
    Fd fd(::open(p.c_str(), O_RDONLY | O_CLOEXEC));
    ASSERT_TRUE(fd.valid());
    EXPECT_EQ(Drain(r, fd.get(), content.size(), true), content) << from;
    EXPECT_FALSE(r.last_direct()) << from;
    EXPECT_EQ(::fcntl(fd.get(), F_GETFL) & O_DIRECT, 0) << from;
  }
}

// A device that refuses a direct write (EINVAL), shortens one, or fails.
int g_write_mode = 0;  // 0: EINVAL, 1: half written, 2: EIO
ssize_t OddWrite(int fd, const void* buf, std::size_t n) {
  if (g_write_mode == 0) {
    errno = EINVAL;
    return -1;
  }
  if (g_write_mode == 2) {
    errno = EIO;
    return -1;
  }
  return ::write(fd, buf, n / 2);
}

// Page-aligned memory, as AsyncSink's slots are.
struct Aligned {
  explicit Aligned(const Bytes& b)
      : p(static_cast<std::uint8_t*>(::operator new(b.size() + 4096, std::align_val_t{4096}))), n(b.size()) {
    std::copy(b.begin(), b.end(), p);
  }
  ~Aligned() { ::operator delete(p, std::align_val_t{4096}); }
  std::span<const std::uint8_t> span(std::size_t off, std::size_t len) const { return {p + off, len}; }
  std::uint8_t* p;
  std::size_t n;
};

TEST_F(DirectIoTest, DirectWritesThenATailThenMoreGiveTheExactFile) {
  const Bytes content = Pattern(4 * ReadAhead::kChunk + 777 + 8192, 21);
  const Aligned a(content);
  const std::string out = dir_ + "/out.bin";
  auto f = AtomicOutputFile::Create(out, 0644, false);
  ASSERT_TRUE(f.ok()) << f.error().message();
  const bool direct_ok = DirectWorksIn(dir_);
  EXPECT_EQ(f->UseDirectIo(), direct_ok);
  std::size_t off = 0;
  for (int i = 0; i < 4; ++i, off += ReadAhead::kChunk)  // whole aligned blocks: direct
    ASSERT_TRUE(f->Write(a.span(off, ReadAhead::kChunk)).ok());
  // Still direct: nothing so far fell back to the page cache.
  EXPECT_EQ((::fcntl(f->fd(), F_GETFL) & O_DIRECT) != 0, direct_ok);
  ASSERT_TRUE(f->Write(a.span(off, 777)).ok());  // the tail: through the page cache from here
  off += 777;
  ASSERT_TRUE(f->Write(a.span(off, 8192)).ok());
  EXPECT_EQ(::fcntl(f->fd(), F_GETFL) & O_DIRECT, 0);
  EXPECT_EQ(f->size(), content.size());
  ASSERT_TRUE(f->Commit().ok());
  EXPECT_EQ(ReadAll(out), content);
}

TEST_F(DirectIoTest, AnUnalignedFirstWriteTurnsDirectIoOff) {
  const Bytes content = Pattern(2 * ReadAhead::kChunk + 1, 22);
  const Aligned a(content);
  const std::string out = dir_ + "/out.bin";
  auto f = AtomicOutputFile::Create(out, 0644, false);
  ASSERT_TRUE(f.ok());
  f->UseDirectIo();
  ASSERT_TRUE(f->Write(a.span(0, 1)).ok());  // one byte: not a block
  ASSERT_TRUE(f->Write(a.span(1, content.size() - 1)).ok());  // unaligned memory and offset
  ASSERT_TRUE(f->Commit().ok());
  EXPECT_EQ(ReadAll(out), content);
}

TEST_F(DirectIoTest, FileSourceReadsAheadTheSameBytesAndHash) {
  const Bytes content = Pattern(3 * ReadAhead::kChunk + 4321, 31);
  const std::string p = Make("bundle", content);
  auto plain = FileSource::Open(p, true), ahead = FileSource::Open(p, true);
  ASSERT_TRUE(plain.ok() && ahead.ok());
  (*ahead)->UseReadAhead();
  for (auto* src : {plain->get(), ahead->get()}) {
    Bytes got, buf(100'000);  // reads that do not line up with the pieces
    for (;;) {
      auto n = src->Read(buf);
      ASSERT_TRUE(n.ok()) << n.error().message();
      if (*n == 0) break;
      got.insert(got.end(), buf.begin(), buf.begin() + static_cast<std::ptrdiff_t>(*n));
    }
    EXPECT_EQ(got, content);
    EXPECT_EQ(src->bytes_read(), content.size());
  }
  EXPECT_EQ((*ahead)->Digest(), crypto::Sha256Of(content));
  EXPECT_EQ((*plain)->Digest(), crypto::Sha256Of(content));
}

TEST_F(DirectIoTest, FileSourceReadingAheadRefusesAFileThatGrewWhileRead) {
  const Bytes content = Pattern(2 * ReadAhead::kChunk, 32);
  const std::string p = Make("bundle", content);
  auto src = FileSource::Open(p, false);
  ASSERT_TRUE(src.ok());
  (*src)->UseReadAhead();
  std::ofstream(p, std::ios::binary | std::ios::app) << "appended";
  Bytes buf(1 << 20);
  Status error;
  for (int i = 0; i < 10 && error.ok(); ++i) {
    auto n = (*src)->Read(buf);
    if (!n.ok()) error = n.error();
    else if (*n == 0) break;
  }
  ASSERT_FALSE(error.ok()) << "the end was reported for a file that grew";
  EXPECT_EQ(error.error().message(), p + ": file changed while it was read");
}

TEST_F(DirectIoTest, StagedFileWrittenDirectThenItsTailIsExact) {
  const Bytes content = Pattern(3 * ReadAhead::kChunk + 999, 33);
  const Aligned a(content);
  const std::string outdir = dir_ + "/out";
  auto staging = StagingDir::Create(outdir);
  ASSERT_TRUE(staging.ok()) << staging.error().message();
  ASSERT_TRUE((*staging)->BeginFile("big", /*direct=*/true).ok());
  const bool direct_ok = DirectWorksIn(dir_);
  for (std::size_t off = 0; off < content.size(); off += ReadAhead::kChunk) {
    ASSERT_TRUE((*staging)->Write(a.span(off, std::min(ReadAhead::kChunk, content.size() - off))).ok());
    // Whole aligned pieces stay direct; the tail (the last write) turns it off.
    EXPECT_EQ((*staging)->writing_direct(), direct_ok && off + ReadAhead::kChunk <= content.size()) << off;
  }
  ASSERT_TRUE((*staging)->EndFile(0644, 1700000000).ok());
  ASSERT_TRUE((*staging)->Commit().ok());
  EXPECT_EQ(ReadAll(outdir + "/big"), content);
}

TEST_F(DirectIoTest, ARefusedOrShortDirectWriteLeavesTheRestForThePageCache) {
  if (!DirectWorksIn(dir_)) GTEST_SKIP() << "no O_DIRECT on " << dir_;
  const Bytes content = Pattern(2 * ReadAhead::kChunk, 41);
  const Aligned a(content);
  for (int mode : {0, 1}) {
    g_write_mode = mode;
    const std::string out = dir_ + "/w" + std::to_string(mode);
    Fd fd(::open(out.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600));
    ASSERT_TRUE(fd.valid());
    ASSERT_TRUE(SetDirectIo(fd.get(), true));
    std::span<const std::uint8_t> data = a.span(0, content.size());
    std::uint64_t offset = 0;
    bool direct = true;
    ASSERT_TRUE(WriteDirect(fd.get(), &data, &offset, &direct, out, &OddWrite).ok()) << mode;
    EXPECT_FALSE(direct) << mode;
    EXPECT_EQ(::fcntl(fd.get(), F_GETFL) & O_DIRECT, 0) << mode;
    EXPECT_EQ(offset, mode == 0 ? 0u : content.size() / 2) << mode;  // what reached the file
    EXPECT_EQ(data.size(), content.size() - offset) << mode;         // what is left to write
    ASSERT_TRUE(WriteAll(fd.get(), data, out).ok());
    fd = Fd();
    EXPECT_EQ(ReadAll(out), content) << mode;
  }
  g_write_mode = 2;  // any other error is the caller's, naming the file
  Fd fd(::open((dir_ + "/w2").c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600));
  std::span<const std::uint8_t> data = a.span(0, content.size());
  std::uint64_t offset = 0;
  bool direct = true;
  Status st = WriteDirect(fd.get(), &data, &offset, &direct, "the bundle", &OddWrite);
  ASSERT_FALSE(st.ok());
  EXPECT_NE(st.error().message().find("the bundle"), std::string::npos) << st.error().message();
}

}  // namespace
}  // namespace custos::io
