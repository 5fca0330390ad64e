// SPDX-License-Identifier: LGPL-2.1-or-later
#include "state/keyfile.h"

#include <sys/stat.h>

#include <ctime>
#include <fstream>

namespace svirt::internal {
namespace {

// Boot time, seconds since the epoch (/proc/stat btime); 0 when unknown.
time_t boot_time() {
  std::ifstream f("/proc/stat");
  std::string key;
  long long value = 0;
  while (f >> key) {
    if (key == "btime" && (f >> value)) return static_cast<time_t>(value);
    f.ignore(1 << 20, '\n');
  }
  return 0;
}

}  // namespace

Result<void> parse_keyfile(KeyFile& k, const std::string& text, const std::string& origin) {
  GError* err = nullptr;
  if (!g_key_file_load_from_data(k.kf, text.data(), text.size(), G_KEY_FILE_NONE, &err)) {
    std::string msg = origin + " is corrupt: " + err->message;
    g_error_free(err);
    return make_error(ErrorCode::kOperationFailed, msg);
  }
  return ok();
}

std::string keyfile_text(KeyFile& k) {
  gsize len = 0;
  gchar* data = g_key_file_to_data(k.kf, &len, nullptr);
  std::string s(data, len);
  g_free(data);
  return s;
}

bool written_before_boot(const std::string& path) {
  struct stat st {};
  time_t boot = boot_time();
  return boot != 0 && ::stat(path.c_str(), &st) == 0 && st.st_mtime < boot;
}

std::string get_string(GKeyFile* kf, const char* group, const char* key) {
  gchar* v = g_key_file_get_string(kf, group, key, nullptr);
  if (v == nullptr) return {};
  std::string s = v;
  g_free(v);
  return s;
}

}  // namespace svirt::internal
