// SPDX-License-Identifier: LGPL-2.1-or-later
#include "svirt/backend.h"

#include <cerrno>

#include "core/proc_list.h"
#include "svirt/driver.h"

namespace svirt {

LabelBackend::~LabelBackend() = default;

Result<void> LabelBackend::remove_label(int /*fd*/, const std::string& path) {
  return make_error(ErrorCode::kUnsupported,
                    "'" + path + "': cannot remove a security label on this backend");
}

Result<std::vector<RunningProcess>> LabelBackend::running_processes(
    const std::vector<std::string>& vm_cgroups) {
  std::vector<RunningProcess> out;
  for (pid_t pid : internal::vm_cgroup_pids(vm_cgroups)) {
    auto label = process_label(pid);
    if (label) {
      out.push_back(RunningProcess{pid, std::move(*label)});
    } else if (label.error().code != ErrorCode::kNotFound && label.error().sys_errno != EACCES &&
               label.error().sys_errno != EPERM) {
      return std::move(label).error();
    }
  }
  return out;
}

bool LabelBackend::same_label(const std::string& a, const std::string& b) const { return a == b; }

SecurityDriver::~SecurityDriver() = default;

RestoreReport SecurityDriver::check_unrecorded(const DomainDef& /*def*/) { return {}; }

RestoreReport SecurityDriver::forget_labels(const DomainDef& def,
                                            const std::vector<std::string>& paths) {
  RestoreReport r;
  for (const std::string& p : paths)
    r.errors.push_back(make_error(ErrorCode::kNotFound, "domain '" + def.name + "': driver '" +
                                                            std::string(name()) +
                                                            "' keeps no record of '" + p + "'"));
  return r;
}

}  // namespace svirt
