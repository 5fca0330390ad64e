// SPDX-License-Identifier: LGPL-2.1-or-later
#include "core/labeling_driver.h"

#include <glib.h>
#include <dirent.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <map>
#include <memory>
#include <unordered_map>

#include "core/fault.h"
#include "core/migration.h"
#include "core/libvirt_marks.h"
#include "core/resource_checks.h"
#include "core/tree_relabel.h"
#include "mcs/mcs_allocator.h"
#include "plan/planner.h"
#include "state/label_bytes.h"

namespace svirt::internal {
namespace {

bool contains(const std::vector<std::string>& v, const std::string& s) {
  return std::find(v.begin(), v.end(), s) != v.end();
}

std::string describe(const ResourceLabel& r) {
  return std::string(resource_kind_name(r.kind)) + " '" + r.device + "' source '" + r.path + "'";
}

// What the VM side or the stack creates only when it needs it (bind-mode
// sockets, swtpm's log, the per-domain memory directories): labelled when
// present, skipped with a warning when not.
bool label_when_present(ResourceKind k) {
  return k == ResourceKind::kChardev || k == ResourceKind::kTpmLog ||
         k == ResourceKind::kHugepages || k == ResourceKind::kMemoryBacking;
}

// Whether a resource is labelled as a whole tree with a record of its own:
// shares always; swtpm state and memory directories when they are
// directories (a type='file' TPM state is one file).
bool labels_tree(std::string_view kind, const struct stat& st) {
  if (kind == resource_kind_name(ResourceKind::kFilesystem)) return true;
  bool dir_kind = kind == resource_kind_name(ResourceKind::kTpmState) ||
                  kind == resource_kind_name(ResourceKind::kHugepages) ||
                  kind == resource_kind_name(ResourceKind::kMemoryBacking);
  return dir_kind && S_ISDIR(st.st_mode);
}

bool labels_tree(ResourceKind kind, const struct stat& st) {
  return labels_tree(resource_kind_name(kind), st);
}

}  // namespace

std::string LabelingDriver::tree_record_path(const std::string& resolved) const {
  // One record per shared tree, named by its path so every process finds it.
  gchar* sum = g_compute_checksum_for_string(G_CHECKSUM_SHA256, resolved.c_str(), -1);
  std::string p = state_->path() + "/trees/" + sum + ".tree";
  g_free(sum);
  return p;
}

Result<void> LabelingDriver::label_tree(const OpenedPath& root, const std::string& label,
                                        std::vector<std::string>& warnings) {
  std::string dir = state_->path() + "/trees";
  if (mkdir(dir.c_str(), 0700) != 0 && errno != EEXIST)
    return make_error(ErrorCode::kOperationFailed,
                      "state directory '" + state_->path() + "': cannot create trees/", errno);
  auto stats = relabel_tree(*backend_, root.fd.get(), root.resolved, label,
                            tree_record_path(root.resolved), TreeRelabelOptions{});
  if (!stats) return std::move(stats).error();
  if (stats->unsupported > 0)
    warnings.push_back("directory tree '" + root.resolved + "': " + std::to_string(stats->unsupported) +
         " entries cannot hold labels and were left as they are");
  if (stats->hardlinked > 0)
    warnings.push_back("directory tree '" + root.resolved + "': " +
                       std::to_string(stats->hardlinked) +
                       " files also have a name outside the tree (hard links) and were left "
                       "unlabelled: the VM cannot use them");
  return ok();
}

Result<void> LabelingDriver::restore_tree_of(const OpenedPath& root) {
  TreeRestoreReport r = restore_tree(*backend_, root.fd.get(), root.resolved,
                                     tree_record_path(root.resolved), TreeRelabelOptions{});
  if (!r.ok()) {
    Error e = r.errors.front();
    if (r.errors.size() > 1) e.message += " (and " + std::to_string(r.errors.size() - 1) + " more)";
    return e;
  }
  return ok();
}

Result<std::unique_ptr<LabelingDriver>> LabelingDriver::create(
    std::unique_ptr<LabelBackend> backend, const StateDir* state, Config config) {
  auto defaults = backend->defaults(config);
  if (!defaults) return std::move(defaults).error();
  return std::unique_ptr<LabelingDriver>(
      new LabelingDriver(std::move(backend), state, std::move(config), std::move(*defaults)));
}

LabelingDriver::LabelingDriver(std::unique_ptr<LabelBackend> backend, const StateDir* state,
                               Config config, HostDefaults defaults)
    : backend_(std::move(backend)),
      state_(state),
      config_(std::move(config)),
      defaults_(std::move(defaults)) {
  // svirt's own records must never be relabelled for a VM.
  path_policy_.extra_forbidden_trees.push_back(state_->path());
}

SecurityLabel LabelingDriver::label_of(const DomainDef& def) const {
  return domain_label(def, std::string(model().model), mode());
}

// The models a domain's seclabels may name on a svirt host: this driver's,
// DAC (libvirt's other default model, whose labels svirt parses) and none.
// Any other (apparmor, smack, ...) has no driver here: refused, as libvirt
// refuses it, rather than ignored while a SELinux label is added beside it.
namespace {
Result<void> check_seclabel_models(const DomainDef& def, const std::string& mine) {
  for (const SecLabelDef& s : def.seclabels) {
    if (s.model.empty() || s.model == mine || s.model == "dac" || s.model == "none") continue;
    return make_error(ErrorCode::kInvalidInput,
                      "domain '" + def.name + "': seclabel model '" + s.model +
                          "' has no security driver here (known: " + mine + ", dac, none)");
  }
  return ok();
}
}  // namespace

Result<void> LabelingDriver::verify(const DomainDef& def) const {
  std::string m(model().model);
  SVIRT_TRY(check_seclabel_models(def, m));
  auto intent = plan_intent(def, m, defaults_, config_);
  if (!intent) return std::move(intent).error().wrap("domain '" + def.name + "'");
  const SecLabelDef* s = model_seclabel(def, m);
  if (s != nullptr) {
    for (const auto* text : {&s->label, &s->baselabel}) {
      if (!*text) continue;
      auto r = backend_->check_context(**text);
      if (!r) return std::move(r).error().wrap("domain '" + def.name + "': seclabel");
    }
  }
  return ok();
}

Result<std::vector<AppliedLabel>> LabelingDriver::apply(
    const std::string& domain, const std::vector<ResourceLabel>& resources,
    std::vector<std::string>& warnings) {
  struct Item {
    ResourceLabel res;
    OpenedPath opened;
    std::optional<std::string> current;
    bool existed = false;  // a record existed before this call
    bool was_user = false;
    std::string key;       // of its record in the file table
  };
  std::vector<Item> items;
  std::map<std::string, size_t> by_identity;  // FileIdentity::format()
  // Resources the planner leaves alone are reported as such, with the reason.
  std::vector<AppliedLabel> untouched;
  const ResourceCheckContext checks{config_, defaults_, state_->path()};

  // 1. Validate and open everything before touching anything.
  for (const ResourceLabel& r : resources) {
    if (!r.label) {
      untouched.push_back(AppliedLabel{r, std::nullopt, false, false});
      continue;
    }
    auto ctx = backend_->check_context(*r.label);
    if (!ctx) return std::move(ctx).error().wrap(describe(r));
    auto opened = open_resource(r.path, path_policy_);
    if (!opened) {
      if (opened.error().code == ErrorCode::kNotFound && label_when_present(r.kind)) {
        warnings.push_back(describe(r) + (r.kind == ResourceKind::kChardev
                                ? ": not present yet, left for the VM to create"
                                : ": not present, nothing to label"));
        continue;
      }
      return std::move(opened).error().wrap(describe(r));
    }
    auto fit = check_resource_file(r, *opened, checks);
    if (!fit) return std::move(fit).error().wrap(describe(r));
    // Two names of one file are one resource: one label, one record.
    std::string id = FileIdentity::of(opened->st).format();
    auto seen = by_identity.find(id);
    if (seen != by_identity.end()) {
      const Item& first = items[seen->second];
      if (*first.res.label != *r.label)
        return make_error(ErrorCode::kInvalidInput,
                          "'" + opened->resolved + "' is wanted with two labels: " +
                              *first.res.label + " (" + first.res.device + ") and " + *r.label +
                              " (" + r.device + ")" +
                              (first.opened.resolved != opened->resolved
                                   ? " (one file, also named '" + first.opened.resolved + "')"
                                   : ""));
      continue;
    }
    by_identity.emplace(id, items.size());
    items.push_back(Item{r, std::move(*opened), std::nullopt, false, false, {}});
  }

  auto files = state_->load_files();
  if (!files) return std::move(files).error();

  // 2. Conflicts and originals. A file is found by what it is, so a domain
  //    that names another domain's image by a second name shares (or
  //    conflicts with) that record instead of taking the first domain's
  //    label for an original.
  std::vector<std::pair<std::string, std::string>> new_aliases;  // record key, name
  for (Item& it : items) {
    FileIdentity id = FileIdentity::of(it.opened.st);
    FileRecord* rec = find_record(*files, id, it.opened.resolved);
    if (rec != nullptr && rec->users.empty()) {  // nobody's: as good as none
      files->erase(rec->path);
      rec = nullptr;
    }
    if (rec == nullptr) {
      // A record under this name for another file: the file a live domain
      // had labelled was moved away and this one put in its place.
      auto stale = files->find(it.opened.resolved);
      if (stale != files->end() && !stale->second.users.empty())
        return make_error(ErrorCode::kConflict,
                          describe(it.res) + ": is not the file domain '" +
                              stale->second.users.front() + "' had labelled under this name " +
                              "(that was inode " + stale->second.identity.format() + ", this is " +
                              id.format() + "); release that domain first");
    }
    it.key = rec != nullptr ? rec->path : it.opened.resolved;
    if (rec != nullptr && !rec->users.empty()) {
      it.existed = true;
      it.was_user = contains(rec->users, domain);
      bool others = rec->users.size() > (it.was_user ? 1u : 0u);
      if (others && rec->label != *it.res.label) {
        std::string holder = rec->users.front() == domain && rec->users.size() > 1
                                 ? rec->users[1]
                                 : rec->users.front();
        std::string also = rec->path != it.opened.resolved
                               ? " (the same file as '" + rec->path + "')"
                               : std::string();
        return make_error(ErrorCode::kConflict, describe(it.res) + also + ": in use by domain '" +
                                                    holder + "' with label " + rec->label);
      }
      if (rec->path != it.opened.resolved && !contains(rec->aliases, it.opened.resolved))
        new_aliases.emplace_back(rec->path, it.opened.resolved);
    }
    // A file libvirt labelled for one of its running VMs is that VM's; the
    // one count svirt wrote itself (libvirt_marks) on a file it holds is not.
    for (const LibvirtMark& mark : libvirt_marks(it.opened.fd.get())) {
      bool own = it.existed && mark.driver == "selinux" && mark.refcount == 1 &&
                 mark.remembered == label_text(rec->original);
      if (mark.this_boot && mark.refcount > 0 && !own)
        return make_error(ErrorCode::kConflict,
                          describe(it.res) + ": libvirt holds it for " +
                              std::to_string(mark.refcount) + " running VM(s) (" +
                              mark.attribute() + " set this boot); stop them in libvirt first");
      if (!mark.this_boot)
        warnings.push_back(describe(it.res) + ": libvirt's " + mark.driver +
                           " marks on it are from an earlier boot (timestamp '" + mark.timestamp +
                           "'): stale, ignored as libvirt ignores them");
    }
    auto cur = backend_->get_label(it.opened.fd.get(), it.opened.resolved);
    if (!cur) {
      if (cur.error().code == ErrorCode::kUnsupported) {
        warnings.push_back(describe(it.res) + ": " + cur.error().message + ": left unlabelled");
        it.res.label.reset();
        continue;
      }
      return std::move(cur).error().wrap(describe(it.res));
    }
    it.current = *cur;
  }

  // 3. Record intent durably: after a crash from here on, recovery knows the
  //    original of every file this call may change, and which file it is.
  FileTable before = *files;
  bool intent = !new_aliases.empty();
  for (auto& [key, name] : new_aliases) files->at(key).aliases.push_back(name);
  for (Item& it : items) {
    if (!it.res.label) continue;
    FileRecord& rec = (*files)[it.key];
    if (!it.existed) {
      rec.path = it.opened.resolved;
      rec.aliases.clear();
      rec.identity = FileIdentity::of(it.opened.st);
      rec.original = it.current;
      rec.label = *it.res.label;
      rec.kind = resource_kind_name(it.res.kind);
      rec.users = {domain};
      intent = true;
    } else if (!it.was_user) {
      rec.users.push_back(domain);
      intent = true;
    }
  }
  // Nothing new to remember (no resources, or all already recorded for this
  // domain): the durable write would rewrite the same table.
  if (intent) SVIRT_TRY(state_->save_files(*files));
  fault_point("apply:intent-recorded");

  // 4. Apply. On a fatal failure put back what this call changed, newest first.
  std::vector<AppliedLabel> out;
  std::vector<size_t> changed;
  bool table_changed = false;
  for (size_t i = 0; i < items.size(); ++i) {
    Item& it = items[i];
    if (!it.res.label) continue;
    AppliedLabel a;
    a.resource = it.res;
    const FileRecord& rec = files->at(it.key);
    // Reported as the context the bytes spell; the record keeps the bytes.
    a.original = label_text(it.existed ? rec.original : it.current);
    a.shared = it.existed && rec.users.size() > 1;
    bool tree = labels_tree(it.res.kind, it.opened.st);
    if (!tree && label_text(it.current) == it.res.label) {
      out.push_back(std::move(a));
      continue;
    }
    // A tree is labelled as a whole, with its own record of originals.
    auto r = tree ? label_tree(it.opened, *it.res.label, warnings)
                  : backend_->set_label(it.opened.fd.get(), it.opened.resolved, *it.res.label);
    if (!r) {
      if (r.error().code == ErrorCode::kUnsupported) {
        warnings.push_back(describe(it.res) + ": " + r.error().message + ": left as is");
        if (!it.existed) {
          files->erase(it.key);
          table_changed = true;
        }
        continue;
      }
      if (!fatal()) {
        warnings.push_back(describe(it.res) + ": " + r.error().message +
                           " (ignored: host is not enforcing)");
        continue;
      }
      Error err = std::move(r).error().wrap(describe(it.res));
      for (auto k = changed.rbegin(); k != changed.rend(); ++k) {
        Item& undo = items[*k];
        auto back =
            labels_tree(undo.res.kind, undo.opened.st) ? restore_tree_of(undo.opened)
            : undo.current
                ? backend_->set_label(undo.opened.fd.get(), undo.opened.resolved, *undo.current)
                : backend_->remove_label(undo.opened.fd.get(), undo.opened.resolved);
        // The call fails: what its rollback could not undo belongs in its error.
        if (!back)
          err.message += "; rollback of '" + undo.opened.resolved + "' failed: " +
                         back.error().message;
      }
      auto saved = state_->save_files(before);
      if (!saved) err.message += "; " + saved.error().message;
      return err;
    }
    fault_point("apply:label-set");
    a.changed = true;
    changed.push_back(i);
    out.push_back(std::move(a));
  }
  // The intent record already says everything unless a file turned out not
  // to hold labels: spare the second durable write otherwise.
  if (table_changed) SVIRT_TRY(state_->save_files(*files));
  // libvirt's marks go on after the labels, for files svirt holds first: a
  // crash before this leaves none, and release clears what was written.
  if (config_.libvirt_marks) {
    for (const Item& it : items) {
      if (!it.res.label || it.existed || labels_tree(it.res.kind, it.opened.st)) continue;
      auto marked = set_libvirt_marks(it.opened.fd.get(), label_text(it.current));
      if (!marked)
        warnings.push_back(describe(it.res) + ": " + marked.error().message +
                           ": libvirt will not see it in use");
    }
  }
  out.insert(out.end(), std::make_move_iterator(untouched.begin()),
             std::make_move_iterator(untouched.end()));
  return out;
}

std::vector<std::string> LabelingDriver::resolve_paths(
    const std::vector<ResourceLabel>& resources) {
  std::vector<std::string> out;
  for (const ResourceLabel& r : resources) {
    auto opened = open_resource(r.path, path_policy_);
    if (opened) out.push_back(opened->resolved);
  }
  return out;
}

LabelingDriver::RecordedFile LabelingDriver::open_recorded(const FileRecord& rec) const {
  RecordedFile out;
  std::vector<std::string> names{rec.path};
  names.insert(names.end(), rec.aliases.begin(), rec.aliases.end());
  bool failed = false;
  for (const std::string& name : names) {
    auto opened = open_resource(name, path_policy_);
    if (!opened) {
      if (opened.error().code != ErrorCode::kNotFound && !failed) {
        failed = true;
        out.error = std::move(opened).error();
      }
      continue;
    }
    FileIdentity id = FileIdentity::of(opened->st);
    if (!rec.identity.known() || id == rec.identity) {
      out.found = Found::kFile;
      out.opened = std::move(*opened);
      return out;
    }
    if (out.found != Found::kReplaced) {
      out.found = Found::kReplaced;
      out.other = name + "' is now inode " + id.format();
    }
  }
  // Renamed in its own directory (img -> img.old, perhaps with a new file
  // put in its place): the directory's entries say where the inode went.
  if (rec.identity.known()) {
    for (const std::string& name : names) {
      std::string dir = name.substr(0, name.rfind('/'));
      if (dir.empty()) dir = "/";
      auto parent = open_resource(dir, PathPolicy{});
      if (!parent || !S_ISDIR(parent->st.st_mode)) continue;
      UniqueFd dfd(::openat(parent->fd.get(), ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC));
      if (!dfd.valid()) continue;
      std::unique_ptr<DIR, int (*)(DIR*)> d(::fdopendir(dfd.get()), ::closedir);
      if (!d) continue;
      (void)dfd.release();  // the DIR owns it now
      while (dirent* e = ::readdir(d.get())) {
        if (e->d_ino != rec.identity.ino) continue;
        std::string moved = (parent->resolved == "/" ? "" : parent->resolved) + "/" + e->d_name;
        auto opened = open_resource(moved, path_policy_);
        if (!opened || FileIdentity::of(opened->st) != rec.identity) continue;
        out.found = Found::kFile;
        out.moved_to = moved;
        out.opened = std::move(*opened);
        return out;
      }
    }
  }
  if (out.found == Found::kReplaced) return out;
  out.found = failed ? Found::kError : Found::kGone;
  return out;
}

RestoreReport LabelingDriver::restore(const std::string& domain,
                                      const std::vector<std::string>* only) {
  RestoreReport report;
  auto files = state_->load_files();
  if (!files) {
    report.errors.push_back(std::move(files).error());
    return report;
  }
  auto selected = [&](const FileRecord& rec) {
    if (only == nullptr || contains(*only, rec.path)) return true;
    for (const std::string& a : rec.aliases)
      if (contains(*only, a)) return true;
    return false;
  };
  std::vector<std::string> mine;
  for (const auto& [path, rec] : *files)
    if (contains(rec.users, domain) && selected(rec)) mine.push_back(path);

  // What an administrator does about a file svirt will not touch.
  const std::string way_out = "; once it is put right, 'svirt forget " + domain +
                              " PATH' drops the record";
  for (auto p = mine.rbegin(); p != mine.rend(); ++p) {
    FileRecord& rec = files->at(*p);
    RestoredLabel item;
    item.resource.path = rec.path;
    item.resource.label = rec.label;
    rec.users.erase(std::find(rec.users.begin(), rec.users.end(), domain));
    if (!rec.users.empty()) {
      item.action = RestoreAction::kKept;
      item.restored_to = rec.label;
      report.items.push_back(std::move(item));
      continue;
    }
    // Not restored: the record stays, so the domain keeps its label and a
    // later release retries.
    auto fail = [&](Error e) {
      item.action = RestoreAction::kFailed;
      item.error = e.message;
      report.errors.push_back(std::move(e));
      rec.users.push_back(domain);
      report.items.push_back(std::move(item));
    };
    RecordedFile file = open_recorded(rec);
    if (file.found == Found::kGone) {
      // Deleted, or moved where no recorded name leads: nothing to write.
      item.action = RestoreAction::kSkipped;
      if (rec.identity.known())
        report.warnings.push_back("'" + rec.path + "' is gone: if it was moved rather than "
                                  "deleted, it still carries " + rec.label + " (inode " +
                                  rec.identity.format() + ")");
      files->erase(*p);
      report.items.push_back(std::move(item));
      continue;
    }
    if (file.found == Found::kError) {
      fail(file.error.wrap("restoring '" + rec.path + "'"));
      continue;
    }
    if (file.found == Found::kReplaced) {
      fail(make_error(ErrorCode::kOperationFailed,
                      "restoring '" + rec.path + "': not the file svirt labelled (inode " +
                          rec.identity.format() + "; '" + file.other +
                          "'): left alone; the labelled file keeps " + rec.label +
                          " wherever it is now" + way_out));
      continue;
    }
    OpenedPath& opened = file.opened;
    if (!file.moved_to.empty())
      report.warnings.push_back("'" + rec.path + "' was moved to '" + file.moved_to +
                                "': restored there");
    if (labels_tree(rec.kind, opened.st)) {
      auto r = restore_tree_of(opened);
      if (!r) {
        fail(r.error().wrap("restoring tree '" + rec.path + "'"));
      } else {
        item.action = RestoreAction::kRestored;
        item.restored_to = label_text(rec.original);
        files->erase(*p);
        report.items.push_back(std::move(item));
      }
      continue;
    }
    // Only a file that still carries what svirt set gets its original back:
    // a label someone gave it since is theirs, not svirt's to undo.
    auto cur = backend_->get_label(opened.fd.get(), opened.resolved);
    if (!cur && cur.error().code != ErrorCode::kUnsupported) {
      fail(std::move(cur).error().wrap("restoring '" + rec.path + "'"));
      continue;
    }
    bool unsupported = !cur;
    std::optional<std::string> now = cur ? label_text(*cur) : std::nullopt;
    bool ours = now && backend_->same_label(*now, rec.label);
    bool already = !unsupported && label_text(rec.original) == now;
    if (!unsupported && !ours && !already) {
      fail(make_error(ErrorCode::kOperationFailed,
                      "restoring '" + rec.path + "': it carries " + now.value_or("no label") +
                          ", not the label svirt set (" + rec.label +
                          "): relabelled since, left as it is" + way_out));
      continue;
    }
    // svirt's hold ends: the libvirt marks it wrote for the file go first.
    auto unmarked = clear_libvirt_marks(opened.fd.get(), label_text(rec.original));
    if (!unmarked)
      report.warnings.push_back("'" + rec.path + "': " + unmarked.error().message +
                                ": libvirt sees it in use until the host reboots");
    if (already) {
      item.action = RestoreAction::kRestored;
      item.restored_to = label_text(rec.original);
      files->erase(*p);
      report.items.push_back(std::move(item));
      continue;
    }
    std::optional<std::string> target = rec.original;
    if (!target) {
      auto def = backend_->default_label(opened.resolved, opened.st.st_mode);
      if (def && def->has_value()) target = **def;
    }
    Result<void> r = target ? backend_->set_label(opened.fd.get(), opened.resolved, *target)
                            : backend_->remove_label(opened.fd.get(), opened.resolved);
    if (!r && !target && r.error().code == ErrorCode::kUnsupported) {
      report.warnings.push_back("'" + rec.path + "' had no label and has no default: left as " +
                                rec.label);
      item.action = RestoreAction::kSkipped;
      files->erase(*p);
      report.items.push_back(std::move(item));
      continue;
    }
    if (!r) {
      fail(r.error().wrap("restoring '" + rec.path + "'"));
      continue;
    }
    fault_point("restore:label-restored");
    item.action = RestoreAction::kRestored;
    item.restored_to = label_text(target);
    files->erase(*p);
    report.items.push_back(std::move(item));
  }
  if (mine.empty()) return report;  // the table is unchanged
  auto saved = state_->save_files(*files);
  if (!saved) report.errors.push_back(std::move(saved).error());
  return report;
}

Result<LabelReport> LabelingDriver::set_all_labels(const DomainDef& def,
                                                   const TransactionOptions& options) {
  std::string m(model().model);
  auto res = plan_resources(def, m, label_of(def), defaults_, config_);
  if (!res) return std::move(res).error();
  auto out = leave_shared_alone(def.name, *res, options);
  if (!out) return std::move(out).error();
  for (std::string& w : label_warnings(def, label_of(def))) out->warnings.push_back(std::move(w));
  auto applied = apply(def.name, *res, out->warnings);
  if (!applied) return std::move(applied).error();
  out->items.insert(out->items.begin(), applied->begin(), applied->end());
  return out;
}

void LabelingDriver::check_unrecorded(const ResourceLabel& r, const OpenedPath& opened,
                                      RestoreReport& report) {
  // Files the VM creates itself, and trees (their own records), are not
  // necessarily recorded; every other labelled resource was, before its label
  // changed.
  if (label_when_present(r.kind) || labels_tree(r.kind, opened.st)) return;
  auto cur = backend_->get_label(opened.fd.get(), opened.resolved);
  if (!cur || !*cur || !backend_->same_label(std::string(label_text(**cur)), *r.label)) return;
  report.errors.push_back(make_error(
      ErrorCode::kOperationFailed,
      describe(r) + ": svirt holds no record of its original label, and it still carries " +
          *r.label + ", the label this domain gave it: the record was lost (state damaged or "
          "removed); give the file its label back by hand (restorecon, chcon), then release again"));
}

RestoreReport LabelingDriver::check_unrecorded(const DomainDef& def) {
  RestoreReport report;
  auto res = plan_resources(def, std::string(model().model), label_of(def), defaults_, config_);
  if (!res) return report;
  auto files = state_->load_files();
  if (!files) return report;
  for (const ResourceLabel& r : *res) {
    if (!r.label) continue;
    auto opened = open_resource(r.path, path_policy_);
    if (!opened) continue;
    // A file another domain still holds is recorded: its original is kept.
    if (find_record(*files, FileIdentity::of(opened->st), opened->resolved) != nullptr) continue;
    check_unrecorded(r, *opened, report);
  }
  return report;
}

RestoreReport LabelingDriver::restore_all_labels(const DomainDef& def,
                                                 const TransactionOptions& options) {
  RestoreReport report = forget_shared(def.name, options);
  // Should forgetting fail, restoring would take shared files from the
  // destination: stop here, the records stay for a later release.
  if (!report.ok()) return report;
  RestoreReport restored = restore(def.name, nullptr);
  report.items.insert(report.items.end(), restored.items.begin(), restored.items.end());
  report.errors = std::move(restored.errors);
  report.warnings.insert(report.warnings.end(), restored.warnings.begin(),
                         restored.warnings.end());
  // Resources the user keeps labelling themselves are reported as skipped.
  std::string m(model().model);
  auto res = plan_resources(def, m, label_of(def), defaults_, config_);
  if (res) {
    for (const ResourceLabel& r : *res) {
      if (r.label) continue;
      RestoredLabel item;
      item.resource = r;
      item.action = RestoreAction::kSkipped;
      report.items.push_back(std::move(item));
    }
  }
  // Records carry resolved paths; report the paths as the XML wrote them.
  // Most paths are written resolved and match as they are; only the others
  // (through a symlink, with "..") are resolved again to find their record.
  if (res) {
    std::unordered_map<std::string, RestoredLabel*> by_path;
    for (RestoredLabel& item : report.items)
      if (item.resource.device.empty()) by_path.emplace(item.resource.path, &item);
    for (const ResourceLabel& r : *res) {
      if (!r.label) continue;
      auto it = by_path.find(r.path);
      if (it == by_path.end()) {
        auto opened = open_resource(r.path, path_policy_);
        if (!opened) continue;
        it = by_path.find(opened->resolved);
        if (it == by_path.end()) continue;
      }
      RestoredLabel& item = *it->second;
      std::optional<std::string> kept = item.resource.label;
      item.resource = r;
      item.resource.label = kept;
      by_path.erase(it);  // named once, as written first
    }
  }
  return report;
}

Result<LabelReport> LabelingDriver::set_device_labels(const DomainDef& def,
                                                      const DeviceDef& dev) {
  std::string m(model().model);
  auto res = plan_device_resources(def, dev, m, label_of(def), defaults_);
  if (!res) return std::move(res).error();
  LabelReport out;
  auto applied = apply(def.name, *res, out.warnings);
  if (!applied) return std::move(applied).error();
  out.items = std::move(*applied);
  return out;
}

RestoreReport LabelingDriver::restore_device_labels(const DomainDef& def, const DeviceDef& dev) {
  std::string m(model().model);
  auto res = plan_device_resources(def, dev, m, label_of(def), defaults_);
  if (!res) {
    RestoreReport r;
    r.errors.push_back(std::move(res).error());
    return r;
  }
  std::vector<std::string> paths = resolve_paths(*res);
  return restore(def.name, &paths);
}

Result<LabelReport> LabelingDriver::set_saved_state_label(const DomainDef& def,
                                                          const std::string& path) {
  LabelReport out;
  SecurityLabel l = label_of(def);
  if (l.type == LabelType::kNone || !l.relabel) {
    AppliedLabel a;
    a.resource = ResourceLabel{ResourceKind::kSavefile, path, std::nullopt, "savefile"};
    out.items.push_back(std::move(a));
    return out;
  }
  auto file = open_saved_state_file(path);
  if (!file) return std::move(file).error();
  std::vector<ResourceLabel> res{
      ResourceLabel{ResourceKind::kSavefile, file->resolved, l.imagelabel, "savefile"}};
  auto applied = apply(def.name, res, out.warnings);
  if (!applied) return std::move(applied).error();
  AppliedLabel a = applied->empty() ? AppliedLabel{res[0], std::nullopt, false, false}
                                    : std::move(applied->front());
  a.resource.path = path;
  out.items.push_back(std::move(a));
  return out;
}

RestoreReport LabelingDriver::restore_saved_state_label(const DomainDef& def,
                                                        const std::string& path) {
  std::vector<std::string> paths;
  auto file = open_saved_state_file(path);
  if (file) {
    paths.push_back(file->resolved);
  } else if (file.error().code == ErrorCode::kNotFound) {
    // Gone: a record of it is dropped (reported skipped), as release would.
    if (auto gone = saved_state_record_path(path)) paths.push_back(*gone);
  } else {
    RestoreReport r;
    r.errors.push_back(std::move(file).error());
    return r;
  }
  RestoreReport r = restore(def.name, &paths);
  for (RestoredLabel& item : r.items) {
    item.resource.kind = ResourceKind::kSavefile;
    item.resource.path = path;
    item.resource.device = "savefile";
  }
  return r;
}

RestoreReport LabelingDriver::forget_labels(const DomainDef& def,
                                            const std::vector<std::string>& paths) {
  RestoreReport report;
  auto files = state_->load_files();
  if (!files) {
    report.errors.push_back(std::move(files).error());
    return report;
  }
  std::vector<std::string> trees;  // their records of originals go too
  bool changed = false;
  for (const std::string& path : paths) {
    // Named as recorded, or by any name that reaches the recorded file now.
    FileRecord* rec = nullptr;
    for (auto& [key, r] : *files)
      if (contains(r.users, def.name) && (r.path == path || contains(r.aliases, path))) rec = &r;
    if (rec == nullptr) {
      if (auto opened = open_resource(path, path_policy_)) {
        FileIdentity id = FileIdentity::of(opened->st);
        FileRecord* r = find_record(*files, id, opened->resolved);
        if (r != nullptr && contains(r->users, def.name)) rec = r;
      }
    }
    if (rec == nullptr) {
      report.errors.push_back(make_error(ErrorCode::kNotFound, "domain '" + def.name +
                                                                   "' has no record of '" +
                                                                   path + "'"));
      continue;
    }
    RestoredLabel item;
    item.resource.path = path;
    item.resource.label = rec->label;
    item.action = RestoreAction::kForgotten;
    report.warnings.push_back(
        "'" + rec->path + "' forgotten for domain '" + def.name +
        "': left with the label it has now; svirt had set " + rec->label +
        ", and before that it carried " + label_text(rec->original).value_or("no label") +
        (rec->identity.known() ? " (inode " + rec->identity.format() + ")" : std::string()));
    rec->users.erase(std::find(rec->users.begin(), rec->users.end(), def.name));
    if (rec->users.empty()) {
      trees.push_back(tree_record_path(rec->path));
      files->erase(rec->path);
    }
    changed = true;
    report.items.push_back(std::move(item));
  }
  if (!changed) return report;
  if (auto saved = state_->save_files(*files); !saved) {
    report.errors.push_back(std::move(saved).error());
    return report;
  }
  for (const std::string& t : trees)
    if (::unlink(t.c_str()) != 0 && errno != ENOENT)
      report.warnings.push_back("cannot remove tree record '" + t + "': " + g_strerror(errno));
  return report;
}

Result<ExecPlan> LabelingDriver::plan_process_label(const DomainDef& def) {
  SecurityLabel l = label_of(def);
  if (l.type == LabelType::kNone || l.label.empty()) return ExecPlan{};
  auto plan = backend_->plan_exec_label(l.label, fatal());
  if (!plan && !fatal()) return ExecPlan{};
  return plan;
}

Result<void> LabelingDriver::set_socket_label(const DomainDef& def) {
  SecurityLabel l = label_of(def);
  if (l.type == LabelType::kNone || l.label.empty()) return ok();
  auto r = backend_->set_socket_label(l.label);
  if (!r && fatal()) return r;
  return ok();
}

Result<void> LabelingDriver::clear_socket_label(const DomainDef& def) {
  SecurityLabel l = label_of(def);
  if (l.type == LabelType::kNone || l.label.empty()) return ok();
  auto r = backend_->clear_socket_label();
  if (!r && fatal()) return r;
  return ok();
}

Result<SecurityLabel> LabelingDriver::get_process_label(const DomainDef& def, pid_t pid) {
  SecurityLabel l = label_of(def);
  auto ctx = backend_->process_label(pid);
  if (!ctx) return std::move(ctx).error();
  l.label = *ctx;
  return l;
}

}  // namespace svirt::internal
