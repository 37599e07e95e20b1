// custos/custody.h: append, show and checkpoint.
#include <fcntl.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cctype>

#include "common/time_util.h"
#include "custody/anchors.h"
#include "custody/log_scan.h"
#include "custody/render.h"
#include "custos/custody.h"

namespace custos::custody {
namespace {

// Streaming SHA-256 of one regular file (links not followed).
Result<v1::ItemDigest> HashItem(const std::string& path) {
  io::Fd fd = io::OpenNoBlock(path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
  if (!fd.valid()) return io::ErrnoError(errno, path).Wrap("item");
  struct stat st {};
  if (::fstat(fd.get(), &st) != 0) return io::ErrnoError(errno, path);
  if (!S_ISREG(st.st_mode))
    return Error(ErrorCode::kUsage, "item " + path + " is not a regular file", "--item names files only");
  crypto::Sha256 h;
  std::vector<std::uint8_t> buf(1 << 20);
  std::uint64_t size = 0;
  for (;;) {
    CUSTOS_ASSIGN_OR_RETURN(std::size_t n, io::ReadSome(fd.get(), buf, path));
    if (n == 0) break;
    h.Update(crypto::ByteView(buf.data(), n));
    size += n;
  }
  const crypto::Digest d = h.Finish();
  v1::ItemDigest item;
  item.set_path(path);
  item.set_sha256(std::string(crypto::AsChars(d)));
  item.set_size(size);
  return item;
}

}  // namespace

const std::vector<std::string>& ActionNames() {
  static const std::vector<std::string> names = [] {
    std::vector<std::string> v;
    const auto* desc = v1::Action_descriptor();
    for (int i = 0; i < desc->value_count(); ++i)
      if (desc->value(i)->number() != 0) v.push_back(desc->value(i)->name());
    return v;
  }();
  return names;
}

Result<std::string> CanonicalActionName(std::string_view name) {
  std::string upper;
  for (char c : name) upper.push_back(c == '-' ? '_' : static_cast<char>(std::toupper(static_cast<unsigned char>(c))));
  const auto& names = ActionNames();
  if (std::find(names.begin(), names.end(), upper) != names.end()) return upper;
  std::string list;
  for (const auto& n : names) list += (list.empty() ? "" : ", ") + n;
  return Error(ErrorCode::kUsage, "unknown custody action '" + std::string(name) + "'",
               "the actions are: " + list);
}

Result<AppendResult> AppendEvent(const std::string& log_path, const SecretIdentity& actor,
                                 const AppendRequest& request) {
  CUSTOS_ASSIGN_OR_RETURN(std::string action, CanonicalActionName(request.action));
  v1::Event e;
  v1::Action a = v1::ACTION_UNSPECIFIED;
  (void)v1::Action_Parse(action, &a);
  e.set_action(a);
  e.set_note(request.note);
  e.set_location(request.location);
  e.set_authorisation(request.authorisation);
  for (const auto& path : request.items) {
    CUSTOS_ASSIGN_OR_RETURN(*e.add_items(), HashItem(path));
  }
  e.mutable_time()->set_seconds(NowUnix());
  CUSTOS_ASSIGN_OR_RETURN(Tail tail, ReadTail(log_path));
  Tail next;
  CUSTOS_ASSIGN_OR_RETURN(std::string record, SignNextEvent(actor, tail, e, &next));
  CUSTOS_TRY(AppendRecords(log_path, record, &tail));
  return AppendResult{tail.count, crypto::Hex(next.head), action, e.time().seconds()};
}

Result<ShowFormat> ParseShowFormat(std::string_view name) {
  if (name == "text") return ShowFormat::kText;
  if (name == "json") return ShowFormat::kJson;
  if (name == "markdown") return ShowFormat::kMarkdown;
  if (name == "case") return ShowFormat::kCase;
  return Error(ErrorCode::kUsage, "unknown format '" + std::string(name) + "'",
               "the formats are: text, json, markdown, case");
}

Status ShowLog(const std::string& log_path, ShowFormat format, const TrustSources& trust,
               std::ostream& out, std::vector<std::string>* warnings) {
  CUSTOS_ASSIGN_OR_RETURN(ActorDirectory dir, ActorDirectory::Open(trust, warnings));
  CUSTOS_ASSIGN_OR_RETURN(LockedLog log, LockedLog::Open(log_path));
  // First pass: verify everything, so a broken log prints nothing.
  TimeOrder times;
  UnknownActors unknown;
  CUSTOS_ASSIGN_OR_RETURN(Tail tail, log.Scan([&](const ParsedEvent& e) {
    times.Observe(e);
    if (!dir.Trusted(e.actor)) unknown.Add(e.actor);
    return Ok();
  }));
  std::unique_ptr<Renderer> r = MakeRenderer(format, out);
  r->Begin(log_path, tail);
  CUSTOS_ASSIGN_OR_RETURN(Tail again, log.Scan([&](const ParsedEvent& e) {
    r->Event(e, dir);
    return Ok();
  }));
  if (!(again == tail)) return Error(ErrorCode::kInternal, log_path + ": changed while it was read");
  r->End();
  times.AppendWarnings(warnings);
  unknown.AppendWarnings(warnings);
  return Ok();
}

Result<CheckpointResult> WriteCheckpoint(const std::string& log_path, const SecretIdentity& signer,
                                         const std::string& out_path, bool force) {
  if (!force && io::Exists(out_path))
    return Error(ErrorCode::kExists, out_path + ": already exists", "choose another name or pass --force");
  CUSTOS_ASSIGN_OR_RETURN(Tail tail, ReadTail(log_path));
  if (tail.count == 0)
    return Error(ErrorCode::kUsage, log_path + ": holds no events, so there is no head to checkpoint");
  const std::string bytes = MakeSignedCheckpoint(signer, tail, NowUnix());
  CUSTOS_TRY(io::WriteFileAtomic(out_path, crypto::AsBytes(bytes), 0644, force));
  return CheckpointResult{tail.count - 1, crypto::Hex(tail.head), crypto::Hex(tail.log_id)};
}

}  // namespace custos::custody
