// custos trust add | list | remove — the trust store (docs/FORMAT.md "Trust store").
#include <iostream>
#include <memory>

#include "cli_util.h"
#include "command.h"
#include "custos/keys.h"

namespace custos::cli {
namespace {

struct TrustOptions {
  std::vector<std::string> files;
  std::string fingerprint;
  std::string trust_dir;
  bool json = false;
  bool allow_example_keys = false;
};

// Loads and checks every file before adding any: all or nothing.
Status RunAdd(const TrustOptions& o) {
  std::vector<PublicIdentity> ids;
  std::vector<std::string> warnings;
  for (const auto& f : o.files) {
    auto id = PublicIdentity::Load(f);
    if (!id.ok()) return id.error().WithHint("nothing was added to the trust store");
    CUSTOS_TRY(CheckExampleKey(*id, o.allow_example_keys, &warnings));
    ids.push_back(std::move(id).value());
  }
  CUSTOS_ASSIGN_OR_RETURN(TrustStore store, TrustStore::Open(o.trust_dir, true));
  PrintWarnings(warnings);
  for (const auto& id : ids) {
    CUSTOS_TRY(store.Add(id));
    std::cout << "trusted: " << id.DisplayName() << "\n"
              << "  fingerprint: " << FormatFingerprint(id.fingerprint()) << "\n";
  }
  std::cout << "Check each fingerprint with its owner over another channel (telephone, in person).\n";
  return Ok();
}

Status RunList(const TrustOptions& o) {
  CUSTOS_ASSIGN_OR_RETURN(TrustStore store, TrustStore::Open(o.trust_dir, false));
  CUSTOS_ASSIGN_OR_RETURN(auto ids, store.List());
  if (o.json) {
    std::string json = "{\"trust_dir\":" + JsonString(store.dir()) + ",\"identities\":[";
    for (std::size_t i = 0; i < ids.size(); ++i) json += (i ? "," : "") + ids[i].ToJson();
    PrintJson(json + "]}");
    return Ok();
  }
  if (ids.empty()) std::cerr << "custos: the trust store " << store.dir() << " is empty\n";
  for (const auto& id : ids)
    std::cout << FormatFingerprint(id.fingerprint()) << "  " << id.DisplayName()
              << (id.is_example() ? "  [PUBLIC EXAMPLE KEY]" : "") << "\n";
  return Ok();
}

Status RunRemove(const TrustOptions& o) {
  CUSTOS_ASSIGN_OR_RETURN(Fingerprint fp, ParseFingerprint(o.fingerprint));
  CUSTOS_ASSIGN_OR_RETURN(TrustStore store, TrustStore::Open(o.trust_dir, false));
  // The name is shown if the file is intact; a tampered file can still be removed.
  auto found = store.Find(fp);
  CUSTOS_TRY(store.Remove(fp));
  std::cout << "removed: "
            << (found.ok() && found->has_value() ? (*found)->DisplayName() + " " : std::string())
            << FormatFingerprint(fp) << "\n";
  return Ok();
}

void AddTrustDir(CLI::App* sub, TrustOptions* o) {
  sub->add_option("--trust-dir", o->trust_dir,
                  "trust store directory (default ${CUSTOS_HOME:-${XDG_CONFIG_HOME:-~/.config}/custos}/trust)");
}

}  // namespace

void AddTrustCommand(CLI::App& app, Runner* run) {
  auto o = std::make_shared<TrustOptions>();
  auto* trust = app.add_subcommand("trust", "Manage the trusted identities (the trust store)");
  trust->require_subcommand(1);

  auto* add = trust->add_subcommand("add", "Trust the identities in these .pub files");
  add->add_option("FILE", o->files, ".pub files")->required();
  add->add_flag("--allow-example-keys", o->allow_example_keys, kAllowExampleKeysHelp);
  AddTrustDir(add, o.get());
  add->footer("Example:\n  custos key fingerprint nl-ca.pub   # compare with the owner first\n"
              "  custos trust add nl-ca.pub");
  add->callback([run, o] { *run = [o] { return RunAdd(*o); }; });

  auto* list = trust->add_subcommand("list", "List the trusted identities");
  list->add_flag("--json", o->json, "print one JSON object on stdout");
  AddTrustDir(list, o.get());
  list->footer("Example:\n  custos trust list --json");
  list->callback([run, o] { *run = [o] { return RunList(*o); }; });

  auto* remove = trust->add_subcommand("remove", "Stop trusting an identity");
  remove->add_option("FINGERPRINT", o->fingerprint, "fingerprint, with or without spaces")->required();
  AddTrustDir(remove, o.get());
  remove->footer("Example:\n  custos trust remove \"$(custos key fingerprint old.pub)\"");
  remove->callback([run, o] { *run = [o] { return RunRemove(*o); }; });
  trust->footer("Example:\n  custos trust add nl-ca.pub && custos trust list");
}

}  // namespace custos::cli
