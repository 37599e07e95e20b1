// custos/error.h — the one error type of the library.
//
// The library never throws across its API and never exits. Every fallible
// function returns Result<T> (shaped like C++23 std::expected) or Status
// (Result<void>). An Error carries a domain code and a sentence written for the
// user; callers prepend context with Wrap() as the error travels up. The CLI
// maps codes to exit codes in one table (cli/exit_codes.cpp).
#pragma once

#include <cassert>
#include <string>
#include <string_view>
#include <utility>
#include <variant>

namespace custos {

enum class ErrorCode {
  // exit 1: verification failed
  kBadSignature,       // a signature does not verify
  kDigestMismatch,     // a hash does not equal what was signed
  kCorrupt,            // malformed, tampered or truncated data
  kUnsafePath,         // a member path the reader refuses
  kUntrustedSigner,    // signer not in the trust store / not one of --from
  kNotForUs,           // sealed for others (forwarding)
  kLimitExceeded,      // a size or count limit was exceeded
  kBrokenChain,        // custody log sequence/link broken
  // exit 2: usage
  kUsage,
  // exit 3: key problem
  kNoMatchingKey,      // no age stanza unwraps with this key
  kWrongPassphrase,
  kBadKeyFile,
  kRecipientNotTrusted,
  kExampleKey,
  kNoPassphrase,       // a passphrase is needed and none can be read
  // exit 4: input/output or environment
  kIo,
  kNotFound,
  kExists,
  kPermission,
  kUnsafeOutput,
  kNoSpace,
  // internal invariant broken (exit 4, reported as a bug)
  kInternal,
};

class [[nodiscard]] Error {
 public:
  Error(ErrorCode code, std::string message, std::string hint = {})
      : code_(code), message_(std::move(message)), hint_(std::move(hint)) {}

  ErrorCode code() const { return code_; }
  // One sentence: "<what happened>: <why>".
  const std::string& message() const { return message_; }
  // What to do about it, or empty.
  const std::string& hint() const { return hint_; }

  // Returns this error with "context: " prepended to the message.
  Error Wrap(std::string_view context) const& {
    return Error(code_, std::string(context) + ": " + message_, hint_);
  }
  Error WithHint(std::string hint) const& { return Error(code_, message_, std::move(hint)); }

 private:
  ErrorCode code_;
  std::string message_;
  std::string hint_;
};

// Result<T>: a value or an Error.
template <typename T>
class [[nodiscard]] Result {
 public:
  Result(T value) : v_(std::in_place_index<0>, std::move(value)) {}  // NOLINT: implicit by design
  Result(Error error) : v_(std::in_place_index<1>, std::move(error)) {}  // NOLINT

  bool ok() const { return v_.index() == 0; }
  explicit operator bool() const { return ok(); }

  T& value() & { assert(ok()); return std::get<0>(v_); }
  const T& value() const& { assert(ok()); return std::get<0>(v_); }
  T&& value() && { assert(ok()); return std::get<0>(std::move(v_)); }
  T& operator*() & { return value(); }
  const T& operator*() const& { return value(); }
  T* operator->() { return &value(); }
  const T* operator->() const { return &value(); }

  const Error& error() const& { assert(!ok()); return std::get<1>(v_); }
  Error&& error() && { assert(!ok()); return std::get<1>(std::move(v_)); }

 private:
  std::variant<T, Error> v_;
};

template <>
class [[nodiscard]] Result<void> {
 public:
  Result() = default;
  Result(Error error) : err_(std::move(error)), has_error_(true) {}  // NOLINT

  bool ok() const { return !has_error_; }
  explicit operator bool() const { return ok(); }
  const Error& error() const& { assert(!ok()); return err_; }
  Error&& error() && { assert(!ok()); return std::move(err_); }

 private:
  Error err_{ErrorCode::kInternal, {}};
  bool has_error_ = false;
};

using Status = Result<void>;

inline Status Ok() { return Status(); }

}  // namespace custos

// CUSTOS_TRY(status_expr): return the error of a Status-returning expression.
#define CUSTOS_TRY(expr)                                   \
  do {                                                     \
    auto custos_try_status_ = (expr);                      \
    if (!custos_try_status_.ok())                          \
      return std::move(custos_try_status_).error();        \
  } while (0)

#define CUSTOS_CONCAT_INNER_(a, b) a##b
#define CUSTOS_CONCAT_(a, b) CUSTOS_CONCAT_INNER_(a, b)
#define CUSTOS_ASSIGN_OR_RETURN_IMPL_(tmp, lhs, expr) \
  auto tmp = (expr);                                  \
  if (!tmp.ok()) return std::move(tmp).error();       \
  lhs = std::move(tmp).value()
// CUSTOS_ASSIGN_OR_RETURN(auto x, ResultExpr()): unwrap or return the error.
#define CUSTOS_ASSIGN_OR_RETURN(lhs, expr) \
  CUSTOS_ASSIGN_OR_RETURN_IMPL_(CUSTOS_CONCAT_(custos_result_, __LINE__), lhs, expr)
