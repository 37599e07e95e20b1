// Reading a log file for show/verify: a shared lock held across passes, and
// the audit's bounded bookkeeping (time order, unknown actors).
#pragma once

#include <functional>
#include <string>
#include <vector>

#include "custody/log.h"

namespace custos::custody {

// A log file opened for reading under flock(LOCK_SH): appends wait, so every
// pass sees the same bytes.
class LockedLog {
 public:
  static Result<LockedLog> Open(const std::string& path);
  // Reads and verifies the whole log from its first byte (ReadLog).
  Result<Tail> Scan(const std::function<Status(const ParsedEvent&)>& on_event);

 private:
  std::string path_;
  io::Fd fd_;
};

// Times are the actors' own, so going backwards is a warning, not a failure.
class TimeOrder {
 public:
  void Observe(const ParsedEvent& e);
  void AppendWarnings(std::vector<std::string>* warnings) const;

 private:
  static constexpr std::size_t kMaxListed = 10;
  bool have_prev_ = false;
  std::int64_t prev_ = 0;
  std::uint64_t count_ = 0;
  std::vector<std::string> listed_;
};

// Distinct untrusted actors, for one warning each (bounded).
class UnknownActors {
 public:
  void Add(const PublicIdentity& id);
  void AppendWarnings(std::vector<std::string>* warnings) const;

 private:
  static constexpr std::size_t kMaxListed = 64;
  std::vector<std::pair<Fingerprint, std::string>> listed_;
  bool more_ = false;
};

}  // namespace custos::custody
