// SPDX-License-Identifier: LGPL-2.1-or-later
#include "core/stack_driver.h"

#include <cassert>

namespace svirt::internal {
namespace {

void merge(RestoreReport& into, RestoreReport&& from) {
  for (auto& i : from.items) into.items.push_back(std::move(i));
  for (auto& e : from.errors) into.errors.push_back(std::move(e));
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

  Result<void> gen_label(DomainDef& def) override {
    for (size_t i = 0; i < drivers_.size(); ++i) {
      auto r = drivers_[i]->gen_label(def);
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

  Result<std::vector<AppliedLabel>> set_all_labels(const DomainDef& def) override {
    return forward<std::vector<AppliedLabel>>(
        [&](SecurityDriver& d) { return d.set_all_labels(def); },
        [&](SecurityDriver& d) { (void)d.restore_all_labels(def); });
  }
  RestoreReport restore_all_labels(const DomainDef& def) override {
    return backward([&](SecurityDriver& d) { return d.restore_all_labels(def); });
  }

  Result<std::vector<AppliedLabel>> set_device_labels(const DomainDef& def,
                                                      const DeviceDef& dev) override {
    return forward<std::vector<AppliedLabel>>(
        [&](SecurityDriver& d) { return d.set_device_labels(def, dev); },
        [&](SecurityDriver& d) { (void)d.restore_device_labels(def, dev); });
  }
  RestoreReport restore_device_labels(const DomainDef& def, const DeviceDef& dev) override {
    return backward([&](SecurityDriver& d) { return d.restore_device_labels(def, dev); });
  }

  Result<AppliedLabel> set_saved_state_label(const DomainDef& def,
                                             const std::string& path) override {
    std::optional<AppliedLabel> primary;
    for (size_t i = 0; i < drivers_.size(); ++i) {
      auto r = drivers_[i]->set_saved_state_label(def, path);
      if (!r) {
        for (size_t k = i; k-- > 0;) (void)drivers_[k]->restore_saved_state_label(def, path);
        return std::move(r).error();
      }
      if (!primary) primary = std::move(*r);
    }
    return std::move(*primary);
  }
  RestoreReport restore_saved_state_label(const DomainDef& def, const std::string& path) override {
    return backward([&](SecurityDriver& d) { return d.restore_saved_state_label(def, path); });
  }

  Result<void> set_process_label(const DomainDef& def) override {
    for (auto& d : drivers_) SVIRT_TRY(d->set_process_label(def));
    return ok();
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
  std::vector<std::string> take_warnings() override {
    std::vector<std::string> all;
    for (auto& d : drivers_)
      for (auto& w : d->take_warnings()) all.push_back(std::move(w));
    return all;
  }

 private:
  template <typename T, typename Set, typename Undo>
  Result<T> forward(Set set, Undo undo) {
    T all;
    for (size_t i = 0; i < drivers_.size(); ++i) {
      auto r = set(*drivers_[i]);
      if (!r) {
        for (size_t k = i; k-- > 0;) undo(*drivers_[k]);
        return std::move(r).error();
      }
      for (auto& x : *r) all.push_back(std::move(x));
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
