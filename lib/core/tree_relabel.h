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
// Hard links: a file with several names is labelled only when every one of
// them is in the tree (counted during the first pass, by directory and name,
// so a directory reached twice through a bind mount counts its names once).
// One name outside would hand the VM that outside file, a stand-in for
// /etc/shadow, say: such a file is left as it is and counted. A file met
// under several names is labelled and recorded once. The count assumes the
// tree is not being rearranged while relabel_tree walks it (the VM is not
// running yet): a name moved during the walk may be seen twice.
//
// Crash safety: relabel_tree runs in two passes. The first walks the tree in
// parallel and reads every label; the originals of the entries it will change
// are then written to `record_path` and fsynced; only then does the second
// pass write labels. A crash at any point leaves either no change, or a
// complete record that restore_tree (in any later process) undoes.
//
// Restore by identity: the guest may rename, move and delete what it finds
// in its share while it runs, so restore_tree finds each recorded file by
// device and inode, not by the name it had. It walks the tree under the root
// with the first pass's rules and restores every recorded file wherever it is
// now; a name that now holds another file is not touched through that name.
// A recorded file nowhere in the tree (deleted, or moved out) is skipped. A
// file that carries neither the label relabel_tree set nor its original was
// relabelled by someone since: it is left as it is and reported as an error,
// so the record stays. The device number of the root's filesystem may change
// across a reboot (device-mapper numbering): when the root is the same inode
// on another device, the entries recorded on its old device are looked for on
// the new one. An inode number the filesystem reuses for a new file after the
// recorded one was deleted is taken for the recorded file when it carries the
// label relabel_tree set; it then gets that file's original, which is a label
// the tree held.
//
//   TreeRelabelOptions opts;
//   auto stats = relabel_tree(backend, root.fd.get(), root.resolved, label,
//                             state_dir + "/fs-vm1-0.tree", opts);
//   if (stats->hardlinked > 0) warn(...);
//   ...
//   TreeRestoreReport rep = restore_tree(backend, root.fd.get(), root.resolved,
//                                        state_dir + "/fs-vm1-0.tree", opts);
//
// Record format, one line each, fields separated by a tab:
//   svirt-tree-record 2 <TAB> root path <TAB> label set <TAB> cross-mounts 0|1
//       <TAB> root DEV:INO [<TAB> label set by an earlier relabel]...
//   relative path <TAB> original label, or "-" when the entry had none
//       <TAB> DEV:INO, or "-" for an entry carried over from a version 1 record
// DEV and INO are decimal, as stat(1) prints %d:%i. Relative paths are "."
// for the root, else "a/b/c". Fields escape '\\' as "\\\\", tab as "\\t",
// newline as "\\n" and any byte as "\\xHH" (a label that is literally "-" is
// written "\\x2d"). Earlier labels appear when a record never restored was
// extended by a relabel with another label: its files may still carry it.
// Version 1 records (written before identities were kept) have the first
// four header fields and the first two entry fields; their entries, and
// entries without DEV:INO, are restored by path, as they were written.
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
  // Names of files with a hard link outside the tree: left as they are.
  uint64_t hardlinked = 0;
  // Further names of a file met under several (hard links inside the tree,
  // a directory reached twice across mounts): labelled and recorded once,
  // under the first.
  uint64_t other_names = 0;
  // Every entry is counted once: entries == changed + already + unsupported +
  // skipped + hardlinked + other_names.
};

struct TreeRestoreReport {
  uint64_t entries = 0;   // files in the record
  uint64_t restored = 0;  // originals written back (or labels removed)
  uint64_t already = 0;   // entries that carried their original already
  // Entries nowhere in the tree (deleted, moved out or to another mount;
  // recorded by path: gone, or replaced by a symlink or device), or on a
  // filesystem without labels: nothing of ours is left on them.
  uint64_t skipped = 0;
  // Entries found carrying a label that is neither the one relabel_tree set
  // nor their original: someone relabelled them since. Left as they are; each
  // is also in `errors`, naming its path.
  uint64_t relabelled = 0;
  // One per entry that could not be restored or was relabelled since, and
  // one per directory of the tree that could not be read.
  std::vector<Error> errors;
  bool ok() const { return errors.empty(); }
};

// Labels the directory `root_fd` (opened by open_resource; `root_path` is its
// resolved path, for messages and the record) and everything below it with
// `label`, as described above. Entries that carry `label` already are neither
// written nor recorded; files with a hard link outside the tree are left
// alone (TreeRelabelStats::hardlinked). An existing record at `record_path`
// (a relabel never restored) is kept and extended: the originals it holds
// win, matched by identity (by path for its entries without one). No record
// is written when nothing needs changing and none existed.
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
// finding each file by identity as described above, going on past failures
// and reporting each. The record is removed when all succeeded. No record:
// nothing to do, an empty report. An entry that had no label gets
// remove_label; where the backend cannot remove labels, its default_label
// (which a later restore then takes for its original). A record written for
// another root path is refused.
TreeRestoreReport restore_tree(LabelBackend& backend, int root_fd, const std::string& root_path,
                               const std::string& record_path, const TreeRelabelOptions& opts);

}  // namespace svirt::internal
