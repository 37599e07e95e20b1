// lib/src/keys/passphrase.cpp — passphrase files (docs/FORMAT.md "Identities and
// keys": exactly one trailing LF or CRLF is removed, nothing else).
#include <cstring>

#include "io/files.h"
#include "custos/keys.h"

namespace custos {

namespace {
constexpr std::size_t kMaxPassphraseFile = 4096;
}

Result<SecretBytes> ReadPassphraseFile(const std::string& path) {
  auto raw = io::ReadSecretFileLimited(path, kMaxPassphraseFile);
  if (!raw.ok()) {
    if (raw.error().code() == ErrorCode::kLimitExceeded)
      return Error(ErrorCode::kUsage, "passphrase file " + path + " is larger than " +
                                          std::to_string(kMaxPassphraseFile) + " bytes");
    return std::move(raw).error().Wrap("cannot read the passphrase file");
  }
  auto bytes = raw->Reveal();
  std::size_t n = bytes.size();
  if (n >= 1 && bytes[n - 1] == '\n') {
    --n;
    if (n >= 1 && bytes[n - 1] == '\r') --n;
  }
  if (n == 0)
    return Error(ErrorCode::kUsage, "passphrase file " + path + " is empty",
                 "write the passphrase into the file, or use a terminal");
  SecretBytes out(n);
  std::memcpy(out.Reveal().data(), bytes.data(), n);
  return out;
}

}  // namespace custos
