// SPDX-License-Identifier: LGPL-2.1-or-later
#include "none/none_driver.h"

#include "plan/planner.h"

namespace svirt::internal {
namespace {

Error refused(const DomainDef& def, const std::string& why) {
  return make_error(ErrorCode::kInvalidInput, "domain '" + def.name + "': " + why);
}

// The none driver gives no label, and a domain written for SELinux runs
// under it unlabelled: the command's contract has `--driver=auto` fall back
// to it on a host without SELinux, with the same XML (it reports model
// none). What it refuses is a model no svirt driver knows (apparmor,
// smack), at the domain or on a source, as the labeling drivers do.
Result<void> verify_none(const DomainDef& def) {
  for (const SecLabelDef& s : def.seclabels) {
    if (s.model.empty() || s.model == "selinux" || s.model == "dac" || s.model == "none") continue;
    return refused(def, "seclabel model '" + s.model +
                            "' has no security driver here (known: selinux, dac, none)");
  }
  Result<void> models = check_source_seclabel_models(def.disks, def.chardevs);
  if (!models) return std::move(models).error().wrap("domain '" + def.name + "'");
  return ok();
}

class NoneDriver final : public SecurityDriver {
 public:
  std::string_view name() const override { return "none"; }
  SecurityModel model() const override { return SecurityModel{"none", "0"}; }
  EnforcingMode mode() const override { return EnforcingMode::kDisabled; }
  Result<void> verify(const DomainDef& def) const override { return verify_none(def); }
  Result<void> gen_label(DomainDef&, const TransactionOptions&) override { return ok(); }
  Result<void> reserve_label(const DomainDef&) override { return ok(); }
  Result<void> release_label(const DomainDef&) override { return ok(); }
  Result<LabelReport> set_all_labels(const DomainDef&, const TransactionOptions&) override {
    return LabelReport{};
  }
  RestoreReport restore_all_labels(const DomainDef&, const TransactionOptions&) override {
    return {};
  }
  Result<LabelReport> set_device_labels(const DomainDef&, const DeviceDef& dev) override {
    SVIRT_TRY(check_source_seclabel_models(dev.disks, dev.chardevs));
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
