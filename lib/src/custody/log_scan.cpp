#include "custody/log_scan.h"

#include <sys/file.h>
#include <unistd.h>

#include <cerrno>

#include "common/time_util.h"
#include "custody/render.h"

namespace custos::custody {

Result<LockedLog> LockedLog::Open(const std::string& path) {
  LockedLog log;
  log.path_ = path;
  CUSTOS_ASSIGN_OR_RETURN(log.fd_, OpenLogForReading(path));
  while (::flock(log.fd_.get(), LOCK_SH) != 0) {
    if (errno != EINTR) return io::ErrnoError(errno, path + ": cannot lock the log");
  }
  return log;
}

Result<Tail> LockedLog::Scan(const std::function<Status(const ParsedEvent&)>& on_event) {
  if (::lseek(fd_.get(), 0, SEEK_SET) != 0) return io::ErrnoError(errno, path_);
  FdSource src(fd_.get(), path_);
  Tail tail;
  Status st = ReadLog(src, kMaxLogFileBytes, on_event, &tail);
  if (!st.ok()) return st.error().Wrap(path_);
  return tail;
}

void TimeOrder::Observe(const ParsedEvent& e) {
  const std::int64_t t = e.event.time().seconds();
  if (have_prev_ && t < prev_) {
    ++count_;
    if (listed_.size() < kMaxListed)
      listed_.push_back("event " + std::to_string(e.event.seq()) + " is dated " + FormatUtc(t) +
                        ", earlier than event " + std::to_string(e.event.seq() - 1) + " (" +
                        FormatUtc(prev_) + "); times are each actor's own clock");
  }
  have_prev_ = true;
  prev_ = t;
}

void TimeOrder::AppendWarnings(std::vector<std::string>* warnings) const {
  if (warnings == nullptr) return;
  for (const auto& w : listed_) warnings->push_back(w);
  if (count_ > listed_.size())
    warnings->push_back(std::to_string(count_ - listed_.size()) + " more events go back in time");
}

void UnknownActors::Add(const PublicIdentity& id) {
  for (const auto& [fp, name] : listed_)
    if (fp == id.fingerprint()) return;
  if (listed_.size() >= kMaxListed) {
    more_ = true;
    return;
  }
  listed_.emplace_back(id.fingerprint(), id.name());
}

void UnknownActors::AppendWarnings(std::vector<std::string>* warnings) const {
  if (warnings == nullptr) return;
  for (const auto& [fp, name] : listed_)
    warnings->push_back("actor \"" + SafeText(name) + "\" (" + FormatFingerprint(fp) +
                        ") is not a trusted identity; its name is unverified");
  if (more_) warnings->push_back("and more untrusted actors");
}

}  // namespace custos::custody
