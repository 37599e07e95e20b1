// custos trust: not implemented yet (stub; replaced by its issue).
#include "command.h"

namespace custos::cli {

void AddTrustCommand(CLI::App& app, Runner* run) {
  auto* sub = app.add_subcommand("trust", "(not implemented yet)");
  sub->allow_extras();
  sub->callback([run] {
    *run = [] { return Status(Error(ErrorCode::kUsage, "'trust' is not implemented yet")); };
  });
}

}  // namespace custos::cli
