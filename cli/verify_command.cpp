// custos verify: decrypt and check everything; write nothing.
#include <memory>

#include "command.h"
#include "progress.h"
#include "read_options.h"

namespace custos::cli {

namespace {

Status RunVerify(const ReaderFlags& f) {
  CUSTOS_ASSIGN_OR_RETURN(LoadedReader r, LoadReader(f));
  r.read.receiver = &*r.receiver;
  ProgressBar bar(f.quiet || f.json);
  r.read.progress = bar.Callback();
  CUSTOS_ASSIGN_OR_RETURN(BundleReport rep, VerifyBundle(r.read));
  bar.Done();
  PrintReport(rep, f.json, "verified: " + f.bundle + " is intact, addressed to you and sealed by a trusted sender");
  return Ok();
}

}  // namespace

void AddVerifyCommand(CLI::App& app, Runner* run) {
  auto f = std::make_shared<ReaderFlags>();
  auto* sub = app.add_subcommand("verify", "Decrypt a bundle and check every signature and byte; write nothing");
  AddReaderFlags(sub, f.get());
  sub->footer(
      "Checks the signed manifest (sender trusted, addressed to you) before anything else,\n"
      "then every file, the tag files, the custody log, the seal and the transport signature.\n"
      "Examples:\n"
      "  custos verify case.custos -k nl.key\n"
      "  custos verify case.custos -k nl.key --from si.pub --json\n"
      "Exit: 0 verified, 1 verification failed, 2 usage, 3 key problem, 4 input/output.");
  sub->callback([run, f] { *run = [f] { return RunVerify(*f); }; });
}

}  // namespace custos::cli
