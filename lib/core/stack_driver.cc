// SPDX-License-Identifier: LGPL-2.1-or-later
#include "core/stack_driver.h"

#include <algorithm>
#include <cassert>

namespace svirt::internal {
namespace {

void merge(RestoreReport& into, RestoreReport&& from) {
  for (auto& i : from.items) into.items.push_back(std::move(i));
  for (auto& e : from.errors) into.errors.push_back(std::move(e));
  for (auto& w : from.warnings) into.warnings.push_back(std::move(w));
}

class StackDriver final : public SecurityDriver {
 public:
  explicit StackDriver(std::vector<std::unique_ptr<SecurityDriver>> d) : drivers_(std::move(d)) {
    assert(!drivers_.empty());
  }

  std::string_view name() const override { return "stack"; }
  SecurityModel model() const override { return drivers_.front()->model(); }
  EnforcingMode mode() const override { return drivers_.front()->mode(); }

  Result<void> verify(const DomainDef& def) const override {
    for (const auto& d : drivers_) SVIRT_TRY(d->verify(def));
    return ok();
  }

  Result<void> gen_label(DomainDef& def, const TransactionOptions& options) override {
    for (size_t i = 0; i < drivers_.size(); ++i) {
      auto r = drivers_[i]->gen_label(def, options);
      if (!r) {
        for (size_t k = i; k-- > 0;) (void)drivers_[k]->release_label(def);
        return r;
      }
    }
    return ok();
  }

  Result<void> reserve_label(const DomainDef& def) override {
    for (size_t i = 0; i < drivers_.size(); ++i) {
      auto r = drivers_[i]->reserve_label(def);
      if (!r) {
        for (size_t k = i; k-- > 0;) (void)drivers_[k]->release_label(def);
        return r;
      }
    }
    return ok();
  }

  Result<void> release_label(const DomainDef& def) override {
    std::optional<Error> first;
    for (size_t k = drivers_.size(); k-- > 0;) {
      auto r = drivers_[k]->release_label(def);
      if (!r && !first) first = r.error();
    }
    if (first) return *first;
    return ok();
  }

  Result<LabelReport> set_all_labels(const DomainDef& def,
                                     const TransactionOptions& options) override {
    return forward([&](SecurityDriver& d) { return d.set_all_labels(def, options); },
                   [&](SecurityDriver& d) { (void)d.restore_all_labels(def, options); });
  }
  RestoreReport restore_all_labels(const DomainDef& def,
                                   const TransactionOptions& options) override {
    return backward([&](SecurityDriver& d) { return d.restore_all_labels(def, options); });
  }

  Result<LabelReport> set_device_labels(const DomainDef& def, const DeviceDef& dev) override {
    return forward(
        [&](SecurityDriver& d) { return d.set_device_labels(def, dev); },
        [&](SecurityDriver& d) { (void)d.restore_device_labels(def, dev); });
  }
  RestoreReport restore_device_labels(const DomainDef& def, const DeviceDef& dev) override {
    return backward([&](SecurityDriver& d) { return d.restore_device_labels(def, dev); });
  }

  // One item, the first model's; the warnings of every model.
  Result<LabelReport> set_saved_state_label(const DomainDef& def,
                                            const std::string& path) override {
    std::optional<LabelReport> all;
    for (size_t i = 0; i < drivers_.size(); ++i) {
      auto r = drivers_[i]->set_saved_state_label(def, path);
      if (!r) {
        for (size_t k = i; k-- > 0;) (void)drivers_[k]->restore_saved_state_label(def, path);
        return std::move(r).error();
      }
      if (!all) all = std::move(*r);
      else all->warnings.insert(all->warnings.end(), r->warnings.begin(), r->warnings.end());
    }
    return std::move(*all);
  }
  RestoreReport restore_saved_state_label(const DomainDef& def, const std::string& path) override {
    return backward([&](SecurityDriver& d) { return d.restore_saved_state_label(def, path); });
  }

  RestoreReport check_unrecorded(const DomainDef& def) override {
    RestoreReport all;
    for (auto& d : drivers_) {
      RestoreReport r = d->check_unrecorded(def);
      for (auto& e : r.errors) all.errors.push_back(std::move(e));
    }
    return all;
  }

  // A path is forgotten by whichever model recorded it; only a path no
  // model knows is an error.
  RestoreReport forget_labels(const DomainDef& def, const std::vector<std::string>& paths) override {
    RestoreReport all;
    std::vector<std::string> unknown = paths;
    for (auto& d : drivers_) {
      RestoreReport r = d->forget_labels(def, paths);
      for (auto& i : r.items) {
        unknown.erase(std::remove(unknown.begin(), unknown.end(), i.resource.path), unknown.end());
        all.items.push_back(std::move(i));
      }
      for (auto& w : r.warnings) all.warnings.push_back(std::move(w));
      for (auto& e : r.errors)
        if (e.code != ErrorCode::kNotFound) all.errors.push_back(std::move(e));
    }
    for (const std::string& p : unknown)
      all.errors.push_back(make_error(ErrorCode::kNotFound,
                                      "domain '" + def.name + "' has no record of '" + p + "'"));
    return all;
  }

  // The models' plans in stack order: the child enters each in turn.
  Result<ExecPlan> plan_process_label(const DomainDef& def) override {
    ExecPlan all;
    for (auto& d : drivers_) {
      auto p = d->plan_process_label(def);
      if (!p) return std::move(p).error();
      for (auto& w : p->writes) all.writes.push_back(std::move(w));
      for (auto& e : p->env) all.env.push_back(std::move(e));
    }
    return all;
  }
  Result<void> set_socket_label(const DomainDef& def) override {
    for (size_t i = 0; i < drivers_.size(); ++i) {
      auto r = drivers_[i]->set_socket_label(def);
      if (!r) {
        for (size_t k = i; k-- > 0;) (void)drivers_[k]->clear_socket_label(def);
        return r;
      }
    }
    return ok();
  }
  Result<void> clear_socket_label(const DomainDef& def) override {
    std::optional<Error> first;
    for (size_t k = drivers_.size(); k-- > 0;) {
      auto r = drivers_[k]->clear_socket_label(def);
      if (!r && !first) first = r.error();
    }
    if (first) return *first;
    return ok();
  }
  Result<SecurityLabel> get_process_label(const DomainDef& def, pid_t pid) override {
    return drivers_.front()->get_process_label(def, pid);
  }

 private:
  template <typename Set, typename Undo>
  Result<LabelReport> forward(Set set, Undo undo) {
    LabelReport all;
    for (size_t i = 0; i < drivers_.size(); ++i) {
      auto r = set(*drivers_[i]);
      if (!r) {
        for (size_t k = i; k-- > 0;) undo(*drivers_[k]);
        return std::move(r).error();
      }
      for (auto& x : r->items) all.items.push_back(std::move(x));
      for (auto& w : r->warnings) all.warnings.push_back(std::move(w));
    }
    return all;
  }

  template <typename Restore>
  RestoreReport backward(Restore restore) {
    RestoreReport all;
    for (size_t k = drivers_.size(); k-- > 0;) merge(all, restore(*drivers_[k]));
    return all;
  }

  std::vector<std::unique_ptr<SecurityDriver>> drivers_;
};

}  // namespace

std::unique_ptr<SecurityDriver> make_stack_driver(
    std::vector<std::unique_ptr<SecurityDriver>> drivers) {
  return std::make_unique<StackDriver>(std::move(drivers));
}

}  // namespace svirt::internal
