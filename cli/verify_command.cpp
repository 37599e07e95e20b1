// custos verify: not implemented yet (stub; replaced by its issue).
#include "command.h"

namespace custos::cli {

void AddVerifyCommand(CLI::App& app, Runner* run) {
  auto* sub = app.add_subcommand("verify", "(not implemented yet)");
  sub->allow_extras();
  sub->callback([run] {
    *run = [] { return Status(Error(ErrorCode::kUsage, "'verify' is not implemented yet")); };
  });
}

}  // namespace custos::cli
