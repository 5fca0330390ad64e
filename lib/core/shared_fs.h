// SPDX-License-Identifier: LGPL-2.1-or-later
//
// Telling shared storage (reached by other hosts too) from local storage,
// for the migration rules of svirt/migration.h.
//
// The filesystem type comes from fstatfs(2) on the file's own descriptor, so
// the answer is about the file svirt opened, not about a path that may have
// changed since. FUSE says nothing by its magic number; for it the mount's
// type ("fuse.glusterfs") is looked up in /proc/self/mountinfo by the mount
// id that /proc/self/fdinfo reports for the descriptor.
//
// Thread-safety: free functions without shared state; SharedStorageTest is
// immutable after construction.
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "svirt/migration.h"

namespace svirt::internal {

// The name of a shared filesystem's statfs magic ("nfs", "gfs2", ...), or
// nullptr for any other filesystem (FUSE included: see fuse_type_is_shared).
const char* shared_fs_magic_name(uint32_t f_type);

// True for FUSE mount types of shared storage: "fuse.glusterfs",
// "fuse.ceph-fuse", "fuse.quobyte".
bool fuse_type_is_shared(std::string_view fstype);

// The filesystem type of mount `mnt_id` in /proc/PID/mountinfo text, nullopt
// when the mount is not listed.
std::optional<std::string> mountinfo_fstype(std::string_view mountinfo, long mnt_id);

// The shared filesystem the file behind `fd` lives on ("nfs",
// "fuse.glusterfs", ...), or nullopt when it is local (or cannot be told).
std::optional<std::string> shared_fs_type(int fd);

// One call's test: SharedStorage::paths, then the probe or shared_fs_type.
class SharedStorageTest {
 public:
  explicit SharedStorageTest(const SharedStorage& shared);
  bool operator()(int fd, const std::string& resolved) const;

 private:
  std::vector<std::string> trees_;  // resolved, no trailing '/'
  std::function<bool(int, const std::string&)> probe_;
};

}  // namespace svirt::internal
