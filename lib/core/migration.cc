// SPDX-License-Identifier: LGPL-2.1-or-later
//
// The labeling driver's part of the migration rules (svirt/migration.h):
// leaving shared storage alone on the way in, forgetting it on the way out.
#include "core/migration.h"

#include <errno.h>
#include <unistd.h>

#include <algorithm>
#include <cstring>

#include "core/labeling_driver.h"
#include "core/shared_fs.h"
#include "mcs/mcs_allocator.h"
#include "plan/planner.h"
#include "state/label_bytes.h"

namespace svirt::internal {
namespace {

std::string describe_resource(const ResourceLabel& r) {
  return std::string(resource_kind_name(r.kind)) + " '" + r.device + "' source '" + r.path + "'";
}

}  // namespace

DomainDef without_carried_labels(const DomainDef& def, std::vector<std::string>* carried) {
  DomainDef out = def;
  for (SecLabelDef& s : out.seclabels) {
    if (s.type == SeclabelType::kStatic || s.type == SeclabelType::kNone) continue;
    for (std::optional<std::string>* text : {&s.label, &s.imagelabel}) {
      if (!*text) continue;
      std::vector<int> cats = label_categories(**text).to_vector();
      if (cats.size() == 2) {
        std::string pair = McsPair{cats[0], cats[1]}.format();
        if (std::find(carried->begin(), carried->end(), pair) == carried->end())
          carried->push_back(pair);
      }
      text->reset();
    }
  }
  return out;
}

Result<LabelReport> LabelingDriver::leave_shared_alone(const std::string& domain,
                                                       std::vector<ResourceLabel>& resources,
                                                       const TransactionOptions& options) {
  LabelReport left;
  if (options.migration != TransactionOptions::Migration::kIncoming) return left;
  SharedStorageTest shared(options.shared);
  std::optional<FileTable> files;
  std::vector<ResourceLabel> local;
  for (ResourceLabel& r : resources) {
    if (!r.label) {
      local.push_back(std::move(r));
      continue;
    }
    // What cannot be opened stays with the rest, which reports it as usual.
    auto opened = open_resource(r.path, path_policy_);
    if (!opened || !shared(opened->fd.get(), opened->resolved)) {
      local.push_back(std::move(r));
      continue;
    }
    if (!files) {
      auto loaded = state_->load_files();
      if (!loaded) return std::move(loaded).error();
      files = std::move(*loaded);
    }
    // A domain here holding the file with another label conflicts, as it
    // would with prepare().
    FileIdentity id = FileIdentity::of(opened->st);
    if (const FileRecord* rec = find_record(*files, id, opened->resolved)) {
      for (const std::string& user : rec->users) {
        if (user == domain || rec->label == *r.label) continue;
        return make_error(ErrorCode::kConflict, describe_resource(r) + ": in use by domain '" +
                                                    user + "' with label " + rec->label);
      }
    }
    auto cur = backend_->get_label(opened->fd.get(), opened->resolved);
    if (!cur && cur.error().code != ErrorCode::kUnsupported)
      return std::move(cur).error().wrap(describe_resource(r));
    AppliedLabel a;
    a.resource = r;
    a.resource.label.reset();
    a.shared = true;  // the source's domain holds it
    if (cur) {
      a.original = label_text(*cur);
      a.resource.label = a.original;
      if (a.original != *r.label)
        left.warnings.push_back(describe_resource(r) + ": left with label " +
                                a.original.value_or("(none)") +
             ": on shared storage the migration source still uses (this host would give it " +
             *r.label + ")");
    }
    left.items.push_back(std::move(a));
  }
  resources = std::move(local);
  return left;
}

RestoreReport LabelingDriver::forget_shared(const std::string& domain,
                                            const TransactionOptions& options) {
  RestoreReport out;
  if (options.migration != TransactionOptions::Migration::kMigratedOut) return out;
  SharedStorageTest shared(options.shared);
  auto files = state_->load_files();
  if (!files) {
    out.errors.push_back(std::move(files).error());
    return out;
  }
  std::vector<std::string> forgotten;
  for (auto it = files->begin(); it != files->end();) {
    const FileRecord& rec = it->second;
    // A file another domain here still uses is the plain restore's to keep.
    if (rec.users.size() != 1 || rec.users.front() != domain) {
      ++it;
      continue;
    }
    auto opened = open_resource(rec.path, path_policy_);
    if (!opened || !shared(opened->fd.get(), opened->resolved)) {
      ++it;
      continue;
    }
    RestoredLabel item;
    item.resource.path = rec.path;
    item.resource.label = rec.label;
    item.restored_to = rec.label;
    item.action = RestoreAction::kKept;
    out.items.push_back(std::move(item));
    forgotten.push_back(rec.path);
    it = files->erase(it);
  }
  if (forgotten.empty()) return out;
  if (auto saved = state_->save_files(*files); !saved) {
    out.errors.push_back(std::move(saved).error());
    return out;
  }
  // A tree's own record of originals goes too (after the file records, so a
  // crash in between leaves only a record nothing points at).
  for (const std::string& path : forgotten) {
    std::string tree = tree_record_path(path);
    if (::unlink(tree.c_str()) != 0 && errno != ENOENT)
      out.warnings.push_back("cannot remove tree record '" + tree + "': " + std::string(strerror(errno)));
  }
  return out;
}

}  // namespace svirt::internal
