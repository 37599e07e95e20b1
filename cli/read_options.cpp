#include "read_options.h"

#include <iostream>

#include "cli_util.h"

namespace custos::cli {

void AddReaderFlags(CLI::App* sub, ReaderFlags* f) {
  sub->add_option("BUNDLE", f->bundle, "the bundle (.custos)")->required();
  sub->add_option("-k,--key", f->key, "your secret key (RECIPIENT.key)")->required();
  sub->add_option("--passphrase-file", f->passphrase_file, kPassphraseFileHelp);
  sub->add_option("--from", f->from,
                  "accept only bundles sealed by these identities (SENDER.pub); repeatable")
      ->allow_extra_args(false);  // one value each: never swallow BUNDLE
  sub->add_option("--trust-dir", f->trust_dir, "trust store directory (default: CUSTOS_HOME/trust)");
  sub->add_option("--sig", f->sig, "transport signature to check (default: BUNDLE.sig if present)");
  sub->add_flag("--json", f->json, "print one JSON object on stdout");
  sub->add_flag("-q,--quiet", f->quiet, "no progress bar");
  sub->add_option("--threads", f->threads,
                  "1: read on one thread (default: decryption and hashing on threads of their own)")
      ->check(CLI::Range(0, 1024));
  sub->add_flag("--allow-example-keys", f->allow_example_keys, kAllowExampleKeysHelp);
}

Result<LoadedReader> LoadReader(const ReaderFlags& f) {
  LoadedReader out;
  CUSTOS_ASSIGN_OR_RETURN(SecretIdentity k,
                          SecretIdentity::Load(f.key, PassphraseProviderFor(f.passphrase_file)));
  out.receiver.emplace(std::move(k));
  for (const auto& p : f.from) {
    CUSTOS_ASSIGN_OR_RETURN(PublicIdentity id, PublicIdentity::Load(p));
    out.read.from.push_back(std::move(id));
  }
  out.read.bundle_path = f.bundle;
  out.read.trust_dir = f.trust_dir;
  out.read.allow_example_keys = f.allow_example_keys;
  out.read.sig_path = f.sig;
  out.read.threads = f.threads;
  return out;
}

void PrintReport(const BundleReport& r, bool json, const std::string& verdict) {
  PrintWarnings(r.warnings);
  if (json) {
    PrintJson(r.json);
    return;
  }
  std::cout << verdict << "\n";
  for (const auto& line : r.summary) std::cout << "  " << line << "\n";
}

}  // namespace custos::cli
