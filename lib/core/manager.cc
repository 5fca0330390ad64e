// SPDX-License-Identifier: LGPL-2.1-or-later
//
// Lifecycle transactions over a driver and the state directory. Every public
// call that reads or changes state holds two locks: a mutex (threads of this
// process) and the state directory's flock (every other process).
#include "svirt/manager.h"

#include <errno.h>
#include <glib.h>
#include <fcntl.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstring>
#include <map>
#include <mutex>

#include "auditlog/audit_records.h"
#include "core/driver_factory.h"
#include "core/fault.h"
#include "core/migration.h"
#include "core/safe_path.h"
#include "svirt_build_config.h"
#include "plan/planner.h"
#include "state/state_dir.h"

namespace svirt {

using internal::DomainRecord;
using internal::StateDir;
using internal::StateLock;

const char* domain_state_name(DomainState s) noexcept {
  switch (s) {
    case DomainState::kPrepared: return "prepared";
    case DomainState::kRunning: return "running";
    case DomainState::kGone: return "gone";
  }
  return "gone";
}

// Hidden: a member of an exported class would otherwise be exported with it.
struct __attribute__((visibility("hidden"))) SecurityManager::Impl {
  ManagerOptions options;
  Config config;
  std::optional<StateDir> state;
  std::unique_ptr<SecurityDriver> driver;
  LabelBackend* backend = nullptr;
  std::string note;
  internal::AuditLog audit;
  std::mutex mu;

  struct Held {
    std::unique_lock<std::mutex> thread_lock;
    StateLock host_lock;
  };
  Result<Held> lock() {
    Held h{std::unique_lock<std::mutex>(mu), {}};
    auto l = state->lock();
    if (!l) return std::move(l).error();
    h.host_lock = std::move(*l);
    return h;
  }

  std::string model_name() const { return driver->model().model; }

  // A prepare that failed after the domain was accepted for labeling leaves
  // failure records, as a failed VM start does in libvirt.
  Error start_failed(const DomainDef& live, Error e) {
    audit.start(live, label_of(live), /*success=*/false, nullptr);
    return e;
  }

  SecurityLabel label_of(const DomainDef& live) const {
    return internal::domain_label(live, model_name(), driver->mode());
  }

  Result<DomainRecord> need_record(const std::string& name) {
    // Names become file names in the state directory: check them before use.
    if (auto v = validate_domain_name(name); !v) return std::move(v).error();
    auto rec = state->read_domain(name);
    if (!rec) return std::move(rec).error();
    if (!rec->has_value())
      return make_error(ErrorCode::kNotFound, "domain '" + name + "': not prepared");
    return std::move(**rec);
  }

  Result<DomainDef> live_of(const DomainRecord& rec) {
    auto def = DomainDef::parse(rec.live_xml);
    if (!def) return std::move(def).error().wrap("recorded domain '" + rec.name + "'");
    return def;
  }

  // Runs `verb` on the live definition of a recorded domain, holding the locks.
  template <typename T, typename Verb>
  Result<T> with_live(const std::string& name, Verb verb) {
    auto held = lock();
    if (!held) return std::move(held).error();
    auto rec = need_record(name);
    if (!rec) return std::move(rec).error();
    auto live = live_of(*rec);
    if (!live) return std::move(live).error();
    return Result<T>(verb(*live));
  }

  // Restores and releases one recorded domain; drops its record only when
  // every file came back.
  Result<ReleaseReport> release_locked(const DomainRecord& rec) {
    ReleaseReport out;
    out.name = rec.name;
    auto live = live_of(rec);
    if (!live) return std::move(live).error();
    out.restore = driver->restore_all_labels(*live);
    out.warnings = driver->take_warnings();
    if (!out.restore.ok()) return released(*live, std::move(out));
    internal::fault_point("release:labels-restored");
    auto r = driver->release_label(*live);
    if (!r) {
      out.restore.errors.push_back(std::move(r).error());
      return released(*live, std::move(out));
    }
    internal::fault_point("release:label-released");
    auto rm = state->remove_domain(rec.name);
    if (!rm) out.restore.errors.push_back(std::move(rm).error());
    g_debug("domain '%s' released: %zu resources", rec.name.c_str(), out.restore.items.size());
    return released(*live, std::move(out));
  }

