// `custody verify`: the audit of docs/FORMAT.md "Chain-of-custody log" — sequence,
// links, signatures (ReadLog), time order (a warning), anchored heads, and
// which actors are trusted.
#include <map>
#include <sstream>

#include "custody/anchors.h"
#include "custody/bindings.h"
#include "custody/log_scan.h"
#include "custody/render.h"
#include "custos/custody.h"

namespace custos::custody {
namespace {

// A hostile log could name a new actor in every event; the tally is bounded.
constexpr std::size_t kMaxActors = 4096;

class ActorTally {
 public:
  Status Add(const ParsedEvent& e, const ActorDirectory& dir) {
    auto [it, inserted] = index_.emplace(e.actor.fingerprint(), actors_.size());
    if (inserted) {
      if (actors_.size() >= kMaxActors)
        return Error(ErrorCode::kLimitExceeded, "event " + std::to_string(e.event.seq()) +
                                                    ": more than " + std::to_string(kMaxActors) +
                                                    " distinct actors");
      ActorReport r;
      r.fingerprint = FormatFingerprint(e.actor.fingerprint());
      const PublicIdentity* t = dir.Find(e.actor.fingerprint());
      r.name = t ? t->DisplayName() : e.actor.name();
      r.trusted = dir.Trusted(e.actor);
      r.example = e.actor.is_example();
      r.first_seq = e.event.seq();
      actors_.push_back(std::move(r));
    }
    ++actors_[it->second].events;
    return Ok();
  }
  std::vector<ActorReport> Take() { return std::move(actors_); }

