// lib/src/receipt/registers.cpp — the receiver's register of opened bundles
// (replays become visible) and the sender's register of sealed bundles (so a
// receipt can be checked against what was sent). docs/FORMAT.md "Receipts".
//
// Both live under CUSTOS_HOME, which like the trust store is refused when
// group or others can write it: whoever can write the register can hide a
// replay or make a non-recipient's receipt look expected.
#include <fcntl.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <climits>
#include <cstdlib>
#include <functional>
#include <vector>

#include "common/proto_util.h"
#include "common/time_util.h"
#include "crypto/crypto.h"
#include "io/files.h"
#include "receipt/receipt.h"

namespace custos::receipt {
namespace {

constexpr std::size_t kBundleIdSize = 16;
constexpr std::size_t kHashSize = 32;


// Checks `dir` (a directory, not writable by group/others) and its parent
// (not writable by group/others unless sticky). Returns false if `dir` is
// missing and !create; creates it (0700) when `create`.
Result<bool> CheckDir(const std::string& dir, bool create) {
  if (create) CUSTOS_TRY(io::MakePrivateDirs(dir));
  struct stat st {};
  if (::lstat(dir.c_str(), &st) != 0) {
    if (errno == ENOENT && !create) return false;
    return io::ErrnoError(errno, dir);
  }
  if (!S_ISDIR(st.st_mode)) return Error(ErrorCode::kIo, dir + " is not a directory");
  CUSTOS_TRY(io::CheckNotWritableByOthers(dir, dir, st, false));
  const std::string parent = io::DirName(dir);
  struct stat pst {};
  if (::stat(parent.c_str(), &pst) == 0) CUSTOS_TRY(io::CheckNotWritableByOthers(parent, parent, pst, true));
  return true;
}

Status EnsureDir(const std::string& dir) {
  auto made = CheckDir(dir, true);
  if (!made.ok()) return std::move(made).error();
  return Ok();
}

// Lower-case hex of exactly `bytes` bytes, or kUsage.
Result<std::string> NormaliseHex(const std::string& hex, std::size_t bytes, const char* what) {
  std::string out = hex;
  bool ok = out.size() == 2 * bytes;
  for (char& c : out) {
    if (c >= 'A' && c <= 'F') c = static_cast<char>(c - 'A' + 'a');
    if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'))) ok = false;
  }
  if (!ok)
    return Error(ErrorCode::kUsage, std::string(what) + " must be " + std::to_string(2 * bytes) +
                                        " hex digits, not '" + hex.substr(0, 80) + "'");
  return out;
}

// The outdir is the last field of a line: '%', control bytes and DEL are
// percent-encoded so that a name cannot forge a line break or a field.
std::string EncodeField(const std::string& s) {
  static const char* kHex = "0123456789ABCDEF";
  std::string out;
  for (unsigned char c : s) {
    if (c == '%' || c < 0x20 || c == 0x7f) {
      out += '%';
      out += kHex[c >> 4];
      out += kHex[c & 15];
    } else {
      out += static_cast<char>(c);
    }
  }
  return out;
}

Status Lock(int fd, int op, const std::string& path) {
  while (::flock(fd, op) != 0) {
    if (errno != EINTR) return io::ErrnoError(errno, path + ": cannot lock the register");
  }
  return Ok();
}

// A regular file we own, not writable by group or others.
Status CheckRegisterFile(int fd, const std::string& path) {
  struct stat st {};
  if (::fstat(fd, &st) != 0) return io::ErrnoError(errno, path);
  if (!S_ISREG(st.st_mode)) return Error(ErrorCode::kIo, path + " is not a regular file");
  if (st.st_uid != ::geteuid())
    return Error(ErrorCode::kUnsafeOutput, path + " is unsafe: owned by another user");
  return io::CheckNotWritableByOthers(path, path, st, false);
}

Error OpenError(int err, const std::string& path) {
  if (err == ELOOP)
    return Error(ErrorCode::kIo, path + " is a symbolic link; the register is opened without following links");
  return io::ErrnoError(err, path);
}

std::string OpenedPath() { return CustosHome() + "/opened"; }
std::string SentDir() { return CustosHome() + "/sent"; }

struct OpenedLine {
  std::string bundle_id, seal_hash, outdir;
  std::int64_t time = 0;
};

// "<32 hex> <64 hex> <decimal seconds> <encoded outdir>"
bool ParseOpenedLine(const std::string& line, OpenedLine* out) {
  const std::size_t a = line.find(' ');
  const std::size_t b = a == std::string::npos ? a : line.find(' ', a + 1);
  const std::size_t c = b == std::string::npos ? b : line.find(' ', b + 1);
  if (c == std::string::npos) return false;
  out->bundle_id = line.substr(0, a);
  out->seal_hash = line.substr(a + 1, b - a - 1);
  const std::string t = line.substr(b + 1, c - b - 1);
  out->outdir = line.substr(c + 1);
  if (!NormaliseHex(out->bundle_id, kBundleIdSize, "").ok() ||
      !NormaliseHex(out->seal_hash, kHashSize, "").ok() || t.empty() || t.size() > 18)
    return false;
  for (char ch : t)
    if (ch < '0' || ch > '9') return false;
  out->time = std::strtoll(t.c_str(), nullptr, 10);
  return true;
}

// Calls on_line for every complete line of the register, in order; memory is
// bounded by kMaxOpenedLineBytes whatever the register's size.
Status ForEachLine(int fd, const std::string& path,
                   const std::function<void(const OpenedLine&)>& on_line) {
  std::string line;
  std::uint64_t number = 0;
  std::vector<std::uint8_t> buf(64 * 1024);
  for (;;) {
    CUSTOS_ASSIGN_OR_RETURN(std::size_t n, io::ReadSome(fd, buf, path));
    if (n == 0) break;
    for (std::size_t i = 0; i < n; ++i) {
      if (buf[i] != '\n') {
        line.push_back(static_cast<char>(buf[i]));
        if (line.size() > kMaxOpenedLineBytes)
          return Error(ErrorCode::kLimitExceeded, path + ": line " + std::to_string(number + 1) +
                                                      " is longer than the limit");
        continue;
      }
      ++number;
      OpenedLine parsed;
      if (!ParseOpenedLine(line, &parsed))
        return Error(ErrorCode::kCorrupt, path + ": line " + std::to_string(number) + " is malformed",
                     "inspect the file; every line reads '<bundle id> <seal hash> <time> <outdir>'");
      on_line(parsed);
      line.clear();
    }
  }
  if (!line.empty())
    return Error(ErrorCode::kCorrupt, path + ": the last line is incomplete");
  return Ok();
}

// Writes `line` at the end; on failure cuts the file back, so no partial line remains.
Status AppendLine(int fd, const std::string& line, const std::string& path) {
  const off_t at = ::lseek(fd, 0, SEEK_END);
  if (at < 0) return io::ErrnoError(errno, path);
  Status st = io::WriteAll(fd, crypto::AsBytes(line), path);
  if (st.ok() && ::fsync(fd) != 0) st = io::ErrnoError(errno, path);
  if (!st.ok() && ::ftruncate(fd, at) == 0) (void)::fsync(fd);
  return st;
}

}  // namespace

std::string CustosHome() {
  // One definition of CUSTOS_HOME: the trust store's parent.
  return io::DirName(TrustStore::DefaultDir());
}

Result<bool> SeenBefore(const std::string& bundle_id_hex, const std::string& seal_hash_hex,
                        std::string* previous) {
  CUSTOS_ASSIGN_OR_RETURN(const std::string id, NormaliseHex(bundle_id_hex, kBundleIdSize, "bundle id"));
  CUSTOS_ASSIGN_OR_RETURN(const std::string seal, NormaliseHex(seal_hash_hex, kHashSize, "seal hash"));
  CUSTOS_ASSIGN_OR_RETURN(const bool home_exists, CheckDir(CustosHome(), false));
  if (!home_exists) return false;
  const std::string path = OpenedPath();
  io::Fd fd = io::OpenNoBlock(path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
  if (!fd.valid()) {
    if (errno == ENOENT) return false;
    return OpenError(errno, path);
  }
  CUSTOS_TRY(CheckRegisterFile(fd.get(), path));
  CUSTOS_TRY(Lock(fd.get(), LOCK_SH, path));
  bool seen = false;
  CUSTOS_TRY(ForEachLine(fd.get(), path, [&](const OpenedLine& l) {
    if (l.bundle_id != id || l.seal_hash != seal) return;
    seen = true;  // the most recent open wins
    if (previous != nullptr) *previous = FormatUtc(l.time) + " into " + l.outdir;
  }));
  return seen;
}

Status RecordOpened(const std::string& bundle_id_hex, const std::string& seal_hash_hex,
                    const std::string& outdir) {
  CUSTOS_ASSIGN_OR_RETURN(const std::string id, NormaliseHex(bundle_id_hex, kBundleIdSize, "bundle id"));
  CUSTOS_ASSIGN_OR_RETURN(const std::string seal, NormaliseHex(seal_hash_hex, kHashSize, "seal hash"));
  std::string where = outdir;
  if (char* real = ::realpath(outdir.c_str(), nullptr); real != nullptr) {
    where = real;
    std::free(real);
  }
  const std::string line =
      id + " " + seal + " " + std::to_string(NowUnix()) + " " + EncodeField(where) + "\n";
  const std::string path = OpenedPath();
  if (line.size() > kMaxOpenedLineBytes)
    return Error(ErrorCode::kLimitExceeded, path + ": the output directory's name is too long to record");
  CUSTOS_TRY(EnsureDir(CustosHome()));
  io::Fd fd(::open(path.c_str(), O_RDWR | O_CREAT | O_NOFOLLOW | O_CLOEXEC, 0600));
  if (!fd.valid()) return OpenError(errno, path);
  CUSTOS_TRY(CheckRegisterFile(fd.get(), path));
  CUSTOS_TRY(Lock(fd.get(), LOCK_EX, path));
  return AppendLine(fd.get(), line, path);
}

Status RecordSent(const v1::SentRecord& record) {
  if (record.bundle_id().size() != kBundleIdSize)
    return Error(ErrorCode::kInternal, "sent register: the record has no 16-byte bundle id");
  v1::SentRecord r = record;
  if (r.format_version() == 0) r.set_format_version(kReceiptFormatVersion);
  if (!r.has_time()) r.mutable_time()->set_seconds(NowUnix());
  const std::string bytes = SerializeForSigning(r);
  if (bytes.size() > kMaxSentRecordBytes)
    return Error(ErrorCode::kLimitExceeded, "sent register: the record is larger than its limit");
  CUSTOS_TRY(EnsureDir(CustosHome()));
  CUSTOS_TRY(EnsureDir(SentDir()));
  const std::string path = SentDir() + "/" + crypto::Hex(crypto::AsBytes(r.bundle_id())) + ".pb";
  return io::WriteFileAtomic(path, crypto::AsBytes(bytes), 0600, false);
}

Result<std::optional<v1::SentRecord>> FindSent(const std::string& bundle_id_hex) {
  CUSTOS_ASSIGN_OR_RETURN(const std::string id, NormaliseHex(bundle_id_hex, kBundleIdSize, "bundle id"));
  std::optional<v1::SentRecord> none;
  CUSTOS_ASSIGN_OR_RETURN(const bool home_exists, CheckDir(CustosHome(), false));
  if (!home_exists) return none;
  CUSTOS_ASSIGN_OR_RETURN(const bool dir_exists, CheckDir(SentDir(), false));
  if (!dir_exists) return none;
  const std::string path = SentDir() + "/" + id + ".pb";
  auto bytes = io::ReadFileLimited(path, kMaxSentRecordBytes);
  if (!bytes.ok()) {
    if (bytes.error().code() == ErrorCode::kNotFound) return none;
    return std::move(bytes).error();
  }
  v1::SentRecord r;
  CUSTOS_TRY(ParseStrict(*bytes, kMaxSentRecordBytes, r, path));
  if (r.format_version() != kReceiptFormatVersion)
    return Error(ErrorCode::kCorrupt, path + ": sent record format version is not supported");
  if (crypto::Hex(crypto::AsBytes(r.bundle_id())) != id)
    return Error(ErrorCode::kCorrupt, path + ": the record names another bundle id");
  return std::optional<v1::SentRecord>(std::move(r));
}

}  // namespace custos::receipt
