// SPDX-License-Identifier: LGPL-2.1-or-later
//
// Fault injection: named points in the lifecycle where the crash tests kill
// the process on purpose, to prove that recovery undoes whatever a kill -9 at
// that moment left behind.
//
// Compiled in only when the build sets -Dfault_injection=true (tests); in any
// other build fault_point() is an empty inline function, so no environment
// variable can trip it in production.
//
// SVIRT_FAULT=NAME[:N] kills the process (SIGKILL) at the N-th time (default
// first) the point NAME is reached.
#pragma once

#include "svirt_build_config.h"

namespace svirt::internal {

#if SVIRT_FAULT_INJECTION
void fault_point(const char* name);
#else
inline void fault_point(const char*) {}
#endif

}  // namespace svirt::internal
