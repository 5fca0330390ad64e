// SPDX-License-Identifier: LGPL-2.1-or-later
#include "core/resource_checks.h"

#include <dirent.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <fstream>
#include <memory>
#include <sstream>
#include <string_view>

#include "core/unique_fd.h"

namespace svirt::internal {
namespace {

Error refused(const std::string& why) { return Error{ErrorCode::kOperationFailed, why, 0}; }

bool kind_matches(FileKind expect, mode_t mode) {
  switch (expect) {
    case FileKind::kAny: return true;
    case FileKind::kRegular: return S_ISREG(mode);
    case FileKind::kBlock: return S_ISBLK(mode);
    case FileKind::kRegularOrBlock: return S_ISREG(mode) || S_ISBLK(mode);
    case FileKind::kDirectory: return S_ISDIR(mode);
    case FileKind::kCharDevice: return S_ISCHR(mode);
    case FileKind::kFifo: return S_ISFIFO(mode);
    case FileKind::kSocket: return S_ISSOCK(mode);
  }
  return false;
}

const char* mode_name(mode_t mode) {
  if (S_ISREG(mode)) return "a regular file";
  if (S_ISDIR(mode)) return "a directory";
  if (S_ISBLK(mode)) return "a block device";
  if (S_ISCHR(mode)) return "a character device";
  if (S_ISFIFO(mode)) return "a FIFO";
  if (S_ISSOCK(mode)) return "a socket";
  return "a file of unknown kind";
}

// Character devices of the host itself, by number (Documentation/admin-guide/
// devices.txt): memory devices (/dev/mem, /dev/null, /dev/zero, /dev/random,
// /dev/kmsg, ...), the virtual consoles, /dev/tty, /dev/console and /dev/ptmx.
// No VM has business with them, and a label on /dev/console or /dev/tty0 is a
// VM on the host's console.
bool host_char_device(dev_t rdev) {
  unsigned maj = major(rdev), min = minor(rdev);
  if (maj == 1) return true;              // memory devices
  if (maj == 4 && min < 64) return true;  // tty0..tty63 (ttyS* start at 64)
  if (maj == 5 && min <= 2) return true;  // tty, console, ptmx
  if (maj == 7 && min < 64) return true;  // vcs, vcsa: the consoles' screens
  return false;
}

// The mount point of a filesystem on block device `rdev`, if one is mounted
// in this process's namespace.
std::string mount_on(dev_t rdev) {
  std::ifstream in("/proc/self/mountinfo");
  std::string line;
  std::string want = std::to_string(major(rdev)) + ":" + std::to_string(minor(rdev));
  while (std::getline(in, line)) {
    // id parent MAJ:MIN root mountpoint ...
    std::istringstream f(line);
    std::string id, parent, devno, root, point;
    if (!(f >> id >> parent >> devno >> root >> point)) continue;
    if (devno == want) return point;
  }
  return {};
}

Result<void> check_block_device(const OpenedPath& opened) {
  std::string point = mount_on(opened.st.st_rdev);
  if (!point.empty())
    return refused("is " + std::string(mode_name(opened.st.st_mode)) +
                   " the host uses: it holds the filesystem mounted on '" + point + "'");
  // An exclusive open fails while the kernel holds the device for the host:
  // a mounted filesystem (in any namespace), a partition of it mounted,
  // swap, a RAID, LVM or dm-crypt member. It is closed again at once.
  std::string proc = proc_fd_path(opened.fd.get());
  UniqueFd probe(::open(proc.c_str(), O_RDONLY | O_EXCL | O_NONBLOCK | O_CLOEXEC));
  if (!probe.valid() && errno == EBUSY)
    return refused("is a block device the host uses (mounted, swap, or part of another device)");
  return ok();
}

// Whether one of svirt's own state files is the inode `st`. Only asked for
// files with several names: a file with one name is in the state directory
// only if its path is, which open_resource already refuses.
bool is_state_file(const std::string& dir, const struct stat& st, int depth = 0) {
  if (depth > 3) return false;
  std::unique_ptr<DIR, int (*)(DIR*)> d(::opendir(dir.c_str()), ::closedir);
  if (!d) return false;
  while (dirent* e = ::readdir(d.get())) {
    if (std::strcmp(e->d_name, ".") == 0 || std::strcmp(e->d_name, "..") == 0) continue;
    struct stat s {};
    if (::fstatat(dirfd(d.get()), e->d_name, &s, AT_SYMLINK_NOFOLLOW) != 0) continue;
    if (s.st_dev == st.st_dev && s.st_ino == st.st_ino) return true;
    if (S_ISDIR(s.st_mode) && is_state_file(dir + "/" + e->d_name, st, depth + 1)) return true;
  }
  return false;
}


// The operating system's own trees: what the package manager installs.
constexpr std::string_view kOsTrees[] = {"/usr", "/boot", "/bin",   "/sbin", "/lib",
                                         "/lib32", "/lib64", "/libx32", "/opt"};

}  // namespace

bool read_only_resource(const ResourceLabel& r, const HostDefaults& defaults) {
  switch (r.kind) {
    case ResourceKind::kBacking:
    case ResourceKind::kKernel:
    case ResourceKind::kInitrd:
    case ResourceKind::kDtb:
    case ResourceKind::kLoader:
      return true;
    default:
      return r.label && *r.label == defaults.content_context;
  }
}

Result<void> check_resource_file(const ResourceLabel& r, const OpenedPath& opened,
                                 const ResourceCheckContext& ctx) {
  const struct stat& st = opened.st;
  if (!kind_matches(r.expect, st.st_mode))
    return refused("is " + std::string(mode_name(st.st_mode)) + ", not a " +
                   file_kind_name(r.expect));
  if (S_ISCHR(st.st_mode) && host_char_device(st.st_rdev))
    return refused("is a device of the host's console or memory (" +
                   std::to_string(major(st.st_rdev)) + ":" + std::to_string(minor(st.st_rdev)) +
                   "), never given to a VM");
  if (S_ISBLK(st.st_mode)) SVIRT_TRY(check_block_device(opened));
  if (!S_ISDIR(st.st_mode) && st.st_nlink > 1) {
    if (is_state_file(ctx.state_dir, st))
      return refused("is a hard link to one of svirt's own state files");
    if (!ctx.config.allow_hard_links)
      return refused("has " + std::to_string(st.st_nlink) +
                     " names (hard links), and labelling it labels every one; refused unless "
                     "[security] allow_hard_links = true");
  }
  for (std::string_view tree : kOsTrees) {
    if (!in_tree(opened.resolved, tree)) continue;
    if (read_only_resource(r, ctx.defaults) && !S_ISDIR(st.st_mode)) break;
    bool allowed = false;
    for (const std::string& a : ctx.config.allow_system_paths)
      if (in_tree(opened.resolved, a)) allowed = true;
    if (!allowed)
      return refused("lies in the system tree '" + std::string(tree) +
                     "', where svirt labels read-only files only (a tree listed in [security] "
                     "allow_system_paths is exempt)");
    break;
  }
  return ok();
}

}  // namespace svirt::internal
