// custos — seal, verify and open evidence bundles; audit custody logs.
#include <google/protobuf/stubs/logging.h>
#include <sys/resource.h>

#include <clocale>
#include <cstdlib>

#include <cstdio>
#include <iostream>
#include <new>
#include <string>
#include <system_error>

#include "common/test_hooks.h"
#include "common/thread_error.h"
#include "command.h"
#include "crypto/crypto.h"

namespace {

void DisableCoreDumps() {
  struct rlimit rl {0, 0};
  (void)setrlimit(RLIMIT_CORE, &rl);
}

int Report(const custos::Error& e) {
  std::cerr << "custos: error: " << e.message() << "\n";
  if (!e.hint().empty()) std::cerr << "custos: hint: " << e.hint() << "\n";
  return custos::cli::ExitCodeFor(e.code());
}

}  // namespace

int main(int argc, char** argv) {
  DisableCoreDumps();
  // Hostile files are normal input: protobuf's own diagnostics (e.g. "invalid
  // UTF-8") would only duplicate custos's error sentence on stderr.
  google::protobuf::SetLogHandler(nullptr);
  // Member names are UTF-8 whatever the user's locale.
  if (std::setlocale(LC_CTYPE, "C.UTF-8") == nullptr) std::setlocale(LC_CTYPE, "");
  if (auto st = custos::crypto::Init(); !st.ok()) return Report(st.error());

  CLI::App app{"custos — seal, verify and open evidence bundles under the Ljubljana-The Hague "
               "Convention; audit chain-of-custody logs.",
               "custos"};
  app.require_subcommand(1);
  app.set_version_flag("--version", "custos 0.1.0");
  app.footer(
      "Examples:\n"
      "  custos keygen --name \"Central Authority\" --country SI --out si\n"
      "  custos seal -k si.key -r nl.pub --case K-2026/17 -o case.custos evidence/\n"
      "  custos open case.custos -k nl.key -o received/ --acknowledge\n"
      "  custos custody verify received/custos/custody.log\n"
      "Exit codes: 0 ok, 1 verification failed, 2 usage, 3 key problem, 4 input/output.");

  custos::cli::Runner run;
  custos::cli::AddKeygenCommand(app, &run);
  custos::cli::AddKeyCommand(app, &run);
  custos::cli::AddTrustCommand(app, &run);
  custos::cli::AddSealCommand(app, &run);
  custos::cli::AddVerifyCommand(app, &run);
  custos::cli::AddOpenCommand(app, &run);
  custos::cli::AddInspectCommand(app, &run);
  custos::cli::AddCheckCommand(app, &run);
  custos::cli::AddCustodyCommand(app, &run);
  custos::cli::AddReceiptCommand(app, &run);

  try {
    app.parse(argc, argv);
  } catch (const CLI::CallForHelp& e) {
    return app.exit(e);
  } catch (const CLI::CallForAllHelp& e) {
    return app.exit(e);
  } catch (const CLI::CallForVersion& e) {
    return app.exit(e);
  } catch (const CLI::ParseError& e) {
    std::cerr << "custos: error: " << e.what() << "\n"
              << "custos: hint: run 'custos --help' or 'custos <command> --help'\n";
    return 2;
  }
  if (!run) {
    std::cerr << "custos: error: no command given\n";
    return 2;
  }
  // A test hook that fixes every signed time: never silent in a forensic tool.
  if (auto fixed = custos::FixedTime())
    std::cerr << "custos: warning: CUSTOS_FIXED_TIME is set: every time custos signs is fixed at "
              << *fixed << " (for tests only; unset it)\n";
  if (custos::FastKdfForTests())
    std::cerr << "custos: warning: CUSTOS_TEST_FAST_KDF is set: new key files get the minimum "
                 "Argon2id cost (for tests only; unset it)\n";
  // A thread that cannot be started (a process limit) or memory that cannot
  // be had surfaces as an exception from a constructor (the stages on
  // OrderedWorker and the frame compressor return it as an error instead). Catching it here
  // unwinds the stack, so temporary bundles and staging directories are
  // removed by their destructors instead of being left by std::terminate.
  custos::Status st;
  try {
    st = run();
  } catch (const std::system_error& e) {
    return Report(custos::ThreadStartError(e));
  } catch (const std::bad_alloc&) {
    return Report(custos::OutOfMemoryError());
  }
  if (!st.ok()) return Report(st.error());
  return 0;
}
