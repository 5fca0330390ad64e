// SPDX-License-Identifier: LGPL-2.1-or-later
#include "core/safe_path.h"

#include <fcntl.h>
#include <limits.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <deque>
#include <memory>
#include <string_view>

namespace svirt::internal {
namespace {

// Linux's own limit for one path lookup (MAXSYMLINKS).
constexpr int kMaxSymlinkHops = 40;

constexpr int kPathFlags = O_PATH | O_NOFOLLOW | O_CLOEXEC;

// Directories whose own label the host depends on. Files below them are fine:
// images live under /var, sockets under /run, firmware under /usr/share.
constexpr std::string_view kSystemDirs[] = {
    "/",          "/etc",        "/usr",         "/boot",        "/proc",      "/sys",
    "/dev",       "/dev/shm",    "/dev/pts",     "/dev/mqueue",  "/var",       "/home",
    "/root",      "/bin",        "/sbin",        "/lib",         "/lib32",     "/lib64",
    "/libx32",    "/opt",        "/run",         "/run/user",    "/tmp",       "/srv",
    "/mnt",       "/media",      "/usr/bin",     "/usr/sbin",    "/usr/lib",   "/usr/lib32",
    "/usr/lib64", "/usr/libx32", "/usr/libexec", "/usr/include", "/usr/share", "/usr/local",
    "/usr/src",   "/var/lib",    "/var/log",     "/var/cache",   "/var/spool", "/var/tmp",
    "/var/run",   "/var/lock",   "/var/mail",    "/var/opt",
};

// Trees nothing below may be relabelled: kernel virtual files, and host
// configuration (a planted symlink to /etc/shadow must not give a VM access).
constexpr std::string_view kSystemTrees[] = {"/proc", "/sys", "/etc"};


// Splits on '/', dropping empty parts. A trailing slash becomes a final "."
// so that the walk insists the last real component is a directory.
std::deque<std::string> split_path(std::string_view path) {
  std::deque<std::string> parts;
  size_t i = 0;
  while (i < path.size()) {
    size_t j = path.find('/', i);
    if (j == std::string_view::npos) j = path.size();
    if (j > i) parts.emplace_back(path.substr(i, j - i));
    i = j + 1;
  }
  if (!parts.empty() && path.back() == '/') parts.emplace_back(".");
  return parts;
}

// Lexical normalization for policy entries, which may not exist yet.
std::string normalize(std::string_view path) {
  std::vector<std::string> out;
  for (std::string& part : split_path(path)) {
    if (part == ".") continue;
    if (part == "..") {
      if (!out.empty()) out.pop_back();
      continue;
    }
    out.push_back(std::move(part));
  }
  std::string s;
  for (const std::string& part : out) s += "/" + part;
  return s.empty() ? "/" : s;
}

Result<std::string> read_link_at(int dirfd, const char* name) {
  std::string buf(256, '\0');
  for (;;) {
    ssize_t n = ::readlinkat(dirfd, name, buf.data(), buf.size());
    if (n < 0) return make_error(ErrorCode::kOperationFailed, "cannot read link", errno);
    if (static_cast<size_t>(n) < buf.size()) {
      buf.resize(n);
      return buf;
    }
    if (buf.size() >= 1 << 20) {
      return make_error(ErrorCode::kOperationFailed, "cannot read link", ENAMETOOLONG);
    }
    buf.resize(buf.size() * 2);
  }
}

Error open_error(const std::string& path, int err) {
  ErrorCode code =
      (err == ENOENT || err == ENOTDIR) ? ErrorCode::kNotFound : ErrorCode::kOperationFailed;
  return make_error(code, "cannot open '" + path + "'", err);
}

// Empty when allowed, else the reason, naming `resolved`.
std::string forbidden_reason(const std::string& resolved, const PathPolicy& policy) {
  for (std::string_view dir : kSystemDirs) {
    if (resolved == dir) return "refusing to relabel system path '" + resolved + "'";
  }
  for (std::string_view tree : kSystemTrees) {
    if (in_tree(resolved, tree)) return "refusing to relabel system path '" + resolved + "'";
  }
  if (in_tree(resolved, "/home")) {
    std::string_view rest = std::string_view(resolved).substr(6);
    if (!rest.empty() && rest.find('/') == std::string_view::npos) {
      return "refusing to relabel home directory '" + resolved + "'";
    }
  }
  for (const std::string& extra : policy.extra_forbidden_trees) {
    if (extra.empty() || extra[0] != '/') continue;
    std::string tree = normalize(extra);
    // The tree may itself be reached through a symlink (/var/run -> /run).
    std::unique_ptr<char, decltype(&::free)> real(::realpath(tree.c_str(), nullptr), &::free);
    if (in_tree(resolved, tree) || (real && in_tree(resolved, real.get()))) {
      return "refusing to relabel '" + resolved + "': inside protected tree '" + tree + "'";
    }
  }
  return {};
}

}  // namespace

bool in_tree(std::string_view path, std::string_view tree) {
  if (tree == "/") return true;
  if (path.size() < tree.size() || path.substr(0, tree.size()) != tree) return false;
  return path.size() == tree.size() || path[tree.size()] == '/';
}

std::string proc_fd_path(int fd) { return "/proc/self/fd/" + std::to_string(fd); }

Result<std::string> fd_path(int fd) {
  std::string proc = proc_fd_path(fd);
  Result<std::string> target = read_link_at(AT_FDCWD, proc.c_str());
  if (!target) return target.error().wrap(proc);
  return target;
}

Result<void> check_path_allowed(const std::string& resolved, const PathPolicy& policy) {
  std::string reason = forbidden_reason(resolved, policy);
  if (!reason.empty()) return Error{ErrorCode::kOperationFailed, reason, 0};
  return ok();
}

Result<OpenedPath> open_resource(const std::string& path, const PathPolicy& policy) {
  if (path.empty() || path[0] != '/') {
    return Error{ErrorCode::kInvalidInput, "path '" + path + "' is not absolute", 0};
  }
  UniqueFd cur(::open("/", kPathFlags | O_DIRECTORY));
  if (!cur.valid()) return open_error(path, errno);
  struct stat st {};
  if (::fstat(cur.get(), &st) != 0) return open_error(path, errno);

  // Each step opens one name relative to a directory already held, so no
  // later rename or symlink swap can change where an earlier step led.
  std::vector<std::string> resolved_parts;
  std::deque<std::string> todo = split_path(path);
  int hops = 0;
  while (!todo.empty()) {
    std::string name = std::move(todo.front());
    todo.pop_front();
    if (name == ".") continue;
    if (name == "..") {
      if (resolved_parts.empty()) continue;
      UniqueFd parent(::openat(cur.get(), "..", kPathFlags | O_DIRECTORY));
      if (!parent.valid()) return open_error(path, errno);
      if (::fstat(parent.get(), &st) != 0) return open_error(path, errno);
      cur = std::move(parent);
      resolved_parts.pop_back();
      continue;
    }
    UniqueFd next(::openat(cur.get(), name.c_str(), kPathFlags));
    if (!next.valid()) return open_error(path, errno);
    if (::fstat(next.get(), &st) != 0) return open_error(path, errno);
    if (S_ISLNK(st.st_mode)) {
      if (++hops > kMaxSymlinkHops) return open_error(path, ELOOP);
      // Empty name: read the link this O_PATH descriptor holds, not one
      // that might have replaced it since.
      Result<std::string> target = read_link_at(next.get(), "");
      if (!target) return open_error(path, target.error().sys_errno);
      if (target->empty()) return open_error(path, ENOENT);
      std::deque<std::string> parts = split_path(*target);
      todo.insert(todo.begin(), parts.begin(), parts.end());
      if ((*target)[0] == '/') {
        UniqueFd root(::open("/", kPathFlags | O_DIRECTORY));
        if (!root.valid()) return open_error(path, errno);
        cur = std::move(root);
        resolved_parts.clear();
        if (::fstat(cur.get(), &st) != 0) return open_error(path, errno);
      }
      continue;
    }
    if (!todo.empty() && !S_ISDIR(st.st_mode)) return open_error(path, ENOTDIR);
    resolved_parts.push_back(std::move(name));
    cur = std::move(next);
  }

  std::string resolved;
  for (const std::string& part : resolved_parts) resolved += "/" + part;
  if (resolved.empty()) resolved = "/";

  // The walk's idea of the path must still be the kernel's: a directory
  // renamed or swapped while we walked makes them differ.
  Result<std::string> actual = fd_path(cur.get());
  if (!actual) return actual.error().wrap("cannot open '" + path + "'");
  if (*actual != resolved) {
    return Error{ErrorCode::kOperationFailed,
                 "cannot open '" + path + "': path changed while opening", 0};
  }

  std::string reason = forbidden_reason(resolved, policy);
  if (!reason.empty()) {
    if (resolved != path) reason += " (reached from '" + path + "')";
    return Error{ErrorCode::kOperationFailed, reason, 0};
  }

  OpenedPath opened;
  opened.fd = std::move(cur);
  opened.resolved = std::move(resolved);
  opened.st = st;
  return opened;
}

}  // namespace svirt::internal
