// cli/command.h — how subcommands plug into main.cpp.
//
// Each cli/<verb>_command.cpp has an Options struct, an Add<Verb>Command() that
// registers the subcommand with CLI11, and a Run<Verb>() that calls the
// library. Add…Command stores in *run the function main() calls after parsing;
// main() owns the only mapping from errors to exit codes (exit_codes.cpp).
#pragma once

#include <CLI/CLI.hpp>

#include <functional>
#include <string>

#include "custos/error.h"

namespace custos::cli {

using Runner = std::function<Status()>;

void AddKeygenCommand(CLI::App& app, Runner* run);
void AddKeyCommand(CLI::App& app, Runner* run);
void AddTrustCommand(CLI::App& app, Runner* run);
void AddSealCommand(CLI::App& app, Runner* run);
void AddVerifyCommand(CLI::App& app, Runner* run);
void AddOpenCommand(CLI::App& app, Runner* run);
void AddInspectCommand(CLI::App& app, Runner* run);
void AddCheckCommand(CLI::App& app, Runner* run);
void AddCustodyCommand(CLI::App& app, Runner* run);
void AddReceiptCommand(CLI::App& app, Runner* run);

// The exit code (README.md) for an error code (exit_codes.cpp).
int ExitCodeFor(ErrorCode code);

}  // namespace custos::cli
