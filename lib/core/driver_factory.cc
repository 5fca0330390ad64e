// SPDX-License-Identifier: LGPL-2.1-or-later
#include "core/driver_factory.h"

#include "core/labeling_driver.h"
#include "none/none_driver.h"
#include "svirt_build_config.h"
#include "test/test_backend.h"
#if SVIRT_HAVE_SELINUX
#include <selinux/selinux.h>

#include "selinux/selinux_backend.h"
#endif

namespace svirt::internal {

bool selinux_enabled_on_host() {
#if SVIRT_HAVE_SELINUX
  static const bool enabled = is_selinux_enabled() > 0;
  return enabled;
#else
  return false;
#endif
}

Result<DriverChoice> make_driver(const std::string& name, const StateDir* state,
                                 const Config& config) {
  DriverChoice out;
  std::string chosen = name;
  if (name == "auto") {
#if SVIRT_HAVE_SELINUX
    if (selinux_enabled_on_host()) {
      chosen = "selinux";
    } else {
      chosen = "none";
      out.note = "SELinux is disabled on this host: using driver none (no confinement)";
    }
#else
    chosen = "none";
    out.note = "built without SELinux support: using driver none (no confinement)";
#endif
  }

  std::unique_ptr<LabelBackend> backend;
  if (chosen == "none") {
    out.driver = make_none_driver();
    return out;
  } else if (chosen == "test") {
    backend = make_test_backend(state->path());
  } else if (chosen == "selinux") {
#if SVIRT_HAVE_SELINUX
    backend = make_selinux_backend();
#else
    return make_error(ErrorCode::kUnsupported, "driver 'selinux': svirt was built without libselinux");
#endif
  } else {
    return make_error(ErrorCode::kInvalidInput,
                      "unknown driver '" + name + "': expected selinux, test, none or auto");
  }
  auto drv = LabelingDriver::create(std::move(backend), state, config);
  if (!drv) return std::move(drv).error().wrap("driver '" + chosen + "'");
  out.backend = (*drv)->backend();
  out.driver = std::move(*drv);
  return out;
}

}  // namespace svirt::internal
