// SPDX-License-Identifier: LGPL-2.1-or-later
//
// audit_manager(): subjects from the manager's domains, objects from its file
// records (or from walking the paths given), labels through its backend.
#include <dirent.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <climits>
#include <cstdlib>
#include <cstring>
#include <map>
#include <set>

#include "core/unique_fd.h"
#include "state/label_bytes.h"
#include "state/state_dir.h"
#include "svirt/audit.h"
#include "svirt/manager.h"

namespace svirt {
namespace {

using internal::label_text;
using internal::UniqueFd;

const char* class_of(mode_t mode) {
  if (S_ISDIR(mode)) return "dir";
  if (S_ISCHR(mode)) return "chr_file";
  if (S_ISBLK(mode)) return "blk_file";
  if (S_ISFIFO(mode)) return "fifo_file";
  if (S_ISSOCK(mode)) return "sock_file";
  if (S_ISLNK(mode)) return "lnk_file";
  return "file";
}

// Builds the object list, reading each label through the backend from an
// O_PATH|O_NOFOLLOW descriptor. Problems with single files become warnings:
// an audit that stops at the first unreadable file tells nothing.
class ObjectCollector {
 public:
  ObjectCollector(LabelBackend& backend, const internal::FileTable& files)
      : backend_(backend), files_(files) {}

  // One object for the file behind `fd` (O_PATH), known as `path`.
  void add(int fd, const std::string& path, mode_t mode) {
    if (!seen_.insert(path).second) return;
    AuditObject obj;
    obj.path = path;
    obj.tclass = class_of(mode);
    auto rec = files_.find(path);
    if (rec != files_.end()) obj.owners = rec->second.users;
    auto label = backend_.get_label(fd, path);
    if (!label)
      warnings_.push_back(label.error().message);
    else if (*label)
      obj.label = label_text(**label);  // without the NUL chcon and the kernel store
    objects_.push_back(std::move(obj));
  }

  // One object for the absolute path `path`, not following a final symlink.
  void add_path(const std::string& path) {
    UniqueFd fd(::open(path.c_str(), O_PATH | O_NOFOLLOW | O_CLOEXEC));
    struct stat st {};
    if (!fd.valid() || fstat(fd.get(), &st) != 0) {
      warnings_.push_back(path + ": cannot open: " + std::strerror(errno));
      return;
    }
    if (S_ISLNK(st.st_mode)) return;
    add(fd.get(), path, st.st_mode);
  }

  // `given` and everything below it. Symlinks are neither followed nor listed.
  void walk(const std::string& given) {
    char* real = realpath(given.c_str(), nullptr);
    if (real == nullptr) {
      warnings_.push_back(given + ": " + std::strerror(errno));
      return;
    }
    std::string root = real;
    std::free(real);
    add_path(root);
    UniqueFd dir(::open(root.c_str(), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC));
    if (dir.valid()) walk_dir(dir.get(), root == "/" ? "" : root);
  }

  std::vector<AuditObject> take_objects() { return std::move(objects_); }
  std::vector<std::string> take_warnings() { return std::move(warnings_); }

 private:
  void walk_dir(int dirfd, const std::string& dir_path) {
    int listing = fcntl(dirfd, F_DUPFD_CLOEXEC, 0);
    DIR* d = listing >= 0 ? fdopendir(listing) : nullptr;
    if (d == nullptr) {
      if (listing >= 0) ::close(listing);
      warnings_.push_back(dir_path + ": cannot list: " + std::strerror(errno));
      return;
    }
    std::vector<std::string> subdirs;
    while (struct dirent* e = readdir(d)) {
      std::string name = e->d_name;
      if (name == "." || name == "..") continue;
      std::string path = dir_path + "/" + name;
      UniqueFd fd(openat(dirfd, name.c_str(), O_PATH | O_NOFOLLOW | O_CLOEXEC));
      struct stat st {};
      if (!fd.valid() || fstat(fd.get(), &st) != 0) {
        warnings_.push_back(path + ": cannot open: " + std::strerror(errno));
        continue;
      }
      if (S_ISLNK(st.st_mode)) continue;
      add(fd.get(), path, st.st_mode);
      if (S_ISDIR(st.st_mode)) subdirs.push_back(name);
    }
    closedir(d);
    // Descend after the listing is closed: one open directory per level.
    for (const std::string& name : subdirs) {
      UniqueFd sub(openat(dirfd, name.c_str(), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC));
      if (!sub.valid()) {
        warnings_.push_back(dir_path + "/" + name + ": cannot list: " + std::strerror(errno));
        continue;
      }
      walk_dir(sub.get(), dir_path + "/" + name);
    }
  }

  LabelBackend& backend_;
  const internal::FileTable& files_;
  std::set<std::string> seen_;
  std::vector<AuditObject> objects_;
  std::vector<std::string> warnings_;
};

std::string parent_of(const std::string& path) {
  size_t slash = path.rfind('/');
  if (slash == std::string::npos) return {};
  return slash == 0 ? "/" : path.substr(0, slash);
}

}  // namespace

Result<AuditReport> audit_manager(SecurityManager& manager, const AuditOptions& options) {
  LabelBackend* backend = manager.backend();
  if (backend == nullptr)
    return make_error(ErrorCode::kUnsupported,
                      "audit: driver '" + std::string(manager.driver().name()) +
                          "' keeps no labels to audit (use the selinux or test driver)");
  std::unique_ptr<PolicyOracle> owned;
  PolicyOracle* oracle = options.oracle;
  if (oracle == nullptr) {
    std::string file;
    if (options.policy_file) {
      file = *options.policy_file;
    } else {
      auto found = default_policy_file();
      if (!found) return std::move(found).error();
      file = std::move(*found);
    }
    auto opened = open_policy(file);
    if (!opened) return std::move(opened).error();
    owned = std::move(*opened);
    oracle = owned.get();
  }

  auto domains = manager.list();
  if (!domains) return std::move(domains).error();
  std::vector<AuditSubject> subjects;
  for (const DomainStatus& d : *domains)
    subjects.push_back(AuditSubject{d.name, d.label.label, d.label.imagelabel});

  auto state = internal::StateDir::open(manager.state_dir());
  if (!state) return std::move(state).error();
  auto files = state->load_files();
  if (!files) return std::move(files).error();

  ObjectCollector collect(*backend, *files);
  if (options.paths.empty()) {
    std::set<std::string> parents;
    for (const auto& [path, rec] : *files) {
      collect.add_path(path);
      std::string parent = parent_of(path);
      if (!parent.empty() && !files->count(parent)) parents.insert(parent);
    }
    for (const std::string& p : parents) collect.add_path(p);
  } else {
    for (const std::string& p : options.paths) collect.walk(p);
  }
  std::vector<AuditObject> objects = collect.take_objects();
  auto report = audit(subjects, objects, *oracle, options.domains);
  if (!report) return std::move(report).error();
  std::vector<std::string> warnings = collect.take_warnings();
  for (std::string& w : report->warnings) warnings.push_back(std::move(w));
  report->warnings = std::move(warnings);
  return report;
}

}  // namespace svirt
