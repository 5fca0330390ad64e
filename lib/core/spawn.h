// SPDX-License-Identifier: LGPL-2.1-or-later
//
// Starting a VM process from a threaded parent.
//
// A child forked from a multi-threaded process holds a copy of every lock as
// it was at the moment of fork(): another thread may have been inside malloc,
// setenv or stdio. Until exec the child may therefore only make
// async-signal-safe calls (signal-safety(7)). Everything the child needs is
// built here first, in the parent: the argv and environment arrays, the
// candidate paths of the program (PATH searched as execvp would), the
// descriptor moves, and the driver's ExecPlan. The child then runs only
// read, write, open, close, fcntl, dup2, sigprocmask, execve and _exit.
#pragma once

#include <sys/types.h>

#include <memory>
#include <string>
#include <vector>

#include "core/unique_fd.h"
#include "svirt/driver.h"
#include "svirt/result.h"

namespace svirt::internal {

// A descriptor the VM process inherits at a fixed number (3, 4, ...).
struct InheritedFd {
  UniqueFd fd;
  int target = -1;
};

struct SpawnRequest {
  std::vector<std::string> argv;       // argv[0] is searched in PATH without a '/'
  std::vector<std::string> extra_env;  // "K=V": added to, or replacing in, the environment
  std::vector<InheritedFd> fds;        // targets 3, 4, ... in order
  ExecPlan plan;                       // entered right before exec
};

// How the child ended when it did not reach the program.
struct SpawnFailure {
  enum Stage : int { kNone = 0, kLabel = 1, kExec = 2 };
  int stage = kNone;
  int err = 0;
};

// The environment `base` (an environ-style array) with `extra` entries added;
// an entry of `extra` replaces one of `base` with the same name.
std::vector<std::string> merged_environment(char* const* base,
                                            const std::vector<std::string>& extra);

// Where execvp would look for `file`, in order: `file` itself when it holds a
// '/', else each directory of `path_env` (empty entries meaning ".").
std::vector<std::string> exec_candidates(const std::string& file, const char* path_env);

// A forked child that waits for go() before it enters the plan and execs:
// the caller records the pid first, so no VM process ever runs unrecorded.
class Spawned {
 public:
  // Builds everything, then forks. The child does nothing but wait.
  static Result<Spawned> start(SpawnRequest req);
  Spawned(Spawned&& o) noexcept;
  Spawned& operator=(Spawned&& o) noexcept;
  ~Spawned();

  pid_t pid() const { return pid_; }
  // Lets the child run; returns once it has exec'd the program or failed.
  // A failure is reaped here.
  SpawnFailure go();
  // The child exits without running anything; reaped here.
  void cancel();

 private:
  Spawned() = default;
  pid_t pid_ = -1;
  UniqueFd go_;      // write end: one byte lets the child run
  UniqueFd report_;  // read end: a SpawnFailure, or EOF once the exec succeeded
};

}  // namespace svirt::internal
