// SPDX-License-Identifier: LGPL-2.1-or-later
//
// audit(): every subject against every object, asking the oracle once per
// distinct (process label, object label, class). Object labels are interned
// first, so the per-file work is table lookups, and 50 domains over 100k files
// cost about as much as the few thousand policy questions behind them.
#include "svirt/audit.h"

#include <algorithm>
#include <cstdint>
#include <map>
#include <set>
#include <unordered_map>

#include "svirt/context.h"

namespace svirt {
namespace {

// Audited permissions; the bit masks below follow their positions.
const std::vector<std::string>& file_permissions() {
  static const std::vector<std::string> p = {"read", "write", "append", "execute", "open"};
  return p;
}
const std::vector<std::string>& dir_permissions() {
  static const std::vector<std::string> p = {"search", "read", "write", "add_name"};
  return p;
}
const std::vector<std::string>& permissions_for(bool dir) {
  return dir ? dir_permissions() : file_permissions();
}

constexpr uint8_t kRead = 1, kWrite = 2, kExecute = 4;

// What the granted permissions let a process do (audit.h: "Audited permissions").
uint8_t reach_of(bool dir, uint32_t granted) {
  auto has = [granted](int bit) { return ((granted >> bit) & 1u) != 0; };
  if (dir) return (has(0) || has(1) ? kRead : 0) | (has(2) && has(3) ? kWrite : 0);
  if (!has(4)) return 0;  // nothing without open
  return (has(0) ? kRead : 0) | (has(1) || has(2) ? kWrite : 0) | (has(3) ? kExecute : 0);
}

std::string verbs(uint8_t reach) {
  std::vector<const char*> v;
  if (reach & kRead) v.push_back("read");
  if (reach & kWrite) v.push_back("write");
  if (reach & kExecute) v.push_back("execute");
  std::string s;
  for (size_t i = 0; i < v.size(); ++i)
    s += (i == 0 ? "" : i + 1 == v.size() ? " and " : ", ") + std::string(v[i]);
  return s;
}

std::string join(const std::vector<std::string>& names) {
  std::string s;
  for (const std::string& n : names) s += (s.empty() ? "" : ", ") + n;
  return s;
}

struct LabelInfo {
  bool parsed = false;
  std::string canonical;  // as the kernel prints it, so equal labels compare equal
  std::string type;
  CategorySet categories;  // of the high level
};

LabelInfo parse_label(const std::string& text) {
  LabelInfo info;
  auto c = SecurityContext::parse(text);
  if (!c) return info;
  info.parsed = true;
  info.canonical = c->format();
  info.type = c->type();
  if (c->range()) info.categories = c->range()->high.categories;
  return info;
}

// An oracle answer that means "this label is not in the policy", not a failure.
bool undefined_label(const Error& e) {
  return e.code == ErrorCode::kNotFound || e.code == ErrorCode::kInvalidInput;
}

struct Subject {
  const AuditSubject* in = nullptr;
  bool selected = false;
  LabelInfo process, image;
  bool usable = false;  // its label is in the policy: accesses can be computed
  bool unconfined = false, unconstrained = false, unknown = false;
};

struct LabelClass {
  std::string label, tclass, first_path;
  bool dir = false;
  LabelInfo info;
  bool valid = false;
  std::size_t objects = 0;
  std::vector<int> labelled_for;  // subjects whose image label or categories it carries
};

// Per label class: granted permission bits (positions in permissions_for())
// and what they let the process do.
struct Decisions {
  std::vector<uint32_t> granted;
  std::vector<uint8_t> reach;
};

bool same_categories(const CategorySet& a, const CategorySet& b) { return !a.empty() && a == b; }

// Whether MCS keeps `s` from an object of a type it otherwise reaches: its own
// image type with two categories it does not hold. nullopt: cannot tell.
Result<std::optional<bool>> probe_constrained(PolicyOracle& oracle, const Subject& s) {
  if (s.in->image_label.empty()) return std::optional<bool>();
  auto image = SecurityContext::parse(s.in->image_label);
  if (!image) return std::optional<bool>();
  MlsLevel level;
  if (image->range()) level.sensitivity = image->range()->low.sensitivity;
  for (int c = 0; c < CategorySet::kMaxCategories && level.categories.size() < 2; ++c)
    if (!s.process.categories.contains(c)) level.categories.add(c);
  if (level.categories.size() < 2) return std::optional<bool>();
  std::string probe = image->with_range(MlsRange::single(level)).format();
  auto d = oracle.check(s.in->process_label, probe, "file", {"read", "write"});
  if (!d) {
    if (undefined_label(d.error())) return std::optional<bool>();
    return std::move(d).error();
  }
  bool denied_by_constraint = false;
  for (const PermissionDecision& p : d->permissions) {
    if (p.allowed) return std::optional<bool>(false);
    if (p.denied_by & kDeniedByConstraint) denied_by_constraint = true;
  }
  if (denied_by_constraint) return std::optional<bool>(true);
  return std::optional<bool>();
}

class Auditor {
 public:
  Auditor(const std::vector<AuditSubject>& subjects, const std::vector<AuditObject>& objects,
          PolicyOracle& oracle)
      : in_subjects_(subjects), in_objects_(objects), oracle_(oracle) {}

