// SPDX-License-Identifier: LGPL-2.1-or-later
//
// The stack driver: Set verbs forward, rollback of the ones that succeeded in
// reverse when a later one fails, Restore verbs in reverse collecting every
// error.
#include <memory>
#include <string>
#include <vector>

#include "core/stack_driver.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
extern "C" {
#include <cmocka.h>
}

using namespace svirt;

namespace {

// Records every verb into a shared log; fails the verbs it is told to.
class FakeDriver final : public SecurityDriver {
 public:
  FakeDriver(std::string id, std::vector<std::string>* log, std::string fail_verb = "")
      : id_(std::move(id)), log_(log), fail_(std::move(fail_verb)) {}

  std::string_view name() const override { return id_; }
  SecurityModel model() const override { return {id_, "0"}; }
  EnforcingMode mode() const override { return EnforcingMode::kEnforcing; }
  Result<void> verify(const DomainDef&) const override { return step("verify"); }
  Result<void> gen_label(DomainDef&, const TransactionOptions&) override {
    return step("gen_label");
  }
  Result<void> reserve_label(const DomainDef&) override { return step("reserve_label"); }
  Result<void> release_label(const DomainDef&) override { return step("release_label"); }
  Result<LabelReport> set_all_labels(const DomainDef&, const TransactionOptions&) override {
    auto r = step("set_all_labels");
    if (!r) return r.error();
    LabelReport out;
    AppliedLabel a;
    a.resource.path = "/" + id_;
    out.items.push_back(a);
    out.warnings.push_back(id_ + " warns");
    return out;
  }
  RestoreReport restore_all_labels(const DomainDef&, const TransactionOptions&) override {
    return restore("restore_all_labels");
  }
  Result<LabelReport> set_device_labels(const DomainDef&, const DeviceDef&) override {
    auto r = step("set_device_labels");
    if (!r) return r.error();
    return LabelReport{};
  }
  RestoreReport restore_device_labels(const DomainDef&, const DeviceDef&) override {
    return restore("restore_device_labels");
  }
  Result<LabelReport> set_saved_state_label(const DomainDef&, const std::string&) override {
    auto r = step("set_saved_state_label");
    if (!r) return r.error();
    LabelReport out;
    out.items.push_back(AppliedLabel{});
    out.warnings.push_back(id_ + " warns");
    return out;
  }
  RestoreReport restore_saved_state_label(const DomainDef&, const std::string&) override {
    return restore("restore_saved_state_label");
  }
  Result<ExecPlan> plan_process_label(const DomainDef&) override {
    auto r = step("plan_process_label");
    if (!r) return r.error();
    ExecPlan p;
    p.env.push_back(id_ + "=1");
    p.writes.push_back(ExecPlan::AttrWrite{"/nonexistent/" + id_, id_, false});
    return p;
  }
  Result<void> set_socket_label(const DomainDef&) override { return step("set_socket_label"); }
  Result<void> clear_socket_label(const DomainDef&) override { return step("clear_socket_label"); }
  Result<SecurityLabel> get_process_label(const DomainDef&, pid_t) override {
    SecurityLabel l;
    l.label = id_;
    return l;
  }

