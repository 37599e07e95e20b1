// VerifyBundle and OpenBundle (docs/FORMAT.md "The opened directory", "Receipts").
#include <cstring>

#include "bundle/limits.h"
#include "bundle/reader.h"
#include "bundle/safe_path.h"
#include "bundle/tags.h"
#include "common/proto_util.h"
#include "common/time_util.h"
#include "crypto/domains.h"
#include "custody/log.h"
#include "custos/open.h"
#include "io/staging.h"
#include "receipt/receipt.h"

namespace custos {

namespace {

using bundle::VerifiedManifest;

// Conditions are at most kMaxTextField bytes each; show them whole.
constexpr std::size_t kShownBytes = 1u << 20;

// Writes what the reader streams into the staging directory.
class StagingSink final : public bundle::ExtractSink {
 public:
  explicit StagingSink(const OpenOptions& o) : o_(o) {}

  Status OnManifest(const VerifiedManifest& vm) override {
    const auto& c = vm.manifest.case_metadata();
    Conditions cond;
    for (const auto& u : c.use_limitations()) cond.use_limitations.push_back(u);
    cond.confidentiality = c.confidentiality();
    cond.data_protection = c.data_protection();
    cond.sender = vm.sender.DisplayName();
    cond.case_reference = c.case_reference();
    conditions_ = cond;
    if (!o_.acknowledge)
      return Error(ErrorCode::kUsage, "the bundle's conditions were not acknowledged",
                   "pass --acknowledge or run on a terminal");
    // What is shown for acknowledgement is escaped: a control sequence in a
    // condition could erase or rewrite the text on the receiver's terminal.
    Conditions shown = cond;
    for (auto& u : shown.use_limitations) u = bundle::EscapeForDisplay(u, kShownBytes);
    for (std::string* s : {&shown.confidentiality, &shown.data_protection, &shown.sender,
                           &shown.case_reference})
      *s = bundle::EscapeForDisplay(*s, kShownBytes);
    CUSTOS_ASSIGN_OR_RETURN(bool go_on, o_.acknowledge(shown, &at_prompt_));
    if (!go_on) return Error(ErrorCode::kUsage, "the conditions were not accepted; nothing was written");
    CUSTOS_ASSIGN_OR_RETURN(staging_, io::StagingDir::Create(o_.outdir));
    const std::uint64_t need = vm.payload_bytes + (vm.file_count + vm.dir_count + 64) * 4096;
    if (staging_->FreeBytes() < need)
      return Error(ErrorCode::kNoSpace,
                   o_.outdir + ": not enough free space (" + std::to_string(need) +
                       " bytes needed, " + std::to_string(staging_->FreeBytes()) + " free)");
    created_ = vm.manifest.created().seconds();
    CUSTOS_TRY(staging_->MakeDir("data", 0700, created_));
    return staging_->MakeDir("custos", 0700, created_);
  }
  Status MakeDirectory(const v1::DirectoryEntry& d) override {
    return staging_->MakeDir(d.path(), d.mode(), d.mtime());
  }
  Status BeginFile(const v1::FileEntry& f) override {
    mode_ = f.mode();
    mtime_ = f.mtime();
    return staging_->BeginFile(f.path(), /*direct=*/f.size() >= bundle::kDirectIoFrom, mode_);
  }
  Status FileData(std::span<const std::uint8_t> data) override { return staging_->Write(data); }
  Status EndFile() override { return staging_->EndFile(mode_, mtime_); }
  // The evidence, most of what is written, starts on its way to the disk
  // while the rest of the bundle is verified and written (on a thread: not
  // with --threads 1).
  Status EntriesDone() override {
    if (o_.read.threads != 1) staging_->StartSync();
    return Ok();
  }
  Status MetadataFile(const std::string& name, std::span<const std::uint8_t> bytes) override {
    CUSTOS_TRY(CloseLog());  // the staging directory writes one file at a time
    return staging_->WriteFile(name, bytes, 0600, created_);
  }
  // Ends the staged custody log, if open; the receiver's events are appended later.
  Status CloseLog() {
    if (!log_open_) return Ok();
    log_open_ = false;
    return staging_->EndFile(0600, NowUnix());
  }
  Status CustodyData(std::span<const std::uint8_t> data) override {
    if (!log_open_) {
      if (log_staged_) return Error(ErrorCode::kInternal, "custody log staged twice");
      CUSTOS_TRY(staging_->BeginFile("custos/custody.log"));
      log_open_ = log_staged_ = true;
    }
    return staging_->Write(data);
  }

