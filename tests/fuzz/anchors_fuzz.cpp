// Fuzz target: the parsers not reached by the other targets — a transport
// signature (.sig), a signed checkpoint file, a receipt read as a custody
// anchor (with the NL example identity trusted) and the --expect-head argument.
#include <unistd.h>

#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <string_view>

#include "bundle/transport.h"
#include "crypto/crypto.h"
#include "custody/actors.h"
#include "custody/anchors.h"
#include "custos/keys.h"

namespace {

const custos::PublicIdentity* Sender() {
  static const custos::PublicIdentity* id = [] {
    const char* dir = std::getenv("CUSTOS_SOURCE_DIR");
    std::string base = dir ? dir : CUSTOS_FUZZ_SOURCE_DIR;
    auto r = custos::PublicIdentity::Load(base + "/keys/examples/si-central-authority.pub");
    return r.ok() ? new custos::PublicIdentity(std::move(r).value()) : nullptr;
  }();
  return id;
}

const custos::custody::ActorDirectory* Directory() {
  static const custos::custody::ActorDirectory* dir = [] {
    const char* src = std::getenv("CUSTOS_SOURCE_DIR");
    std::string base = src ? src : CUSTOS_FUZZ_SOURCE_DIR;
    custos::custody::TrustSources t;
    t.from_files = {base + "/keys/examples/nl-central-authority.pub"};
    t.use_trust_store = false;
    t.allow_example_keys = true;
    std::vector<std::string> warnings;
    auto r = custos::custody::ActorDirectory::Open(t, &warnings);
    return r.ok() ? new custos::custody::ActorDirectory(std::move(r).value()) : nullptr;
  }();
  return dir;
}

// One scratch file for the whole run (the loaders take a path), rewritten
// with plain writes (no fsync, no rename: thousands of inputs a second) and
// removed at exit. Never destroyed: the atexit handler runs after statics are.
const std::string& ScratchFile() {
  static const std::string* path = [] {
    char tmpl[] = "/tmp/custos-anchors-fuzz-XXXXXX";
    int fd = ::mkstemp(tmpl);
    if (fd < 0) std::abort();
    ::close(fd);
    auto* p = new std::string(tmpl);
    std::atexit([] { ::unlink(ScratchFile().c_str()); });
    return p;
  }();
  return *path;
}

bool WriteScratch(std::span<const std::uint8_t> bytes) {
  std::FILE* f = std::fopen(ScratchFile().c_str(), "wb");
  if (f == nullptr) return false;
  const bool ok = bytes.empty() || std::fwrite(bytes.data(), 1, bytes.size(), f) == bytes.size();
  return std::fclose(f) == 0 && ok;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  (void)custos::crypto::Init();
  if (Sender() == nullptr) std::abort();
  std::span<const std::uint8_t> bytes(data, size);
  (void)custos::bundle::VerifyTransportSignature(bytes, *Sender());
  (void)custos::custody::ParseExpectHead(
      std::string_view(reinterpret_cast<const char*>(data), std::min<std::size_t>(size, 4096)));
  if (Directory() == nullptr) std::abort();
  if (WriteScratch(bytes)) {
    (void)custos::custody::LoadCheckpoint(ScratchFile());
    (void)custos::custody::LoadReceiptAnchor(ScratchFile(), *Directory());
  }
  return 0;
}
