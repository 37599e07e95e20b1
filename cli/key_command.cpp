// custos key: not implemented yet (stub; replaced by its issue).
#include "command.h"

namespace custos::cli {

void AddKeyCommand(CLI::App& app, Runner* run) {
  auto* sub = app.add_subcommand("key", "(not implemented yet)");
  sub->allow_extras();
  sub->callback([run] {
    *run = [] { return Status(Error(ErrorCode::kUsage, "'key' is not implemented yet")); };
  });
}

}  // namespace custos::cli
