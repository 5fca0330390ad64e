// SPDX-License-Identifier: LGPL-2.1-or-later
#pragma once

#include <string>

#include "svirt/result.h"

namespace svirt::internal {

// Replaces `path` with `content` atomically and durably: a temporary file
// `path`.tmp (callers serialize writers of one path; a crash's leftover is
// simply overwritten next time), written and fsynced, renamed over `path`, then the
// directory fsynced so the rename itself survives a crash. On failure the
// temporary is removed and the Error's message is the failed step ("cannot
// create", "cannot write", "cannot sync", "cannot replace") with sys_errno
// set, for the caller to say what the file is.
Result<void> write_file_durably(const std::string& path, const std::string& content);

// The same replacement without the fsyncs: atomic for every process of this
// boot (a crashed writer leaves the old or the new content, and the page cache
// survives it), but after a crash of the host the file may hold either, or
// nothing. For records that only mean something during the current boot.
Result<void> write_file_atomically(const std::string& path, const std::string& content);

// fsyncs the directory holding `path` (after a rename or unlink in it).
void sync_parent_dir(const std::string& path);

}  // namespace svirt::internal
