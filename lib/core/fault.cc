// SPDX-License-Identifier: LGPL-2.1-or-later
#include "core/fault.h"

#if SVIRT_FAULT_INJECTION
#include <signal.h>
#include <unistd.h>

#include <atomic>
#include <cstdlib>
#include <cstring>
#include <string>

namespace svirt::internal {

void fault_point(const char* name) {
  static const std::string spec = [] {
    const char* v = std::getenv("SVIRT_FAULT");
    return std::string(v ? v : "");
  }();
  if (spec.empty()) return;
  std::string point = spec;
  long nth = 1;
  if (size_t colon = spec.rfind(':'); colon != std::string::npos &&
                                      spec.find_first_not_of("0123456789", colon + 1) == std::string::npos &&
                                      colon + 1 < spec.size()) {
    point = spec.substr(0, colon);
    nth = std::strtol(spec.c_str() + colon + 1, nullptr, 10);
  }
  if (point != name) return;
  static std::atomic<long> hits{0};
  if (++hits == nth) raise(SIGKILL);
}

}  // namespace svirt::internal
#endif
