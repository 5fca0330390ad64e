// SPDX-License-Identifier: LGPL-2.1-or-later
//
// svirt forget NAME PATH...
//
// The way out when release cannot give a file back: svirt restores only the
// file it labelled, and only while that file still carries svirt's label,
// so an image replaced or moved away, or relabelled by someone since, stops
// the release (exit 2) and keeps the domain and its label. Once the
// administrator has put the file right by hand (the warning names the label
// it had before svirt), `forget` drops svirt's record of it, and release
// completes.
#include <glib.h>

#include <cstdio>

#include "cli.h"

namespace svirt::cli {

CommandResult cmd_forget(const Options& o, const std::vector<std::string>& args) {
  if (args.size() < 2)
    return Failure{make_error(ErrorCode::kInvalidInput, "usage: svirt forget NAME PATH..."), 1};
  std::vector<std::string> paths;
  for (size_t i = 1; i < args.size(); ++i) {
    gchar* abs = g_canonicalize_filename(args[i].c_str(), nullptr);
    paths.emplace_back(abs);
    g_free(abs);
  }
  auto m = open_manager(o, /*recover=*/false);
  if (!m) return fail(m.error());
  auto r = (*m)->forget(args[0], paths);
  if (!r) return fail(r.error());
  print_warnings(r->warnings);
  for (const Error& e : r->errors) print_error(e);
  if (o.json) {
    Json items = Json::array();
    for (const RestoredLabel& i : r->items)
      items.push(Json::object()
                     .set("path", i.resource.path)
                     .set("restored_to", i.restored_to)
                     .set("action", restore_action_name(i.action)));
    Json warnings = Json::array();
    for (const std::string& w : r->warnings) warnings.push(w);
    print_json(Json::object()
                   .set("name", args[0])
                   .set("resources", std::move(items))
                   .set("warnings", std::move(warnings)));
  } else {
    for (const RestoredLabel& i : r->items)
      std::printf("%-9s %s\n", restore_action_name(i.action), printable(i.resource.path).c_str());
  }
  return r->ok() ? 0 : 2;
}

}  // namespace svirt::cli
