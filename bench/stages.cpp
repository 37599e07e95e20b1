// bench/stages.cpp — throughput of custos's own primitives, one at a time, over
// an in-memory buffer, so the bottleneck of seal/verify/open is visible without
// disk, pipes or tar. Built only with -DCUSTOS_BENCH=ON; run by scripts/bench.
//
//   custos_bench_stages [MiB]      (default 256)
//
// Prints one line per stage: "<name>  <MB/s>" (MB = 10^6 bytes, like the
// table in bench/RESULTS.md). Not a test: it asserts nothing about speed.
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <functional>
#include <string>
#include <vector>

#include "age/age.h"
#include "bundle/zstd_stream.h"
#include "crypto/crypto.h"

namespace {

using custos::ByteSink;
using custos::Status;
namespace crypto = custos::crypto;

constexpr std::size_t kChunk = 64 * 1024;  // the age STREAM chunk

class NullSink final : public ByteSink {
 public:
  Status Write(std::span<const std::uint8_t> data) override {
    bytes += data.size();
    return Status();
  }
  std::size_t bytes = 0;
};

// Runs fn once and prints the throughput over `bytes`. Keeps the best of
// `reps` runs: the machine is shared, and the minimum is the least noisy.
void Time(const char* name, std::size_t bytes, int reps, const std::function<void()>& fn) {
  double best = 1e30;
  for (int i = 0; i < reps; ++i) {
    auto t0 = std::chrono::steady_clock::now();
    fn();
    double s = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    if (s < best) best = s;
  }
  std::printf("%-40s %9.1f MB/s\n", name, static_cast<double>(bytes) / best / 1e6);
  std::fflush(stdout);
}

// Syslog-like lines, deterministic (an LCG), so zstd sees realistic text.
std::vector<std::uint8_t> TextBuffer(std::size_t size) {
  static const char* kProcs[] = {"sshd", "kernel", "systemd", "cron", "nginx", "postfix/smtpd"};
  static const char* kMsgs[] = {"Accepted publickey for user", "Connection closed by",
                                "Started Session of user", "pam_unix(cron:session): opened for",
                                "GET /api/v1/items?id=", "warning: hostname does not resolve"};
  std::vector<std::uint8_t> out;
  out.reserve(size + 256);
  std::uint64_t x = 42;
  char line[256];
  for (unsigned n = 0; out.size() < size; ++n) {
    x = x * 6364136223846793005ULL + 1442695040888963407ULL;
    unsigned r = static_cast<unsigned>(x >> 33);
    int len = std::snprintf(line, sizeof line, "Nov 24 %02u:%02u:%02u host-%02u %s[%u]: %s %u from 10.%u.%u.%u\n",
                            (n / 3600) % 24, (n / 60) % 60, n % 60, r % 16, kProcs[r % 6],
                            1000 + r % 30000, kMsgs[(r >> 4) % 6], r % 997, r % 256,
                            (r >> 8) % 256, (r >> 16) % 256);
    out.insert(out.end(), line, line + len);
  }
  out.resize(size);
  return out;
}

void ZstdStage(const char* name, const std::vector<std::uint8_t>& buf, int threads) {
  Time(name, buf.size(), 2, [&] {
    NullSink sink;
    auto z = custos::bundle::ZstdCompressor::Create(sink, 3, threads);
    if (!z.ok()) std::abort();
    for (std::size_t off = 0; off < buf.size(); off += kChunk)
      if (!(*z)->Write({buf.data() + off, std::min(kChunk, buf.size() - off)}).ok()) std::abort();
    if (!(*z)->Finish().ok()) std::abort();
  });
}

}  // namespace

int main(int argc, char** argv) {
  std::size_t mib = argc > 1 ? std::strtoul(argv[1], nullptr, 10) : 256;
  if (mib == 0 || !crypto::Init().ok()) return 2;
  const std::size_t size = mib << 20;
  std::vector<std::uint8_t> random(size);
  crypto::RandomBytes(random);
  const std::vector<std::uint8_t> text = TextBuffer(size);
  std::vector<std::uint8_t> out(kChunk + 16);
  std::uint8_t key[32] = {1}, nonce[12] = {0};

  Time("sha256 openssl (crypto::Sha256)", size, 3, [&] {
    crypto::Sha256 h;
    for (std::size_t off = 0; off < size; off += kChunk) h.Update({random.data() + off, kChunk});
    (void)h.Finish();
  });
  Time("sha256 libsodium (SodiumSha256Of)", size, 3,
       [&] { (void)crypto::SodiumSha256Of(random); });
  Time("chacha20-poly1305 openssl (ChaChaPolyEvp)", size, 3, [&] {
    crypto::ChaChaPolyEvp aead({key, 32});
    for (std::size_t off = 0; off < size; off += kChunk)
      aead.Seal({nonce, 12}, {random.data() + off, kChunk}, out.data());
  });
  Time("chacha20-poly1305 libsodium (ChaChaSeal)", size, 3, [&] {
    for (std::size_t off = 0; off < size; off += kChunk)
      crypto::ChaChaSeal({key, 32}, {nonce, 12}, {random.data() + off, kChunk}, out.data());
  });
  ZstdStage("zstd -3, 1 thread, text", text, 1);
  ZstdStage("zstd -3, 2 threads, text", text, 2);
  ZstdStage("zstd -3, 1 thread, random", random, 1);
  ZstdStage("zstd -3, 2 threads, random", random, 2);
  custos::age::X25519PublicKey recipient{};
  recipient[0] = 9;  // the X25519 base point: a valid public key
  Time("age::Encryptor (64 KiB writes)", size, 3, [&] {
    NullSink sink;
    auto enc = custos::age::Encryptor::Create({&recipient, 1}, sink);
    if (!enc.ok()) std::abort();
    for (std::size_t off = 0; off < size; off += kChunk)
      if (!(*enc)->Write({random.data() + off, kChunk}).ok()) std::abort();
    if (!(*enc)->Finish().ok()) std::abort();
  });
  return 0;
}
