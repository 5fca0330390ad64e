// SPDX-License-Identifier: LGPL-2.1-or-later
//
// Which compiled policy to audit against when the caller names none.
#include <dirent.h>

#include <cctype>
#include <string>
#include <vector>

#include "svirt/audit.h"
#include "svirt_build_config.h"

#if SVIRT_HAVE_SELINUX
#include <selinux/selinux.h>
#endif

namespace svirt {
namespace {

// The newest "<prefix>.N" next to `prefix` (a path such as
// /etc/selinux/default/policy/policy), or "".
std::string newest_version(const std::string& prefix) {
  size_t slash = prefix.rfind('/');
  if (slash == std::string::npos) return {};
  std::string dir = slash == 0 ? "/" : prefix.substr(0, slash);
  std::string base = prefix.substr(slash + 1) + ".";
  DIR* d = opendir(dir.c_str());
  if (d == nullptr) return {};
  long best = -1;
  std::string found;
  while (struct dirent* e = readdir(d)) {
    std::string name = e->d_name;
    if (name.size() <= base.size() || name.compare(0, base.size(), base) != 0) continue;
    std::string digits = name.substr(base.size());
    if (digits.size() > 6) continue;
    bool numeric = true;
    for (char c : digits) numeric = numeric && std::isdigit(static_cast<unsigned char>(c));
    if (!numeric) continue;
    long v = std::stol(digits);
    if (v > best) {
      best = v;
      found = dir + (dir == "/" ? "" : "/") + name;
    }
  }
  closedir(d);
  return found;
}

}  // namespace

Result<std::string> default_policy_file() {
  std::vector<std::string> prefixes;
#if SVIRT_HAVE_SELINUX
  if (const char* p = selinux_binary_policy_path(); p != nullptr && *p != '\0')
    prefixes.emplace_back(p);
#endif
  prefixes.emplace_back("/etc/selinux/default/policy/policy");
  std::string tried;
  for (const std::string& prefix : prefixes) {
    std::string f = newest_version(prefix);
    if (!f.empty()) return f;
    tried += (tried.empty() ? "" : ", ") + prefix + ".N";
  }
  return make_error(ErrorCode::kNotFound,
                    "no compiled SELinux policy found (looked for " + tried + ")");
}

}  // namespace svirt