 private:
  Result<void> step(const char* verb) const {
    log_->push_back(id_ + ":" + verb);
    if (fail_ == verb) return make_error(ErrorCode::kOperationFailed, id_ + " " + verb + " failed");
    return ok();
  }
  RestoreReport restore(const char* verb) const {
    RestoreReport r;
    if (!step(verb)) r.errors.push_back(make_error(ErrorCode::kOperationFailed, id_ + " failed"));
    r.warnings.push_back(id_ + " restore warns");
    return r;
  }
  std::string id_;
  std::vector<std::string>* log_;
  std::string fail_;
};

std::unique_ptr<SecurityDriver> stack(std::vector<std::string>* log, const char* failing_id,
                                      const char* failing_verb) {
  std::vector<std::unique_ptr<SecurityDriver>> ds;
  for (const char* id : {"a", "b", "c"})
    ds.push_back(std::make_unique<FakeDriver>(
        id, log, std::string(id) == failing_id ? failing_verb : ""));
  return internal::make_stack_driver(std::move(ds));
}

void expect(const std::vector<std::string>& got, const std::vector<std::string>& want) {
  std::string g, w;
  for (const auto& s : got) g += s + " ";
  for (const auto& s : want) w += s + " ";
  assert_string_equal(g.c_str(), w.c_str());
}

void test_set_forward_and_merged(void**) {
  std::vector<std::string> log;
  auto s = stack(&log, "", "");
  DomainDef d;
  auto r = s->set_all_labels(d, {});
  assert_true(r.ok());
  assert_int_equal(r->items.size(), 3);
  // Every model's warnings, in stack order, in this call's own report.
  expect(r->warnings, {"a warns", "b warns", "c warns"});
  expect(log, {"a:set_all_labels", "b:set_all_labels", "c:set_all_labels"});
  RestoreReport back = s->restore_all_labels(d, {});
  expect(back.warnings, {"c restore warns", "b restore warns", "a restore warns"});
  assert_string_equal(std::string(s->model().model).c_str(), "a");
}

void test_failure_rolls_back_in_reverse(void**) {
  std::vector<std::string> log;
  auto s = stack(&log, "c", "set_all_labels");
  DomainDef d;
  auto r = s->set_all_labels(d, {});
  assert_false(r.ok());
  assert_string_equal(r.error().message.c_str(), "c set_all_labels failed");
  expect(log, {"a:set_all_labels", "b:set_all_labels", "c:set_all_labels",
               "b:restore_all_labels", "a:restore_all_labels"});
}

void test_gen_label_failure_releases_earlier(void**) {
  std::vector<std::string> log;
  auto s = stack(&log, "b", "gen_label");
  DomainDef d;
  assert_false(s->gen_label(d, {}).ok());
  expect(log, {"a:gen_label", "b:gen_label", "a:release_label"});
}

void test_restore_reverse_collects_all_errors(void**) {
  std::vector<std::string> log;
  std::vector<std::unique_ptr<SecurityDriver>> ds;
  ds.push_back(std::make_unique<FakeDriver>("a", &log, "restore_all_labels"));
  ds.push_back(std::make_unique<FakeDriver>("b", &log));
  ds.push_back(std::make_unique<FakeDriver>("c", &log, "restore_all_labels"));
  auto s = internal::make_stack_driver(std::move(ds));
  DomainDef d;
  RestoreReport r = s->restore_all_labels(d, {});
  assert_int_equal(r.errors.size(), 2);
  expect(log, {"c:restore_all_labels", "b:restore_all_labels", "a:restore_all_labels"});
}

void test_socket_label_rollback(void**) {
  std::vector<std::string> log;
  auto s = stack(&log, "b", "set_socket_label");
  DomainDef d;
  assert_false(s->set_socket_label(d).ok());
  expect(log, {"a:set_socket_label", "b:set_socket_label", "a:clear_socket_label"});
}

void test_saved_state_rollback(void**) {
  std::vector<std::string> log;
  auto s = stack(&log, "c", "set_saved_state_label");
  DomainDef d;
  assert_false(s->set_saved_state_label(d, "/save").ok());
  expect(log, {"a:set_saved_state_label", "b:set_saved_state_label", "c:set_saved_state_label",
               "b:restore_saved_state_label", "a:restore_saved_state_label"});
}

// The child enters every model's plan, in stack order; a model that cannot
// plan fails the whole launch before anything is forked.
void test_exec_plans_merged_in_order(void**) {
  std::vector<std::string> log;
  auto s = stack(&log, "", "");
  DomainDef d;
  auto p = s->plan_process_label(d);
  assert_true(p.ok());
  expect(p->env, {"a=1", "b=1", "c=1"});
  assert_int_equal(p->writes.size(), 3);
  assert_string_equal(p->writes[2].path.c_str(), "/nonexistent/c");
  // Writes that are not required never fail the child.
  assert_int_equal(p->enter(), 0);
  log.clear();
  auto failing = stack(&log, "b", "plan_process_label");
  assert_false(failing->plan_process_label(d).ok());
  expect(log, {"a:plan_process_label", "b:plan_process_label"});
}

}  // namespace

int main() {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_set_forward_and_merged),
      cmocka_unit_test(test_failure_rolls_back_in_reverse),
      cmocka_unit_test(test_gen_label_failure_releases_earlier),
      cmocka_unit_test(test_restore_reverse_collects_all_errors),
      cmocka_unit_test(test_socket_label_rollback),
      cmocka_unit_test(test_saved_state_rollback),
      cmocka_unit_test(test_exec_plans_merged_in_order),
  };
  return cmocka_run_group_tests_name("stack", tests, nullptr, nullptr);
}
