#include "progress.h"

#include <unistd.h>

#include <cstdio>

namespace custos::cli {

ProgressBar::ProgressBar(bool quiet) : enabled_(!quiet && ::isatty(STDERR_FILENO) == 1) {
  start_ = last_ = std::chrono::steady_clock::now();
}

ProgressBar::~ProgressBar() { Done(); }

ProgressCallback ProgressBar::Callback() {
  if (!enabled_) return nullptr;
  return [this](const Progress& p) { Draw(p); };
}

void ProgressBar::Draw(const Progress& p) {
  auto now = std::chrono::steady_clock::now();
  if (now - last_ < std::chrono::milliseconds(200) && p.done_bytes < p.total_bytes) return;
  last_ = now;
  double secs = std::chrono::duration<double>(now - start_).count();
  double rate = secs > 0 ? static_cast<double>(p.done_bytes) / secs : 0;
  double pct = p.total_bytes ? 100.0 * static_cast<double>(p.done_bytes) / static_cast<double>(p.total_bytes) : 100.0;
  double eta = rate > 0 ? static_cast<double>(p.total_bytes - p.done_bytes) / rate : 0;
  // The end of the path, cut at a character boundary (never inside UTF-8).
  std::string name(p.current);
  if (name.size() > 40) {
    std::size_t from = name.size() - 37;
    while (from < name.size() && (static_cast<unsigned char>(name[from]) & 0xC0) == 0x80) ++from;
    name = "..." + name.substr(from);
  }
  std::fprintf(stderr, "\r\033[K%5.1f%%  %8.1f MiB  %7.1f MiB/s  ETA %4.0fs  %s", pct,
               static_cast<double>(p.done_bytes) / 1048576.0, rate / 1048576.0, eta, name.c_str());
  drawn_ = true;
}

void ProgressBar::Done() {
  if (drawn_) std::fprintf(stderr, "\r\033[K");
  drawn_ = false;
}

}  // namespace custos::cli
