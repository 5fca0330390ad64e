// SPDX-License-Identifier: LGPL-2.1-or-later
//
// mcs.db: the category pairs live domains hold, host-wide. Written without
// fsync (see state_dir.h): after a crash of the host it belongs to an earlier
// boot and reads as empty.
#include <glib.h>

#include "state/keyfile.h"
#include "state/state_dir.h"

namespace svirt::internal {
namespace {
constexpr const char* kRegistry = "mcs.db";
}  // namespace

Result<McsRegistry> StateDir::load_registry() const {
  auto text = read(kRegistry);
  if (!text) return std::move(text).error();
  McsRegistry reg;
  if (!text->has_value()) return reg;
  KeyFile k;
  auto parsed = parse_keyfile(k, **text, dir_ + "/" + kRegistry);
  if (!parsed) {
    if (written_before_boot(dir_ + "/" + kRegistry)) return reg;  // cut short by a host crash
    return std::move(parsed).error();
  }
  // Pairs recorded during an earlier boot name processes that are gone.
  std::string boot = get_string(k.kf, "registry", "boot_id");
  if (!boot.empty() && boot != current_boot_id()) return reg;
  gsize n = 0;
  gchar** keys = g_key_file_get_keys(k.kf, "pairs", &n, nullptr);
  for (gsize i = 0; i < n; ++i) reg[keys[i]] = get_string(k.kf, "pairs", keys[i]);
  g_strfreev(keys);
  return reg;
}

Result<void> StateDir::save_registry(const McsRegistry& reg) const {
  KeyFile k;
  g_key_file_set_string(k.kf, "registry", "boot_id", current_boot_id().c_str());
  for (const auto& [pair, dom] : reg)
    g_key_file_set_string(k.kf, "pairs", pair.c_str(), dom.c_str());
  return write_atomic(kRegistry, keyfile_text(k), /*durable=*/false);
}

}  // namespace svirt::internal
