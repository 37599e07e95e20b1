// custos inspect: what the outside of a bundle shows, without any key.
#include <iostream>
#include <memory>

#include "cli_util.h"
#include "command.h"
#include "custos/open.h"

namespace custos::cli {

void AddInspectCommand(CLI::App& app, Runner* run) {
  struct Opts {
    std::string bundle;
    bool json = false;
  };
  auto o = std::make_shared<Opts>();
  auto* sub = app.add_subcommand("inspect", "Show what the outside of a bundle says (no key; verifies nothing)");
  sub->add_option("BUNDLE", o->bundle, "the bundle (.custos)")->required();
  sub->add_flag("--json", o->json, "print one JSON object on stdout");
  sub->footer("Example:\n  custos inspect case.custos");
  sub->callback([run, o] {
    *run = [o]() -> Status {
      CUSTOS_ASSIGN_OR_RETURN(std::string out, InspectBundle(o->bundle, o->json));
      if (o->json) PrintJson(out);
      else std::cout << out;
      return Ok();
    };
  });
}

}  // namespace custos::cli
