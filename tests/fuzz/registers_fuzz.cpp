// libFuzzer target: the registers under CUSTOS_HOME (lib/src/receipt/
// registers.cpp), which a local user on the receiving machine may have
// written. The first byte chooses the register; the rest becomes its bytes:
//   even: CUSTOS_HOME/opened, read by SeenBefore (line by line, bounded);
//   odd:  CUSTOS_HOME/sent/<kId>.pb, read by FindSent (a SentRecord).
// Neither may crash, hang or allocate beyond its limit; a record FindSent
// returns names the bundle id it was looked up by.
#include <sys/stat.h>
#include <unistd.h>

#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>

#include "crypto/crypto.h"
#include "receipt/receipt.h"

namespace {

// The bundle id of the seed record in corpus/registers.
constexpr const char kId[] = "ca9441b2c5a53ce13604391d39f8d1e3";

// Never destroyed: the atexit handler below runs after static destructors.
const std::string& Home() {
  static const std::string* home = new std::string([] {
    char tmpl[] = "/tmp/custos-registers-fuzz-XXXXXX";
    if (::mkdtemp(tmpl) == nullptr) std::abort();
    std::string h = tmpl;
    ::setenv("CUSTOS_HOME", h.c_str(), 1);
    if (::mkdir((h + "/sent").c_str(), 0700) != 0) std::abort();
    std::atexit([] {
      const std::string& d = Home();
      ::rmdir((d + "/sent").c_str());
      ::rmdir(d.c_str());
    });
    return h;
  }());
  return *home;
}

void Write(const std::string& path, const std::uint8_t* data, std::size_t size) {
  std::FILE* f = std::fopen(path.c_str(), "wb");
  if (f == nullptr) std::abort();
  if (size > 0 && std::fwrite(data, 1, size, f) != size) std::abort();
  std::fclose(f);
  ::chmod(path.c_str(), 0600);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size == 0) return 0;
  const std::string& home = Home();
  if ((data[0] & 1) == 0) {
    Write(home + "/opened", data + 1, size - 1);
    std::string previous;
    (void)custos::receipt::SeenBefore(kId, std::string(64, '0'), &previous);
    ::unlink((home + "/opened").c_str());
  } else {
    const std::string path = home + "/sent/" + kId + ".pb";
    Write(path, data + 1, size - 1);
    auto r = custos::receipt::FindSent(kId);
    if (r.ok() && r->has_value() && custos::crypto::Hex(custos::crypto::AsBytes((*r)->bundle_id())) != kId)
      __builtin_trap();
    ::unlink(path.c_str());
  }
  return 0;
}
