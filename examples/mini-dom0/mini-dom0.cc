// SPDX-License-Identifier: LGPL-2.1-or-later
//
// mini-dom0: the smallest management stack that uses svirt the way a real
// one would. It reads a directory of libvirt domain XMLs, and for each domain
//   prepare()  gives it a unique label and labels its disks and serial log,
//   launch()   forks qemu-system-x86_64 under that label (exec label set in
//              the child; optionally with the disks passed as descriptors),
// waits for every guest to power itself off, then
//   release()  gives each file back the label it had.
// Every step prints what svirt did, as "NAME: what value" lines.
//
// usage: mini-dom0 [--driver NAME] [--state-dir DIR] [--qemu PATH] [--qemu-img PATH]
//                  [--accel tcg|kvm] [--pass-fds NAME[,NAME...]] [--timeout SECONDS]
//                  DOMAIN_DIR
// Exit: 0 when every VM ran confined and was cleaned up, 1 otherwise, 2 usage.
#include <fcntl.h>
#include <getopt.h>
#include <signal.h>
#include <svirt/manager.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include "boot_image.h"
#include "qemu_command.h"

namespace {

struct Options {
  svirt::ManagerOptions manager;
  mini_dom0::QemuOptions qemu;
  std::set<std::string> pass_fds;  // domains whose disks are passed as fds
  int timeout_s = 120;
  std::string domain_dir;
};

struct Vm {
  svirt::DomainDef def;
  pid_t pid = -1;
  int exit_status = -1;  // qemu's, or -1 when it did not exit by itself
  bool ok = false;
};

void say(const std::string& vm, const std::string& line) {
  std::cout << vm << ": " << line << "\n";
}

std::string opt_label(const std::optional<std::string>& l) { return l ? *l : "(none)"; }

// The label the file carries now, read back through svirt's backend.
std::string current_label(svirt::SecurityManager& mgr, const std::string& path) {
  int fd = ::open(path.c_str(), O_PATH | O_NOFOLLOW | O_CLOEXEC);
  if (fd < 0) return "(cannot open)";
  auto label = mgr.backend()->get_label(fd, path);
  ::close(fd);
  if (!label) return "(" + label.error().message + ")";
  return opt_label(*label);
}

// `path` without its extension, then `suffix`: dom0-x.qcow2 -> dom0-x-base.img.
std::string sibling(const std::string& path, const std::string& suffix) {
  std::filesystem::path p(path);
  return (p.parent_path() / (p.stem().string() + suffix)).string();
}

// Runs qemu-img create for a thin clone: `overlay` (qcow2) over `base` (raw),
// which the overlay's header names relative to its own directory, as a stack
// that moves a VM's directory around needs. Returns "" or a one-line error.
std::string create_overlay(const std::string& qemu_img, const std::string& overlay,
                           const std::string& base) {
  const std::string backing = std::filesystem::path(base).filename().string();
  std::vector<const char*> argv = {qemu_img.c_str(), "create", "-q", "-f", "qcow2", "-F", "raw",
                                   "-b", backing.c_str(), overlay.c_str(), nullptr};
  pid_t pid = fork();
  if (pid < 0) return "cannot fork for " + qemu_img;
  if (pid == 0) {
    execvp(argv[0], const_cast<char* const*>(argv.data()));
    _exit(127);
  }
  int status = 0;
  if (waitpid(pid, &status, 0) != pid || !WIFEXITED(status) || WEXITSTATUS(status) != 0)
    return qemu_img + " create of '" + overlay + "' failed";
  return "";
}

// Missing disks and logs are created the way a stack provisions a new VM:
// the first disk is the bootable image, the rest empty, the serial log empty.
// A first disk declared qcow2 is a thin clone: a qcow2 overlay over a raw
// template NAME-base.img beside it, which the domain XML does not name (svirt
// finds it in the overlay's header).
bool provision(const Vm& vm, const mini_dom0::QemuOptions& qemu) {
  for (size_t i = 0; i < vm.def.disks.size(); ++i) {
    const svirt::DiskSource& src = vm.def.disks[i].source;
    const std::string& path = src.path;
    if (path.empty() || std::filesystem::exists(path)) continue;
    const std::string greeting = "hello from " + vm.def.name + ", read from its own disk";
    std::string err;
    if (i == 0 && src.format == "qcow2") {
      const std::string base = sibling(path, "-base.img");
      if (!std::filesystem::exists(base)) {
        err = mini_dom0::write_boot_image(base, greeting);
        if (err.empty()) say(vm.def.name, "created " + base);
      }
      if (err.empty()) err = create_overlay(qemu.img, path, base);
    } else if (i == 0) {
      err = mini_dom0::write_boot_image(path, greeting);
    } else {
      std::ofstream blank(path, std::ios::binary);
      blank << std::string(64 * 1024, '\0');
      if (!blank) err = "cannot create '" + path + "'";
    }
    if (!err.empty()) {
      say(vm.def.name, "error " + err);
      return false;
    }
    say(vm.def.name, "created " + path);
  }
  std::string log = mini_dom0::serial_log_path(vm.def);
  if (!log.empty()) {
    std::ofstream(log, std::ios::app);  // qemu truncates it when it starts
    if (!std::filesystem::exists(log)) {
      say(vm.def.name, "error cannot create '" + log + "'");
      return false;
    }
  }
  return true;
}

bool start(svirt::SecurityManager& mgr, Vm& vm, const Options& opts) {
  const std::string& name = vm.def.name;
  auto prepared = mgr.prepare(vm.def);
  if (!prepared) {
    say(name, "error " + prepared.error().message);
    return false;
  }
  say(name, "label " + prepared->label.label);
  say(name, "imagelabel " + prepared->label.imagelabel);
  for (const svirt::AppliedLabel& a : prepared->resources)
    say(name, "resource " + a.resource.device + " " + a.resource.path + " " +
                  opt_label(a.resource.label) + " was " + opt_label(a.original));
  for (const std::string& w : prepared->warnings) say(name, "warning " + w);

  mini_dom0::QemuOptions q = opts.qemu;
  q.pass_fds = opts.pass_fds.count(name) > 0;
  std::string err;
  std::vector<std::string> argv = mini_dom0::qemu_argv(vm.def, q, &err);
  svirt::LaunchOptions launch;
  launch.pass_fds = q.pass_fds;
  svirt::Result<pid_t> pid =
      argv.empty() ? svirt::Result<pid_t>(svirt::make_error(svirt::ErrorCode::kInvalidInput, err))
                   : mgr.launch(name, argv, launch);
  if (!pid) {
    say(name, "error " + pid.error().message);
    auto undone = mgr.release(name);
    if (!undone) say(name, "error " + undone.error().message);
    return false;
  }
  vm.pid = *pid;
  std::string cmd;
  for (const std::string& a : argv) cmd += (cmd.empty() ? "" : " ") + a;
  say(name, "command " + cmd);
  // What the kernel says the process runs as, not what svirt meant it to.
  auto running = mgr.process_label(name);
  say(name, "pid " + std::to_string(vm.pid) + " running as " +
                (running ? running->label : "(" + running.error().message + ")"));
  // And what each file carries now, read back from the file itself.
  for (const svirt::AppliedLabel& a : prepared->resources)
    if (!a.resource.path.empty())
      say(name, "now " + a.resource.device + " " + a.resource.path + " " +
                    current_label(mgr, a.resource.path));
  return true;
}

// Waits for every started VM; kills those still running after the timeout.
void wait_all(std::vector<Vm>& vms, int timeout_s) {
  timespec start{};
  clock_gettime(CLOCK_MONOTONIC, &start);
  for (;;) {
    bool pending = false;
    for (Vm& vm : vms) {
      if (vm.pid <= 0 || vm.exit_status >= 0) continue;
      int status = 0;
      pid_t r = waitpid(vm.pid, &status, WNOHANG);
      if (r == vm.pid) {
        vm.exit_status = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
      } else {
        pending = true;
      }
    }
    if (!pending) return;
    timespec now{};
    clock_gettime(CLOCK_MONOTONIC, &now);
    if (now.tv_sec - start.tv_sec >= timeout_s) break;
    usleep(50 * 1000);
  }
  for (Vm& vm : vms) {
    if (vm.pid <= 0 || vm.exit_status >= 0) continue;
    say(vm.def.name, "timeout: still running after " + std::to_string(timeout_s) + "s, killed");
    kill(vm.pid, SIGKILL);
    int status = 0;
    waitpid(vm.pid, &status, 0);
    vm.exit_status = 128 + SIGKILL;
  }
}

void report_guest(Vm& vm) {
  const std::string& name = vm.def.name;
  const char* verdict = vm.exit_status == mini_dom0::kGuestOk          ? "guest ok"
                        : vm.exit_status == mini_dom0::kGuestDiskError ? "guest disk error"
                                                                       : "qemu failed";
  say(name, "exit " + std::to_string(vm.exit_status) + " " + verdict);
  std::string log = mini_dom0::serial_log_path(vm.def);
  if (!log.empty()) {
    std::ifstream in(log);
    for (std::string line; std::getline(in, line);) {
      line.erase(std::remove(line.begin(), line.end(), '\r'), line.end());
      if (!line.empty()) say(name, "serial " + line);
    }
  }
  bool marker = mini_dom0::image_has_marker(vm.def.disks[0].source.path);
  say(name, std::string("marker ") + (marker ? "yes" : "no"));
  vm.ok = vm.exit_status == mini_dom0::kGuestOk && marker;
}

bool stop(svirt::SecurityManager& mgr, const Vm& vm) {
  const std::string& name = vm.def.name;
  auto released = mgr.release(name);
  if (!released) {
    say(name, "error " + released.error().message);
    return false;
  }
  for (const svirt::RestoredLabel& r : released->restore.items)
    say(name, std::string("restored ") + r.resource.device + " " + r.resource.path + " " +
                  svirt::restore_action_name(r.action) + " now " +
                  current_label(mgr, r.resource.path));
  for (const svirt::Error& e : released->restore.errors) say(name, "error " + e.message);
  return released->restore.ok();
}

int usage(const char* msg) {
  if (msg != nullptr) std::cerr << "mini-dom0: " << msg << "\n";
  std::cerr << "usage: mini-dom0 [--driver NAME] [--state-dir DIR] [--qemu PATH] "
               "[--qemu-img PATH]\n                 [--accel tcg|kvm] [--pass-fds NAME[,NAME...]] "
               "[--timeout SECONDS] DOMAIN_DIR\n";
  return 2;
}

}  // namespace

