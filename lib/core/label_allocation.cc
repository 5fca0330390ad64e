// SPDX-License-Identifier: LGPL-2.1-or-later
//
// Which label a domain holds: generating a dynamic pair, taking a static
// label, reserving a live domain's label again and releasing it, all against
// the host-wide registry of pairs in use (StateDir::load_registry).
#include <algorithm>

#include "core/fault.h"
#include "core/labeling_driver.h"
#include "mcs/mcs_allocator.h"
#include "plan/planner.h"

namespace svirt::internal {
namespace {

// The exact pair a label holds, when it holds exactly two categories.
std::optional<McsPair> pair_of(const std::string& label) {
  std::vector<int> cats = label_categories(label).to_vector();
  if (cats.size() != 2) return std::nullopt;
  return McsPair{cats[0], cats[1]};
}

}  // namespace

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

  if (intent->type == LabelType::kStatic) {
    auto label = make_static_label(*intent, m);
    if (!label) return std::move(label).error();
    if (auto p = pair_of(label->label)) {
      auto it = reg->find(p->format());
      if (it != reg->end() && it->second != def.name)
        return make_error(ErrorCode::kConflict, "domain '" + def.name + "': static label '" +
                                                    label->label + "' uses pair " + p->format() +
                                                    ", in use by domain '" + it->second + "'");
      (*reg)[p->format()] = def.name;
      SVIRT_TRY(state_->save_registry(*reg));
    }
    s->type = SeclabelType::kStatic;
    if (label->relabel)
      s->imagelabel = label->imagelabel;
    else
      s->imagelabel.reset();
    return ok();
  }

  auto alloc = McsAllocator::create(intent->pool);
  if (!alloc) return std::move(alloc).error().wrap("domain '" + def.name + "'");
  for (const auto& [pair_text, owner] : *reg) {
    auto p = McsPair::parse(pair_text);
    if (p) (void)alloc->reserve(*p);  // pairs outside our pool cannot be drawn anyway
  }
  // An incoming migration never takes the pair the source ran under.
  for (const std::string& carried : options.avoid_pairs)
    if (auto p = McsPair::parse(carried)) (void)alloc->reserve(*p);
  std::optional<McsPair> pair = alloc->allocate();
  if (!pair)
    return make_error(ErrorCode::kExhausted, "domain '" + def.name +
                                                 "': MCS category space exhausted: all " +
                                                 std::to_string(alloc->capacity()) + " pairs of " +
                                                 intent->pool.format() + " are in use");
  SecurityLabel label = make_dynamic_label(*intent, m, pair->c1, pair->c2);
  (*reg)[pair->format()] = def.name;
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
  auto p = pair_of(l.label);
  if (!p) return ok();
  auto reg = state_->load_registry();
  if (!reg) return std::move(reg).error();
  auto it = reg->find(p->format());
  if (it != reg->end() && it->second != def.name)
    return make_error(ErrorCode::kConflict, "domain '" + def.name + "': label pair " + p->format() +
                                                " is held by domain '" + it->second + "'");
  (*reg)[p->format()] = def.name;
  return state_->save_registry(*reg);
}

Result<void> LabelingDriver::release_label(const DomainDef& def) {
  auto reg = state_->load_registry();
  if (!reg) return std::move(reg).error();
  bool changed = false;
  for (auto it = reg->begin(); it != reg->end();) {
    if (it->second == def.name) {
      it = reg->erase(it);
      changed = true;
    } else {
      ++it;
    }
  }
  return changed ? state_->save_registry(*reg) : ok();
}

std::vector<std::string> LabelingDriver::label_warnings(const DomainDef& def,
                                                       const SecurityLabel& label) const {
  (void)def;
  (void)label;
  return {};
}

}  // namespace svirt::internal
