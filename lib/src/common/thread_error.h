// The one sentence for a thread that could not be started (RLIMIT_NPROC, a
// container's pid limit): the stages return it as an error, and the command
// line reports it for the constructors that throw.
#pragma once

#include <string>
#include <system_error>

#include "custos/error.h"

namespace custos {

inline Error ThreadStartError(const std::system_error& e) {
  return Error(ErrorCode::kIo, std::string("could not start a thread (") + e.what() + ")",
               "raise the process limit on threads, or run with --threads 1");
}

}  // namespace custos