  // Every release, by the caller or by recovery, leaves its records.
  ReleaseReport released(const DomainDef& live, ReleaseReport out) {
    audit.stop(live, out.restore.ok(), &out.warnings);
    return out;
  }

  // Drops registry entries and file users that name no recorded domain: the
  // remains of a crash between two writes of one transaction.
  void reconcile(RecoveryReport& report, const std::vector<DomainRecord>& recs) {
    std::map<std::string, bool> known;
    for (const auto& r : recs) known[r.name] = true;
    auto reg = state->load_registry();
    if (reg) {
      bool changed = false;
      for (auto it = reg->begin(); it != reg->end();) {
        if (!known.count(it->second)) {
          it = reg->erase(it);
          changed = true;
        } else {
          ++it;
        }
      }
      if (changed) {
        auto s = state->save_registry(*reg);
        if (!s) report.errors.push_back(std::move(s).error());
      }
    }
    auto files = state->load_files();
    if (!files) {
      report.errors.push_back(std::move(files).error());
      return;
    }
    std::map<std::string, bool> orphans;
    for (const auto& [path, rec] : *files)
      for (const auto& u : rec.users)
        if (!known.count(u)) orphans[u] = true;
    for (const auto& [name, unused] : orphans) {
      // A minimal definition is enough: restore works from the file records.
      DomainDef stub;
      stub.name = name;
      RestoreReport r = driver->restore_all_labels(stub);
      for (auto& e : r.errors) report.errors.push_back(std::move(e));
      report.released.push_back(name);
    }
  }

