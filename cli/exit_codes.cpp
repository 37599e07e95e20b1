// The one table from error codes to exit codes (README.md, exit codes).
#include "command.h"

namespace custos::cli {

int ExitCodeFor(ErrorCode code) {
  switch (code) {
    case ErrorCode::kBadSignature:
    case ErrorCode::kDigestMismatch:
    case ErrorCode::kCorrupt:
    case ErrorCode::kUnsafePath:
    case ErrorCode::kUntrustedSigner:
    case ErrorCode::kNotForUs:
    case ErrorCode::kLimitExceeded:
    case ErrorCode::kBrokenChain:
      return 1;
    case ErrorCode::kUsage:
      return 2;
    case ErrorCode::kNoMatchingKey:
    case ErrorCode::kWrongPassphrase:
    case ErrorCode::kBadKeyFile:
    case ErrorCode::kRecipientNotTrusted:
    case ErrorCode::kExampleKey:
    case ErrorCode::kNoPassphrase:
      return 3;
    case ErrorCode::kIo:
    case ErrorCode::kNotFound:
    case ErrorCode::kExists:
    case ErrorCode::kPermission:
    case ErrorCode::kUnsafeOutput:
    case ErrorCode::kNoSpace:
    case ErrorCode::kInternal:
      return 4;
  }
  return 4;
}

}  // namespace custos::cli
