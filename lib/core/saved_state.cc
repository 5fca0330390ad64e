// SPDX-License-Identifier: LGPL-2.1-or-later
//
// Which paths may serve as a domain's save file.
//
// A save file is written by the VM's process once it carries the domain's
// image label, so labelling the wrong file hands the VM write access to it.
// Beyond the system paths every resource is kept from, a save file must be a
// regular file named directly: a symlink in its place (planted by whoever
// can write the save directory) would move the label, and with it the VM's
// writes, onto the link's target.
#include <errno.h>
#include <glib.h>
#include <sys/stat.h>

#include "core/labeling_driver.h"

namespace svirt::internal {

Result<OpenedPath> LabelingDriver::open_saved_state_file(const std::string& path) const {
  auto opened = open_resource(path, path_policy_);
  if (!opened) return std::move(opened).error().wrap("save file");
  // Checked after opening: the name must still lead straight to the file
  // opened, so a symlink swapped in later changes nothing that is labelled.
  struct stat named {};
  if (::lstat(path.c_str(), &named) != 0) {
    int err = errno;
    return make_error(err == ENOENT ? ErrorCode::kNotFound : ErrorCode::kOperationFailed,
                      "save file '" + path + "'", err);
  }
  if (S_ISLNK(named.st_mode))
    return make_error(ErrorCode::kOperationFailed, "save file '" + path + "': is a symlink (to '" +
                                                       opened->resolved +
                                                       "'): name the file itself");
  if (named.st_dev != opened->st.st_dev || named.st_ino != opened->st.st_ino)
    return make_error(ErrorCode::kOperationFailed,
                      "save file '" + path + "': replaced while it was being opened");
  if (!S_ISREG(opened->st.st_mode))
    return make_error(ErrorCode::kOperationFailed, "save file '" + path + "': not a regular file");
  return opened;
}

std::optional<std::string> LabelingDriver::saved_state_record_path(const std::string& path) const {
  gchar* dir = g_path_get_dirname(path.c_str());
  gchar* base = g_path_get_basename(path.c_str());
  auto parent = open_resource(dir, path_policy_);
  std::optional<std::string> out;
  if (parent && std::string(base) != "/" && std::string(base) != ".")
    out = (parent->resolved == "/" ? "" : parent->resolved) + "/" + base;
  g_free(dir);
  g_free(base);
  return out;
}

}  // namespace svirt::internal
