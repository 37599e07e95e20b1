// custos custody: not implemented yet (stub; replaced by its issue).
#include "command.h"

namespace custos::cli {

void AddCustodyCommand(CLI::App& app, Runner* run) {
  auto* sub = app.add_subcommand("custody", "(not implemented yet)");
  sub->allow_extras();
  sub->callback([run] {
    *run = [] { return Status(Error(ErrorCode::kUsage, "'custody' is not implemented yet")); };
  });
}

}  // namespace custos::cli
