// SPDX-License-Identifier: LGPL-2.1-or-later
//
// What svirt hands out and reports: a domain's security label, the node's
// security model, and per-resource outcomes of labeling and restoring.
//
// Thread-safety: plain values.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "svirt/export.h"
#include "svirt/result.h"

namespace svirt {

// The node's security model, as `virsh nodeinfo`/`svirt model` print it.
struct SVIRT_EXPORT SecurityModel {
  std::string model;  // "selinux", "none"
  std::string doi;    // "0" for SELinux
};

enum class LabelType { kNone, kStatic, kDynamic };
SVIRT_EXPORT const char* label_type_name(LabelType t) noexcept;  // "none", "static", "dynamic"

enum class EnforcingMode { kDisabled, kPermissive, kEnforcing };
SVIRT_EXPORT const char* enforcing_mode_name(EnforcingMode m) noexcept;

// A domain's label, as decided by gen_label/reserve_label.
struct SVIRT_EXPORT SecurityLabel {
  std::string model;       // "selinux" or "none"
  LabelType type = LabelType::kNone;
  bool relabel = false;    // resources get labelled
  std::string label;       // process context; "" for type none
  std::string imagelabel;  // image context; "" when nothing is relabelled
  EnforcingMode mode = EnforcingMode::kDisabled;  // host state, for dominfo
};

// Kinds of host resources, in the words of cli.md's JSON.
enum class ResourceKind {
  kDisk, kBacking, kKernel, kInitrd, kDtb, kLoader, kNvram, kChardev,
  kHostdev, kFilesystem, kTpm, kMemory, kSavefile,
  kTpmState,       // "tpm-state": swtpm's state directory (a whole tree) or file
  kTpmLog,         // "tpm-log": swtpm's log file, labelled when it exists
  kHugepages,      // "hugepages": per-domain directory on a hugetlbfs mount
  kMemoryBacking,  // "memory-backing": per-domain directory of file-backed RAM
};
SVIRT_EXPORT const char* resource_kind_name(ResourceKind k) noexcept;

// What the file behind a resource must be. The XML says which kind of
// source it names (a disk of type='file' is an image, of type='block' a block
// device); a file of another kind is refused before anything is labelled, so
// that a disk "image" cannot be /dev/zero, a FIFO or a directory.
enum class FileKind {
  kAny,             // not checked
  kRegular,         // regular file
  kBlock,           // block device
  kRegularOrBlock,  // backing layers, nvdimm: either
  kDirectory,
  kCharDevice,
  kFifo,
  kSocket,
};
SVIRT_EXPORT const char* file_kind_name(FileKind k) noexcept;  // "regular file", ...

// The planner's decision for one host path.
struct SVIRT_EXPORT ResourceLabel {
  ResourceKind kind = ResourceKind::kDisk;
  std::string path;                  // as written in the XML
  std::optional<std::string> label;  // nullopt: leave the file untouched
  std::string device;                // "vda", "serial0", "kernel", ... for messages
  FileKind expect = FileKind::kAny;  // checked before labelling
  // With no label: why svirt leaves the resource alone ("relabel='no'",
  // "network disk: no host file"), for reports.
  std::string reason;
};

// What set_*_label did to one resource.
struct SVIRT_EXPORT AppliedLabel {
  ResourceLabel resource;
  std::optional<std::string> original;  // label before svirt; nullopt = unlabelled
  bool changed = false;                 // false when it already carried the label
  bool shared = false;                  // another domain already held it
};

// What one Set verb did: every resource it labelled or left, and the
// conditions it met that did not fail it (a filesystem that cannot hold
// labels, an error ignored because the host is permissive). The warnings are
// this call's own: no verb reports another call's.
struct SVIRT_EXPORT LabelReport {
  std::vector<AppliedLabel> items;
  std::vector<std::string> warnings;
};

enum class RestoreAction {
  kRestored, kKept, kSkipped, kFailed,
  kForgotten,  // the record was dropped on request, the file left as it was
};
SVIRT_EXPORT const char* restore_action_name(RestoreAction a) noexcept;

// What restore_*_label did to one resource.
struct SVIRT_EXPORT RestoredLabel {
  ResourceLabel resource;
  std::optional<std::string> restored_to;  // label written back; nullopt when none
  RestoreAction action = RestoreAction::kRestored;
  std::string error;                       // for kFailed
};

// Restore never stops at the first failure: it reports every resource and
// every error, and, like LabelReport, its own warnings. ok() is true when
// errors is empty.
struct SVIRT_EXPORT RestoreReport {
  std::vector<RestoredLabel> items;
  std::vector<Error> errors;
  std::vector<std::string> warnings;
  bool ok() const { return errors.empty(); }
  // One Error summarizing all failures (first message plus a count).
  Error summary() const;
};

}  // namespace svirt
