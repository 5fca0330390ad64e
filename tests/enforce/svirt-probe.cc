// SPDX-License-Identifier: LGPL-2.1-or-later
//
// svirt-probe: plays a compromised VM process inside the enforcement guest.
//
//   svirt-probe check [--log FILE] [--barrier FILE] [--barrier-timeout SEC] PATH...
//       Reports its own SELinux context, optionally waits until FILE starts with "GO", then for
//       each PATH tries open(O_RDONLY)+read and open(O_WRONLY)+write and reports one line each:
//       "read PATH OK" or "read PATH EACCES" (errno name of whichever call failed). With a
//       barrier it then stays alive until FILE starts with "EXIT", so every VM's resources keep
//       their labels until all VMs have probed.
//   svirt-probe exec-as CONTEXT PROG [ARGS...]
//       Sets the exec context (what setexeccon does) and execs PROG: a stand-in for the management
//       daemon's last step, used to prove the domain transition chain without svirt.
//
// It is linked statically because a confined VM domain may not map most shared libraries, and it
// writes to a log file opened after the domain change: descriptors inherited across a domain
// transition that the new domain may not use are silently replaced by the null device.

#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <cstdio>
#include <string>

namespace {

std::string ErrnoName(int err) {
  const char* name = strerrorname_np(err);
  return name != nullptr ? name : "E" + std::to_string(err);
}

std::string OwnContext() {
  int fd = open("/proc/self/attr/current", O_RDONLY | O_CLOEXEC);
  if (fd < 0) return "unknown(" + ErrnoName(errno) + ")";
  char buf[256];
  ssize_t n = read(fd, buf, sizeof(buf) - 1);
  close(fd);
  if (n <= 0) return "unknown";
  std::string ctx(buf, static_cast<size_t>(n));
  while (!ctx.empty() && (ctx.back() == '\n' || ctx.back() == '\0')) ctx.pop_back();
  return ctx;
}

std::string TryRead(const char* path) {
  int fd = open(path, O_RDONLY | O_CLOEXEC);
  if (fd < 0) return ErrnoName(errno);
  char buf[64];
  ssize_t n = read(fd, buf, sizeof(buf));
  int err = errno;
  close(fd);
  return n < 0 ? ErrnoName(err) : "OK";
}

// Writes one byte past the barrier token so a successful write never clobbers it.
std::string TryWrite(const char* path) {
  int fd = open(path, O_WRONLY | O_CLOEXEC);
  if (fd < 0) return ErrnoName(errno);
  ssize_t n = pwrite(fd, "x", 1, 512);
  int err = errno;
  close(fd);
  return n != 1 ? ErrnoName(err) : "OK";
}

bool StartsWith(const char* path, const std::string& token) {
  int fd = open(path, O_RDONLY | O_CLOEXEC);
  if (fd < 0) return false;
  char buf[16];
  ssize_t n = read(fd, buf, sizeof(buf));
  close(fd);
  return n >= static_cast<ssize_t>(token.size()) &&
         token.compare(0, token.size(), buf, token.size()) == 0;
}

// Polls until the orchestrator has written TOKEN at the start of FILE; the file is the VM's own
// disk, the only thing the confined process may read.
bool WaitFor(const char* path, const std::string& token, int timeout_sec) {
  struct timespec pause = {0, 50 * 1000 * 1000};
  for (long waited_ms = 0; waited_ms < timeout_sec * 1000L; waited_ms += 50) {
    if (StartsWith(path, token)) return true;
    nanosleep(&pause, nullptr);
  }
  return StartsWith(path, token);
}

int Check(int argc, char** argv) {
  const char* log_path = nullptr;
  const char* barrier = nullptr;
  int barrier_timeout = 120;
  int i = 0;
  for (; i < argc; ++i) {
    std::string arg = argv[i];
    if (arg == "--log" && i + 1 < argc) {
      log_path = argv[++i];
    } else if (arg == "--barrier" && i + 1 < argc) {
      barrier = argv[++i];
    } else if (arg == "--barrier-timeout" && i + 1 < argc) {
      barrier_timeout = std::stoi(argv[++i]);
    } else {
      break;
    }
  }
  FILE* out = stdout;
  if (log_path != nullptr) {
    out = fopen(log_path, "a");
    if (out == nullptr) {
      fprintf(stderr, "svirt-probe: cannot open log %s: %s\n", log_path, ErrnoName(errno).c_str());
      return 3;
    }
  }
  fprintf(out, "context %s\n", OwnContext().c_str());
  fflush(out);
  if (barrier != nullptr) {
    fprintf(out, "barrier %s\n", WaitFor(barrier, "GO", barrier_timeout) ? "GO" : "TIMEOUT");
    fflush(out);
  }
  for (; i < argc; ++i) {
    fprintf(out, "read %s %s\n", argv[i], TryRead(argv[i]).c_str());
    fprintf(out, "write %s %s\n", argv[i], TryWrite(argv[i]).c_str());
  }
  fprintf(out, "done\n");
  fflush(out);
  if (barrier != nullptr) {
    fprintf(out, "hold %s\n", WaitFor(barrier, "EXIT", barrier_timeout) ? "EXIT" : "TIMEOUT");
  }
  return fclose(out) == 0 ? 0 : 3;
}

int ExecAs(int argc, char** argv) {
  if (argc < 2) return 125;
  int fd = open("/proc/self/attr/exec", O_WRONLY | O_CLOEXEC);
  if (fd < 0 || write(fd, argv[0], strlen(argv[0])) < 0) {
    fprintf(stderr, "svirt-probe: setting exec context %s: %s\n", argv[0],
            ErrnoName(errno).c_str());
    return 125;
  }
  close(fd);
  // Names the domain this runs in, so the harness sees every step of the transition chain.
  fprintf(stderr, "exec-as %s -> %s %s\n", OwnContext().c_str(), argv[0], argv[1]);
  fflush(stderr);
  execv(argv[1], argv + 1);
  fprintf(stderr, "svirt-probe: exec %s as %s: %s\n", argv[1], argv[0], ErrnoName(errno).c_str());
  return errno == ENOENT ? 127 : 126;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc >= 2 && std::string(argv[1]) == "check") return Check(argc - 2, argv + 2);
  if (argc >= 2 && std::string(argv[1]) == "exec-as") return ExecAs(argc - 2, argv + 2);
  fprintf(stderr,
          "usage: svirt-probe check [--log FILE] [--barrier FILE] [--barrier-timeout SEC] "
          "PATH...\n       svirt-probe exec-as CONTEXT PROG [ARGS...]\n");
  return 2;
}
