// SPDX-License-Identifier: LGPL-2.1-or-later
#include <cstring>

#include "svirt/label.h"
#include "svirt/result.h"

namespace svirt {

int exit_status_for(ErrorCode code) noexcept {
  return code == ErrorCode::kInvalidInput ? 1 : 2;
}

const char* error_code_name(ErrorCode code) noexcept {
  switch (code) {
    case ErrorCode::kInvalidInput: return "invalid-input";
    case ErrorCode::kOperationFailed: return "operation-failed";
    case ErrorCode::kConflict: return "conflict";
    case ErrorCode::kExhausted: return "exhausted";
    case ErrorCode::kNotFound: return "not-found";
    case ErrorCode::kUnsupported: return "unsupported";
  }
  return "unknown";
}

Error make_error(ErrorCode code, std::string message, int errno_value) {
  if (errno_value != 0) {
    message += ": ";
    message += std::strerror(errno_value);
  }
  return Error{code, std::move(message), errno_value};
}

const char* label_type_name(LabelType t) noexcept {
  switch (t) {
    case LabelType::kNone: return "none";
    case LabelType::kStatic: return "static";
    case LabelType::kDynamic: return "dynamic";
  }
  return "none";
}

const char* enforcing_mode_name(EnforcingMode m) noexcept {
  switch (m) {
    case EnforcingMode::kDisabled: return "disabled";
    case EnforcingMode::kPermissive: return "permissive";
    case EnforcingMode::kEnforcing: return "enforcing";
  }
  return "disabled";
}

const char* resource_kind_name(ResourceKind k) noexcept {
  switch (k) {
    case ResourceKind::kDisk: return "disk";
    case ResourceKind::kBacking: return "backing";
    case ResourceKind::kKernel: return "kernel";
    case ResourceKind::kInitrd: return "initrd";
    case ResourceKind::kDtb: return "dtb";
    case ResourceKind::kLoader: return "loader";
    case ResourceKind::kNvram: return "nvram";
    case ResourceKind::kChardev: return "chardev";
    case ResourceKind::kHostdev: return "hostdev";
    case ResourceKind::kFilesystem: return "filesystem";
    case ResourceKind::kTpm: return "tpm";
    case ResourceKind::kMemory: return "memory";
    case ResourceKind::kSavefile: return "savefile";
    case ResourceKind::kTpmState: return "tpm-state";
    case ResourceKind::kTpmLog: return "tpm-log";
    case ResourceKind::kHugepages: return "hugepages";
    case ResourceKind::kMemoryBacking: return "memory-backing";
  }
  return "disk";
}

const char* file_kind_name(FileKind k) noexcept {
  switch (k) {
    case FileKind::kAny: return "any file";
    case FileKind::kRegular: return "regular file";
    case FileKind::kBlock: return "block device";
    case FileKind::kRegularOrBlock: return "regular file or block device";
    case FileKind::kDirectory: return "directory";
    case FileKind::kCharDevice: return "character device";
    case FileKind::kFifo: return "FIFO";
    case FileKind::kSocket: return "socket";
  }
  return "any file";
}

const char* restore_action_name(RestoreAction a) noexcept {
  switch (a) {
    case RestoreAction::kRestored: return "restored";
    case RestoreAction::kKept: return "kept";
    case RestoreAction::kSkipped: return "skipped";
    case RestoreAction::kFailed: return "failed";
    case RestoreAction::kForgotten: return "forgotten";
  }
  return "failed";
}

Error RestoreReport::summary() const {
  if (errors.empty()) return Error{ErrorCode::kOperationFailed, "no error", 0};
  Error e = errors.front();
  if (errors.size() > 1) e.message += " (and " + std::to_string(errors.size() - 1) + " more)";
  return e;
}

}  // namespace svirt
