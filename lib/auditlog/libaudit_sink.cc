// SPDX-License-Identifier: LGPL-2.1-or-later
#include "auditlog/libaudit_sink.h"

#include <errno.h>
#include <fcntl.h>
#include <libaudit.h>

namespace svirt::internal {

static_assert(static_cast<int>(AuditRecordType::kResource) == AUDIT_VIRT_RESOURCE);
static_assert(static_cast<int>(AuditRecordType::kMachineId) == AUDIT_VIRT_MACHINE_ID);

Result<std::shared_ptr<LibauditSink>> LibauditSink::open() {
  errno = 0;
  int fd = audit_open();
  if (fd < 0) {
    int e = errno;
    bool absent = e == EINVAL || e == EPROTONOSUPPORT || e == EAFNOSUPPORT;
    return make_error(absent ? ErrorCode::kUnsupported : ErrorCode::kOperationFailed,
                      "audit: cannot open the audit socket", e);
  }
  // libaudit sets this already; a VM process launched later must never
  // inherit the audit socket, whatever libaudit version is installed.
  (void)fcntl(fd, F_SETFD, FD_CLOEXEC);
  return std::shared_ptr<LibauditSink>(new LibauditSink(fd));
}

LibauditSink::~LibauditSink() { audit_close(fd_); }

Result<void> LibauditSink::send(AuditRecordType type, const std::string& message, bool success) {
  std::lock_guard<std::mutex> hold(mu_);
  errno = 0;
  int rc = audit_log_user_message(fd_, static_cast<int>(type), message.c_str(), nullptr, nullptr,
                                  nullptr, success ? 1 : 0);
  if (rc >= 0) return ok();
  // libaudit leaves the cause in errno, or only in the return value.
  int e = errno > 0 ? errno : -rc;
  return make_error(ErrorCode::kOperationFailed, audit_record_type_name(type), e);
}

}  // namespace svirt::internal
