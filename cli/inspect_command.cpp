// custos inspect: not implemented yet (stub; replaced by its issue).
#include "command.h"

namespace custos::cli {

void AddInspectCommand(CLI::App& app, Runner* run) {
  auto* sub = app.add_subcommand("inspect", "(not implemented yet)");
  sub->allow_extras();
  sub->callback([run] {
    *run = [] { return Status(Error(ErrorCode::kUsage, "'inspect' is not implemented yet")); };
  });
}

}  // namespace custos::cli
