// SPDX-License-Identifier: LGPL-2.1-or-later
//
// Opening a resource for relabeling without trusting its path twice.
//
// Labeling a path by name invites two attacks: a symlink planted in a
// directory the attacker owns (so the label lands on /etc/shadow or a home
// directory), and a directory swapped for a symlink between the moment svirt
// resolves the path and the moment it writes the label. open_resource()
// answers both: it walks the path one component at a time with
// openat(O_PATH|O_NOFOLLOW), following symlinks itself, so every step starts
// from a directory it already holds open; it then checks the canonical path
// the kernel reports for the final descriptor against the system paths svirt
// must never touch. Callers write the label through proc_fd_path(fd), never
// through the name again.
//
// Thread-safety: free functions without shared state.
#pragma once

#include <sys/stat.h>

#include <string>
#include <string_view>
#include <vector>

#include "core/unique_fd.h"
#include "svirt/result.h"

namespace svirt::internal {

struct OpenedPath {
  UniqueFd fd;           // O_PATH|O_NOFOLLOW|O_CLOEXEC descriptor of the final file
  std::string resolved;  // canonical absolute path (symlinks resolved)
  struct stat st {};     // fstat of fd
};

// Which resolved paths may be relabelled. Always forbidden: the system
// directories themselves ("/", "/etc", "/usr", "/var", "/tmp", "/dev", "/home"
// and each home directory, "/root", ...; files below them are fine), and
// everything below /proc, /sys and /etc. `extra_forbidden_trees` adds trees
// (the directory and everything below it), e.g. svirt's state directory.
struct PathPolicy {
  std::vector<std::string> extra_forbidden_trees;
};

// Whether `path` is `tree` or lies below it (both normalized, absolute).
bool in_tree(std::string_view path, std::string_view tree);

// kOperationFailed naming `resolved` when the policy forbids relabeling it.
Result<void> check_path_allowed(const std::string& resolved, const PathPolicy& policy);

// Resolves absolute `path` (relative: kInvalidInput) and opens the file it
// names. A missing file or dangling symlink: kNotFound. A path that moved
// while it was being opened, more than 40 symlinks, or a forbidden target:
// kOperationFailed. Messages name `path` as given.
Result<OpenedPath> open_resource(const std::string& path, const PathPolicy& policy);

// "/proc/self/fd/N": the name through which the kernel reaches the file
// behind `fd`, even for an O_PATH descriptor.
std::string proc_fd_path(int fd);

// The path the kernel reports for `fd` (readlink of proc_fd_path(fd)); a
// deleted file carries a " (deleted)" suffix.
Result<std::string> fd_path(int fd);

}  // namespace svirt::internal
