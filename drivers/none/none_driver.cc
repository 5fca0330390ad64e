// SPDX-License-Identifier: LGPL-2.1-or-later
#include "none/none_driver.h"

namespace svirt::internal {
namespace {

class NoneDriver final : public SecurityDriver {
 public:
  std::string_view name() const override { return "none"; }
  SecurityModel model() const override { return SecurityModel{"none", "0"}; }
  EnforcingMode mode() const override { return EnforcingMode::kDisabled; }
  Result<void> verify(const DomainDef&) const override { return ok(); }
  Result<void> gen_label(DomainDef&) override { return ok(); }
  Result<void> reserve_label(const DomainDef&) override { return ok(); }
  Result<void> release_label(const DomainDef&) override { return ok(); }
  Result<std::vector<AppliedLabel>> set_all_labels(const DomainDef&) override {
    return std::vector<AppliedLabel>{};
  }
  RestoreReport restore_all_labels(const DomainDef&) override { return {}; }
  Result<std::vector<AppliedLabel>> set_device_labels(const DomainDef&, const DeviceDef&) override {
    return std::vector<AppliedLabel>{};
  }
  RestoreReport restore_device_labels(const DomainDef&, const DeviceDef&) override { return {}; }
  Result<AppliedLabel> set_saved_state_label(const DomainDef&, const std::string& path) override {
    AppliedLabel a;
    a.resource = ResourceLabel{ResourceKind::kSavefile, path, std::nullopt, "savefile"};
    return a;
  }
  RestoreReport restore_saved_state_label(const DomainDef&, const std::string&) override {
    return {};
  }
  Result<void> set_process_label(const DomainDef&) override { return ok(); }
  Result<void> set_socket_label(const DomainDef&) override { return ok(); }
  Result<void> clear_socket_label(const DomainDef&) override { return ok(); }
  Result<SecurityLabel> get_process_label(const DomainDef&, pid_t) override {
    SecurityLabel l;
    l.model = "none";
    return l;
  }
};

}  // namespace

std::unique_ptr<SecurityDriver> make_none_driver() { return std::make_unique<NoneDriver>(); }

}  // namespace svirt::internal