  Result<AuditReport> run(const std::vector<std::string>& only) {
    report_.policy = oracle_.description();
    SVIRT_TRY(load_subjects(only));
    shared_label_findings();
    SVIRT_TRY(classify_subjects());
    SVIRT_TRY(load_objects());
    leftover_findings();
    for (size_t i = 0; i < subjects_.size(); ++i)
      if (subjects_[i].selected) SVIRT_TRY(audit_subject(static_cast<int>(i)));
    writable_uncategorized_findings();
    return std::move(report_);
  }

 private:
  void add_finding(const char* id, std::string domain, std::string path, std::string message) {
    report_.findings.push_back(
        AuditFinding{id, std::move(domain), std::move(path), std::move(message)});
  }

  Result<void> load_subjects(const std::vector<std::string>& only) {
    subjects_.resize(in_subjects_.size());
    for (size_t i = 0; i < in_subjects_.size(); ++i) {
      const AuditSubject& in = in_subjects_[i];
      if (!by_name_.emplace(in.name, static_cast<int>(i)).second)
        return make_error(ErrorCode::kInvalidInput, "audit: domain '" + in.name + "' given twice");
      Subject& s = subjects_[i];
      s.in = &in;
      s.selected = only.empty();
      s.process = parse_label(in.process_label);
      s.image = parse_label(in.image_label);
    }
    for (const std::string& name : only) {
      auto it = by_name_.find(name);
      if (it == by_name_.end())
        return make_error(ErrorCode::kNotFound, "audit: domain '" + name + "' is not recorded");
      subjects_[it->second].selected = true;
    }
    return ok();
  }

  void shared_label_findings() {
    for (size_t i = 0; i < subjects_.size(); ++i) {
      for (size_t j = i + 1; j < subjects_.size(); ++j) {
        const Subject& a = subjects_[i];
        const Subject& b = subjects_[j];
        if (!a.selected && !b.selected) continue;
        std::string what;
        if (a.process.parsed && b.process.parsed && a.process.canonical == b.process.canonical)
          what = "the process label " + a.process.canonical;
        else if (same_categories(a.process.categories, b.process.categories))
          what = "the categories " + a.process.categories.format();
        else if (a.image.parsed && b.image.parsed && a.image.canonical == b.image.canonical)
          what = "the image label " + a.image.canonical;
        else if (same_categories(a.image.categories, b.image.categories))
          what = "the image categories " + a.image.categories.format();
        if (what.empty()) continue;
        std::string msg = "domains '" + a.in->name + "' and '" + b.in->name + "' share " + what +
                          ": MCS cannot keep them apart";
        add_finding(kFindingSharedLabel, a.in->name, "", msg);
        add_finding(kFindingSharedLabel, b.in->name, "", msg);
      }
    }
  }

  // Which subjects can be analysed, and which escape confinement or MCS.
  Result<void> classify_subjects() {
    for (Subject& s : subjects_) {
      if (!s.selected) {
        s.usable = s.process.parsed;
        continue;
      }
      const std::string& name = s.in->name;
      if (s.in->process_label.empty()) {
        s.unconfined = true;
        add_finding(kFindingUnconfinedDomain, name, "",
                    "domain '" + name +
                        "' has no label of its own: it runs with the rights "
                        "of the process that starts it");
        continue;
      }
      auto valid = s.process.parsed
                       ? oracle_.validate_context(s.in->process_label)
                       : Result<void>(make_error(ErrorCode::kInvalidInput,
                                                 "'" + s.in->process_label + "' is not a context"));
      if (!valid) {
        if (!undefined_label(valid.error())) return std::move(valid).error();
        s.unknown = true;
        add_finding(kFindingInvalidLabel, name, "",
                    "domain '" + name + "': " + valid.error().message);
        continue;
      }
      s.usable = true;
      const std::string& type = s.process.type;
      if (oracle_.type_has_attribute(type, "unconfined_domain_type").value_or(false)) {
        s.unconfined = true;
        add_finding(kFindingUnconfinedDomain, name, "",
                    "domain '" + name + "' runs as the unconfined type " + type);
        continue;
      }
      std::optional<bool> constrained = oracle_.type_has_attribute(type, "mcs_constrained_type");
      if (!constrained) {
        auto probed = probe_constrained(oracle_, s);
        if (!probed) return std::move(probed).error();
        constrained = *probed;
      }
      if (!constrained) {
        report_.warnings.push_back("domain '" + name +
                                   "': cannot tell whether the policy "
                                   "constrains type " +
                                   type + " by MCS");
      } else if (!*constrained) {
        s.unconstrained = true;
        add_finding(kFindingUnconstrainedType, name, "",
                    "domain '" + name + "' runs as type " + type +
                        ", which the policy does not constrain by MCS: categories do not "
                        "separate it from other domains");
      }
    }
    return ok();
  }

