// SPDX-License-Identifier: LGPL-2.1-or-later
//
// The SELinux backend: labels through libselinux's _raw calls (no mcstrans
// translation, so what svirt writes is what the kernel stores), on the
// descriptor the core opened, reached as "/proc/self/fd/N".
//
// On a host with SELinux disabled it still reads and writes the
// security.selinux xattr (root may, on ext4, xfs and tmpfs), which keeps the
// mechanism testable; entering a label (exec, sockets) needs SELinux.
//
// Host state is never cached: mode() asks the kernel on every call, and the
// file_contexts handle is reopened once the file it was read from changes
// (a policy package installed or rebuilt).
//
// Thread-safety: as LabelBackend requires. The file_contexts handle is opened
// on first use, and lookups on it (and its reopening) are serialized.
#pragma once

#include <memory>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "svirt/backend.h"
#include "svirt/result.h"

namespace svirt::internal {

// What the backend asks the host before each decision, kept fresh for a
// process that lives through setenforce and policy loads. Thread-safety:
// implementations are called from any thread.
class HostStatus {
 public:
  virtual ~HostStatus() = default;
  virtual EnforcingMode mode() = 0;
  // Changes whenever the policy's file contexts change.
  virtual uint64_t policy_generation() = 0;
};

// Where the backend reads the host's policy files; unset: libselinux's paths
// for the loaded policy.
struct SelinuxBackendOptions {
  std::optional<std::string> domain_context_file;  // virtual_domain_context
  std::optional<std::string> image_context_file;   // virtual_image_context
  std::optional<std::string> file_contexts_file;   // file_contexts, for default_label
  // Unset: the kernel (enforce) and the file_contexts file's identity.
  std::shared_ptr<HostStatus> status;
};

std::unique_ptr<LabelBackend> make_selinux_backend(SelinuxBackendOptions options = {});

// Non-blank, non-comment ('#') lines of a policy context file, trimmed.
// A missing file: kNotFound naming it.
Result<std::vector<std::string>> read_context_lines(const std::string& path);

}  // namespace svirt::internal
