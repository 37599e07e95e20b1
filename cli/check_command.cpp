// custos check: not implemented yet (stub; replaced by its issue).
#include "command.h"

namespace custos::cli {

void AddCheckCommand(CLI::App& app, Runner* run) {
  auto* sub = app.add_subcommand("check", "(not implemented yet)");
  sub->allow_extras();
  sub->callback([run] {
    *run = [] { return Status(Error(ErrorCode::kUsage, "'check' is not implemented yet")); };
  });
}

}  // namespace custos::cli