  Result<void> load_objects() {
    std::unordered_map<std::string, int> index;  // label + '\n' + class
    object_lc_.assign(in_objects_.size(), -1);
    object_owners_.resize(in_objects_.size());
    report_.objects = in_objects_.size();
    for (size_t o = 0; o < in_objects_.size(); ++o) {
      const AuditObject& obj = in_objects_[o];
      for (const std::string& owner : obj.owners) {
        auto it = by_name_.find(owner);
        if (it != by_name_.end()) object_owners_[o].push_back(it->second);
      }
      if (obj.label.empty()) {
        ++report_.unlabelled;
        continue;
      }
      std::string key = obj.label + '\n' + obj.tclass;
      auto [it, fresh] = index.emplace(key, static_cast<int>(classes_.size()));
      if (fresh) {
        LabelClass lc;
        lc.label = obj.label;
        lc.tclass = obj.tclass;
        lc.dir = obj.tclass == "dir";
        lc.first_path = obj.path;
        lc.info = parse_label(obj.label);
        classes_.push_back(std::move(lc));
      }
      object_lc_[o] = it->second;
      ++classes_[it->second].objects;
    }
    std::map<std::string, bool> checked;  // label -> defined by the policy
    for (LabelClass& lc : classes_) {
      auto known = checked.find(lc.label);
      if (known == checked.end()) {
        bool defined = false;
        std::string why;
        if (!lc.info.parsed) {
          why = "'" + lc.label + "' is not a context";
        } else if (auto v = oracle_.validate_context(lc.label); v) {
          defined = true;
        } else if (undefined_label(v.error())) {
          why = v.error().message;
        } else {
          return std::move(v).error();
        }
        known = checked.emplace(lc.label, defined).first;
        if (!defined)
          add_finding(kFindingInvalidLabel, "", lc.first_path,
                      lc.first_path + ": " + why + " (objects with this label are not analysed)");
      }
      lc.valid = known->second;
      if (!lc.valid) continue;
      ++report_.labels;
      for (size_t i = 0; i < subjects_.size(); ++i) {
        const Subject& s = subjects_[i];
        if ((s.image.parsed && s.image.canonical == lc.info.canonical) ||
            same_categories(lc.info.categories, s.process.categories) ||
            same_categories(lc.info.categories, s.image.categories))
          lc.labelled_for.push_back(static_cast<int>(i));
      }
    }
    return ok();
  }

  void leftover_findings() {
    for (size_t o = 0; o < in_objects_.size(); ++o) {
      int c = object_lc_[o];
      if (c < 0 || !classes_[c].valid) continue;
      const LabelClass& lc = classes_[c];
      if (lc.info.categories.size() < 2 || !lc.labelled_for.empty()) continue;
      add_finding(kFindingLeftoverLabel, "", in_objects_[o].path,
                  in_objects_[o].path + " carries " + lc.info.canonical + ": no domain holds " +
                      lc.info.categories.format() + " (left by a domain that is gone?)");
    }
  }

  // What a process label may do to every label class, asking each distinct
  // (process label, label, class) once across subjects.
  Result<const Decisions*> decisions_for(const Subject& s) {
    auto [it, fresh] = decisions_.try_emplace(s.process.canonical);
    if (!fresh) return &it->second;
    Decisions& table = it->second;
    table.granted.assign(classes_.size(), 0);
    table.reach.assign(classes_.size(), 0);
    for (size_t c = 0; c < classes_.size(); ++c) {
      const LabelClass& lc = classes_[c];
      if (!lc.valid) continue;
      const std::vector<std::string>& perms = permissions_for(lc.dir);
      auto d = oracle_.check(s.in->process_label, lc.label, lc.tclass, perms);
      ++report_.queries;
      if (!d) {
        decisions_.erase(it);
        return std::move(d).error().wrap("audit: " + lc.tclass + " " + lc.label);
      }
      uint32_t granted = 0;
      for (size_t p = 0; p < perms.size(); ++p)
        if (d->allows(perms[p])) granted |= 1u << p;
      table.granted[c] = granted;
      table.reach[c] = reach_of(lc.dir, granted);
    }
    return &it->second;
  }

