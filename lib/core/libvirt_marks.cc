// SPDX-License-Identifier: LGPL-2.1-or-later
#include "core/libvirt_marks.h"

#include <sys/xattr.h>

#include <cerrno>
#include <cstdlib>
#include <fstream>
#include <mutex>
#include <string_view>

namespace svirt::internal {
namespace {

constexpr std::string_view kPrefix = "trusted.libvirt.security.";

// How far libvirt's boot time may lie from the kernel's and still be this
// boot's (see the header).
constexpr int64_t kBootTimeSlack = 10;

std::optional<std::string> read_attr(const std::string& proc_path, const std::string& name) {
  char buf[256];
  ssize_t n = getxattr(proc_path.c_str(), name.c_str(), buf, sizeof buf);
  if (n < 0) return std::nullopt;
  std::string v(buf, static_cast<size_t>(n));
  while (!v.empty() && (v.back() == '\0' || v.back() == '\n')) v.pop_back();
  return v;
}

std::optional<int64_t> parse_decimal(const std::string& text) {
  if (text.empty() || text.size() > 20) return std::nullopt;
  char* end = nullptr;
  errno = 0;
  long long v = std::strtoll(text.c_str(), &end, 10);
  if (errno != 0 || end == text.c_str() || *end != '\0' || v < 0) return std::nullopt;
  return static_cast<int64_t>(v);
}

// The kernel's boot time (btime of /proc/stat), read once: it is fixed for
// the life of a process.
std::optional<int64_t> kernel_boot_time() {
  static std::once_flag once;
  static std::optional<int64_t> btime;
  std::call_once(once, [] {
    std::ifstream stat("/proc/stat");
    std::string key;
    while (stat >> key) {
      if (key == "btime") {
        int64_t v = 0;
        if (stat >> v) btime = v;
        return;
      }
      stat.ignore(1 << 20, '\n');
    }
  });
  return btime;
}

// Whether any attribute of the file is libvirt's: one listxattr, so a file
// libvirt never touched (the common case) costs one call, not one per driver.
bool has_libvirt_attrs(const std::string& proc_path) {
  char names[4096];
  ssize_t n = listxattr(proc_path.c_str(), names, sizeof names);
  if (n < 0) return errno == ERANGE;  // more names than fit: look them up one by one
  return std::string_view(names, static_cast<size_t>(n)).find(kPrefix) != std::string_view::npos;
}

std::string selinux_attr(std::string_view what) {
  return std::string(kPrefix) + std::string(what) + "selinux";
}

Result<void> set_attr(const std::string& proc_path, const std::string& name,
                      const std::string& value) {
  if (setxattr(proc_path.c_str(), name.c_str(), value.data(), value.size(), 0) == 0) return ok();
  return make_error(ErrorCode::kOperationFailed, "cannot write " + name, errno);
}

}  // namespace

Result<void> set_libvirt_marks(int fd, const std::optional<std::string>& original) {
  auto boot = kernel_boot_time();
  if (!boot)
    return make_error(ErrorCode::kOperationFailed, "cannot read the boot time (/proc/stat)");
  const std::string proc = "/proc/self/fd/" + std::to_string(fd);
  if (original) {
    SVIRT_TRY(set_attr(proc, selinux_attr(""), *original));
  } else if (removexattr(proc.c_str(), selinux_attr("").c_str()) != 0 && errno != ENODATA) {
    return make_error(ErrorCode::kOperationFailed, "cannot remove " + selinux_attr(""), errno);
  }
  SVIRT_TRY(set_attr(proc, selinux_attr("timestamp_"), std::to_string(*boot)));
  return set_attr(proc, selinux_attr("ref_"), "1");
}

Result<bool> clear_libvirt_marks(int fd, const std::optional<std::string>& original) {
  const std::string proc = "/proc/self/fd/" + std::to_string(fd);
  if (!has_libvirt_attrs(proc)) return false;
  auto ref = read_attr(proc, selinux_attr("ref_"));
  if (!ref || *ref != "1" || read_attr(proc, selinux_attr("")) != original) return false;
  // The count first: an interrupted clear leaves a file nobody holds.
  for (const char* what : {"ref_", "timestamp_", ""}) {
    std::string name = selinux_attr(what);
    if (removexattr(proc.c_str(), name.c_str()) != 0 && errno != ENODATA)
      return make_error(ErrorCode::kOperationFailed, "cannot remove " + name, errno);
  }
  return true;
}

bool libvirt_timestamp_is_this_boot(const std::string& timestamp) {
  auto stamp = parse_decimal(timestamp);
  auto boot = kernel_boot_time();
  if (!stamp || !boot) return false;
  return std::llabs(*stamp - *boot) <= kBootTimeSlack;
}

std::vector<LibvirtMark> libvirt_marks(int fd) {
  std::vector<LibvirtMark> out;
  const std::string proc = "/proc/self/fd/" + std::to_string(fd);
  if (!has_libvirt_attrs(proc)) return out;
  for (const char* driver : {"selinux", "dac"}) {
    const std::string prefix(kPrefix);
    auto ref = read_attr(proc, prefix + "ref_" + driver);
    if (!ref) continue;
    LibvirtMark m;
    m.driver = driver;
    m.refcount = static_cast<uint64_t>(parse_decimal(*ref).value_or(1));
    m.timestamp = read_attr(proc, prefix + "timestamp_" + driver).value_or("");
    m.remembered = read_attr(proc, prefix + driver);
    m.this_boot = libvirt_timestamp_is_this_boot(m.timestamp);
    out.push_back(std::move(m));
  }
  return out;
}

}  // namespace svirt::internal
