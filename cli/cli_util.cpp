// cli/cli_util.cpp — see cli_util.h.
#include "cli_util.h"

#include "common/proto_util.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <termios.h>
#include <unistd.h>

#include <cstdio>
#include <iostream>

namespace custos::cli {
namespace {

constexpr std::size_t kMaxPassphrase = 1024;

const char* kHowToSupply =
    "pass --passphrase-file FILE, or run custos on a terminal to be asked for it";

// Restores the terminal's echo on every path out of the prompt.
class EchoOff {
 public:
  explicit EchoOff(int fd) : fd_(fd) {
    if (::tcgetattr(fd_, &saved_) == 0) {
      termios quiet = saved_;
      quiet.c_lflag &= ~static_cast<tcflag_t>(ECHO);
      quiet.c_lflag |= ECHONL;
      active_ = ::tcsetattr(fd_, TCSAFLUSH, &quiet) == 0;
    }
  }
  ~EchoOff() {
    if (active_) (void)::tcsetattr(fd_, TCSAFLUSH, &saved_);
  }
  EchoOff(const EchoOff&) = delete;
  EchoOff& operator=(const EchoOff&) = delete;

 private:
  int fd_;
  termios saved_{};
  bool active_ = false;
};

// Reads one line from fd into secret memory, byte by byte, so no stdio buffer
// keeps a copy of the passphrase.
Result<SecretBytes> ReadLine(int fd) {
  SecretBytes buf(kMaxPassphrase);
  std::size_t n = 0;
  for (;;) {
    std::uint8_t c = 0;
    ssize_t r = ::read(fd, &c, 1);
    if (r < 0 && errno == EINTR) continue;
    if (r <= 0 || c == '\n') break;
    if (n == buf.size())
      return Error(ErrorCode::kUsage,
                   "passphrase is longer than " + std::to_string(kMaxPassphrase) + " bytes");
    buf.Reveal()[n++] = c;
  }
  if (n > 0 && buf.Reveal()[n - 1] == '\r') --n;
  SecretBytes out(n);
  for (std::size_t i = 0; i < n; ++i) out.Reveal()[i] = buf.Reveal()[i];
  return out;
}

}  // namespace

Result<SecretBytes> PromptPassphrase(std::string_view prompt) {
  int fd = ::open("/dev/tty", O_RDWR | O_NOCTTY | O_CLOEXEC);
  if (fd < 0 || !::isatty(fd)) {
    if (fd >= 0) ::close(fd);
    return Error(ErrorCode::kNoPassphrase,
                 "the key is protected by a passphrase and there is no terminal to ask for it",
                 kHowToSupply);
  }
  std::string p(prompt);
  (void)!::write(fd, p.data(), p.size());
  Result<SecretBytes> line = [&] {
    EchoOff quiet(fd);
    return ReadLine(fd);
  }();
  ::close(fd);
  return line;
}

Result<SecretBytes> PromptNewPassphrase() {
  CUSTOS_ASSIGN_OR_RETURN(SecretBytes first, PromptPassphrase("New passphrase: "));
  if (first.empty())
    return Error(ErrorCode::kUsage, "an empty passphrase is refused",
                 "type a passphrase, or use --no-passphrase to store the key unprotected");
  CUSTOS_ASSIGN_OR_RETURN(SecretBytes second, PromptPassphrase("Repeat passphrase: "));
  if (!first.Equals(second.Reveal()))
    return Error(ErrorCode::kUsage, "the two passphrases differ", "run the command again");
  return first;
}

PassphraseProvider PassphraseProviderFor(const std::string& passphrase_file) {
  if (!passphrase_file.empty())
    return [passphrase_file]() { return ReadPassphraseFile(passphrase_file); };
  return []() -> Result<SecretBytes> {
    auto r = PromptPassphrase("Passphrase: ");
    if (r.ok() && r->empty())
      return Error(ErrorCode::kNoPassphrase, "no passphrase was entered", kHowToSupply);
    return r;
  };
}

bool FileExists(const std::string& path) {
  struct stat st {};
  return ::lstat(path.c_str(), &st) == 0;
}

void PrintWarning(std::string_view text) { std::cerr << "custos: warning: " << text << "\n"; }

void PrintWarnings(const std::vector<std::string>& warnings) {
  for (const auto& w : warnings) PrintWarning(w);
}

void PrintJson(std::string_view json_object) { std::cout << json_object << "\n" << std::flush; }

std::string JsonString(std::string_view s) { return custos::JsonQuote(s); }

}  // namespace custos::cli
