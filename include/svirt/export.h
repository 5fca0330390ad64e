// SPDX-License-Identifier: LGPL-2.1-or-later
//
// Symbol visibility. The library is built with -fvisibility=hidden; only what
// carries SVIRT_EXPORT is part of the ABI of libsvirt.so.
//
// Thread-safety: a macro; nothing runs.
#pragma once

#if defined(SVIRT_BUILDING_LIBRARY)
#define SVIRT_EXPORT __attribute__((visibility("default")))
#else
#define SVIRT_EXPORT
#endif
