// SPDX-License-Identifier: LGPL-2.1-or-later
//
// LabelBackend: the mechanism under a labeling driver.
//
// svirt keeps decisions (which label goes on which resource; lib/plan) apart
// from mechanism (how a label is read, written and entered). A backend is the
// mechanism: it reads and writes one file's label through a descriptor the
// core has already opened safely, sets the exec label in a forked child, and
// tells the host defaults. The SELinux backend does this with libselinux; the
// test backend keeps labels in the "user.svirt.label" xattr so unit tests need
// neither SELinux nor root. Both are driven by the same planner and state code,
// so the test backend's decisions are the SELinux backend's decisions.
//
// A backend never resolves paths itself: `fd` is an O_PATH|O_NOFOLLOW
// descriptor of the already-resolved, already-vetted file, and `path` is only
// for messages. Label it through "/proc/self/fd/N" (the way systemd does), so a
// symlink swapped in after resolution cannot redirect the write.
//
// Thread-safety: implementations must allow concurrent calls on distinct fds.
#pragma once

#include <sys/types.h>

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "svirt/config.h"
#include "svirt/driver.h"
#include "svirt/export.h"
#include "svirt/label.h"
#include "svirt/result.h"

namespace svirt {

// Where default labels come from, after config and host were consulted.
struct SVIRT_EXPORT HostDefaults {
  std::string process_context;                    // the caller's own context
  std::string domain_context;                     // first line of virtual_domain_context
  std::optional<std::string> tcg_domain_context;  // second line, if any
  std::string image_context;                      // first line of virtual_image_context
  std::string content_context;                    // second line
};

// A running process and the label it runs under.
struct SVIRT_EXPORT RunningProcess {
  pid_t pid = 0;
  std::string label;
};

class SVIRT_EXPORT LabelBackend {
 public:
  virtual ~LabelBackend();

  // "selinux" or "test".
  virtual std::string_view name() const = 0;
  // Model and DOI this backend reports.
  virtual SecurityModel model() const = 0;
  // Host enforcement state, probed once and cached.
  virtual EnforcingMode mode() const = 0;

  // Defaults for the planner: `config` values win over what the host says.
  virtual Result<HostDefaults> defaults(const Config& config) const = 0;

  // Whether the loaded policy accepts `context` (security_check_context_raw);
  // the test backend accepts any syntactically valid context.
  virtual Result<void> check_context(const std::string& context) const = 0;

  // Label of the file behind `fd` (O_PATH): its bytes as stored, with the
  // trailing NUL chcon and the kernel add, so that set_label of what this
  // returned puts back exactly what was there. nullopt: the file has none.
  virtual Result<std::optional<std::string>> get_label(int fd, const std::string& path) = 0;
  // Writes `label`'s bytes, as they are, on the file behind `fd` (O_PATH).
  // EOPNOTSUPP and EROFS come back as ErrorCode::kUnsupported so callers can
  // decide to warn.
  virtual Result<void> set_label(int fd, const std::string& path, const std::string& label) = 0;
  // Removes the label, leaving the file unlabelled. Used only to restore a file
  // that had no label before svirt touched it and has no file_contexts default.
  // The default answers kUnsupported (SELinux cannot remove security.selinux);
  // the test backend removes its xattr.
  virtual Result<void> remove_label(int fd, const std::string& path);
  // Whether two contexts name the same label. The kernel hands a label back
  // in its canonical form (a range "s0-s0:c1,c2" as "s0:c1,c2"), so what
  // svirt set may read back spelt otherwise. The default compares the text;
  // the SELinux backend asks the loaded policy to canonicalize both.
  virtual bool same_label(const std::string& a, const std::string& b) const;
  // The host's default label for `path` (file_contexts), nullopt if none.
  virtual Result<std::optional<std::string>> default_label(const std::string& path, mode_t mode) = 0;

  // Called in the parent before fork: what the child does so that its next
  // exec runs under `label` (ExecPlan in svirt/driver.h; the child runs
  // only ExecPlan::enter). `required` is whether a failure to enter it must
  // stop the child (the labeling driver passes true on an enforcing host).
  virtual Result<ExecPlan> plan_exec_label(const std::string& label, bool required) = 0;
  // Sockets created by this thread get `label` until clear_socket_label().
  virtual Result<void> set_socket_label(const std::string& label) = 0;
  virtual Result<void> clear_socket_label() = 0;
  // Context of a running process.
  virtual Result<std::string> process_label(pid_t pid) = 0;
  // The labels of the processes of VMs svirt did not start (libvirt's,
  // another stack's), so that the categories they hold are never handed out.
  // The default reads, through process_label(), the processes of the cgroups
  // `vm_cgroups` names (Config::vm_cgroups: systemd's machine.slice, where
  // libvirt, through systemd-machined, runs every VM, unless configured):
  // reading the label of every process on the host would ask the policy for
  // access a manager's domain does not have (the kernel logs a denial for
  // each kernel thread and for init on every start). Processes that exit
  // while the list is read, and ones the policy does not let the caller
  // inspect, are left out; a label that cannot be read for another reason is
  // an error. The test backend instead reads every process of /proc for the
  // label its own exec plan leaves in the environment, and counts those whose
  // SVIRT_TEST_HOST names its state directory, so a test can stand up a
  // "foreign VM" with `env SVIRT_LABEL=CTX SVIRT_TEST_HOST=STATE_DIR sleep 60`.
  virtual Result<std::vector<RunningProcess>> running_processes(
      const std::vector<std::string>& vm_cgroups);
};

}  // namespace svirt