  Result<void> audit_subject(int si) {
    Subject& s = subjects_[si];
    DomainAudit da;
    da.subject = *s.in;
    if (s.unknown) da.verdict = AuditVerdict::kUnknown;
    if (!s.usable) {
      if (s.unconfined) da.verdict = AuditVerdict::kUnconfined;
      report_.domains.push_back(std::move(da));
      return ok();
    }
    auto table = decisions_for(s);
    if (!table) return std::move(table).error();
    const std::vector<uint8_t>& reach = (*table)->reach;
    const std::vector<uint32_t>& granted_by_class = (*table)->granted;
    bool confined = !s.unconfined && !s.unconstrained;
    const std::string& name = s.in->name;
    for (size_t o = 0; o < in_objects_.size(); ++o) {
      const std::vector<int>& owners = object_owners_[o];
      const AuditObject& obj = in_objects_[o];
      int c = object_lc_[o];
      const LabelClass* lc = c >= 0 ? &classes_[c] : nullptr;
      bool own;
      if (!obj.owners.empty())
        own = std::find(owners.begin(), owners.end(), si) != owners.end();
      else
        own = lc != nullptr && std::find(lc->labelled_for.begin(), lc->labelled_for.end(), si) !=
                                   lc->labelled_for.end();
      uint8_t r = lc != nullptr ? reach[c] : 0;
      if (own) {
        ++da.own;
        if (r != 0) ++da.own_reachable;
        continue;
      }
      if (r == 0) continue;
      AuditAccess a;
      a.path = obj.path;
      a.label = obj.label;
      a.tclass = obj.tclass;
      uint32_t granted = granted_by_class[c];
      const std::vector<std::string>& perms = permissions_for(lc->dir);
      for (size_t p = 0; p < perms.size(); ++p)
        if (granted & (1u << p)) a.permissions.push_back(perms[p]);
      a.read = r & kRead;
      a.write = r & kWrite;
      a.execute = r & kExecute;
      std::set<std::string> others;
      for (const std::string& owner : obj.owners)
        if (owner != name) others.insert(owner);
      for (int other : lc->labelled_for)
        if (other != si) others.insert(subjects_[other].in->name);
      a.belongs_to.assign(others.begin(), others.end());
      a.cross_domain = !a.belongs_to.empty() && (!lc->info.categories.empty() || a.write);
      if (a.write)
        ++da.writes_outside;
      else
        ++da.reads_outside;
      if (a.cross_domain) {
        ++da.cross_domain;
        add_finding(kFindingCrossDomainAccess, name, obj.path,
                    "domain '" + name + "' can " + verbs(r) + " " + obj.path + " (" + obj.label +
                        "), which belongs to " + join(a.belongs_to));
      }
      if (a.write && confined && lc->info.categories.size() < 2) writers_[o].push_back(name);
      da.outside.push_back(std::move(a));
    }
    if (s.unconfined)
      da.verdict = AuditVerdict::kUnconfined;
    else if (s.unconstrained)
      da.verdict = AuditVerdict::kUnconstrained;
    else if (da.cross_domain > 0)
      da.verdict = AuditVerdict::kCrossDomain;
    else if (da.writes_outside > 0)
      da.verdict = AuditVerdict::kWritesOutside;
    else if (da.reads_outside > 0)
      da.verdict = AuditVerdict::kReadsOutside;
    report_.domains.push_back(std::move(da));
    return ok();
  }

  void writable_uncategorized_findings() {
    for (const auto& [o, names] : writers_) {
      const AuditObject& obj = in_objects_[o];
      const LabelClass& lc = classes_[object_lc_[o]];
      std::string cats = lc.info.categories.empty()
                             ? "no categories"
                             : "the single category " + lc.info.categories.format();
      add_finding(
          kFindingWritableUncategorized, "", obj.path,
          obj.path + " (" + obj.label + ") has " + cats + " and can be written by " + join(names));
    }
  }

  const std::vector<AuditSubject>& in_subjects_;
  const std::vector<AuditObject>& in_objects_;
  PolicyOracle& oracle_;
  AuditReport report_;
  std::vector<Subject> subjects_;
  std::unordered_map<std::string, int> by_name_;
  std::vector<LabelClass> classes_;
  std::vector<int> object_lc_;                            // object -> label class, -1 unlabelled
  std::vector<std::vector<int>> object_owners_;           // object -> owner subjects
  std::unordered_map<std::string, Decisions> decisions_;  // by canonical process label
  std::map<size_t, std::vector<std::string>> writers_;  // object -> confined writers outside owners
};

}  // namespace

Result<AuditReport> audit(const std::vector<AuditSubject>& subjects,
                          const std::vector<AuditObject>& objects, PolicyOracle& oracle,
                          const std::vector<std::string>& only) {
  return Auditor(subjects, objects, oracle).run(only);
}

}  // namespace svirt
