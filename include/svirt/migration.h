// SPDX-License-Identifier: LGPL-2.1-or-later
//
// Live migration: what SecurityManager::prepare(def, PrepareOptions) and
// release(name, ReleaseOptions) do differently from the plain calls.
//
// During a live migration the same domain runs on two hosts at once: the
// source keeps running until the destination has taken over. Each host has
// its own MCS registry, so a dynamic pair means nothing on the other host,
// and storage both hosts reach (NFS, CIFS/SMB, GFS2, OCFS2, CephFS, GlusterFS,
// 9p, ...) is in use by the source while the destination prepares.
//
// Destination, PrepareOptions{.incoming = true}, with the XML the source sent:
//  - A dynamic seclabel's <label> and <imagelabel> are the source's: they are
//    dropped and a fresh pair is drawn here, never the carried one (nor, as
//    always, one a domain here holds). <baselabel> is kept.
//  - A static seclabel is kept as it is. When its pair is held by another
//    domain here, the call fails with kConflict naming both domains.
//  - Files on local storage are labelled as by prepare().
//  - Files and directory trees on shared storage keep the label they carry:
//    the source still runs on them, and relabelling would cut it off
//    mid-migration. They are not recorded here (their original is in the
//    source host's records), so no release on this host, plain, migrated or
//    by recovery after a failed migration, ever changes them. A domain here
//    that holds one with another label still makes the call fail with
//    kConflict. They are reported with changed = false and shared = true,
//    their label being the one they carry. When that is not the label this
//    host would give them (a dynamic pair differs per host), the call warns:
//    the VM here cannot use such a file until it carries a label both ends
//    may use (a static seclabel, a <shareable/> disk, a context= mount, or a
//    filesystem without per-file labels such as NFS with virt_use_nfs).
//
// Source, after the migration succeeded, ReleaseOptions{.migrated = true}:
//  - Files on local storage are restored as by release().
//  - Files on shared storage that no other domain here uses are forgotten,
//    not restored: the domain now running on the destination uses them. They
//    are reported with action kKept, restored_to being the label they keep.
//  - The label is released and the domain's state dropped, as by release().
// Should forgetting fail (the state directory cannot be written), nothing is
// restored and the domain stays recorded, for a later release to retry.
//
// What counts as shared storage: a file whose filesystem type (statfs f_type)
// is one of NFS, CIFS/SMB/SMB2, GFS2, OCFS2, CephFS, AFS, GPFS, Lustre,
// BeeGFS or 9p, or a FUSE filesystem mounted as GlusterFS, ceph-fuse or
// Quobyte; a file at or below one of SharedStorage::paths; or, when
// SharedStorage::probe is set, a file the probe says is shared (instead of
// the filesystem type; the paths still count).
//
// Thread-safety: plain values. The probe is called with the manager's locks
// held, from the calling thread.
#pragma once

#include <functional>
#include <string>
#include <vector>

#include "svirt/export.h"

namespace svirt {

struct SVIRT_EXPORT SharedStorage {
  // Trees whose files count as shared whatever their filesystem (storage the
  // filesystem type does not give away). Absolute; symlinks in them are
  // resolved when the call starts.
  std::vector<std::string> paths;
  // When set, replaces the filesystem-type test: true for a file the other
  // host also reaches. `fd` is an O_PATH descriptor of the file, `resolved`
  // its canonical path.
  std::function<bool(int fd, const std::string& resolved)> probe;
};

struct SVIRT_EXPORT PrepareOptions {
  // The domain arrives by live migration: see above.
  bool incoming = false;
  SharedStorage shared;
};

struct SVIRT_EXPORT ReleaseOptions {
  // The domain left by live migration (or an incoming one failed): see above.
  bool migrated = false;
  SharedStorage shared;
};

}  // namespace svirt
