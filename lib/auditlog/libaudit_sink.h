// SPDX-License-Identifier: LGPL-2.1-or-later
//
// The kernel's audit log through libaudit (built with -Daudit=enabled only).
#pragma once

#include <memory>
#include <mutex>
#include <string>

#include "svirt/audit_log.h"
#include "svirt/result.h"

namespace svirt::internal {

class LibauditSink final : public AuditSink {
 public:
  // audit_open(): fails with kUnsupported when the kernel has no audit
  // support, kOperationFailed for any other reason.
  static Result<std::shared_ptr<LibauditSink>> open();
  ~LibauditSink() override;
  LibauditSink(const LibauditSink&) = delete;
  LibauditSink& operator=(const LibauditSink&) = delete;

  // audit_log_user_message() with no hostname, address or terminal, as
  // libvirt sends its records. Fails when libaudit reports an error. When
  // libaudit declines without one (audit disabled in the kernel, ECONNREFUSED
  // from a container's namespace, EPERM for a non-root caller) the record is
  // not sent and this succeeds, as libvirt treats it.
  Result<void> send(AuditRecordType type, const std::string& message, bool success) override;

 private:
  explicit LibauditSink(int fd) : fd_(fd) {}
  std::mutex mu_;  // one request and its acknowledgement at a time on the socket
  int fd_;
};

}  // namespace svirt::internal
