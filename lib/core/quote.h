// SPDX-License-Identifier: LGPL-2.1-or-later
#pragma once

#include <string>
#include <string_view>

namespace svirt::internal {

// Quotes a value for an error message: 'value'. Control characters are
// written as \xHH so a message stays on one line whatever the input holds,
// and long values are cut (the start names them; a 4 MiB label would drown
// the message).
std::string quoted(std::string_view value);

}  // namespace svirt::internal
