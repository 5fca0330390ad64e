// SPDX-License-Identifier: LGPL-2.1-or-later
//
// Which label a domain holds: generating a dynamic pair, taking a static
// label, reserving a live domain's label again and releasing it, all against
// the host-wide registry of the categories live domains hold
// (StateDir::load_registry).
//
// The registry keeps, per live domain, the categories of its label's high
// level (registry_key: "c3,c4" for a dynamic pair, "c0.c2" or "c0.c7" for a
// static label, "none" for one without categories). Separation holds only
// while no live label dominates another live domain's categories (docs/mcs.md):
// a dynamic pair is never one that dominates or is dominated by a live set,
// and a static label that would be is refused.
#include <algorithm>
#include <string_view>

#include "core/fault.h"
#include "core/labeling_driver.h"
#include "mcs/dominance.h"
#include "mcs/mcs_allocator.h"
#include "plan/planner.h"

namespace svirt::internal {
namespace {

// One other live domain's categories, as the registry holds them, or those
// of a running VM process svirt did not start (pid set, owner empty).
struct LiveSet {
  std::string owner;
  CategorySet categories;
  pid_t pid = 0;
  std::string label;  // the process's, when pid is set
};

// Who holds a live set, for messages: "live domain 'web'" (`live_word`
// false: "domain 'web'"), or "running process 42 (not started by svirt)".
std::string holder(const LiveSet& s, bool live_word = true) {
  if (s.pid != 0) return "running process " + std::to_string(s.pid) + " (not started by svirt)";
  return std::string(live_word ? "live " : "") + "domain '" + s.owner + "'";
}

// The categories of every domain but `self` in the registry. Keys that do
// not parse (another version's, or damaged) stand for nothing and are skipped.
std::vector<LiveSet> live_sets(const McsRegistry& reg, const std::string& self) {
  std::vector<LiveSet> out;
  for (const auto& [key, owner] : reg) {
    if (owner == self) continue;
    if (auto cats = parse_registry_key(key)) out.push_back(LiveSet{owner, *cats});
  }
  return out;
}

// Records `cats` as what `name` holds, replacing any key it held before, so
// a domain has one key and release drops it whatever it was.
void record(McsRegistry& reg, const std::string& name, const CategorySet& cats) {
  std::erase_if(reg, [&name](const auto& entry) { return entry.second == name; });
  reg[registry_key(cats)] = name;
}

// The label another live domain runs under, for messages: from its record,
// else its categories as the registry has them.
std::string owner_label(const StateDir& state, const LiveSet& other, const std::string& model) {
  if (other.pid != 0) return "label '" + other.label + "'";
  auto rec = state.read_domain(other.owner);
  if (rec && *rec) {
    auto def = DomainDef::parse((*rec)->live_xml);
    if (def) {
      SecurityLabel l = domain_label(*def, model, EnforcingMode::kDisabled);
      if (!l.label.empty()) return "label '" + l.label + "'";
    }
  }
  return "categories " + registry_key(other.categories);
}

// A live domain whose categories `cats` dominates or is dominated by (equal
// included), or null.
const LiveSet* related_domain(const std::vector<LiveSet>& live, const CategorySet& cats) {
  for (const LiveSet& s : live)
    if (mcs_related(cats, s.categories)) return &s;
  return nullptr;
}

// The one-line refusal of `label` (`what`: "static label", "label") beside
// the live domain `other`, saying who could reach whose files.
Error conflict(const StateDir& state, const std::string& domain, std::string_view what,
               const std::string& label, const CategorySet& cats, const LiveSet& other,
               const std::string& model) {
  std::string_view relation = mcs_relation(cats, other.categories);
  std::string_view why = cats == other.categories  ? "each VM could reach the other's files"
                         : relation == "dominates" ? "this VM could reach that domain's files"
                                                   : "that domain's VM could reach this VM's files";
  return make_error(ErrorCode::kConflict,
                    "domain '" + domain + "': " + std::string(what) + " '" + label + "' " +
                        std::string(relation) + " " + owner_label(state, other, model) +
                        " of " + holder(other) + " (" + std::string(why) + ")");
}

// Why no pair is free, naming the live domain that rules out the most pairs
// when one label (a static set or range) rules out more than its own pair.
std::string exhaustion_reason(const McsAllocator& alloc, const std::vector<LiveSet>& live) {
  const LiveSet* widest = nullptr;
  uint64_t most = 1;
  for (const LiveSet& s : live) {
    uint64_t n = alloc.related_pairs(s.categories);
    if (n > most) {
      most = n;
      widest = &s;
    }
  }
  std::string pool = alloc.pool().format();
  if (widest != nullptr && most == alloc.capacity()) {
    std::string who = holder(*widest, false);
    if (widest->categories.empty())
      return who + " holds a label without categories, which every pair of " + pool + " dominates";
    return who + " holds categories " + widest->categories.format() +
           ", which dominate every pair of " + pool;
  }
  std::string out = "all " + std::to_string(alloc.capacity()) + " pairs of " + pool + " are in use";
  // Pairs held by VMs another manager started are the ones an operator
  // cannot see in 'svirt list'.
  const LiveSet* foreign = nullptr;
  size_t foreign_count = 0;
  for (const LiveSet& s : live)
    if (s.pid != 0 && foreign_count++ == 0) foreign = &s;
  if (foreign != nullptr)
    out += " (" + std::to_string(foreign_count) +
           " held by VMs svirt did not start, such as process " + std::to_string(foreign->pid) +
           " running as " + foreign->label + ")";
  if (widest != nullptr)
    out += " or dominate or are dominated by a live label (" + holder(*widest, false) +
           ", categories " + registry_key(widest->categories) + ", rules out " +
           std::to_string(most) + ")";
  return out;
}

// VMs another manager started (libvirt, another stack, an svirt with another
// state directory) hold categories this registry does not know. Their
// processes say which: every process of a VM type whose categories are not a
// live domain's of our own registry. Processes of other types (a root shell
// holds s0-s0:c0.c1023) do not take part: only VM processes are separated by
// their categories.
Result<void> add_foreign_vm_sets(LabelBackend& backend, const std::vector<std::string>& types,
                                 const std::vector<std::string>& vm_cgroups,
                                 const McsRegistry& reg, std::vector<LiveSet>& live) {
  if (backend.mode() == EnforcingMode::kDisabled) return ok();  // no process has a label
  auto procs = backend.running_processes(vm_cgroups);
  if (!procs) {
    if (backend.mode() == EnforcingMode::kEnforcing)
      return std::move(procs).error().wrap("cannot tell which categories running VMs hold");
    return ok();  // permissive: categories separate nothing the kernel enforces
  }
  for (RunningProcess& p : *procs) {
    auto ctx = SecurityContext::parse(p.label);
    if (!ctx || std::find(types.begin(), types.end(), ctx->type()) == types.end()) continue;
    CategorySet cats = label_categories(p.label);
    if (reg.count(registry_key(cats)) > 0) continue;  // one of ours
    bool known = std::any_of(live.begin(), live.end(), [&cats](const LiveSet& l) {
      return l.pid != 0 && l.categories == cats;
    });
    if (!known) live.push_back(LiveSet{"", cats, p.pid, std::move(p.label)});
  }
  return ok();
}

// The process types of the VM policy, besides the host's configured ones.
constexpr std::string_view kVmTypes[] = {"svirt_t", "svirt_tcg_t", "svirt_kvm_net_t",
                                         "svirt_qemu_net_t"};

}  // namespace

std::vector<std::string> LabelingDriver::vm_types() const {
  std::vector<std::string> types(std::begin(kVmTypes), std::end(kVmTypes));
  for (const std::optional<std::string>& c :
       {std::optional<std::string>(defaults_.domain_context), defaults_.tcg_domain_context})
    if (c)
      if (auto parsed = SecurityContext::parse(*c)) types.push_back(parsed->type());
  return types;
}

Result<void> LabelingDriver::gen_label(DomainDef& def, const TransactionOptions& options) {
  std::string m(model().model);
  auto intent = plan_intent(def, m, defaults_, config_);
  if (!intent) return std::move(intent).error().wrap("domain '" + def.name + "'");

  SecLabelDef* s = model_seclabel(def, m);
  if (s == nullptr) {
    // Record the decision in the definition, as libvirt does, so the live XML
    // says how the domain was confined.
    SecLabelDef added;
    added.model = m;
    added.type = intent->type == LabelType::kNone ? SeclabelType::kNone : SeclabelType::kDynamic;
    added.relabel = intent->type != LabelType::kNone;
    def.seclabels.push_back(added);
    s = &def.seclabels.back();
  }
  if (s->model.empty()) s->model = m;

  if (intent->type == LabelType::kNone) {
    s->type = SeclabelType::kNone;
    s->relabel = false;
    return ok();
  }

  auto reg = state_->load_registry();
  if (!reg) return std::move(reg).error();
  std::vector<LiveSet> live = live_sets(*reg, def.name);
  SVIRT_TRY(add_foreign_vm_sets(*backend_, vm_types(), config_.vm_cgroups, *reg, live));

  if (intent->type == LabelType::kStatic) {
    auto label = make_static_label(*intent, m);
    if (!label) return std::move(label).error();
    // Every static label is registered, whatever its categories: a set or
    // range wider than a pair dominates pairs, one without categories is
    // dominated by every label.
    CategorySet cats = label_categories(label->label);
    if (const LiveSet* other = related_domain(live, cats))
      return conflict(*state_, def.name, "static label", label->label, cats, *other, m);
    record(*reg, def.name, cats);
    SVIRT_TRY(state_->save_registry(*reg));
    s->type = SeclabelType::kStatic;
    if (label->relabel)
      s->imagelabel = label->imagelabel;
    else
      s->imagelabel.reset();
    return ok();
  }

  auto alloc = McsAllocator::create(intent->pool);
  if (!alloc) return std::move(alloc).error().wrap("domain '" + def.name + "'");
  for (const LiveSet& l : live) {
    std::vector<int> cats = l.categories.to_vector();
    // A pair rules out itself alone; pairs outside our pool cannot be drawn anyway.
    if (cats.size() == 2)
      (void)alloc->reserve(McsPair{cats[0], cats[1]});
    else
      alloc->exclude(l.categories);
  }
  // An incoming migration never takes the pair the source ran under.
  for (const std::string& carried : options.avoid_pairs)
    if (auto p = McsPair::parse(carried)) (void)alloc->reserve(*p);
  std::optional<McsPair> pair = alloc->allocate();
  if (!pair)
    return make_error(ErrorCode::kExhausted,
                      "domain '" + def.name +
                          "': MCS category space exhausted: " + exhaustion_reason(*alloc, live));
  SecurityLabel label = make_dynamic_label(*intent, m, pair->c1, pair->c2);
  record(*reg, def.name, pair->categories());
  SVIRT_TRY(state_->save_registry(*reg));
  fault_point("gen_label:pair-registered");
  s->type = SeclabelType::kDynamic;
  s->relabel = true;
  s->label = label.label;
  s->imagelabel = label.imagelabel;
  return ok();
}

Result<void> LabelingDriver::reserve_label(const DomainDef& def) {
  SecurityLabel l = label_of(def);
  if (l.type == LabelType::kNone) return ok();
  auto reg = state_->load_registry();
  if (!reg) return std::move(reg).error();
  CategorySet cats = label_categories(l.label);
  std::vector<LiveSet> live = live_sets(*reg, def.name);
  if (const LiveSet* other = related_domain(live, cats))
    return conflict(*state_, def.name, "label", l.label, cats, *other, std::string(model().model));
  record(*reg, def.name, cats);
  return state_->save_registry(*reg);
}

Result<void> LabelingDriver::release_label(const DomainDef& def) {
  auto reg = state_->load_registry();
  if (!reg) return std::move(reg).error();
  if (std::erase_if(*reg, [&def](const auto& entry) { return entry.second == def.name; }) == 0)
    return ok();
  return state_->save_registry(*reg);
}

std::vector<std::string> LabelingDriver::label_warnings(const DomainDef& def,
                                                        const SecurityLabel& label) const {
  std::vector<std::string> out;
  if (label.type == LabelType::kNone || label.label.empty()) return out;
  const std::string who = "domain '" + def.name + "': ";

  // (a) A type outside the VM policy is not held by its rules at all.
  if (auto ctx = SecurityContext::parse(label.label)) {
    std::vector<std::string> types = vm_types();
    if (std::find(types.begin(), types.end(), ctx->type()) == types.end())
      out.push_back(who + "process label '" + label.label + "' has type '" + ctx->type() +
                    "', not a VM domain type: the VM is not confined by the VM policy");
  }

  // An emulated domain under the KVM type: libvirt warns the same way. The
  // boolean itself is not read: a manager's domain may not read selinuxfs
  // booleans, and asking would log a denial on every start.
  if (label.type == LabelType::kDynamic) {
    auto intent = plan_intent(def, std::string(model().model), defaults_, config_);
    if (intent && intent->tcg_without_tcg_type)
      out.push_back(who + "the SELinux policy has no domain type for QEMU's TCG emulation, so the "
                          "emulated VM runs as '" + intent->base->type() +
                    "': QEMU may be refused the 'execmem' permission it needs unless the "
                    "'virt_use_execmem' policy boolean is on");
  }

  // A static label that takes the whole pool, or holds no category, is kept
  // apart by the dominance rule (no other domain may start beside it), which
  // the operator should know.
  CategorySet own = label_categories(label.label);
  if (label.type == LabelType::kStatic) {
    std::optional<CategorySet> pool;
    if (auto proc = SecurityContext::parse(defaults_.process_context))
      if (auto p = category_pool(*proc)) pool = *p;
    if (own.empty())
      out.push_back(who + "static label '" + label.label +
                    "' has no categories: every VM's label dominates it, so no other domain "
                    "can start while it runs");
    else if (pool && pool->is_subset_of(own))
      out.push_back(who + "static label '" + label.label + "' holds every category of the pool " +
                    pool->format() + ": no other domain can start while it runs");
  }

  // (b) A per-source <label> with another live domain's categories (or ones
  // dominating or dominated by them) gives that domain's VM, or this one,
  // the other's files. A label without categories is the shared label
  // (<shareable/>'s): every VM reaches it by design.
  if (!label.relabel) return out;  // per-source labels are not applied then
  struct SourceLabel {
    std::string resource, path, label;
    CategorySet categories;
  };
  std::vector<SourceLabel> per_source;
  std::string m(model().model);
  auto add = [&per_source](std::string resource, const std::string& path, const std::string& text) {
    CategorySet cats = label_categories(text);
    if (!cats.empty()) per_source.push_back(SourceLabel{std::move(resource), path, text, cats});
  };
  for (const Disk& d : def.disks) {
    for (const DiskSource* src = &d.source; src != nullptr; src = src->backing.get()) {
      const SourceSecLabel* o = source_override(src->seclabels, m);
      if (o != nullptr && !o->relabel) break;  // covers the layers below too
      bool host_path = src->type == DiskType::kFile || src->type == DiskType::kBlock ||
                       src->type == DiskType::kDir;
      if (o != nullptr && o->label && host_path) add("disk " + d.target, src->path, *o->label);
    }
  }
  for (const Chardev& c : def.chardevs) {
    const SourceSecLabel* o = source_override(c.seclabels, m);
    if (o != nullptr && o->relabel && o->label && !c.path.empty()) add(c.name(), c.path, *o->label);
  }
  if (per_source.empty()) return out;  // the common case: no registry read

  auto reg = state_->load_registry();
  if (!reg) return out;
  const std::vector<LiveSet> live = live_sets(*reg, def.name);
  for (const SourceLabel& src : per_source) {
    for (const LiveSet& other : live) {
      std::string_view relation = mcs_relation(src.categories, other.categories);
      if (relation.empty()) continue;
      out.push_back(who + src.resource + " '" + src.path + "' gets its own label '" + src.label +
                    "', which " + std::string(relation) + " live domain '" + other.owner +
                    "' (categories " + registry_key(other.categories) + ")");
    }
  }
  return out;
}

}  // namespace svirt::internal
