// SPDX-License-Identifier: LGPL-2.1-or-later
//
// Relabeling a whole directory tree: the mechanism behind <filesystem>
// passthrough shares (9p, virtiofs), whose every file the VM reaches through
// the host.
//
// The tree's content is not trusted: a guest writes into its share, and may
// have planted symlinks, device nodes or mount points by the next start. The
// walk therefore never follows a symlink (nor labels one), leaves device nodes
// alone (labelling one would hand the VM the device), and stays on the mount
// of the root unless told otherwise; every entry is opened relative to a
// directory already held, and reached again only through a descriptor still
// open or a lookup that refuses symlinks, escapes and other mounts.
//
// Crash safety: relabel_tree runs in two passes. The first walks the tree in
// parallel and reads every label; the originals of the entries it will change
// are then written to `record_path` and fsynced; only then does the second
// pass write labels. A crash at any point leaves either no change, or a
// complete record that restore_tree (in any later process) undoes.
//
//   TreeRelabelOptions opts;
//   auto stats = relabel_tree(backend, root.fd.get(), root.resolved, label,
//                             state_dir + "/fs-vm1-0.tree", opts);
//   ...
//   TreeRestoreReport rep = restore_tree(backend, root.fd.get(), root.resolved,
//                                        state_dir + "/fs-vm1-0.tree", opts);
//
// Record format, one line each, fields separated by a tab:
//   svirt-tree-record 1 <TAB> root path <TAB> label set <TAB> cross-mounts 0|1
//   relative path <TAB> original label, or "-" when the entry had none
// Relative paths are "." for the root, else "a/b/c". Fields escape '\\' as
// "\\\\", tab as "\\t", newline as "\\n" and any byte as "\\xHH" (a label
// that is literally "-" is written "\\x2d").
//
// Thread-safety: each call runs its own threads; the backend must allow
// concurrent calls on distinct descriptors, as LabelBackend requires. Two
// calls on the same record must not overlap (the manager's lock sees to it).
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "svirt/backend.h"
#include "svirt/result.h"

namespace svirt::internal {

struct TreeRelabelOptions {
  unsigned threads = 0;       // worker threads; 0: the CPUs this process may run on
  bool cross_mounts = false;  // also label what is mounted below the root
  // Descriptors relabel_tree may keep open from its first pass to its second,
  // sparing the second a fresh lookup of each entry. -1: half of what
  // RLIMIT_NOFILE leaves free when the call starts. 0: none.
  long max_held_fds = -1;
};

struct TreeRelabelStats {
  uint64_t entries = 0;      // everything found under the root, the root included
  uint64_t changed = 0;      // labels written
  uint64_t already = 0;      // entries that carried the label already
  uint64_t unsupported = 0;  // entries on a filesystem that cannot hold labels
  // Symlinks, device nodes, mount points not crossed, and entries that
  // vanished or were replaced while the tree was walked.
  uint64_t skipped = 0;
};

struct TreeRestoreReport {
  uint64_t entries = 0;   // entries in the record
  uint64_t restored = 0;  // originals written back (or labels removed)
  uint64_t already = 0;   // entries that carried their original already
  // Entries gone, replaced by a symlink or device, moved to another mount, or
  // on a filesystem without labels: nothing of ours is left on them.
  uint64_t skipped = 0;
  std::vector<Error> errors;  // one per entry that could not be restored
  bool ok() const { return errors.empty(); }
};

// Labels the directory `root_fd` (opened by open_resource; `root_path` is its
// resolved path, for messages and the record) and everything below it with
// `label`, as described above. Entries that carry `label` already are neither
// written nor recorded. An existing record at `record_path` (a relabel never
// restored) is kept and extended: the originals it holds win. No record is
// written when nothing needs changing and none existed.
//
// Errors: root not a directory: kInvalidInput. A failure of the first pass
// changes nothing; a failure of the second is rolled back through the record
// before returning (if the rollback fails too, the record stays and the
// message says so). Labels the filesystem cannot hold (kUnsupported) are
// counted, not errors.
Result<TreeRelabelStats> relabel_tree(LabelBackend& backend, int root_fd,
                                      const std::string& root_path, const std::string& label,
                                      const std::string& record_path,
                                      const TreeRelabelOptions& opts);

// Puts back every original in the record at `record_path` (in parallel),
// going on past failures and reporting each. The record is removed when all
// succeeded. No record: nothing to do, an empty report. An entry that had no
// label gets remove_label; where the backend cannot remove labels, its
// default_label. A record written for another root path is refused.
TreeRestoreReport restore_tree(LabelBackend& backend, int root_fd, const std::string& root_path,
                               const std::string& record_path, const TreeRelabelOptions& opts);

}  // namespace svirt::internal
