// SPDX-License-Identifier: LGPL-2.1-or-later
#include "test/label_store.h"

#include "core/durable_file.h"

#include <fcntl.h>
#include <glib.h>
#include <stdlib.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <memory>

#include "core/unique_fd.h"
#include "state/label_bytes.h"

namespace svirt::internal {
namespace {

constexpr const char* kLabelKey = "label";

struct KeyFileDeleter {
  void operator()(GKeyFile* kf) const { g_key_file_free(kf); }
};
using KeyFilePtr = std::unique_ptr<GKeyFile, KeyFileDeleter>;

struct GErrorDeleter {
  void operator()(GError* e) const { g_error_free(e); }
};
using GErrorPtr = std::unique_ptr<GError, GErrorDeleter>;

Error store_error(const std::string& file, const std::string& what, int err = 0) {
  return make_error(ErrorCode::kOperationFailed, "label store '" + file + "': " + what, err);
}

// Opens `file` and takes a flock on it, making sure the lock is on the file
// the name points at now: a writer may have renamed a new file over it while
// we waited. An invalid fd with no error: the file does not exist and
// `create` is false.
Result<UniqueFd> open_locked(const std::string& file, bool exclusive, bool create) {
  for (;;) {
    int flags = (create ? O_RDWR | O_CREAT : O_RDONLY) | O_CLOEXEC | O_NOFOLLOW;
    UniqueFd fd(::open(file.c_str(), flags, 0600));
    if (!fd.valid()) {
      if (errno == ENOENT && !create) return UniqueFd();
      return store_error(file, "cannot open", errno);
    }
    int rc;
    do {
      rc = ::flock(fd.get(), exclusive ? LOCK_EX : LOCK_SH);
    } while (rc != 0 && errno == EINTR);
    if (rc != 0) return store_error(file, "cannot lock", errno);
    struct stat held {
    }, named{};
    if (::fstat(fd.get(), &held) != 0) return store_error(file, "cannot stat", errno);
    if (::stat(file.c_str(), &named) != 0) {
      if (errno == ENOENT) continue;
      return store_error(file, "cannot stat", errno);
    }
    if (held.st_dev == named.st_dev && held.st_ino == named.st_ino) return fd;
  }
}

Result<std::string> read_all(int fd, const std::string& file) {
  std::string data;
  char buf[8192];
  off_t off = 0;
  for (;;) {
    ssize_t n = ::pread(fd, buf, sizeof buf, off);
    if (n < 0) {
      if (errno == EINTR) continue;
      return store_error(file, "cannot read", errno);
    }
    if (n == 0) return data;
    data.append(buf, n);
    off += n;
  }
}

Result<KeyFilePtr> parse(const std::string& data, const std::string& file) {
  KeyFilePtr kf(g_key_file_new());
  if (data.empty()) return kf;
  GError* raw = nullptr;
  if (!g_key_file_load_from_data(kf.get(), data.data(), data.size(), G_KEY_FILE_NONE, &raw)) {
    GErrorPtr err(raw);
    return store_error(file, std::string("cannot parse: ") + err->message);
  }
  return kf;
}

// A key file group cannot hold '[', ']', control characters or non-UTF-8.
bool valid_group(const std::string& name) {
  if (name.empty() || !g_utf8_validate(name.data(), name.size(), nullptr)) return false;
  for (unsigned char c : name) {
    if (c == '[' || c == ']' || g_ascii_iscntrl(c)) return false;
  }
  return true;
}

}  // namespace

Result<std::optional<std::string>> LabelStore::get(const std::string& resolved) const {
  Result<UniqueFd> fd = open_locked(file_, /*exclusive=*/false, /*create=*/false);
  if (!fd) return fd.error();
  if (!fd->valid()) return std::optional<std::string>();
  Result<std::string> data = read_all(fd->get(), file_);
  if (!data) return data.error();
  Result<KeyFilePtr> kf = parse(*data, file_);
  if (!kf) return kf.error();
  if (!valid_group(resolved)) return std::optional<std::string>();
  auto label = get_key_bytes(kf->get(), resolved.c_str(), kLabelKey);
  if (!label) return store_error(file_, label.error().message);
  return label;
}

Result<void> LabelStore::set(const std::string& resolved, const std::string& label) {
  return update(resolved, label);
}

Result<void> LabelStore::remove(const std::string& resolved) {
  return update(resolved, std::nullopt);
}

Result<void> LabelStore::update(const std::string& resolved,
                                const std::optional<std::string>& label) {
  if (!valid_group(resolved)) {
    if (!label) return ok();  // such a path can never have been stored
    return store_error(file_, "cannot hold path '" + resolved + "'");
  }
  std::string dir = file_.substr(0, file_.rfind('/'));
  if (!dir.empty() && g_mkdir_with_parents(dir.c_str(), 0700) != 0) {
    return store_error(file_, "cannot create directory '" + dir + "'", errno);
  }
  // The lock stays held across the rename, so writers never lose updates.
  Result<UniqueFd> fd = open_locked(file_, /*exclusive=*/true, /*create=*/true);
  if (!fd) return fd.error();
  Result<std::string> data = read_all(fd->get(), file_);
  if (!data) return data.error();
  Result<KeyFilePtr> kf = parse(*data, file_);
  if (!kf) return kf.error();
  if (label) {
    // Every byte, as the xattr of a regular file would keep it.
    if (g_key_file_has_group(kf->get(), resolved.c_str()))
      g_key_file_remove_group(kf->get(), resolved.c_str(), nullptr);
    set_key_bytes(kf->get(), resolved.c_str(), kLabelKey, *label);
  } else {
    if (!g_key_file_has_group(kf->get(), resolved.c_str())) return ok();
    g_key_file_remove_group(kf->get(), resolved.c_str(), nullptr);
  }
  gsize size = 0;
  gchar* text = g_key_file_to_data(kf->get(), &size, nullptr);
  std::string out(text, size);
  g_free(text);
  // Writers hold the store's lock, so one temporary name serves them all.
  auto w = write_file_durably(file_, out);
  if (!w) return store_error(file_, w.error().message, w.error().sys_errno);
  return ok();
}

}  // namespace svirt::internal
