// SPDX-License-Identifier: LGPL-2.1-or-later
#include "core/spawn.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cstdint>
#include <cstring>
#include <map>
#include <utility>

extern char** environ;

namespace svirt {

int ExecPlan::enter() const noexcept {
  for (const AttrWrite& w : writes) {
    int err = 0;
    int fd = ::open(w.path.c_str(), O_WRONLY | O_CLOEXEC);
    if (fd < 0) {
      err = errno;
    } else {
      ssize_t n;
      do {
        n = ::write(fd, w.value.data(), w.value.size());
      } while (n < 0 && errno == EINTR);
      if (n < 0)
        err = errno;
      else if (static_cast<size_t>(n) != w.value.size())
        err = EIO;
      ::close(fd);
    }
    if (err != 0 && w.required) return err;
  }
  return 0;
}

}  // namespace svirt

namespace svirt::internal {
namespace {

std::string env_name(const std::string& kv) { return kv.substr(0, kv.find('=')); }

// Reports why the child did not reach the program, then exits. Only write(2)
// and _exit(2): this runs in the forked child.
[[noreturn]] void child_fail(int fd, int stage, int err) {
  SpawnFailure f;
  f.stage = stage;
  f.err = err;
  ssize_t n = ::write(fd, &f, sizeof f);
  (void)n;
  _exit(stage == SpawnFailure::kLabel ? 125 : (err == ENOENT ? 127 : 126));
}

// Whether execvp would go on to the next PATH entry after this error.
bool try_next_candidate(int err) {
  return err == ENOENT || err == ENOTDIR || err == EACCES || err == ELOOP || err == ENAMETOOLONG ||
         err == ESTALE || err == ENODEV || err == ETIMEDOUT;
}

// The record getdents64(2) fills in; glibc declares no type for it.
struct linux_dirent64_view {
  uint64_t d_ino;
  int64_t d_off;
  unsigned short d_reclen;
  unsigned char d_type;
  char d_name[1];
};

bool is_kept(const std::vector<int>& keep, int fd) {
  for (int k : keep)
    if (k == fd) return true;
  return false;
}

// Closes, in the child, every descriptor marked close-on-exec that it does
// not need before exec. Exec would close them anyway; closing them now
// matters because the child waits for the parent first, and meanwhile its
// copies would keep alive what other threads of the parent open and close:
// the state directory's flock above all, which the parent itself is about to
// take again. Descriptors without the flag are left for the program, as
// exec leaves them. getdents64 on /proc/self/fd into a stack buffer, fcntl
// and close: async-signal-safe, nothing allocated.
void close_cloexec_fds(const std::vector<int>& keep, int max_fd) {
  int dir = ::open("/proc/self/fd", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (dir < 0) {
    for (int fd = 3; fd < max_fd; ++fd) {
      int flags = ::fcntl(fd, F_GETFD);
      if (flags >= 0 && (flags & FD_CLOEXEC) && !is_kept(keep, fd)) ::close(fd);
    }
    return;
  }
  alignas(8) char buf[4096];
  for (;;) {
    long n = ::syscall(SYS_getdents64, dir, buf, sizeof buf);
    if (n <= 0) break;
    for (long off = 0; off < n;) {
      const auto* d = reinterpret_cast<const struct linux_dirent64_view*>(buf + off);
      off += d->d_reclen;
      int fd = 0;
      const char* c = d->d_name;
      if (*c < '0' || *c > '9') continue;
      for (; *c >= '0' && *c <= '9'; ++c) fd = fd * 10 + (*c - '0');
      if (fd < 3 || fd == dir || is_kept(keep, fd)) continue;
      int flags = ::fcntl(fd, F_GETFD);
      if (flags >= 0 && (flags & FD_CLOEXEC)) ::close(fd);
    }
  }
  ::close(dir);
}

// Everything the child reads, laid out before fork so it only follows
// pointers. Owned by the parent; the child's copy dies with exec or _exit.
struct ChildImage {
  std::vector<std::string> args;
  std::vector<char*> argv;
  std::vector<std::string> env;
  std::vector<char*> envp;
  std::vector<std::string> candidates;
  std::vector<int> from;    // descriptors to pass
  std::vector<int> to;      // their numbers in the VM process
  std::vector<int> parked;  // scratch: where each one waits out of the way
  int high = 0;             // lowest number above every target
  std::vector<int> keep;    // descriptors the child needs until exec
  int max_fd = 1024;        // where the fallback scan of descriptors stops
  ExecPlan plan;
};

// The child, from fork to exec. Async-signal-safe calls only.
[[noreturn]] void run_child(const ChildImage& img, int go_fd, int report_fd, int parent_go,
                            int parent_report) {
  // The parent's ends: with our copy of the go pipe's write end open, the
  // parent closing its own would never reach us as EOF.
  ::close(parent_go);
  ::close(parent_report);
  close_cloexec_fds(img.keep, img.max_fd);
  char byte = 0;
  ssize_t got;
  do {
    got = ::read(go_fd, &byte, 1);
  } while (got < 0 && errno == EINTR);
  if (got != 1) _exit(125);  // the parent could not record us: never run unrecorded
  // The VM starts with a clean signal state, whatever its launcher blocked.
  sigset_t none;
  sigemptyset(&none);
  sigprocmask(SIG_SETMASK, &none, nullptr);
  // Passed descriptors go to 3, 4, ...: first all out of the way (above every
  // target, the report pipe too), then into place, so none overwrites another.
  int rep = report_fd;
  size_t n = img.from.size();
  int* parked = const_cast<int*>(img.parked.data());  // the child's own copy
  if (n > 0) {
    rep = ::fcntl(report_fd, F_DUPFD_CLOEXEC, img.high);
    if (rep < 0) child_fail(report_fd, SpawnFailure::kLabel, errno);
    for (size_t i = 0; i < n; ++i) {
      parked[i] = ::fcntl(img.from[i], F_DUPFD_CLOEXEC, img.high);
      if (parked[i] < 0) child_fail(rep, SpawnFailure::kLabel, errno);
    }
    for (size_t i = 0; i < n; ++i)
      if (::dup2(parked[i], img.to[i]) < 0) child_fail(rep, SpawnFailure::kLabel, errno);
  }
  if (int err = img.plan.enter(); err != 0) child_fail(rep, SpawnFailure::kLabel, err);
  int err = ENOENT;
  bool denied = false;
  for (const std::string& path : img.candidates) {
    ::execve(path.c_str(), img.argv.data(), img.envp.data());
    err = errno;
    if (err == EACCES) denied = true;
    if (!try_next_candidate(err)) break;
  }
  if (denied && try_next_candidate(err)) err = EACCES;  // as execvp reports it
  child_fail(rep, SpawnFailure::kExec, err);
}

}  // namespace

std::vector<std::string> merged_environment(char* const* base,
                                            const std::vector<std::string>& extra) {
  std::vector<std::string> out;
  std::map<std::string, size_t> at;
  auto put = [&](std::string kv) {
    std::string name = env_name(kv);
    auto it = at.find(name);
    if (it != at.end()) {
      out[it->second] = std::move(kv);
      return;
    }
    at.emplace(std::move(name), out.size());
    out.push_back(std::move(kv));
  };
  for (char* const* e = base; e != nullptr && *e != nullptr; ++e) put(*e);
  for (const std::string& kv : extra) put(kv);
  return out;
}

std::vector<std::string> exec_candidates(const std::string& file, const char* path_env) {
  if (file.empty()) return {};
  if (file.find('/') != std::string::npos) return {file};
  std::string path = path_env != nullptr ? path_env : "/bin:/usr/bin";  // glibc's default
  std::vector<std::string> out;
  size_t start = 0;
  for (;;) {
    size_t colon = path.find(':', start);
    std::string dir = path.substr(start, colon == std::string::npos ? colon : colon - start);
    out.push_back((dir.empty() ? std::string(".") : dir) + "/" + file);
    if (colon == std::string::npos) break;
    start = colon + 1;
  }
  return out;
}

Result<Spawned> Spawned::start(SpawnRequest req) {
  auto img = std::make_unique<ChildImage>();
  img->args = std::move(req.argv);
  for (std::string& a : img->args) img->argv.push_back(a.data());
  img->argv.push_back(nullptr);
  std::vector<std::string> extra = std::move(req.extra_env);
  for (std::string& kv : req.plan.env) extra.push_back(kv);
  img->env = merged_environment(environ, extra);
  for (std::string& kv : img->env) img->envp.push_back(kv.data());
  img->envp.push_back(nullptr);
  img->candidates =
      exec_candidates(img->args.empty() ? std::string() : img->args[0], ::getenv("PATH"));
  img->high = 3;
  for (InheritedFd& f : req.fds) {
    img->from.push_back(f.fd.get());
    img->to.push_back(f.target);
    if (f.target + 1 > img->high) img->high = f.target + 1;
  }
  img->parked.assign(img->from.size(), -1);
  img->plan = std::move(req.plan);

  int report[2], go[2];
  if (pipe2(report, O_CLOEXEC) != 0)
    return make_error(ErrorCode::kOperationFailed, "launch: pipe", errno);
  UniqueFd report_r(report[0]), report_w(report[1]);
  if (pipe2(go, O_CLOEXEC) != 0)
    return make_error(ErrorCode::kOperationFailed, "launch: pipe", errno);
  UniqueFd go_r(go[0]), go_w(go[1]);
  img->keep = img->from;
  img->keep.push_back(go_r.get());
  img->keep.push_back(report_w.get());
  if (struct rlimit rl{}; ::getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur != RLIM_INFINITY)
    img->max_fd = static_cast<int>(std::min<rlim_t>(rl.rlim_cur, 1 << 20));
  pid_t pid = ::fork();
  if (pid < 0) return make_error(ErrorCode::kOperationFailed, "launch: fork", errno);
  if (pid == 0) run_child(*img, go_r.get(), report_w.get(), go_w.get(), report_r.get());
  Spawned s;
  s.pid_ = pid;
  s.go_ = std::move(go_w);
  s.report_ = std::move(report_r);
  return s;
}

Spawned::Spawned(Spawned&& o) noexcept
    : pid_(std::exchange(o.pid_, -1)), go_(std::move(o.go_)), report_(std::move(o.report_)) {}

Spawned& Spawned::operator=(Spawned&& o) noexcept {
  if (this != &o) {
    cancel();
    pid_ = std::exchange(o.pid_, -1);
    go_ = std::move(o.go_);
    report_ = std::move(o.report_);
  }
  return *this;
}

Spawned::~Spawned() { cancel(); }

SpawnFailure Spawned::go() {
  SpawnFailure f;
  if (pid_ < 0) return f;
  ssize_t n = ::write(go_.get(), "g", 1);
  (void)n;
  go_.reset();
  do {
    n = ::read(report_.get(), &f, sizeof f);
  } while (n < 0 && errno == EINTR);
  report_.reset();
  if (n == static_cast<ssize_t>(sizeof f)) {
    int status = 0;
    while (::waitpid(pid_, &status, 0) < 0 && errno == EINTR) {
    }
  } else {
    f = SpawnFailure{};
  }
  pid_ = -1;  // the caller owns the running process now
  return f;
}

void Spawned::cancel() {
  if (pid_ < 0) return;
  go_.reset();  // the child sees EOF and exits without running anything
  report_.reset();
  int status = 0;
  while (::waitpid(pid_, &status, 0) < 0 && errno == EINTR) {
  }
  pid_ = -1;
}

}  // namespace svirt::internal
