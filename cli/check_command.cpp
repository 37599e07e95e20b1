// custos check: the transport signature, with the sender's public key only.
#include <iostream>
#include <memory>

#include "cli_util.h"
#include "command.h"
#include "custos/open.h"

namespace custos::cli {

void AddCheckCommand(CLI::App& app, Runner* run) {
  struct Opts {
    std::string bundle, from, sig;
    bool json = false, allow_example_keys = false;
  };
  auto o = std::make_shared<Opts>();
  auto* sub = app.add_subcommand(
      "check", "Check a bundle's transport signature: sealed by SENDER, intact in transit (no key)");
  sub->add_option("BUNDLE", o->bundle, "the bundle (.custos)")->required();
  sub->add_option("--from", o->from, "the sender's public identity (SENDER.pub)")->required();
  sub->add_option("--sig", o->sig, "the transport signature (default: BUNDLE.sig)");
  sub->add_flag("--json", o->json, "print one JSON object on stdout");
  sub->add_flag("--allow-example-keys", o->allow_example_keys, kAllowExampleKeysHelp);
  sub->footer(
      "For couriers, registries and relays: needs no decryption key and opens nothing.\n"
      "Example:\n  custos check case.custos --from si.pub\n"
      "Exit: 0 intact, 1 altered or not signed by SENDER, 4 missing file.");
  sub->callback([run, o] {
    *run = [o]() -> Status {
      CUSTOS_ASSIGN_OR_RETURN(PublicIdentity sender, PublicIdentity::Load(o->from));
      std::vector<std::string> warnings;
      CUSTOS_TRY(CheckExampleKey(sender, o->allow_example_keys, &warnings));
      PrintWarnings(warnings);
      CUSTOS_ASSIGN_OR_RETURN(std::string out, CheckTransport(o->bundle, o->sig, sender, o->json));
      if (o->json) PrintJson(out);
      else std::cout << out;
      return Ok();
    };
  });
}

}  // namespace custos::cli
