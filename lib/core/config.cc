// SPDX-License-Identifier: LGPL-2.1-or-later
//
// Config key file. Unknown groups and keys are refused rather than ignored:
// a misspelt "require_confined" that silently did nothing would weaken
// confinement without anyone noticing.
#include <glib.h>

#include <memory>
#include <set>
#include <string>

#include "svirt/config.h"
#include "svirt/context.h"

namespace svirt {
namespace {

struct KeyFileDeleter {
  void operator()(GKeyFile* k) const { g_key_file_free(k); }
};
struct GErrorDeleter {
  void operator()(GError* e) const { g_error_free(e); }
};

Error invalid(std::string_view origin, const std::string& what) {
  return make_error(ErrorCode::kInvalidInput, std::string(origin) + ": " + what);
}

Result<std::optional<std::string>> context_key(GKeyFile* kf, std::string_view origin,
                                               const char* key) {
  if (!g_key_file_has_key(kf, "selinux", key, nullptr)) return std::optional<std::string>{};
  GError* raw = nullptr;
  gchar* value = g_key_file_get_string(kf, "selinux", key, &raw);
  std::unique_ptr<GError, GErrorDeleter> err(raw);
  if (value == nullptr) return invalid(origin, std::string("[selinux] ") + key + ": " + err->message);
  std::string text = value;
  g_free(value);
  auto parsed = SecurityContext::parse(text);
  if (!parsed) return invalid(origin, std::string("[selinux] ") + key + ": " + parsed.error().message);
  return std::optional<std::string>{parsed->format()};
}

Result<bool> bool_key(GKeyFile* kf, std::string_view origin, const char* key, bool fallback) {
  if (!g_key_file_has_key(kf, "security", key, nullptr)) return fallback;
  GError* raw = nullptr;
  gboolean v = g_key_file_get_boolean(kf, "security", key, &raw);
  std::unique_ptr<GError, GErrorDeleter> err(raw);
  if (err) return invalid(origin, std::string("[security] ") + key + ": expected true or false");
  return v != FALSE;
}

// An absolute directory, stored without trailing slashes ("/" stays "/").
Result<std::string> directory_value(std::string_view origin, const char* key, std::string value,
                                    const char* group = "paths") {
  if (value.empty() || value.front() != '/')
    return invalid(origin, std::string("[") + group + "] " + key + ": '" + value +
                               "' is not an absolute path");
  while (value.size() > 1 && value.back() == '/') value.pop_back();
  return value;
}

Result<void> path_key(GKeyFile* kf, std::string_view origin, const char* key, std::string* out) {
  if (!g_key_file_has_key(kf, "paths", key, nullptr)) return ok();
  GError* raw = nullptr;
  gchar* value = g_key_file_get_string(kf, "paths", key, &raw);
  std::unique_ptr<GError, GErrorDeleter> err(raw);
  if (value == nullptr) return invalid(origin, std::string("[paths] ") + key + ": " + err->message);
  std::string text = value;
  g_free(value);
  auto dir = directory_value(origin, key, std::move(text));
  if (!dir) return std::move(dir).error();
  *out = std::move(*dir);
  return ok();
}

Result<void> path_list_key(GKeyFile* kf, std::string_view origin, const char* key,
                           std::vector<std::string>* out, const char* group = "paths") {
  if (!g_key_file_has_key(kf, group, key, nullptr)) return ok();
  GError* raw = nullptr;
  gsize n = 0;
  gchar** values = g_key_file_get_string_list(kf, group, key, &n, &raw);
  std::unique_ptr<GError, GErrorDeleter> err(raw);
  // An empty value gives an empty list (no directory at all), not an error.
  if (values == nullptr)
    return invalid(origin, std::string("[") + group + "] " + key + ": " + err->message);
  std::vector<std::string> dirs;
  for (gsize i = 0; i < n; ++i) {
    auto dir = directory_value(origin, key, values[i], group);
    if (!dir) {
      g_strfreev(values);
      return std::move(dir).error();
    }
    dirs.push_back(std::move(*dir));
  }
  g_strfreev(values);
  *out = std::move(dirs);
  return ok();
}

}  // namespace

Result<Config> Config::parse(std::string_view text, std::string_view origin) {
  std::unique_ptr<GKeyFile, KeyFileDeleter> kf(g_key_file_new());
  GError* raw = nullptr;
  if (!g_key_file_load_from_data(kf.get(), text.data(), text.size(), G_KEY_FILE_NONE, &raw)) {
    std::unique_ptr<GError, GErrorDeleter> err(raw);
    return invalid(origin, err->message);
  }
  static const std::set<std::string> kSelinuxKeys = {
      "process_context", "domain_context", "tcg_domain_context", "image_context",
      "content_context"};
  static const std::set<std::string> kSecurityKeys = {
      "default_confined", "require_confined", "audit_records", "allow_hard_links",
      "allow_system_paths", "libvirt_marks", "vm_cgroups"};
  static const std::set<std::string> kPathKeys = {"swtpm_storage_dir", "swtpm_log_dir",
                                                  "hugetlbfs_mount", "memory_backing_dir"};

  gsize ngroups = 0;
  gchar** groups = g_key_file_get_groups(kf.get(), &ngroups);
  for (gsize i = 0; i < ngroups; ++i) {
    std::string group = groups[i];
    const std::set<std::string>* allowed = group == "selinux"    ? &kSelinuxKeys
                                           : group == "security" ? &kSecurityKeys
                                           : group == "paths"    ? &kPathKeys
                                                                 : nullptr;
    if (allowed == nullptr) {
      g_strfreev(groups);
      return invalid(origin, "unknown group [" + group + "]");
    }
    gsize nkeys = 0;
    gchar** keys = g_key_file_get_keys(kf.get(), group.c_str(), &nkeys, nullptr);
    for (gsize k = 0; k < nkeys; ++k) {
      if (allowed->count(keys[k]) == 0) {
        std::string key = keys[k];
        g_strfreev(keys);
        g_strfreev(groups);
        return invalid(origin, "unknown key '" + key + "' in [" + group + "]");
      }
    }
    g_strfreev(keys);
  }
  g_strfreev(groups);

  Config c;
  struct Field {
    const char* key;
    std::optional<std::string> Config::*member;
  };
  static const Field kFields[] = {
      {"process_context", &Config::process_context},
      {"domain_context", &Config::domain_context},
      {"tcg_domain_context", &Config::tcg_domain_context},
      {"image_context", &Config::image_context},
      {"content_context", &Config::content_context},
  };
  for (const Field& f : kFields) {
    auto v = context_key(kf.get(), origin, f.key);
    if (!v) return std::move(v).error();
    c.*(f.member) = std::move(v.value());
  }
  auto dc = bool_key(kf.get(), origin, "default_confined", true);
  if (!dc) return std::move(dc).error();
  auto rc = bool_key(kf.get(), origin, "require_confined", false);
  if (!rc) return std::move(rc).error();
  c.default_confined = *dc;
  c.require_confined = *rc;
  auto ar = bool_key(kf.get(), origin, "audit_records", true);
  if (!ar) return std::move(ar).error();
  c.audit_records = *ar;
  auto hl = bool_key(kf.get(), origin, "allow_hard_links", false);
  if (!hl) return std::move(hl).error();
  c.allow_hard_links = *hl;
  auto lm = bool_key(kf.get(), origin, "libvirt_marks", false);
  if (!lm) return std::move(lm).error();
  c.libvirt_marks = *lm;
  SVIRT_TRY(path_list_key(kf.get(), origin, "allow_system_paths", &c.allow_system_paths,
                          "security"));
  SVIRT_TRY(path_list_key(kf.get(), origin, "vm_cgroups", &c.vm_cgroups, "security"));
  for (const std::string& cg : c.vm_cgroups) {
    // The root would be every process of the host: reading their labels asks
    // the policy for what a manager's domain is not given.
    if (cg == "/")
      return invalid(origin, "[security] vm_cgroups: '/' is every process of the host; name "
                             "the cgroups VMs run in");
    if (cg.find("/..") != std::string::npos || cg.find("/./") != std::string::npos)
      return invalid(origin, "[security] vm_cgroups: '" + cg + "' must not hold '.' or '..'");
  }
  SVIRT_TRY(path_key(kf.get(), origin, "swtpm_storage_dir", &c.swtpm_storage_dir));
  SVIRT_TRY(path_key(kf.get(), origin, "swtpm_log_dir", &c.swtpm_log_dir));
  SVIRT_TRY(path_list_key(kf.get(), origin, "hugetlbfs_mount", &c.hugetlbfs_mounts));
  SVIRT_TRY(path_key(kf.get(), origin, "memory_backing_dir", &c.memory_backing_dir));
  return c;
}

Result<Config> Config::load_file(const std::string& path) {
  gchar* data = nullptr;
  gsize len = 0;
  GError* raw = nullptr;
  if (!g_file_get_contents(path.c_str(), &data, &len, &raw)) {
    std::unique_ptr<GError, GErrorDeleter> err(raw);
    return make_error(ErrorCode::kInvalidInput, "config '" + path + "': " + err->message);
  }
  auto r = parse(std::string_view(data, len), "config '" + path + "'");
  g_free(data);
  return r;
}

}  // namespace svirt