  io::StagingDir& staging() { return *staging_; }
  bool log_staged() const { return log_staged_; }
  bool at_prompt() const { return at_prompt_; }
  const Conditions& conditions() const { return conditions_; }

 private:
  const OpenOptions& o_;
  std::unique_ptr<io::StagingDir> staging_;
  Conditions conditions_;
  bool at_prompt_ = false;
  bool log_open_ = false;
  bool log_staged_ = false;
  std::uint32_t mode_ = 0;
  std::int64_t mtime_ = 0;
  std::int64_t created_ = 0;
};

void SetDigest(std::string* out, const crypto::Digest& d) { out->assign(d.begin(), d.end()); }

// RECEIVED, VERIFIED, CONDITIONS_ACKNOWLEDGED, OPENED by the receiver.
Result<std::string> ReceiverEvents(const OpenOptions& o, const bundle::ReadOutcome& r,
                                   const StagingSink& sink, custody::Tail* tail) {
  const auto& vm = r.manifest;
  std::string records;
  auto add = [&](v1::Event ev) -> Status {
    ev.set_bundle_id(vm.manifest.bundle_id());
    SetDigest(ev.mutable_seal_hash(), r.seal_hash);
    SetDigest(ev.mutable_manifest_hash(), vm.hash);
    custody::Tail next;
    CUSTOS_ASSIGN_OR_RETURN(std::string rec, custody::SignNextEvent(*o.read.receiver, *tail, ev, &next));
    records += rec;
    *tail = next;
    return Ok();
  };
  v1::Event received;
  received.set_action(v1::RECEIVED);
  auto* item = received.add_items();
  item->set_path(io::BaseName(o.read.bundle_path));
  SetDigest(item->mutable_sha256(), r.bundle_sha256);
  item->set_size(r.bundle_size);
  received.set_note("bundle received from " + vm.sender.DisplayName());
  CUSTOS_TRY(add(received));
  v1::Event verified;
  verified.set_action(v1::VERIFIED);
  verified.set_note("manifest, " + std::to_string(vm.file_count) +
                    " files, tag files, custody log and seal verified" +
                    (r.transport_checked ? "; transport signature verified" : ""));
  CUSTOS_TRY(add(verified));
  v1::Event ack;
  ack.set_action(v1::CONDITIONS_ACKNOWLEDGED);
  const Conditions& c = sink.conditions();
  for (const auto& u : c.use_limitations) ack.add_conditions("use limitation: " + u);
  if (!c.confidentiality.empty()) ack.add_conditions("confidentiality: " + c.confidentiality);
  if (!c.data_protection.empty()) ack.add_conditions("data protection: " + c.data_protection);
  ack.set_acknowledged_at_prompt(sink.at_prompt());
  CUSTOS_TRY(add(ack));
  v1::Event opened;
  opened.set_action(v1::OPENED);
  opened.set_note("opened into " + o.outdir);
  CUSTOS_TRY(add(opened));
  return records;
}

Status WriteOpenedFiles(const OpenOptions& o, const bundle::ReadOutcome& r, StagingSink& sink,
                        std::string* receipt_bytes) {
  io::StagingDir& st = sink.staging();
  const auto& vm = r.manifest;
  const std::int64_t created = vm.manifest.created().seconds();
  if (!sink.log_staged()) return Error(ErrorCode::kInternal, "custody log was not staged");
  custody::Tail tail = r.custody_tail;
  CUSTOS_ASSIGN_OR_RETURN(std::string records, ReceiverEvents(o, r, sink, &tail));
  // The sealed log was staged (and ended, before custos/seal.pb); the
  // receiver's events follow it.
  CUSTOS_TRY(sink.CloseLog());
  CUSTOS_TRY(st.AppendTo("custos/custody.log", crypto::AsBytes(records), NowUnix()));
  // custos/manifest.pb, the tag files and custos/seal.pb were written by
  // the reader as each verified (MetadataFile).
  {
    // Streamed into the file: never the whole JSON (~200 bytes a file) in memory.
    class StagingWriter final : public ByteSink {
     public:
      explicit StagingWriter(io::StagingDir& d) : d_(d) {}
      Status Write(std::span<const std::uint8_t> data) override { return d_.Write(data); }

     private:
      io::StagingDir& d_;
    } json_out(st);
    CUSTOS_TRY(st.BeginFile("custos/manifest.json"));
    CUSTOS_TRY(WriteJson(vm.manifest, true, json_out));
    CUSTOS_TRY(st.EndFile(0600, created));
  }
  v1::Receipt rc;
  rc.set_format_version(1);
  rc.set_bundle_id(vm.manifest.bundle_id());
  SetDigest(rc.mutable_bundle_sha256(), r.bundle_sha256);
  rc.set_bundle_size(r.bundle_size);
  SetDigest(rc.mutable_manifest_hash(), vm.hash);
  SetDigest(rc.mutable_seal_hash(), r.seal_hash);
  rc.set_sender_fingerprint(vm.sender.fingerprint().data(), vm.sender.fingerprint().size());
  rc.set_receiver_fingerprint(o.read.receiver->fingerprint().data(), 32);
  rc.set_result(v1::RECEIPT_OPENED);
  rc.mutable_time()->set_seconds(NowUnix());
  SetDigest(rc.mutable_custody_head(), tail.head);
  rc.set_custody_seq(tail.count - 1);
  *receipt_bytes = receipt::SignReceipt(*o.read.receiver, rc);
  return st.WriteFile("custos/receipt.pb", crypto::AsBytes(*receipt_bytes), 0600, NowUnix());
}

}  // namespace

Result<BundleReport> VerifyBundle(const ReadOptions& opts) {
  CUSTOS_ASSIGN_OR_RETURN(bundle::ReadOutcome r, bundle::ReadBundle(opts, nullptr));
  BundleReport rep;
  bundle::FillReport(r, opts, &rep);
  return rep;
}

Result<BundleReport> OpenBundle(const OpenOptions& o) {
  std::vector<std::string> warnings;
  CUSTOS_TRY(io::StagingDir::CheckOutdir(o.outdir, &warnings));
  if (!o.receipt_copy.empty() && io::Exists(o.receipt_copy))
    return Error(ErrorCode::kExists, o.receipt_copy + ": already exists", "choose another --receipt name");
  StagingSink sink(o);
  CUSTOS_ASSIGN_OR_RETURN(bundle::ReadOutcome r, bundle::ReadBundle(o.read, &sink));
  std::string receipt_bytes;
  CUSTOS_TRY(WriteOpenedFiles(o, r, sink, &receipt_bytes));
  const std::string id = r.manifest.top, seal = crypto::Hex(r.seal_hash);
  std::string previous;
  auto seen = receipt::SeenBefore(id, seal, &previous);
  if (seen.ok() && *seen)
    warnings.push_back("this bundle was opened before (" + previous +
                       "); a replayed bundle is the same evidence, not new evidence");
  CUSTOS_TRY(sink.staging().Commit());
  // OUTDIR is in place from here on: record it before anything else can fail.
  if (auto st = receipt::RecordOpened(id, seal, o.outdir); !st.ok())
    warnings.push_back("could not record the open in the register: " + st.error().message());
  if (!o.receipt_copy.empty()) {
    Status st = io::WriteFileAtomic(o.receipt_copy, crypto::AsBytes(receipt_bytes), 0644, false);
    if (!st.ok())
      return st.error().Wrap("opened into " + o.outdir + " (its receipt is " + o.outdir +
                             "/custos/receipt.pb), but the --receipt copy was not written");
  }
  BundleReport rep;
  r.warnings.insert(r.warnings.begin(), warnings.begin(), warnings.end());
  bundle::FillReport(r, o.read, &rep);
  return rep;
}

}  // namespace custos
