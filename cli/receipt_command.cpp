// custos receipt: not implemented yet (stub; replaced by its issue).
#include "command.h"

namespace custos::cli {

void AddReceiptCommand(CLI::App& app, Runner* run) {
  auto* sub = app.add_subcommand("receipt", "(not implemented yet)");
  sub->allow_extras();
  sub->callback([run] {
    *run = [] { return Status(Error(ErrorCode::kUsage, "'receipt' is not implemented yet")); };
  });
}

}  // namespace custos::cli