 private:
  std::map<Fingerprint, std::size_t> index_;
  std::vector<ActorReport> actors_;
};

void JudgeActors(const VerifyReport& r, bool strict, std::vector<std::string>* warnings,
                 std::optional<Error>* failure) {
  std::string unknown;
  std::size_t n = 0;
  for (const auto& a : r.actors) {
    if (a.example) warnings->push_back("actor " + SafeText(a.name) + " uses a public example key");
    if (a.trusted) continue;
    ++n;
    const std::string who = "\"" + SafeText(a.name) + "\" (" + a.fingerprint + ")";
    warnings->push_back("actor " + who + " is not a trusted identity: " + std::to_string(a.events) +
                        " events, first event " + std::to_string(a.first_seq) + "; its name is unverified");
    if (n <= 5) unknown += (unknown.empty() ? "" : ", ") + who;
  }
  if (strict && n > 0 && !failure->has_value())
    failure->emplace(ErrorCode::kUntrustedSigner,
                     std::to_string(n) + " actor(s) of the log are not trusted (--strict): " + unknown,
                     "add their .pub with --from or to the trust store after checking the fingerprints");
}

}  // namespace

Result<VerifyReport> VerifyLog(const std::string& log_path, const VerifyOptions& options) {
  VerifyReport report;
  report.log = log_path;
  CUSTOS_ASSIGN_OR_RETURN(ActorDirectory dir, ActorDirectory::Open(options.trust, &report.warnings));
  std::vector<Anchor> anchors;
  if (!options.expect_head.empty()) {
    CUSTOS_ASSIGN_OR_RETURN(anchors.emplace_back(), ParseExpectHead(options.expect_head));
  }
  for (const auto& path : options.checkpoints) {
    CUSTOS_ASSIGN_OR_RETURN(anchors.emplace_back(), LoadCheckpoint(path));
  }
  for (const auto& path : options.receipts) {
    CUSTOS_ASSIGN_OR_RETURN(anchors.emplace_back(), LoadReceiptAnchor(path, dir));
  }
  CUSTOS_ASSIGN_OR_RETURN(LockedLog log, LockedLog::Open(log_path));
  TimeOrder times;
  ActorTally tally;
  BindingCheck bindings;
  CUSTOS_ASSIGN_OR_RETURN(Tail tail, log.Scan([&](const ParsedEvent& e) {
    times.Observe(e);
    bindings.Observe(e);
    for (auto& a : anchors) Observe(a, e);
    return tally.Add(e, dir);
  }));
  report.events = tail.count;
  if (tail.count > 0) {
    report.head = crypto::Hex(tail.head);
    report.log_id = crypto::Hex(tail.log_id);
  }
  report.actors = tally.Take();
  times.AppendWarnings(&report.warnings);
  for (const auto& a : anchors) report.anchors.push_back(Judge(a, tail, dir, options.strict, &report.failure));
  JudgeActors(report, options.strict, &report.warnings, &report.failure);
  for (auto& w : bindings.Warnings()) report.warnings.push_back(std::move(w));
  if (options.strict && !report.failure)
    if (auto f = bindings.StrictFailure()) report.failure.emplace(ErrorCode::kBrokenChain, *f);
  return report;
}

std::string VerifyReport::ToText() const {
  std::ostringstream out;
  out << "custody log " << SafeText(log) << ": " << events
      << " events; sequence, hash links and signatures intact\n";
  if (events > 0) out << "log id: " << log_id << "\nhead:   " << head << " (event " << events - 1 << ")\n";
  out << "actors:\n";
  for (const auto& a : actors)
    out << "  " << (a.trusted ? "trusted  " : "UNKNOWN  ") << SafeText(a.name)
        << (a.trusted ? "" : " (unverified name)") << "\n           " << a.fingerprint << "  " << a.events
        << " events\n";
  if (!anchors.empty()) out << "anchors:\n";
  for (const auto& a : anchors)
    out << "  " << a.kind << (a.kind == "expect-head" ? "" : " " + SafeText(a.source)) << ": "
        << (a.extended ? "extended" : "NOT EXTENDED") << " — " << SafeText(a.detail)
        << (a.signer.empty() ? "" : "; signed by " + SafeText(a.signer)) << "\n";
  out << "result: " << (failure ? "FAILED: " + failure->message() : std::string("ok")) << "\n";
  return out.str();
}

std::string VerifyReport::ToJson() const {
  std::ostringstream out;
  out << "{\"log\":" << JsonQuote(log) << ",\"events\":" << events << ",\"head\":" << JsonQuote(head)
      << ",\"log_id\":" << JsonQuote(log_id) << ",\"chain_intact\":true,\"actors\":[";
  for (std::size_t i = 0; i < actors.size(); ++i) {
    const auto& a = actors[i];
    out << (i ? "," : "") << "{\"fingerprint\":" << JsonQuote(a.fingerprint) << ",\"name\":" << JsonQuote(a.name)
        << ",\"trusted\":" << (a.trusted ? "true" : "false") << ",\"example\":" << (a.example ? "true" : "false")
        << ",\"events\":" << a.events << ",\"first_seq\":" << a.first_seq << "}";
  }
  out << "],\"anchors\":[";
  for (std::size_t i = 0; i < anchors.size(); ++i) {
    const auto& a = anchors[i];
    out << (i ? "," : "") << "{\"kind\":" << JsonQuote(a.kind) << ",\"source\":" << JsonQuote(a.source)
        << ",\"seq\":" << a.seq << ",\"head\":" << JsonQuote(a.head)
        << ",\"extended\":" << (a.extended ? "true" : "false")
        << ",\"signature_verified\":" << (a.signature_verified ? "true" : "false")
        << ",\"signer\":" << JsonQuote(a.signer) << ",\"detail\":" << JsonQuote(a.detail) << "}";
  }
  out << "],\"warnings\":[";
  for (std::size_t i = 0; i < warnings.size(); ++i) out << (i ? "," : "") << JsonQuote(warnings[i]);
  out << "],\"ok\":" << (failure ? "false" : "true");
  if (failure) out << ",\"error\":" << JsonQuote(failure->message());
  out << "}";
  return out.str();
}

}  // namespace custos::custody
