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
  Result<void> gen_label(DomainDef&, const TransactionOptions&) override { return ok(); }
  Result<void> reserve_label(const DomainDef&) override { return ok(); }
  Result<void> release_label(const DomainDef&) override { return ok(); }
  Result<LabelReport> set_all_labels(const DomainDef&, const TransactionOptions&) override {
    return LabelReport{};
  }
  RestoreReport restore_all_labels(const DomainDef&, const TransactionOptions&) override {
    return {};
  }
  Result<LabelReport> set_device_labels(const DomainDef&, const DeviceDef&) override {
    return LabelReport{};
  }
  RestoreReport restore_device_labels(const DomainDef&, const DeviceDef&) override { return {}; }
  Result<LabelReport> set_saved_state_label(const DomainDef&, const std::string& path) override {
    LabelReport out;
    out.items.push_back(AppliedLabel{
        ResourceLabel{ResourceKind::kSavefile, path, std::nullopt, "savefile"}, {}, false, false});
    return out;
  }
  RestoreReport restore_saved_state_label(const DomainDef&, const std::string&) override {
    return {};
  }
  Result<ExecPlan> plan_process_label(const DomainDef&) override { return ExecPlan{}; }
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
