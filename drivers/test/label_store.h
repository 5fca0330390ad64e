// SPDX-License-Identifier: LGPL-2.1-or-later
//
// Labels of files that cannot carry the test backend's user xattr (sockets,
// fifos, device nodes): kept in one GLib key file, one group per resolved
// path with the key "label".
//
// Several processes may share a state directory (each `svirt` invocation is
// one), so every access takes a flock on the file itself; writers replace the
// file atomically (temporary file, fsync, rename) while holding the lock on
// the old one, and a waiter that wakes up on a replaced file locks the new one
// instead.
//
// Thread-safety: methods may be called concurrently; the flock serializes them.
#pragma once

#include <optional>
#include <string>

#include "svirt/result.h"

namespace svirt::internal {

class LabelStore {
 public:
  explicit LabelStore(std::string file) : file_(std::move(file)) {}

  const std::string& file() const { return file_; }

  // nullopt: no label recorded for `resolved` (or no store file yet).
  Result<std::optional<std::string>> get(const std::string& resolved) const;
  Result<void> set(const std::string& resolved, const std::string& label);
  // Forgetting a path that has no entry succeeds.
  Result<void> remove(const std::string& resolved);

 private:
  Result<void> update(const std::string& resolved, const std::optional<std::string>& label);

  std::string file_;
};

}  // namespace svirt::internal
