// custos open: not implemented yet (stub; replaced by its issue).
#include "command.h"

namespace custos::cli {

void AddOpenCommand(CLI::App& app, Runner* run) {
  auto* sub = app.add_subcommand("open", "(not implemented yet)");
  sub->allow_extras();
  sub->callback([run] {
    *run = [] { return Status(Error(ErrorCode::kUsage, "'open' is not implemented yet")); };
  });
}

}  // namespace custos::cli
