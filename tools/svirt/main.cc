// SPDX-License-Identifier: LGPL-2.1-or-later
//
// svirt: the command-line face of libsvirt. Its interface is a contract that
// scripts rely on (see the man page): options and commands are only added,
// never changed.
#include <glib.h>

#include <cstdio>
#include <cstring>
#include <iostream>

#include "cli.h"
#include "svirt_build_config.h"

namespace svirt::cli {

// Messages quote paths and labels, which may hold any byte: each is shown
// escaped, so one message stays one line.
void print_warnings(const std::vector<std::string>& warnings) {
  for (const std::string& w : warnings)
    std::fprintf(stderr, "svirt: warning: %s\n", printable(w).c_str());
}

void print_error(const Error& e) {
  std::fprintf(stderr, "svirt: error: %s\n", printable(e.message).c_str());
}

void print_json(const Json& j) { std::printf("%s\n", j.dump().c_str()); }

void debug(const Options& o, const std::string& msg) {
  if (o.verbose) std::fprintf(stderr, "svirt: debug: %s\n", printable(msg).c_str());
}

namespace {

bool g_verbose = false;

// The library logs through GLib under the "svirt" domain and never decides
// where messages go; the command prints debug messages only with --verbose.
GLogWriterOutput write_log(GLogLevelFlags level, const GLogField* fields, gsize n, gpointer) {
  if ((level & G_LOG_LEVEL_DEBUG) && !g_verbose) return G_LOG_WRITER_HANDLED;
  const char* message = nullptr;
  for (gsize i = 0; i < n; ++i)
    if (std::strcmp(fields[i].key, "MESSAGE") == 0) message = static_cast<const char*>(fields[i].value);
  if (message == nullptr) return G_LOG_WRITER_UNHANDLED;
  const char* what = (level & G_LOG_LEVEL_DEBUG) ? "debug" : (level & G_LOG_LEVEL_WARNING) ? "warning" : "message";
  std::fprintf(stderr, "svirt: %s: %s\n", what, svirt::cli::printable(message).c_str());
  return G_LOG_WRITER_HANDLED;
}

}  // namespace

void install_log_writer(bool verbose) {
  g_verbose = verbose;
  g_log_set_writer_func(write_log, nullptr, nullptr);
}

Result<std::unique_ptr<SecurityManager>> open_manager(const Options& o, bool recover) {
  ManagerOptions mo;
  mo.driver = o.driver;
  mo.config_file = o.config;
  mo.state_dir = o.state_dir;
  mo.recover_on_open = recover;
  auto m = SecurityManager::open(mo);
  if (m && !(*m)->probe_note().empty())
    std::fprintf(stderr, "svirt: %s\n", printable((*m)->probe_note()).c_str());
  if (m) debug(o, "driver " + std::string((*m)->driver().name()) + ", state " + o.state_dir);
  return m;
}

}  // namespace svirt::cli

namespace {

// Every error goes out the same way: one line on stderr and, with --json, an
// error document on stdout.
int report_failure(const svirt::cli::Options& o, const svirt::cli::Failure& f) {
  using svirt::cli::Json;
  svirt::cli::print_error(f.error);
  if (o.json) {
    Json e = Json::object();
    e.set("code", svirt::error_code_name(f.error.code));
    e.set("exit", f.status);
    e.set("message", f.error.message);
    svirt::cli::print_json(Json::object().set("error", e));
  }
  return f.status;
}

svirt::cli::Failure usage_failure(const std::string& msg) {
  return svirt::cli::Failure{svirt::make_error(svirt::ErrorCode::kInvalidInput, msg), 1};
}

std::string usage_text() {
  std::string s = "Commands:\n";
  for (const auto& c : svirt::cli::commands()) {
    char line[256];
    std::snprintf(line, sizeof line, "  %-10s %-24s %s\n", c.name, c.args, c.summary);
    s += line;
  }
  return s;
}

}  // namespace

int main(int argc, char** argv) {
  using namespace svirt::cli;
  Options o;
  gchar* driver = nullptr;
  gchar* config = nullptr;
  gchar* state = nullptr;
  gboolean json = FALSE, verbose = FALSE, version = FALSE;
  GOptionEntry entries[] = {
      {"driver", 'd', 0, G_OPTION_ARG_STRING, &driver,
       "Security driver: selinux, test, none or auto (default)", "NAME"},
      {"config", 'c', 0, G_OPTION_ARG_FILENAME, &config,
       "Config key file (default /etc/svirt/svirt.conf if present)", "FILE"},
      {"state-dir", 's', 0, G_OPTION_ARG_FILENAME, &state,
       "Durable state, registry and journal (default /var/lib/svirt)", "DIR"},
      {"json", 0, 0, G_OPTION_ARG_NONE, &json, "Machine-readable output (one JSON document)", nullptr},
      {"verbose", 'v', 0, G_OPTION_ARG_NONE, &verbose, "Debug logging to stderr", nullptr},
      {"version", 'V', 0, G_OPTION_ARG_NONE, &version, "Print the version and exit", nullptr},
      {nullptr, 0, 0, G_OPTION_ARG_NONE, nullptr, nullptr, nullptr}};
  GOptionContext* ctx = g_option_context_new("COMMAND [ARGS...]");
  g_option_context_set_summary(ctx, "sVirt separation for virtual machines: SELinux MCS labels "
                                    "for VM processes and everything they use.");
  std::string desc = usage_text() + "\nSee svirt(1).";
  g_option_context_set_description(ctx, desc.c_str());
  g_option_context_add_main_entries(ctx, entries, nullptr);
  // Options end at the command: what follows belongs to it (and, for run,
  // to the VM's own command line).
  g_option_context_set_strict_posix(ctx, TRUE);
  GError* err = nullptr;
  if (!g_option_context_parse(ctx, &argc, &argv, &err)) {
    std::fprintf(stderr, "svirt: error: %s\n", err->message);
    g_error_free(err);
    g_option_context_free(ctx);
    return 1;
  }
  g_option_context_free(ctx);
  if (version) {
    std::printf("svirt %s\n", SVIRT_VERSION);
    return 0;
  }
  if (driver) o.driver = driver;
  if (config) o.config = std::string(config);
  if (state) {
    // Relative to where the command was started, like every other path argument.
    gchar* abs = g_canonicalize_filename(state, nullptr);
    o.state_dir = abs;
    g_free(abs);
  }
  o.json = json;
  o.verbose = verbose;
  install_log_writer(o.verbose);
  g_free(driver);
  g_free(config);
  g_free(state);

  if (argc < 2) return report_failure(o, usage_failure("no command given (try --help)"));
  std::string name = argv[1];
  std::vector<std::string> args(argv + 2, argv + argc);
  for (const Command& c : commands()) {
    if (name != c.name) continue;
    CommandResult r = c.run(o, args);
    if (auto* status = std::get_if<int>(&r)) return *status;
    return report_failure(o, std::get<Failure>(r));
  }
  return report_failure(o, usage_failure("unknown command '" + name + "' (try --help)"));
}
