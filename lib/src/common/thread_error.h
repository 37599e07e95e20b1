// The one sentence for a thread that could not be started (RLIMIT_NPROC, a
// container's pid limit), and the one for memory that could not be had: the
// stages return them as errors, and the command line reports them for the
// constructors that throw.
#pragma once

#include <string>
#include <system_error>

#include "custos/error.h"

namespace custos {

inline Error ThreadStartError(const std::system_error& e) {
  return Error(ErrorCode::kIo, std::string("could not start a thread (") + e.what() + ")",
               "raise the process limit on threads, or run with --threads 1");
}

inline Error OutOfMemoryError() { return Error(ErrorCode::kIo, "out of memory"); }

}  // namespace custos
