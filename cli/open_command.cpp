// custos open: verify while extracting into a staging directory; rename into
// place only when everything verified.
#include <fcntl.h>
#include <unistd.h>

#include <cstring>
#include <iostream>
#include <memory>

#include "cli_util.h"
#include "command.h"
#include "progress.h"
#include "read_options.h"

namespace custos::cli {

namespace {

struct OpenFlags {
  ReaderFlags reader;
  std::string outdir;
  std::string receipt;
  bool acknowledge = false;
};

void ShowConditions(const Conditions& c) {
  std::cerr << "This evidence was sealed by " << c.sender << " (case " << c.case_reference
            << ") under these conditions:\n";
  if (c.use_limitations.empty() && c.confidentiality.empty() && c.data_protection.empty())
    std::cerr << "  (no conditions beyond the Convention's own)\n";
  for (const auto& u : c.use_limitations) std::cerr << "  use limitation:   " << u << "\n";
  if (!c.confidentiality.empty()) std::cerr << "  confidentiality:  " << c.confidentiality << "\n";
  if (!c.data_protection.empty()) std::cerr << "  data protection:  " << c.data_protection << "\n";
}

// Reads one line from the controlling terminal.
std::string AskTerminal(const char* question) {
  int fd = ::open("/dev/tty", O_RDWR | O_NOCTTY | O_CLOEXEC);
  if (fd < 0) return {};
  (void)!::write(fd, question, std::strlen(question));
  std::string line;
  char c;
  while (::read(fd, &c, 1) == 1 && c != '\n') line.push_back(c);
  ::close(fd);
  return line;
}

Result<bool> Acknowledge(const OpenFlags& f, const Conditions& c, bool* at_prompt) {
  ShowConditions(c);
  if (f.acknowledge) {
    *at_prompt = false;
    std::cerr << "Conditions acknowledged with --acknowledge; the acknowledgement is recorded "
                 "in the custody log.\n";
    return true;
  }
  if (::isatty(STDIN_FILENO) != 1)
    return Error(ErrorCode::kUsage, "the bundle's conditions must be acknowledged before it is opened; nothing was written",
                 "pass --acknowledge (recorded in the custody log) or run on a terminal");
  std::string answer = AskTerminal("Type 'yes' to acknowledge these conditions and open: ");
  *at_prompt = true;
  if (answer != "yes")
    return Error(ErrorCode::kUsage, "the conditions were not acknowledged; nothing was written");
  return true;
}

Status RunOpen(const OpenFlags& f) {
  CUSTOS_ASSIGN_OR_RETURN(LoadedReader r, LoadReader(f.reader));
  OpenOptions o;
  o.read = std::move(r.read);
  o.read.receiver = &*r.receiver;
  o.outdir = f.outdir;
  o.receipt_copy = f.receipt;
  o.acknowledge = [&f](const Conditions& c, bool* at_prompt) { return Acknowledge(f, c, at_prompt); };
  ProgressBar bar(f.reader.quiet || f.reader.json);
  o.read.progress = bar.Callback();
  CUSTOS_ASSIGN_OR_RETURN(BundleReport rep, OpenBundle(o));
  bar.Done();
  PrintReport(rep, f.reader.json, "opened: " + f.reader.bundle + " verified and opened into " + f.outdir);
  return Ok();
}

}  // namespace

void AddOpenCommand(CLI::App& app, Runner* run) {
  auto f = std::make_shared<OpenFlags>();
  auto* sub = app.add_subcommand("open", "Verify a bundle and open it into a new directory (a BagIt bag)");
  AddReaderFlags(sub, &f->reader);
  sub->add_option("-o,--out", f->outdir, "output directory: must not exist, or be empty")->required();
  sub->add_option("--receipt", f->receipt, "also write the signed receipt here, to send back");
  sub->add_flag("--acknowledge", f->acknowledge,
                "acknowledge the use limitations and other conditions without a prompt (scripts)");
  sub->footer(
      "Nothing is written unless the whole bundle verified; the output appears in one rename.\n"
      "Examples:\n"
      "  custos open case.custos -k nl.key -o received/\n"
      "  custos open case.custos -k nl.key --from si.pub -o received/ --acknowledge --receipt r.pb\n"
      "Exit: 0 opened, 1 verification failed, 2 conditions not acknowledged, 3 key problem, 4 I/O.");
  sub->callback([run, f] { *run = [f] { return RunOpen(*f); }; });
}

}  // namespace custos::cli
