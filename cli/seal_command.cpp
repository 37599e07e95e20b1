// custos seal: not implemented yet (stub; replaced by its issue).
#include "command.h"

namespace custos::cli {

void AddSealCommand(CLI::App& app, Runner* run) {
  auto* sub = app.add_subcommand("seal", "(not implemented yet)");
  sub->allow_extras();
  sub->callback([run] {
    *run = [] { return Status(Error(ErrorCode::kUsage, "'seal' is not implemented yet")); };
  });
}

}  // namespace custos::cli
