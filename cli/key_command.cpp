// custos key show | fingerprint | export-age — look at a .pub or .key file.
#include <unistd.h>

#include <cstdio>
#include <iostream>
#include <memory>

#include "cli_util.h"
#include "command.h"
#include "common/time_util.h"
#include "custos/keys.h"
#include "io/files.h"

namespace custos::cli {
namespace {

struct KeyOptions {
  std::string file;
  std::string passphrase_file;
  bool json = false;
  bool allow_example_keys = false;
};

// A .pub, or a .key together with its secrets.
struct LoadedKey {
  std::optional<PublicIdentity> pub;
  std::optional<SecretIdentity> secret;
  const PublicIdentity& identity() const { return secret ? secret->public_identity() : *pub; }
};

Result<LoadedKey> LoadAny(const KeyOptions& o) {
  LoadedKey k;
  // By content; a file that is neither is judged by its name, so a broken
  // .key is reported as a key problem (exit 3).
  const bool named_key = o.file.size() >= 4 && o.file.compare(o.file.size() - 4, 4, ".key") == 0;
  if (LooksLikeSecretKeyFile(o.file) || named_key) {
    CUSTOS_ASSIGN_OR_RETURN(SecretIdentity s,
                            SecretIdentity::Load(o.file, PassphraseProviderFor(o.passphrase_file)));
    k.secret.emplace(std::move(s));
  } else {
    CUSTOS_ASSIGN_OR_RETURN(PublicIdentity p, PublicIdentity::Load(o.file));
    k.pub.emplace(std::move(p));
  }
  return k;
}

// Inspection never refuses an example key, but always says what it is.
void WarnIfExample(const PublicIdentity& id) {
  std::vector<std::string> w;
  if (CheckExampleKey(id, true, &w).ok()) PrintWarnings(w);
}

Status RunShow(const KeyOptions& o) {
  CUSTOS_ASSIGN_OR_RETURN(LoadedKey k, LoadAny(o));
  const PublicIdentity& id = k.identity();
  WarnIfExample(id);
  if (o.json) {
    PrintJson(id.ToJson());
    return Ok();
  }
  auto line = [](const char* label, const std::string& v) {
    if (!v.empty()) std::cout << label << v << "\n";
  };
  line("file:          ", k.secret ? "secret key (keep it private)" : "public identity");
  line("name:          ", id.name());
  line("organisation:  ", id.organisation());
  line("country:       ", id.country());
  line("role:          ", id.role());
  line("e-mail:        ", id.email());
  line("created:       ", FormatUtc(id.created()));
  line("expires:       ", id.expires() != 0 ? FormatUtc(id.expires()) : "never");
  line("fingerprint:   ", FormatFingerprint(id.fingerprint()));
  line("age recipient: ", id.AgeRecipient());
  return Ok();
}

Status RunFingerprint(const KeyOptions& o) {
  CUSTOS_ASSIGN_OR_RETURN(LoadedKey k, LoadAny(o));
  WarnIfExample(k.identity());
  std::cout << FormatFingerprint(k.identity().fingerprint()) << "\n";
  return Ok();
}

Status RunExportAge(const KeyOptions& o) {
  CUSTOS_ASSIGN_OR_RETURN(LoadedKey k, LoadAny(o));
  std::vector<std::string> warnings;
  CUSTOS_TRY(CheckExampleKey(k.identity(), o.allow_example_keys, &warnings));
  PrintWarnings(warnings);
  if (!k.secret) {
    std::cout << k.identity().AgeRecipient() << "\n";
    return Ok();
  }
  const SecretBytes age_id = k.secret->AgeIdentity();
  std::cout << "# age identity of " << k.identity().DisplayName() << " (custos "
            << FormatFingerprint(k.identity().fingerprint()) << ")\n# public key: "
            << k.identity().AgeRecipient() << "\n"
            << std::flush;
  // Written with write(2) straight from secret memory: neither a std::string
  // nor stdio's buffer (which is never wiped) holds a copy.
  std::fflush(stdout);
  const auto bytes = age_id.Reveal();
  static const std::uint8_t kNewline = '\n';
  if (!io::WriteAll(STDOUT_FILENO, bytes, "standard output").ok() ||
      !io::WriteAll(STDOUT_FILENO, {&kNewline, 1}, "standard output").ok())
    return Error(ErrorCode::kIo, "cannot write the age identity to standard output");
  return Ok();
}

CLI::App* AddFileSub(CLI::App* key, const char* name, const char* help,
                     const std::shared_ptr<KeyOptions>& o, Status (*fn)(const KeyOptions&),
                     Runner* run) {
  auto* sub = key->add_subcommand(name, help);
  sub->add_option("FILE", o->file, "a .pub or .key file")->required();
  sub->add_option("--passphrase-file", o->passphrase_file, kPassphraseFileHelp);
  sub->add_flag("--allow-example-keys", o->allow_example_keys, kAllowExampleKeysHelp);
  sub->callback([run, o, fn] { *run = [o, fn] { return fn(*o); }; });
  return sub;
}
}  // namespace

void AddKeyCommand(CLI::App& app, Runner* run) {
  auto o = std::make_shared<KeyOptions>();
  auto* key = app.add_subcommand("key", "Show a .pub or .key file, its fingerprint or age key");
  key->require_subcommand(1);
  auto* show = AddFileSub(key, "show", "Show the identity in a .pub or .key file", o, RunShow, run);
  show->add_flag("--json", o->json, "print one JSON object (protobuf JSON mapping) on stdout");
  show->footer("Example:\n  custos key show nl-ca.pub\n  custos key show si-ca.key --passphrase-file pw.txt --json");
  AddFileSub(key, "fingerprint", "Print the fingerprint (one line)", o, RunFingerprint, run)
      ->footer("Example:\n  custos key fingerprint nl-ca.pub\n"
               "Compare it with the owner's, read out over another channel, before trusting a key.");
  AddFileSub(key, "export-age",
             "Print the age recipient of a .pub, or the age identity (AGE-SECRET-KEY-1...) of a .key",
             o, RunExportAge, run)
      ->footer("Example:\n  custos key export-age nl-ca.pub            # age1...\n"
               "  custos key export-age nl-ca.key > nl.agekey && age -d -i nl.agekey case.custos");
  key->footer("Example:\n  custos key fingerprint nl-ca.pub");
}

}  // namespace custos::cli
