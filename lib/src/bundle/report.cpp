// The VerifyReport of a successful read (JSON and human summary).
#include "bundle/reader.h"
#include "bundle/safe_path.h"
#include "common/proto_util.h"
#include "common/time_util.h"
#include "custos/v1/report.pb.h"

namespace custos::bundle {

void FillReport(const ReadOutcome& r, const ReadOptions& opts, BundleReport* out) {
  const auto& vm = r.manifest;
  const auto& m = vm.manifest;
  v1::VerifyReport rep;
  rep.set_bundle(opts.bundle_path);
  rep.set_verified(true);
  rep.set_bundle_id(vm.top);
  auto* s = rep.mutable_sender();
  s->set_name(vm.sender.name());
  s->set_fingerprint(FormatFingerprint(vm.sender.fingerprint()));
  s->set_trusted(true);
  for (const auto& rc : m.recipients()) {
    auto* p = rep.add_recipients();
    p->set_name(rc.name());
    Fingerprint fp{};
    if (rc.fingerprint().size() == fp.size()) std::memcpy(fp.data(), rc.fingerprint().data(), 32);
    p->set_fingerprint(FormatFingerprint(fp));
  }
  *rep.mutable_case_metadata() = m.case_metadata();
  rep.set_file_count(vm.file_count);
  rep.set_directory_count(vm.dir_count);
  rep.set_payload_bytes(vm.payload_bytes);
  rep.set_manifest_hash(crypto::Hex(vm.hash));
  rep.set_seal_hash(crypto::Hex(r.seal_hash));
  rep.set_transport_signature(r.transport_checked ? "verified" : "absent");
  rep.set_created(FormatUtc(m.created().seconds()));
  for (const auto& w : r.warnings) rep.add_warnings(w);
  out->json = ToJson(rep);
  out->sender_name = vm.sender.DisplayName();
  out->sender_fingerprint = FormatFingerprint(vm.sender.fingerprint());
  out->bundle_id_hex = vm.top;
  out->file_count = vm.file_count;
  out->payload_bytes = vm.payload_bytes;
  out->transport_checked = r.transport_checked;
  out->warnings = r.warnings;
  out->summary.push_back("sealed by   " + out->sender_name + "  " + out->sender_fingerprint);
  out->summary.push_back("case        " + EscapeForDisplay(m.case_metadata().case_reference()));
  out->summary.push_back("bundle id   " + vm.top + "  (created " + FormatUtc(m.created().seconds()) + ")");
  out->summary.push_back("contents    " + std::to_string(vm.file_count) + " files, " +
                         std::to_string(vm.dir_count) + " directories, " +
                         std::to_string(vm.payload_bytes) + " bytes");
  out->summary.push_back(std::string("transport   ") +
                         (r.transport_checked ? "signature verified" : "no transport signature beside the bundle"));
}

}  // namespace custos::bundle
