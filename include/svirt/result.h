// SPDX-License-Identifier: LGPL-2.1-or-later
//
// Error reporting for every fallible svirt call.
//
// svirt never throws across its API and never logs on its own: a call that can
// fail returns Result<T>, which holds either the value or an Error. Errors
// carry a category (ErrorCode, which the `svirt` command maps to its exit
// status) and one line of text that names the thing at fault and the reason,
// e.g. "disk 'vda': source '/x': path is not absolute".
//
//   svirt::Result<svirt::SecurityContext> ctx = svirt::SecurityContext::parse(text);
//   if (!ctx) { std::cerr << ctx.error().message << "\n"; return 1; }
//   use(ctx.value());
//
// Thread-safety: plain values; no shared state.
#pragma once

#include <cassert>
#include <string>
#include <utility>
#include <variant>

#include "svirt/export.h"

namespace svirt {

enum class ErrorCode {
  kInvalidInput,     // malformed XML, context, argument, config: the caller's input is wrong
  kOperationFailed,  // a system call or labeling step failed
  kConflict,         // a resource is in use by another domain with a different label
  kExhausted,        // no free MCS category pair is left
  kNotFound,         // no such domain / file / record
  kUnsupported,      // the host cannot do this (no SELinux, filesystem without labels)
};

// Exit status the `svirt` command uses for an error of this code (cli.md):
// 1 for invalid input, 2 for everything else.
SVIRT_EXPORT int exit_status_for(ErrorCode code) noexcept;

// Short machine name of a code ("invalid-input", "conflict", ...), used in
// `--json` output.
SVIRT_EXPORT const char* error_code_name(ErrorCode code) noexcept;

struct Error {
  ErrorCode code = ErrorCode::kOperationFailed;
  std::string message;  // one line, no trailing period, no "svirt:" prefix
  int sys_errno = 0;    // errno that caused it, 0 if none

  // Returns a copy whose message is "<what>: <message>", to add context
  // while an error travels up.
  [[nodiscard]] Error wrap(const std::string& what) const {
    return Error{code, what + ": " + message, sys_errno};
  }
};

// Builds an Error; `errno_value` non-zero appends ": <strerror>".
SVIRT_EXPORT Error make_error(ErrorCode code, std::string message, int errno_value = 0);

template <typename T>
class [[nodiscard]] Result {
 public:
  Result(T value) : v_(std::move(value)) {}            // NOLINT: implicit by design
  Result(Error error) : v_(std::move(error)) {}        // NOLINT: implicit by design

  bool ok() const noexcept { return v_.index() == 0; }
  explicit operator bool() const noexcept { return ok(); }

  T& value() & { assert(ok()); return std::get<0>(v_); }
  const T& value() const& { assert(ok()); return std::get<0>(v_); }
  T&& value() && { assert(ok()); return std::get<0>(std::move(v_)); }
  T* operator->() { return &value(); }
  const T* operator->() const { return &value(); }
  T& operator*() & { return value(); }
  const T& operator*() const& { return value(); }

  const Error& error() const& { assert(!ok()); return std::get<1>(v_); }
  Error&& error() && { assert(!ok()); return std::get<1>(std::move(v_)); }

 private:
  std::variant<T, Error> v_;
};

template <>
class [[nodiscard]] Result<void> {
 public:
  Result() = default;
  Result(Error error) : err_(std::move(error)), failed_(true) {}  // NOLINT

  bool ok() const noexcept { return !failed_; }
  explicit operator bool() const noexcept { return ok(); }
  const Error& error() const& { assert(failed_); return err_; }
  Error&& error() && { assert(failed_); return std::move(err_); }

 private:
  Error err_;
  bool failed_ = false;
};

// Shorthand for the success value of Result<void>.
inline Result<void> ok() { return {}; }

}  // namespace svirt

// Propagates an error: SVIRT_TRY(expr) returns expr's Error from the current
// function if it failed.
#define SVIRT_TRY(expr)                                      \
  do {                                                       \
    auto svirt_try_result_ = (expr);                         \
    if (!svirt_try_result_) return std::move(svirt_try_result_).error(); \
  } while (0)
