// SPDX-License-Identifier: LGPL-2.1-or-later
#pragma once

#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "json.h"
#include "text.h"
#include "svirt/manager.h"

namespace svirt::cli {

// Global options (before the command).
struct Options {
  std::string driver = "auto";
  std::optional<std::string> config;
  std::string state_dir = "/var/lib/svirt";
  bool json = false;
  bool verbose = false;
};

// A failed command: what to print and the exit status.
struct Failure {
  Error error;
  int status;
};

// Each command returns its exit status, or a Failure that main() reports.
using CommandResult = std::variant<int, Failure>;

struct Command {
  const char* name;
  const char* args;
  const char* summary;
  CommandResult (*run)(const Options&, const std::vector<std::string>& args);
};

const std::vector<Command>& commands();

// Commands that live in files of their own.
CommandResult cmd_audit(const Options& o, const std::vector<std::string>& args);
CommandResult cmd_forget(const Options& o, const std::vector<std::string>& args);

// Opens the manager the options describe; prints the auto-probe note.
Result<std::unique_ptr<SecurityManager>> open_manager(const Options& o, bool recover = true);

// Warnings and errors on stderr, one line each (see text.h).
void print_warnings(const std::vector<std::string>& warnings);
void print_error(const Error& e);
void print_json(const Json& j);
void debug(const Options& o, const std::string& msg);
// Routes the library's GLib log messages to stderr (debug ones only when verbose).
void install_log_writer(bool verbose);

inline Failure fail(Error e) { return Failure{e, exit_status_for(e.code)}; }

}  // namespace svirt::cli