  Result<RecoveryReport> recover_locked(bool release_unstarted) {
    RecoveryReport report;
    auto recs = state->list_domains();
    if (!recs) return std::move(recs).error();
    std::string boot = internal::current_boot_id();
    std::vector<DomainRecord> kept;
    for (const DomainRecord& rec : *recs) {
      bool earlier_boot = !rec.boot_id.empty() && rec.boot_id != boot;
      bool alive = internal::record_alive(rec);
      bool release;
      if (earlier_boot) release = true;                      // nothing survives a reboot
      else if (rec.state == "preparing") release = true;     // a prepare died mid-way
      else if (rec.pid > 0) release = !alive;                // the VM process is gone
      else release = release_unstarted;                      // prepared, never started
      g_debug("recovery: domain '%s' (%s, pid %d): %s", rec.name.c_str(), rec.state.c_str(),
              static_cast<int>(rec.pid), release ? "restore and release" : "keep");
      if (!release) {
        if (alive) {
          auto live = live_of(rec);
          if (!live) {
            report.errors.push_back(std::move(live).error());
          } else if (auto r = driver->reserve_label(*live); !r) {
            report.errors.push_back(r.error().wrap("running domains share a label"));
          } else {
            report.reserved.push_back(rec.name);
          }
        }
        kept.push_back(rec);
        continue;
      }
      auto rel = release_locked(rec);
      if (!rel) {
        report.errors.push_back(std::move(rel).error());
        kept.push_back(rec);
        continue;
      }
      for (auto& w : rel->warnings) report.warnings.push_back(std::move(w));
      if (!rel->restore.ok()) {
        for (auto& e : rel->restore.errors) report.errors.push_back(std::move(e));
        kept.push_back(rec);
        continue;
      }
      report.released.push_back(rec.name);
    }
    reconcile(report, kept);
    for (auto& w : driver->take_warnings()) report.warnings.push_back(std::move(w));
    return report;
  }
};

SecurityManager::SecurityManager(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
SecurityManager::~SecurityManager() = default;

Result<std::unique_ptr<SecurityManager>> SecurityManager::open(const ManagerOptions& options) {
  auto impl = std::make_unique<Impl>();
  impl->options = options;
  if (options.config) {
    impl->config = *options.config;
  } else {
    std::string path = options.config_file.value_or(std::string(SVIRT_DEFAULT_CONFIG));
    bool explicit_file = options.config_file.has_value();
    if (explicit_file || access(path.c_str(), F_OK) == 0) {
      auto c = Config::load_file(path);
      if (!c) return std::move(c).error();
      impl->config = std::move(*c);
    }
  }
  auto st = StateDir::open(options.state_dir);
  if (!st) return std::move(st).error();
  impl->state.emplace(std::move(*st));
  auto choice = internal::make_driver(options.driver, &*impl->state, impl->config);
  if (!choice) return std::move(choice).error();
  impl->driver = std::move(choice->driver);
  impl->backend = choice->backend;
  impl->note = std::move(choice->note);
  if (impl->config.audit_records)
    impl->audit = internal::AuditLog(options.audit_sink ? options.audit_sink
                                                        : internal::default_audit_sink());
  std::unique_ptr<SecurityManager> mgr(new SecurityManager(std::move(impl)));
  if (options.recover_on_open) {
    auto held = mgr->impl_->lock();
    if (!held) return std::move(held).error();
    auto r = mgr->impl_->recover_locked(/*release_unstarted=*/false);
    if (!r) return std::move(r).error();
  }
  return mgr;
}

SecurityDriver& SecurityManager::driver() { return *impl_->driver; }
SecurityModel SecurityManager::model() const { return impl_->driver->model(); }
const std::string& SecurityManager::probe_note() const { return impl_->note; }
LabelBackend* SecurityManager::backend() { return impl_->backend; }
const std::string& SecurityManager::state_dir() const { return impl_->state->path(); }

Result<PreparedDomain> SecurityManager::prepare(const DomainDef& def) {
  SVIRT_TRY(validate_domain_name(def.name));
  auto held = impl_->lock();
  if (!held) return std::move(held).error();
  auto existing = impl_->state->read_domain(def.name);
  if (!existing) return std::move(existing).error();
  if (existing->has_value())
    return make_error(ErrorCode::kConflict, "domain '" + def.name + "': already prepared");

  SecurityDriver& drv = *impl_->driver;
  if (auto v = drv.verify(def); !v) return impl_->start_failed(def, std::move(v).error());
  PreparedDomain out;
  out.live = def;
  if (auto g = drv.gen_label(out.live); !g)
    return impl_->start_failed(out.live, std::move(g).error());

  // No record of the domain is written before its labels: should svirt die
  // in between, the registry entry and the file records that name it are
  // orphans, and recovery restores and frees exactly those.
  internal::fault_point("prepare:domain-recorded");
  auto applied = drv.set_all_labels(out.live);
  if (!applied) {
    (void)drv.release_label(out.live);
    (void)drv.take_warnings();
    return impl_->start_failed(out.live, std::move(applied).error());
  }
  internal::fault_point("prepare:labels-applied");
  DomainRecord rec;
  rec.name = def.name;
  rec.boot_id = internal::current_boot_id();
  rec.live_xml = out.live.format(FormatMode::kLive);
  rec.state = "prepared";
  if (auto w = impl_->state->write_domain(rec); !w) {
    (void)drv.restore_all_labels(out.live);
    (void)drv.release_label(out.live);
    (void)impl_->state->remove_domain(def.name);
    return impl_->start_failed(out.live, std::move(w).error());
  }
  out.resources = std::move(*applied);
  out.label = impl_->label_of(out.live);
  g_debug("domain '%s' prepared: label %s, image label %s, %zu resources", def.name.c_str(),
          out.label.label.c_str(), out.label.imagelabel.c_str(), out.resources.size());
  out.warnings = drv.take_warnings();
  impl_->audit.start(out.live, out.label, /*success=*/true, &out.warnings);
  return out;
}

Result<ReleaseReport> SecurityManager::release(const std::string& name) {
  auto held = impl_->lock();
  if (!held) return std::move(held).error();
  auto rec = impl_->need_record(name);
  if (!rec) return std::move(rec).error();
  if (internal::record_alive(*rec))
    return make_error(ErrorCode::kConflict, "domain '" + name + "': still running (pid " +
                                                std::to_string(rec->pid) + ")");
  return impl_->release_locked(*rec);
}

// The migration calls are the plain transactions run under a MigrationScope,
// which the labeling driver's verbs consult (core/migration.h).
Result<PreparedDomain> SecurityManager::prepare(const DomainDef& def,
                                                const PrepareOptions& options) {
  if (!options.incoming) return prepare(def);
  internal::MigrationContext ctx(internal::MigrationContext::Side::kIncoming, options.shared);
  DomainDef arrived = internal::without_carried_labels(def, &ctx.avoid_pairs);
  internal::MigrationScope scope(ctx);
  return prepare(arrived);
}

Result<ReleaseReport> SecurityManager::release(const std::string& name,
                                               const ReleaseOptions& options) {
  if (!options.migrated) return release(name);
  internal::MigrationContext ctx(internal::MigrationContext::Side::kMigratedOut, options.shared);
  internal::MigrationScope scope(ctx);
  return release(name);
}

Result<void> SecurityManager::set_process_label(const DomainDef& live) {
  return impl_->driver->set_process_label(live);
}

Result<void> SecurityManager::mark_running(const std::string& name, pid_t pid) {
  auto held = impl_->lock();
  if (!held) return std::move(held).error();
  auto rec = impl_->need_record(name);
  if (!rec) return std::move(rec).error();
  // The launcher's own child may already have exited (not yet reaped): its
  // start time is still what identifies it.
  auto start = internal::process_start_time(pid, /*include_zombie=*/true);
  if (!start)
    return make_error(ErrorCode::kNotFound, "domain '" + name + "': process " +
                                                std::to_string(pid) + " is not running");
  rec->pid = pid;
  rec->start_time = *start;
  rec->state = "running";
  return impl_->state->write_domain(*rec);
}

namespace {

// What the child reports through the close-on-exec pipe when it cannot exec.
struct ChildFailure {
  int stage;  // 1: process label, 2: exec
  int err;
};

[[noreturn]] void child_fail(int fd, int stage, int err) {
  ChildFailure f{stage, err};
  ssize_t n = write(fd, &f, sizeof f);
  (void)n;
  _exit(stage == 1 ? 125 : (err == ENOENT ? 127 : 126));
}

}  // namespace

namespace {

struct PassedFd {
  internal::UniqueFd fd;
  std::string spec;  // "N:rw:/path"
};

std::string escape_fd_path(const std::string& p) {
  std::string out;
  for (char c : p) {
    if (c == ',' || c == '\\') out += '\\';
    out += c;
  }
  return out;
}

// Opens the domain's disk layers for fd passing: through the vetted O_PATH
// descriptor, so the path is resolved exactly once.
Result<std::vector<PassedFd>> open_disks_for_passing(const DomainDef& live) {
  std::vector<PassedFd> out;
  internal::PathPolicy policy;
  for (const Disk& d : live.disks) {
    bool top = true;
    for (const DiskSource* src = &d.source; src != nullptr; src = src->backing.get(), top = false) {
      if (src->path.empty() || src->type == DiskType::kDir ||
          (src->type != DiskType::kFile && src->type != DiskType::kBlock))
        continue;
      bool rw = top && !d.readonly;
      auto opened = internal::open_resource(src->path, policy);
      if (!opened) return std::move(opened).error().wrap("disk '" + d.target + "'");
      int fd = ::open(internal::proc_fd_path(opened->fd.get()).c_str(),
                      (rw ? O_RDWR : O_RDONLY) | O_CLOEXEC | O_NOCTTY);
      if (fd < 0)
        return make_error(ErrorCode::kOperationFailed,
                          "disk '" + d.target + "': cannot open '" + src->path + "'", errno);
      int n = 3 + static_cast<int>(out.size());
      out.push_back(PassedFd{internal::UniqueFd(fd), std::to_string(n) + (rw ? ":rw:" : ":ro:") +
                                                         escape_fd_path(src->path)});
    }
  }
  return out;
}

}  // namespace

Result<pid_t> SecurityManager::launch(const std::string& name, const std::vector<std::string>& argv,
                                      const std::vector<std::string>& extra_env) {
  LaunchOptions o;
  o.extra_env = extra_env;
  return launch(name, argv, o);
}

// The child waits until the parent has recorded its pid before it enters the
// VM's label and execs: a VM process is never running without a record that
// says so, whenever svirt is killed.
Result<pid_t> SecurityManager::launch(const std::string& name, const std::vector<std::string>& argv,
                                      const LaunchOptions& options) {
  std::vector<std::string> extra_env = options.extra_env;
  if (argv.empty()) return make_error(ErrorCode::kInvalidInput, "launch: empty command");
  DomainDef live;
  {
    auto held = impl_->lock();
    if (!held) return std::move(held).error();
    auto rec = impl_->need_record(name);
    if (!rec) return std::move(rec).error();
    auto def = impl_->live_of(*rec);
    if (!def) return std::move(def).error();
    live = std::move(*def);
  }
  std::vector<char*> args;
  for (const std::string& a : argv) args.push_back(const_cast<char*>(a.c_str()));
  args.push_back(nullptr);

  std::vector<PassedFd> passed;
  if (options.pass_fds) {
    auto fds = open_disks_for_passing(live);
    if (!fds) return std::move(fds).error();
    passed = std::move(*fds);
    std::string spec = "SVIRT_FDS=";
    for (size_t i = 0; i < passed.size(); ++i) spec += (i ? "," : "") + passed[i].spec;
    extra_env.push_back(spec);
  }

  int report[2], go[2];
  if (pipe2(report, O_CLOEXEC) != 0)
    return make_error(ErrorCode::kOperationFailed, "launch: pipe", errno);
  if (pipe2(go, O_CLOEXEC) != 0) {
    int e = errno;
    close(report[0]);
    close(report[1]);
    return make_error(ErrorCode::kOperationFailed, "launch: pipe", e);
  }
  pid_t pid = fork();
  if (pid < 0) {
    int e = errno;
    for (int fd : {report[0], report[1], go[0], go[1]}) close(fd);
    return make_error(ErrorCode::kOperationFailed, "launch: fork", e);
  }
  if (pid == 0) {
    close(report[0]);
    close(go[1]);
    char byte = 0;
    ssize_t got;
    do {
      got = read(go[0], &byte, 1);
    } while (got < 0 && errno == EINTR);
    if (got != 1) _exit(125);  // the parent could not record us: never run unrecorded
    // The VM starts with a clean signal state, whatever its launcher blocked.
    sigset_t none;
    sigemptyset(&none);
    sigprocmask(SIG_SETMASK, &none, nullptr);
    for (const std::string& kv : extra_env) putenv(const_cast<char*>(kv.c_str()));
    // Move passed descriptors to 3, 4, ... First out of the way (above every
    // target slot), then into place, so none overwrites another.
    int high = 3 + static_cast<int>(passed.size()) + 64;
    int rep = report[1];
    if (!passed.empty()) {
      rep = fcntl(report[1], F_DUPFD_CLOEXEC, high);  // keep the report pipe out of the way too
      if (rep < 0) child_fail(report[1], 1, errno);
    }
    std::vector<int> moved;
    for (const PassedFd& p : passed) {
      int fd = fcntl(p.fd.get(), F_DUPFD_CLOEXEC, high);
      if (fd < 0) child_fail(rep, 1, errno);
      moved.push_back(fd);
    }
    for (size_t i = 0; i < moved.size(); ++i)
      if (dup2(moved[i], 3 + static_cast<int>(i)) < 0) child_fail(rep, 1, errno);
    if (!impl_->driver->set_process_label(live)) child_fail(rep, 1, errno);
    execvp(args[0], args.data());
    child_fail(rep, 2, errno);
  }
  close(report[1]);
  close(go[0]);
  g_debug("domain '%s': process %d forked", name.c_str(), static_cast<int>(pid));
  auto marked = mark_running(name, pid);
  if (!marked) {
    close(go[1]);  // the child sees EOF and exits without running anything
    close(report[0]);
    int status = 0;
    waitpid(pid, &status, 0);
    return std::move(marked).error();
  }
  ssize_t n = write(go[1], "g", 1);
  (void)n;
  close(go[1]);
  ChildFailure f{0, 0};
  do {
    n = read(report[0], &f, sizeof f);
  } while (n < 0 && errno == EINTR);
  close(report[0]);
  if (n == static_cast<ssize_t>(sizeof f)) {
    int status = 0;
    waitpid(pid, &status, 0);
    if (f.stage == 1)
      return make_error(ErrorCode::kOperationFailed,
                        "domain '" + name + "': cannot set the process label", f.err);
    return make_error(f.err == ENOENT ? ErrorCode::kNotFound : ErrorCode::kOperationFailed,
                      "cannot execute '" + argv[0] + "'", f.err);
  }
  return pid;
}

Result<std::vector<DomainStatus>> SecurityManager::list() {
  auto held = impl_->lock();
  if (!held) return std::move(held).error();
  auto recs = impl_->state->list_domains();
  if (!recs) return std::move(recs).error();
  std::vector<DomainStatus> out;
  for (const DomainRecord& rec : *recs) {
    DomainStatus s;
    s.name = rec.name;
    s.pid = rec.pid;
    auto live = impl_->live_of(rec);
    if (live) s.label = impl_->label_of(*live);
    if (rec.pid > 0) s.state = internal::record_alive(rec) ? DomainState::kRunning : DomainState::kGone;
    else s.state = DomainState::kPrepared;
    out.push_back(std::move(s));
  }
  return out;
}

Result<DomainStatus> SecurityManager::status(const std::string& name) {
  auto all = list();
  if (!all) return std::move(all).error();
  for (auto& s : *all)
    if (s.name == name) return std::move(s);
  return make_error(ErrorCode::kNotFound, "domain '" + name + "': not prepared");
}

Result<DomainDef> SecurityManager::live_definition(const std::string& name) {
  auto held = impl_->lock();
  if (!held) return std::move(held).error();
  auto rec = impl_->need_record(name);
  if (!rec) return std::move(rec).error();
  return impl_->live_of(*rec);
}

Result<SecurityLabel> SecurityManager::process_label(const std::string& name) {
  auto held = impl_->lock();
  if (!held) return std::move(held).error();
  auto rec = impl_->need_record(name);
  if (!rec) return std::move(rec).error();
  auto live = impl_->live_of(*rec);
  if (!live) return std::move(live).error();
  if (internal::record_alive(*rec)) {
    auto l = impl_->driver->get_process_label(*live, rec->pid);
    if (!l) return std::move(l).error();
    l->mode = impl_->driver->mode();
    return l;
  }
  return impl_->label_of(*live);
}

Result<RecoveryReport> SecurityManager::recover() {
  auto held = impl_->lock();
  if (!held) return std::move(held).error();
  return impl_->recover_locked(/*release_unstarted=*/true);
}

Result<std::vector<AppliedLabel>> SecurityManager::attach(const std::string& name,
                                                          const DeviceDef& dev) {
  return impl_->with_live<std::vector<AppliedLabel>>(name, [&](const DomainDef& live) {
    auto r = impl_->driver->set_device_labels(live, dev);
    impl_->audit.hotplug(live, dev, /*attach=*/true, r.ok(), nullptr);
    return r;
  });
}

Result<RestoreReport> SecurityManager::detach(const std::string& name, const DeviceDef& dev) {
  return impl_->with_live<RestoreReport>(name, [&](const DomainDef& live) {
    RestoreReport r = impl_->driver->restore_device_labels(live, dev);
    impl_->audit.hotplug(live, dev, /*attach=*/false, r.ok(), nullptr);
    return r;
  });
}

Result<AppliedLabel> SecurityManager::set_saved_state_label(const std::string& name,
                                                            const std::string& path) {
  return impl_->with_live<AppliedLabel>(
      name, [&](const DomainDef& live) { return impl_->driver->set_saved_state_label(live, path); });
}

Result<RestoreReport> SecurityManager::restore_saved_state_label(const std::string& name,
                                                                 const std::string& path) {
  return impl_->with_live<RestoreReport>(name, [&](const DomainDef& live) {
    return impl_->driver->restore_saved_state_label(live, path);
  });
}

Result<void> SecurityManager::set_socket_label(const std::string& name) {
  auto r = impl_->with_live<bool>(name, [&](const DomainDef& live) -> Result<bool> {
    SVIRT_TRY(impl_->driver->set_socket_label(live));
    return true;
  });
  if (!r) return std::move(r).error();
  return ok();
}

Result<void> SecurityManager::clear_socket_label(const std::string& name) {
  auto r = impl_->with_live<bool>(name, [&](const DomainDef& live) -> Result<bool> {
    SVIRT_TRY(impl_->driver->clear_socket_label(live));
    return true;
  });
  if (!r) return std::move(r).error();
  return ok();
}

Result<std::string> SecurityManager::mount_options(const std::string& name) {
  auto live = live_definition(name);
  if (!live) return std::move(live).error();
  SecurityLabel l = impl_->label_of(*live);
  if (l.imagelabel.empty()) return std::string();
  return "context=\"" + l.imagelabel + "\"";
}

}  // namespace svirt
