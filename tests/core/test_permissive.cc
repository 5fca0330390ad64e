// SPDX-License-Identifier: LGPL-2.1-or-later
//
// Errors are fatal only when the host enforces: on a permissive host a label
// that cannot be written becomes one warning naming the file, and the VM
// still starts; on an enforcing host the same failure rolls everything back.
#include <cerrno>
#include <cstring>
#include <memory>
#include <string>

#include "core/labeling_driver.h"
#include "state/state_dir.h"
#include "test/test_backend.h"
#include "test_support.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
extern "C" {
#include <cmocka.h>
}

using namespace svirt;
using namespace svirt::internal;
using namespace svirt::testing;

namespace {

std::string g_dir;

// The test backend, but on a host in `mode`, failing every write to `bad`.
class FlakyBackend final : public LabelBackend {
 public:
  FlakyBackend(std::unique_ptr<LabelBackend> inner, EnforcingMode mode, std::string bad)
      : inner_(std::move(inner)), mode_(mode), bad_(std::move(bad)) {}
  std::string_view name() const override { return "flaky"; }
  SecurityModel model() const override { return inner_->model(); }
  EnforcingMode mode() const override { return mode_; }
  Result<HostDefaults> defaults(const Config& c) const override { return inner_->defaults(c); }
  Result<void> check_context(const std::string& c) const override { return inner_->check_context(c); }
  Result<std::optional<std::string>> get_label(int fd, const std::string& p) override {
    return inner_->get_label(fd, p);
  }
  Result<void> set_label(int fd, const std::string& p, const std::string& l) override {
    if (p == bad_) return make_error(ErrorCode::kOperationFailed, "cannot label '" + p + "'", EACCES);
    return inner_->set_label(fd, p, l);
  }
  Result<void> remove_label(int fd, const std::string& p) override { return inner_->remove_label(fd, p); }
  Result<std::optional<std::string>> default_label(const std::string& p, mode_t m) override {
    return inner_->default_label(p, m);
  }
  Result<ExecPlan> plan_exec_label(const std::string& l, bool required) override {
    return inner_->plan_exec_label(l, required);
  }
  Result<void> set_socket_label(const std::string& l) override { return inner_->set_socket_label(l); }
  Result<void> clear_socket_label() override { return inner_->clear_socket_label(); }
  Result<std::string> process_label(pid_t pid) override { return inner_->process_label(pid); }
  Result<std::vector<RunningProcess>> running_processes(
      const std::vector<std::string>& vm_cgroups) override {
    return inner_->running_processes(vm_cgroups);
  }

 private:
  std::unique_ptr<LabelBackend> inner_;
  EnforcingMode mode_;
  std::string bad_;
};

DomainDef two_disks(const std::string& a, const std::string& b) {
  auto d = DomainDef::parse(
      "<domain type='kvm'><name>vm</name><devices>"
      "<disk type='file' device='disk'><source file='" + a + "'/><target dev='vda'/></disk>"
      "<disk type='file' device='disk'><source file='" + b + "'/><target dev='vdb'/></disk>"
      "</devices></domain>");
  assert_true(d.ok());
  return std::move(*d);
}

void run_case(EnforcingMode mode, bool expect_ok) {
  std::string sub = g_dir + (mode == EnforcingMode::kEnforcing ? "/enf" : "/perm");
  assert_int_equal(std::system(("mkdir -p " + sub).c_str()), 0);
  std::string good = sub + "/good.img", bad = sub + "/bad.img";
  write_file(good);
  write_file(bad);
  auto state = StateDir::open(sub + "/state");
  assert_true(state.ok());
  auto drv = LabelingDriver::create(
      std::make_unique<FlakyBackend>(make_test_backend(sub + "/state"), mode, bad), &*state,
      Config{});
  assert_true(drv.ok());
  DomainDef def = two_disks(good, bad);
  assert_true((*drv)->gen_label(def, {}).ok());
  auto applied = (*drv)->set_all_labels(def, {});
  if (expect_ok) {
    assert_true(applied.ok());
    const std::vector<std::string>& warnings = applied->warnings;
    assert_int_equal(warnings.size(), 1);
    assert_non_null(strstr(warnings[0].c_str(), bad.c_str()));
    assert_non_null(strstr(warnings[0].c_str(), "not enforcing"));
    assert_true(label_of(good).has_value());
    assert_true((*drv)->restore_all_labels(def, {}).ok());
    assert_false(label_of(good).has_value());
  } else {
    assert_false(applied.ok());
    assert_non_null(strstr(applied.error().message.c_str(), bad.c_str()));
    // The first disk was labelled and then rolled back; nothing is recorded.
    assert_false(label_of(good).has_value());
    auto files = state->load_files();
    assert_true(files.ok() && files->empty());
  }
  assert_true((*drv)->release_label(def).ok());
}

void test_permissive_warns(void**) { run_case(EnforcingMode::kPermissive, true); }
void test_enforcing_fails_and_rolls_back(void**) { run_case(EnforcingMode::kEnforcing, false); }

}  // namespace

int main() {
  g_dir = make_xattr_tmpdir();
  if (g_dir.empty()) {
    std::printf("SKIPPED: no filesystem with user xattrs\n");
    return 77;
  }
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_permissive_warns),
      cmocka_unit_test(test_enforcing_fails_and_rolls_back),
  };
  int rc = cmocka_run_group_tests_name("permissive", tests, nullptr, nullptr);
  remove_tree(g_dir);
  return rc;
}
