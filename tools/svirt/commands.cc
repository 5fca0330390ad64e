// SPDX-License-Identifier: LGPL-2.1-or-later
#include <signal.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>

#include <glib.h>

#include "cli.h"

namespace svirt::cli {
namespace {

Failure usage(const std::string& cmd, const std::string& args) {
  return Failure{make_error(ErrorCode::kInvalidInput, "usage: svirt " + cmd + " " + args), 1};
}

// cli.md fixes the set of kinds scripts may see; firmware (the loader) is
// boot content like the kernel, and its "device" says which it is.
const char* contract_kind(ResourceKind k) {
  return k == ResourceKind::kLoader ? "kernel" : resource_kind_name(k);
}

// Why a resource svirt left alone was left, for reports; "" when it was not.
const std::string& left_because(const ResourceLabel& r) {
  static const std::string none;
  return r.label ? none : r.reason;
}

Json resources_json(const std::vector<AppliedLabel>& applied) {
  Json arr = Json::array();
  for (const AppliedLabel& a : applied) {
    Json o = Json::object()
                 .set("path", a.resource.path)
                 .set("kind", contract_kind(a.resource.kind))
                 .set("device", a.resource.device)
                 .set("label", a.resource.label)
                 .set("original", a.original)
                 .set("changed", a.changed)
                 .set("shared", a.shared);
    // Only resources left alone have a reason; "path" is "" when there is
    // no host file at all.
    if (!left_because(a.resource).empty()) o.set("reason", left_because(a.resource));
    arr.push(std::move(o));
  }
  return arr;
}

Json restore_json(const RestoreReport& r) {
  Json arr = Json::array();
  for (const RestoredLabel& i : r.items) {
    Json o = Json::object()
                 .set("path", i.resource.path)
                 .set("restored_to", i.restored_to)
                 .set("action", restore_action_name(i.action));
    if (!i.error.empty()) o.set("error", i.error);
    if (!left_because(i.resource).empty()) o.set("reason", left_because(i.resource));
    arr.push(std::move(o));
  }
  return arr;
}

// How text output names a resource: its path, or its device when it has no
// host file.
std::string shown_path(const ResourceLabel& r) {
  return r.path.empty() ? "(" + printable(r.device) + ")" : printable(r.path);
}

// "LABEL", or "(untouched)" with the reason when there is one.
std::string shown_label(const ResourceLabel& r) {
  if (r.label) return printable(*r.label);
  if (r.reason.empty()) return "(untouched)";
  return "(untouched: " + printable(r.reason) + ")";
}

Json label_json(const std::string& name, const SecurityLabel& l) {
  return Json::object()
      .set("name", name)
      .set("model", l.model)
      .set("type", label_type_name(l.type))
      .set("label", l.label.empty() ? Json() : Json(l.label))
      .set("imagelabel", l.imagelabel.empty() ? Json() : Json(l.imagelabel));
}

Result<DomainDef> load_domain(const std::string& path) { return DomainDef::parse_file(path); }

CommandResult cmd_model(const Options& o, const std::vector<std::string>& args) {
  if (!args.empty()) return usage("model", "");
  auto m = open_manager(o, /*recover=*/false);
  if (!m) return fail(m.error());
  SecurityModel model = (*m)->model();
  if (o.json) print_json(Json::object().set("model", model.model).set("doi", model.doi));
  else std::printf("model: %s\ndoi: %s\n", model.model.c_str(), model.doi.c_str());
  return 0;
}

CommandResult cmd_validate(const Options& o, const std::vector<std::string>& args) {
  if (args.size() != 1) return usage("validate", "DOMAIN.xml");
  auto def = load_domain(args[0]);
  if (!def) return fail(def.error());
  std::string xml = def->format(FormatMode::kInactive);
  if (o.json) print_json(Json::object().set("name", def->name).set("valid", true).set("xml", xml));
  else std::fputs(xml.c_str(), stdout);
  return 0;
}

// A call's own warnings, as every --json report carries them.
Json warnings_json(const std::vector<std::string>& warnings) {
  Json arr = Json::array();
  for (const std::string& w : warnings) arr.push(w);
  return arr;
}

Json prepared_json(const PreparedDomain& p) {
  Json j = label_json(p.live.name, p.label);
  j.set("resources", resources_json(p.resources));
  j.set("warnings", warnings_json(p.warnings));
  return j;
}

// Arguments as the command line gave them, made absolute against the
// current directory (symlinks are left for the library to judge).
std::string absolute(const std::string& path) {
  gchar* abs = g_canonicalize_filename(path.c_str(), nullptr);
  std::string out = abs;
  g_free(abs);
  return out;
}

// The migration options of prepare and release, before their one argument:
// FLAG (--incoming or --migrated) and any number of --shared-path DIR.
struct MigrationArgs {
  bool flag = false;
  SharedStorage shared;
  std::vector<std::string> rest;
};

std::optional<MigrationArgs> parse_migration_args(const std::vector<std::string>& args,
                                                  const std::string& flag) {
  MigrationArgs out;
  size_t i = 0;
  for (; i < args.size(); ++i) {
    const std::string& a = args[i];
    if (a == "--") {
      ++i;
      break;
    }
    if (a == flag) {
      out.flag = true;
    } else if (a == "--shared-path" && i + 1 < args.size()) {
      out.shared.paths.push_back(absolute(args[++i]));
    } else if (a.rfind("--shared-path=", 0) == 0 && a.size() > 14) {
      out.shared.paths.push_back(absolute(a.substr(14)));
    } else if (a.rfind("--", 0) == 0) {
      return std::nullopt;
    } else {
      break;
    }
  }
  out.rest.assign(args.begin() + static_cast<long>(i), args.end());
  if (!out.flag && !out.shared.paths.empty()) return std::nullopt;
  return out;
}

CommandResult cmd_prepare(const Options& o, const std::vector<std::string>& args) {
  auto a = parse_migration_args(args, "--incoming");
  if (!a || a->rest.size() != 1)
    return usage("prepare", "[--incoming [--shared-path DIR]...] DOMAIN.xml");
  auto def = load_domain(a->rest[0]);
  if (!def) return fail(def.error());
  auto m = open_manager(o);
  if (!m) return fail(m.error());
  PrepareOptions po;
  po.incoming = a->flag;
  po.shared = std::move(a->shared);
  auto p = (*m)->prepare(*def, po);
  if (!p) return fail(p.error());
  print_warnings(p->warnings);
  if (o.json) print_json(prepared_json(*p));
  else std::fputs(p->live.format(FormatMode::kLive).c_str(), stdout);
  return 0;
}

int report_release(const Options& o, const ReleaseReport& r) {
  print_warnings(r.warnings);
  for (const Error& e : r.restore.errors) print_error(e);
  if (o.json)
    print_json(Json::object()
                   .set("name", r.name)
                   .set("resources", restore_json(r.restore))
                   .set("warnings", warnings_json(r.warnings)));
  else
    for (const RestoredLabel& i : r.restore.items) {
      const std::string& why = left_because(i.resource);
      std::printf("%-9s %s%s%s%s\n", restore_action_name(i.action), shown_path(i.resource).c_str(),
                  i.restored_to ? " -> " : "", printable(i.restored_to.value_or("")).c_str(),
                  why.empty() ? "" : (" (" + printable(why) + ")").c_str());
    }
  return r.restore.ok() ? 0 : 2;
}

CommandResult cmd_release(const Options& o, const std::vector<std::string>& args) {
  auto a = parse_migration_args(args, "--migrated");
  if (!a || a->rest.size() != 1)
    return usage("release", "[--migrated [--shared-path DIR]...] NAME");
  auto m = open_manager(o);
  if (!m) return fail(m.error());
  ReleaseOptions ro;
  ro.migrated = a->flag;
  ro.shared = std::move(a->shared);
  auto r = (*m)->release(a->rest[0], ro);
  if (!r) return fail(r.error());
  return report_release(o, *r);
}

// The VM process, for the signal handler to forward to.
volatile sig_atomic_t g_child = 0;

void forward_signal(int sig) {
  pid_t child = g_child;
  if (child > 0) kill(child, sig);
}

CommandResult cmd_run(const Options& o, const std::vector<std::string>& args) {
  LaunchOptions launch;
  size_t first = 0;
  if (!args.empty() && args[0] == "--pass-fds") {
    launch.pass_fds = true;
    first = 1;
  }
  size_t sep = first;
  while (sep < args.size() && args[sep] != "--") ++sep;
  if (sep != first + 1 || sep + 1 >= args.size())
    return usage("run", "[--pass-fds] DOMAIN.xml -- CMD [ARGS...]");
  std::vector<std::string> cmd(args.begin() + static_cast<long>(sep) + 1, args.end());
  // Signals wait (blocked) until the VM's pid is known, then go to the VM:
  // none is lost in between, and svirt itself always gets to release.
  struct sigaction sa {};
  sa.sa_handler = forward_signal;
  sigemptyset(&sa.sa_mask);
  sa.sa_flags = SA_RESTART;
  sigset_t forwarded, previous;
  sigemptyset(&forwarded);
  for (int sig : {SIGINT, SIGTERM, SIGHUP}) {
    sigaction(sig, &sa, nullptr);
    sigaddset(&forwarded, sig);
  }
  sigprocmask(SIG_BLOCK, &forwarded, &previous);
  auto def = load_domain(args[first]);
  if (!def) return fail(def.error());
  auto m = open_manager(o);
  if (!m) return fail(m.error());
  auto p = (*m)->prepare(*def);
  if (!p) return fail(p.error());
  print_warnings(p->warnings);
  debug(o, "domain '" + def->name + "' prepared as " + p->label.label);

  int status_code = 0;
  std::optional<Failure> launch_failure;
  auto pid = (*m)->launch(def->name, cmd, launch);
  if (!pid) {
    const Error& e = pid.error();
    int code = e.code == ErrorCode::kNotFound && e.sys_errno == ENOENT ? 127
               : e.message.rfind("cannot execute", 0) == 0            ? 126
                                                                       : 125;
    launch_failure = Failure{e, code};
  } else {
    g_child = *pid;
    sigprocmask(SIG_SETMASK, &previous, nullptr);  // pending signals reach the VM now
    int status = 0;
    while (waitpid(*pid, &status, 0) < 0 && errno == EINTR) {
    }
    g_child = 0;
    status_code = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
    debug(o, "VM process " + std::to_string(*pid) + " ended with status " +
                 std::to_string(status_code));
  }
  auto r = (*m)->release(def->name);
  if (!r) {
    print_error(r.error());
    if (launch_failure) return *launch_failure;
    return status_code != 0 ? status_code : 2;
  }
  print_warnings(r->warnings);
  for (const Error& e : r->restore.errors) print_error(e);
  if (launch_failure) return *launch_failure;
  if (!r->restore.ok() && status_code == 0) return 2;
  return status_code;
}

CommandResult cmd_dominfo(const Options& o, const std::vector<std::string>& args) {
  if (args.size() != 1) return usage("dominfo", "NAME");
  auto m = open_manager(o);
  if (!m) return fail(m.error());
  auto l = (*m)->process_label(args[0]);
  if (!l) return fail(l.error());
  SecurityModel model = (*m)->model();
  const char* mode = enforcing_mode_name(l->mode);
  if (o.json) {
    print_json(label_json(args[0], *l).set("doi", model.doi).set("mode", mode));
  } else {
    std::printf("Security model: %s\nSecurity DOI:   %s\nSecurity label: %s (%s)\n",
                model.model.c_str(), model.doi.c_str(),
                l->label.empty() ? "none" : printable(l->label).c_str(), mode);
  }
  return 0;
}

CommandResult cmd_list(const Options& o, const std::vector<std::string>& args) {
  if (!args.empty()) return usage("list", "");
  auto m = open_manager(o);
  if (!m) return fail(m.error());
  auto all = (*m)->list();
  if (!all) return fail(all.error());
  if (o.json) {
    Json arr = Json::array();
    for (const DomainStatus& s : *all)
      arr.push(label_json(s.name, s.label)
                   .set("pid", static_cast<long long>(s.pid))
                   .set("state", domain_state_name(s.state)));
    print_json(Json::object().set("domains", arr));
  } else {
    std::printf("%-20s %-8s %-10s %s\n", "NAME", "PID", "STATE", "LABEL");
    for (const DomainStatus& s : *all)
      std::printf("%-20s %-8d %-10s %s\n", printable(s.name).c_str(), static_cast<int>(s.pid),
                  domain_state_name(s.state),
                  s.label.label.empty() ? "-" : printable(s.label.label).c_str());
  }
  return 0;
}

CommandResult cmd_recover(const Options& o, const std::vector<std::string>& args) {
  if (!args.empty()) return usage("recover", "");
  auto m = open_manager(o, /*recover=*/false);
  if (!m) return fail(m.error());
  auto r = (*m)->recover();
  if (!r) return fail(r.error());
  print_warnings(r->warnings);
  for (const Error& e : r->errors) print_error(e);
  if (o.json) {
    Json rel = Json::array(), res = Json::array();
    for (const auto& n : r->released) rel.push(n);
    for (const auto& n : r->reserved) res.push(n);
    print_json(Json::object()
                   .set("released", rel)
                   .set("reserved", res)
                   .set("errors", static_cast<long long>(r->errors.size()))
                   .set("warnings", warnings_json(r->warnings)));
  } else {
    for (const auto& n : r->released) std::printf("released %s\n", printable(n).c_str());
    for (const auto& n : r->reserved) std::printf("reserved %s\n", printable(n).c_str());
  }
  return r->errors.empty() ? 0 : 2;
}

Result<DeviceDef> load_device(SecurityManager& m, const std::string& name,
                              const std::string& path) {
  auto live = m.live_definition(name);
  if (!live) return std::move(live).error();
  gchar* data = nullptr;
  gsize len = 0;
  GError* err = nullptr;
  if (!g_file_get_contents(path.c_str(), &data, &len, &err)) {
    std::string msg = err->message;
    g_error_free(err);
    return make_error(ErrorCode::kInvalidInput, "device '" + path + "': " + msg);
  }
  auto dev = DeviceDef::parse(std::string_view(data, len), *live);
  g_free(data);
  if (!dev) return std::move(dev).error().wrap("device '" + path + "'");
  return dev;
}

CommandResult cmd_attach(const Options& o, const std::vector<std::string>& args) {
  if (args.size() != 2) return usage("attach", "NAME DEVICE.xml");
  auto m = open_manager(o);
  if (!m) return fail(m.error());
  auto dev = load_device(**m, args[0], args[1]);
  if (!dev) return fail(dev.error());
  auto r = (*m)->attach(args[0], *dev);
  if (!r) return fail(r.error());
  print_warnings(r->warnings);
  if (o.json)
    print_json(Json::object()
                   .set("name", args[0])
                   .set("resources", resources_json(r->items))
                   .set("warnings", warnings_json(r->warnings)));
  else
    for (const AppliedLabel& a : r->items)
      std::printf("%s %s\n", shown_path(a.resource).c_str(), shown_label(a.resource).c_str());
  return 0;
}

CommandResult cmd_detach(const Options& o, const std::vector<std::string>& args) {
  if (args.size() != 2) return usage("detach", "NAME DEVICE.xml");
  auto m = open_manager(o);
  if (!m) return fail(m.error());
  auto dev = load_device(**m, args[0], args[1]);
  if (!dev) return fail(dev.error());
  auto r = (*m)->detach(args[0], *dev);
  if (!r) return fail(r.error());
  ReleaseReport rr;
  rr.name = args[0];
  rr.warnings = r->warnings;
  rr.restore = std::move(*r);
  return report_release(o, rr);
}

CommandResult cmd_save_label(const Options& o, const std::vector<std::string>& args) {
  if (args.size() != 2) return usage("save-label", "NAME FILE");
  std::string path = absolute(args[1]);
  auto m = open_manager(o);
  if (!m) return fail(m.error());
  auto a = (*m)->save_label(args[0], path);
  if (!a) return fail(a.error());
  print_warnings(a->warnings);
  if (o.json)
    print_json(Json::object()
                   .set("name", args[0])
                   .set("resources", resources_json(a->items))
                   .set("warnings", warnings_json(a->warnings)));
  else
    for (const AppliedLabel& item : a->items)
      std::printf("%s %s\n", shown_path(item.resource).c_str(), shown_label(item.resource).c_str());
  return 0;
}

CommandResult cmd_restore_save_label(const Options& o, const std::vector<std::string>& args) {
  if (args.size() != 2) return usage("restore-save-label", "NAME FILE");
  std::string path = absolute(args[1]);
  auto m = open_manager(o);
  if (!m) return fail(m.error());
  auto r = (*m)->restore_save_label(args[0], path);
  if (!r) return fail(r.error());
  // A path refused outright is one error, not a report of nothing.
  if (r->items.empty() && !r->ok()) return fail(r->summary());
  if (r->items.empty()) {
    // Nothing was given back: fine for a domain whose files are never
    // relabelled, a mistake in the caller's path otherwise.
    auto s = (*m)->status(args[0]);
    if (!s) return fail(s.error());
    if (!s->label.imagelabel.empty()) {
      struct stat st {};
      bool exists = lstat(path.c_str(), &st) == 0;
      return fail(make_error(ErrorCode::kNotFound,
                             "save file '" + path + "': " +
                                 (exists ? "not labelled for domain '" + args[0] + "'"
                                         : std::string("no such file"))));
    }
  }
  ReleaseReport rr;
  rr.name = args[0];
  rr.warnings = r->warnings;
  rr.restore = std::move(*r);
  return report_release(o, rr);
}

CommandResult cmd_mount_options(const Options& o, const std::vector<std::string>& args) {
  if (args.size() != 1) return usage("mount-options", "NAME");
  auto m = open_manager(o);
  if (!m) return fail(m.error());
  auto opt = (*m)->mount_options(args[0]);
  if (!opt) return fail(opt.error());
  if (o.json) print_json(Json::object().set("name", args[0]).set("options", *opt));
  else std::printf("%s\n", opt->c_str());
  return 0;
}

}  // namespace

const std::vector<Command>& commands() {
  static const std::vector<Command> kCommands = {
      {"model", "", "node security model and DOI", cmd_model},
      {"validate", "DOMAIN.xml", "parse and validate; print normalized XML", cmd_validate},
      {"prepare", "[--incoming] DOMAIN.xml", "label the domain and its resources; print live XML",
       cmd_prepare},
      {"release", "[--migrated] NAME", "restore every resource and release the label",
       cmd_release},
      {"run", "[--pass-fds] DOMAIN.xml -- CMD...", "prepare, run CMD under the VM label, release", cmd_run},
      {"dominfo", "NAME", "security model, DOI and label of a domain", cmd_dominfo},
      {"list", "", "prepared and running domains", cmd_list},
      {"recover", "", "restore and release domains whose process is gone", cmd_recover},
      {"attach", "NAME DEVICE.xml", "label one device for a domain (hotplug)", cmd_attach},
      {"detach", "NAME DEVICE.xml", "restore a hotplugged device", cmd_detach},
      {"save-label", "NAME FILE", "label a save file for a domain's process", cmd_save_label},
      {"restore-save-label", "NAME FILE", "give a save file back its label",
       cmd_restore_save_label},
      {"forget", "NAME PATH...", "drop the records of files release cannot give back",
       cmd_forget},
      {"mount-options", "NAME", "mount option labelling a dedicated share filesystem",
       cmd_mount_options},
      {"audit", "[PATH...]", "what each recorded domain could reach (policy analysis)",
       cmd_audit},
  };
  return kCommands;
}

}  // namespace svirt::cli