int main(int argc, char** argv) {
  Options opts;
  static const option kLong[] = {
      {"driver", required_argument, nullptr, 'd'},   {"state-dir", required_argument, nullptr, 's'},
      {"qemu", required_argument, nullptr, 'q'},     {"accel", required_argument, nullptr, 'a'},
      {"qemu-img", required_argument, nullptr, 'i'},
      {"pass-fds", required_argument, nullptr, 'f'}, {"timeout", required_argument, nullptr, 't'},
      {"help", no_argument, nullptr, 'h'},           {nullptr, 0, nullptr, 0}};
  for (int c; (c = getopt_long(argc, argv, "", kLong, nullptr)) != -1;) {
    switch (c) {
      case 'd':
        opts.manager.driver = optarg;
        break;
      case 's':
        opts.manager.state_dir = optarg;
        break;
      case 'q':
        opts.qemu.binary = optarg;
        break;
      case 'a':
        opts.qemu.accel = optarg;
        break;
      case 'i':
        opts.qemu.img = optarg;
        break;
      case 'f': {
        std::stringstream names(optarg);
        for (std::string n; std::getline(names, n, ',');) opts.pass_fds.insert(n);
        break;
      }
      case 't':
        opts.timeout_s = std::atoi(optarg);
        break;
      case 'h':
        usage(nullptr);
        return 0;
      default:
        return usage(nullptr);
    }
  }
  if (optind != argc - 1) return usage("one DOMAIN_DIR expected");
  if (opts.timeout_s <= 0) return usage("--timeout must be a positive number of seconds");
  opts.domain_dir = argv[optind];

  auto mgr = svirt::SecurityManager::open(opts.manager);
  if (!mgr) {
    std::cerr << "mini-dom0: " << mgr.error().message << "\n";
    return 1;
  }
  std::cout << "host: model " << (*mgr)->model().model << ", state " << (*mgr)->state_dir() << "\n";

  std::vector<std::string> files;
  std::error_code ec;
  for (const auto& e : std::filesystem::directory_iterator(opts.domain_dir, ec))
    if (e.path().extension() == ".xml") files.push_back(e.path());
  if (ec) {
    std::cerr << "mini-dom0: cannot read '" << opts.domain_dir << "': " << ec.message() << "\n";
    return 1;
  }
  std::sort(files.begin(), files.end());
  if (files.empty()) {
    std::cerr << "mini-dom0: no *.xml in '" << opts.domain_dir << "'\n";
    return 1;
  }

  std::vector<Vm> vms;
  for (const std::string& f : files) {
    auto def = svirt::DomainDef::parse_file(f);
    if (!def) {
      std::cerr << "mini-dom0: " << def.error().message << "\n";
      return 1;
    }
    vms.push_back(Vm{std::move(*def)});
  }

  bool all_ok = true;
  for (Vm& vm : vms) {
    if (!provision(vm, opts.qemu) || !start(**mgr, vm, opts)) {
      vm.pid = -1;
      all_ok = false;
    }
  }
  wait_all(vms, opts.timeout_s);
  for (Vm& vm : vms) {
    if (vm.pid <= 0) continue;
    report_guest(vm);
    bool released = stop(**mgr, vm);
    vm.ok = vm.ok && released;
    all_ok = all_ok && vm.ok;
  }
  size_t good = std::count_if(vms.begin(), vms.end(), [](const Vm& v) { return v.ok; });
  std::cout << "summary: " << good << " of " << vms.size()
            << " VMs ran confined, used their own disks and were cleaned up\n";
  return all_ok ? 0 : 1;
}
