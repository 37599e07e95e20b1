// custos seal: evidence files -> one signed, encrypted bundle.
#include <iostream>
#include <memory>

#include "cli_util.h"
#include "command.h"
#include "custos/seal.h"
#include "progress.h"

namespace custos::cli {

namespace {

struct SealFlags {
  std::string key, passphrase_file, trust_dir, output, custody;
  std::vector<std::string> recipients, confirmed, inputs;
  CaseInfo c;
  int level = 3;
  int threads = 0;
  bool no_transport = false, force = false, json = false, quiet = false, allow_example_keys = false;
};

Result<std::vector<PublicIdentity>> LoadRecipients(const SealFlags& f, std::vector<std::string>* warnings) {
  if (f.recipients.empty())
    return Error(ErrorCode::kUsage, "no recipient given", "pass -r RECIPIENT.pub (repeatable)");
  std::vector<Fingerprint> confirmed;
  for (const auto& fp : f.confirmed) {
    CUSTOS_ASSIGN_OR_RETURN(Fingerprint parsed, ParseFingerprint(fp));
    confirmed.push_back(parsed);
  }
  CUSTOS_ASSIGN_OR_RETURN(TrustStore store, TrustStore::Open(f.trust_dir, false));
  std::vector<PublicIdentity> out;
  for (const auto& path : f.recipients) {
    CUSTOS_ASSIGN_OR_RETURN(PublicIdentity id, PublicIdentity::Load(path));
    CUSTOS_TRY(CheckExampleKey(id, f.allow_example_keys, warnings));
    Status accepted = CheckRecipientAccepted(id, store, confirmed);
    if (!accepted.ok()) return accepted.error().Wrap(path);
    out.push_back(std::move(id));
  }
  return out;
}

Status RunSeal(const SealFlags& f) {
  std::vector<std::string> warnings;
  CUSTOS_ASSIGN_OR_RETURN(SecretIdentity sender,
                          SecretIdentity::Load(f.key, PassphraseProviderFor(f.passphrase_file)));
  CUSTOS_TRY(CheckExampleKey(sender.public_identity(), f.allow_example_keys, &warnings));
  CUSTOS_ASSIGN_OR_RETURN(std::vector<PublicIdentity> recipients, LoadRecipients(f, &warnings));
  PrintWarnings(warnings);
  if (!f.json) {
    for (const auto& r : recipients)
      std::cerr << "sealing for " << r.DisplayName() << "  " << FormatFingerprint(r.fingerprint()) << "\n";
  }
  SealOptions o;
  o.sender = &sender;
  o.recipients = std::move(recipients);
  o.case_info = f.c;
  o.inputs = f.inputs;
  o.output = f.output;
  o.force = f.force;
  o.level = f.level;
  o.threads = f.threads;
  o.transport_signature = !f.no_transport;
  o.custody_log = f.custody;
  ProgressBar bar(f.quiet || f.json);
  o.progress = bar.Callback();
  CUSTOS_ASSIGN_OR_RETURN(SealResult r, SealBundle(o));
  bar.Done();
  PrintWarnings(r.warnings);
  if (f.json) {
    PrintJson(r.json);
    return Ok();
  }
  std::cout << "sealed " << f.output << "\n"
            << "  bundle id   " << r.bundle_id_hex << "\n"
            << "  sha-256     " << r.bundle_sha256_hex << "\n"
            << "  size        " << r.bundle_size << " bytes\n"
            << "  contents    " << r.file_count << " files, " << r.directory_count
            << " directories, " << r.payload_bytes << " bytes\n";
  for (const auto& rc : o.recipients)
    std::cout << "  recipient   " << rc.DisplayName() << "  " << FormatFingerprint(rc.fingerprint()) << "\n";
  if (!r.transport_path.empty()) std::cout << "  transport   " << r.transport_path << "\n";
  return Ok();
}

}  // namespace

void AddSealCommand(CLI::App& app, Runner* run) {
  auto f = std::make_shared<SealFlags>();
  auto* s = app.add_subcommand("seal", "Seal evidence files and directories into a signed, encrypted bundle");
  s->add_option("-k,--key", f->key, "the sending authority's secret key (SENDER.key)")->required();
  s->add_option("--passphrase-file", f->passphrase_file, kPassphraseFileHelp);
  // Repeatable options take one value each: a vector option would otherwise
  // swallow the INPUT names that follow it.
  s->add_option("-r,--recipient", f->recipients, "a receiving authority (RECIPIENT.pub); repeatable")
      ->allow_extra_args(false);
  s->add_option("--recipient-fingerprint", f->confirmed,
                "confirm a recipient not in the trust store by its fingerprint; repeatable")
      ->allow_extra_args(false);
  s->add_option("--trust-dir", f->trust_dir, "trust store directory (default: CUSTOS_HOME/trust)");
  s->add_option("-o,--out", f->output, "the bundle to write (OUT.custos; OUT.custos.sig beside it)")->required();
  s->add_option("--case", f->c.case_reference, "the sender's case reference (required)")->required();
  s->add_option("--other-case", f->c.other_case_reference, "the other state's case reference");
  s->add_option("--request", f->c.request_reference, "the MLA request reference");
  s->add_option("--requesting-state", f->c.requesting_state, "ISO 3166-1 alpha-2 code");
  s->add_option("--requested-state", f->c.requested_state, "ISO 3166-1 alpha-2 code");
  s->add_option("--direction", f->c.direction, "request, execution or spontaneous")
      ->check(CLI::IsMember({"request", "execution", "spontaneous"}));
  s->add_option("--legal-basis", f->c.legal_basis, "legal basis of the transfer");
  s->add_option("--offence", f->c.offence, "the offence concerned");
  s->add_option("--purpose", f->c.purpose, "purpose of the transfer");
  s->add_option("--use-limitation", f->c.use_limitations, "a use limitation (speciality); repeatable")
      ->allow_extra_args(false);
  s->add_option("--confidentiality", f->c.confidentiality, "confidentiality level");
  s->add_option("--data-protection", f->c.data_protection, "data-protection conditions");
  s->add_option("--description", f->c.description, "description of the evidence");
  s->add_option("--note", f->c.note, "a note");
  s->add_option("--supersedes", f->c.supersedes, "bundle id (hex) this bundle replaces");
  s->add_option("--custody", f->custody, "continue this custody log and append SEALED to it");
  s->add_option("--level", f->level, "zstd level 1-19 (default 3; higher levels run on fewer workers)");
  s->add_option("--threads", f->threads,
                 "compression workers (default: all cores; at most 4, fewer at high levels); 1: everything on one thread")
      ->check(CLI::Range(0, 1024));
  s->add_flag("--no-transport-signature", f->no_transport, "do not write OUT.custos.sig");
  s->add_flag("--force", f->force, "replace an existing OUT");
  s->add_flag("--json", f->json, "print one JSON object on stdout");
  s->add_flag("-q,--quiet", f->quiet, "no progress bar");
  s->add_flag("--allow-example-keys", f->allow_example_keys, kAllowExampleKeysHelp);
  s->add_option("INPUT", f->inputs, "evidence files and directories; each lands at data/<name>");
  s->footer(
      "Example:\n"
      "  custos seal -k si.key -r nl.pub --case SI-K-2026/17 --request MLA-2026-0042 \\\n"
      "      --requesting-state NL --requested-state SI --direction execution \\\n"
      "      --use-limitation 'only for proceedings in case NL-2026-991' \\\n"
      "      --custody lab.log -o case.custos disk.img photos/\n"
      "Exit: 0 sealed, 1 the --custody log does not verify or a limit is exceeded, 2 usage,\n"
      "3 key or recipient not trusted, 4 input/output.");
  s->callback([run, f] { *run = [f] { return RunSeal(*f); }; });
}

}  // namespace custos::cli
