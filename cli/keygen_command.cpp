// custos keygen: not implemented yet (stub; replaced by its issue).
#include "command.h"

namespace custos::cli {

void AddKeygenCommand(CLI::App& app, Runner* run) {
  auto* sub = app.add_subcommand("keygen", "(not implemented yet)");
  sub->allow_extras();
  sub->callback([run] {
    *run = [] { return Status(Error(ErrorCode::kUsage, "'keygen' is not implemented yet")); };
  });
}

}  // namespace custos::cli
