// A custody log of 100,000 events is generated (one key, signed in a loop,
// written in batches) and verified while streaming: the process's peak RSS
// must stay under 64 MiB. Its own executable, so the peak is this test's.
#include <gtest/gtest.h>
#include <sys/resource.h>

#include <chrono>
#include <cstdio>

#include "custody_test_util.h"
#include "custos/custody.h"

namespace custos::custody {
namespace {

using namespace custos::custody::testing;  // NOLINT

constexpr std::uint64_t kEvents = 100000;
constexpr long kMaxRssKiB = 64 * 1024;

long MaxRssKiB() {
  struct rusage ru {};
  ::getrusage(RUSAGE_SELF, &ru);
  return ru.ru_maxrss;  // KiB on Linux
}

double Seconds(std::chrono::steady_clock::time_point since) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - since).count();
}

TEST(CustodyLogScale, HundredThousandEventsVerifyInBoundedMemory) {
  const std::string path = TempPath("big.log");
  SecretIdentity actor = NewActor("Bulk Actor");
  auto t0 = std::chrono::steady_clock::now();
  {
    std::FILE* f = std::fopen(path.c_str(), "wb");
    ASSERT_NE(f, nullptr);
    Tail tail;
    for (std::uint64_t i = 0; i < kEvents; ++i) {
      auto rec = SignNextEvent(actor, tail, NoteEvent("bulk event", 1700000000 + static_cast<std::int64_t>(i)), &tail);
      ASSERT_TRUE(rec.ok());
      ASSERT_EQ(std::fwrite(rec->data(), 1, rec->size(), f), rec->size());
    }
    ASSERT_EQ(std::fclose(f), 0);
  }
  const double gen = Seconds(t0);

  auto t1 = std::chrono::steady_clock::now();
  VerifyOptions o;
  o.trust.use_trust_store = false;
  auto report = VerifyLog(path, o);
  const double verify = Seconds(t1);
  ASSERT_TRUE(report.ok()) << report.error().message();
  EXPECT_EQ(report->events, kEvents);
  ASSERT_EQ(report->actors.size(), 1u);
  EXPECT_EQ(report->actors[0].events, kEvents);

  const long rss = MaxRssKiB();
  std::printf("custody scale: %llu events, %.1f MiB; generated in %.1f s, verified in %.1f s; "
              "peak RSS %.1f MiB\n",
              static_cast<unsigned long long>(kEvents),
              static_cast<double>(std::filesystem::file_size(path)) / (1 << 20), gen, verify,
              static_cast<double>(rss) / 1024);
  EXPECT_LT(rss, kMaxRssKiB);
  std::filesystem::remove(path);
}

}  // namespace
}  // namespace custos::custody
