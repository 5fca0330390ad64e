// SPDX-License-Identifier: LGPL-2.1-or-later
//
// Reading what the test backend did, for a management stack's own tests.
//
// The test backend (driver "test") labels files through the "user.svirt.label"
// extended attribute and records each mechanism call it makes, in order, one
// line per call:
//
//   "get_label /abs/path"
//   "set_label /abs/path system_u:object_r:svirt_image_t:s0:c1,c2"
//   "remove_label /abs/path"
//   "default_label /abs/path"
//   "plan_exec_label CTX"
//   "set_socket_label CTX"
//   "clear_socket_label"
//   "process_label PID"
//   "running_processes"
//
// Paths are the files actually touched (symlinks resolved). A call is
// recorded when it is made, whether or not it succeeds. plan_exec_label is
// made in the launching process, before fork.
//
//   auto* rec = svirt::test_backend_recorder(backend.get());
//   for (const std::string& call : rec->calls()) std::cout << call << "\n";
//
// Thread-safety: calls() and clear() may run concurrently with the backend.
#pragma once

#include <string>
#include <vector>

#include "svirt/backend.h"
#include "svirt/export.h"

namespace svirt {

class SVIRT_EXPORT TestBackendRecorder {
 public:
  virtual ~TestBackendRecorder();
  // Every call recorded since creation or the last clear(), oldest first.
  virtual std::vector<std::string> calls() const = 0;
  virtual void clear() = 0;
};

// The recorder of a test backend; null if `backend` is not one.
SVIRT_EXPORT TestBackendRecorder* test_backend_recorder(LabelBackend* backend);

}  // namespace svirt
