// SPDX-License-Identifier: LGPL-2.1-or-later
//
// Save files through the manager with the test driver: labelled for the
// domain and given back their label; refused when named through a symlink,
// when not a regular file, when missing, when a system path; nothing
// recorded or changed by a refusal.
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstdio>
#include <cstring>
#include <string>

#include "state/state_dir.h"
#include "svirt/manager.h"
#include "test_support.h"
extern "C" {
#include <cmocka.h>
}

using namespace svirt;
using namespace svirt::testing;

namespace {

constexpr const char* kSaveOrig = "system_u:object_r:virt_var_lib_t:s0";

struct Fixture : Scratch {
  std::unique_ptr<SecurityManager> m;
  std::string imagelabel;
};

int setup(void** st) {
  auto* f = new Fixture;
  if (!make_scratch(f)) {
    delete f;
    return -1;
  }
  f->m = open_test_manager(f->state, Config{});
  auto p = f->m->prepare(test_domain("vm", ""));
  if (!p) return -1;
  f->imagelabel = p->label.imagelabel;
  *st = f;
  return 0;
}

int teardown(void** st) {
  auto* f = static_cast<Fixture*>(*st);
  f->m.reset();
  remove_tree(f->dir);
  delete f;
  return 0;
}

size_t records(const Fixture& f) { return file_records(f.state); }

void test_round_trip(void** st) {
  auto& f = *static_cast<Fixture*>(*st);
  std::string save = f.dir + "/vm.save";
  write_file(save);
  set_label(save, kSaveOrig);
  auto s = f.m->save_label("vm", save);
  assert_true(s.ok());
  assert_string_equal(label_of(save)->c_str(), f.imagelabel.c_str());
  assert_string_equal(s->items.at(0).original->c_str(), kSaveOrig);
  assert_string_equal(s->items.at(0).resource.path.c_str(), save.c_str());
  assert_int_equal(s->items.at(0).resource.kind, ResourceKind::kSavefile);
  assert_int_equal(records(f), 1);
  auto r = f.m->restore_save_label("vm", save);
  assert_true(r.ok() && r->ok());
  assert_int_equal(r->items.size(), 1);
  assert_int_equal(r->items[0].action, RestoreAction::kRestored);
  assert_string_equal(r->items[0].resource.path.c_str(), save.c_str());
  assert_string_equal(label_of(save)->c_str(), kSaveOrig);
  assert_int_equal(records(f), 0);
}

// A directory on the way may be a symlink; the save file itself may not.
void test_symlinked_directory_is_fine(void** st) {
  auto& f = *static_cast<Fixture*>(*st);
  std::string real_dir = f.dir + "/saves", link_dir = f.dir + "/saves-link";
  assert_int_equal(mkdir(real_dir.c_str(), 0755), 0);
  assert_int_equal(symlink(real_dir.c_str(), link_dir.c_str()), 0);
  write_file(real_dir + "/vm.save");
  auto s = f.m->save_label("vm", link_dir + "/vm.save");
  assert_true(s.ok());
  assert_string_equal(label_of(real_dir + "/vm.save")->c_str(), f.imagelabel.c_str());
  auto r = f.m->restore_save_label("vm", link_dir + "/vm.save");
  assert_true(r.ok() && r->ok());
  assert_false(label_of(real_dir + "/vm.save").has_value());
}

void test_symlink_refused(void** st) {
  auto& f = *static_cast<Fixture*>(*st);
  std::string victim = f.dir + "/victim", link = f.dir + "/vm.save";
  write_file(victim);
  set_label(victim, kSaveOrig);
  assert_int_equal(symlink(victim.c_str(), link.c_str()), 0);
  auto s = f.m->save_label("vm", link);
  assert_false(s.ok());
  assert_int_equal(s.error().code, ErrorCode::kOperationFailed);
  assert_non_null(strstr(s.error().message.c_str(), link.c_str()));
  assert_non_null(strstr(s.error().message.c_str(), "symlink"));
  assert_null(strchr(s.error().message.c_str(), '\n'));
  assert_string_equal(label_of(victim)->c_str(), kSaveOrig);
  assert_int_equal(records(f), 0);
  auto r = f.m->restore_save_label("vm", link);
  assert_true(r.ok());
  assert_false(r->ok());
  assert_string_equal(label_of(victim)->c_str(), kSaveOrig);
}

void test_system_paths_refused(void** st) {
  auto& f = *static_cast<Fixture*>(*st);
  std::string link = f.dir + "/passwd.save";
  assert_int_equal(symlink("/etc/passwd", link.c_str()), 0);
  for (const std::string& p : {std::string("/etc/passwd"), link, std::string("/etc")}) {
    auto s = f.m->save_label("vm", p);
    assert_false(s.ok());
    assert_int_equal(s.error().code, ErrorCode::kOperationFailed);
    assert_non_null(strstr(s.error().message.c_str(), p.c_str()));
  }
  // svirt's own state directory is no save file either.
  auto s = f.m->save_label("vm", f.state + "/files.journal");
  assert_false(s.ok());
  assert_int_equal(records(f), 0);
}

void test_missing_directory_relative_refused(void** st) {
  auto& f = *static_cast<Fixture*>(*st);
  auto missing = f.m->save_label("vm", f.dir + "/nope.save");
  assert_false(missing.ok());
  assert_int_equal(missing.error().code, ErrorCode::kNotFound);
  auto dir = f.m->save_label("vm", f.dir);
  assert_false(dir.ok());
  assert_non_null(strstr(dir.error().message.c_str(), "not a regular file"));
  auto rel = f.m->save_label("vm", "vm.save");
  assert_false(rel.ok());
  assert_int_equal(rel.error().code, ErrorCode::kInvalidInput);
  auto nobody = f.m->save_label("nobody", f.dir + "/nope.save");
  assert_false(nobody.ok());
  assert_int_equal(nobody.error().code, ErrorCode::kNotFound);
  assert_int_equal(records(f), 0);
  // Nothing to give back: no items, no error.
  auto r = f.m->restore_save_label("vm", f.dir + "/nope.save");
  assert_true(r.ok() && r->ok());
  assert_true(r->items.empty());
}

// A save file deleted after labelling: restoring drops its record.
void test_restore_after_delete(void** st) {
  auto& f = *static_cast<Fixture*>(*st);
  std::string save = f.dir + "/gone.save";
  write_file(save);
  assert_true(f.m->save_label("vm", save).ok());
  assert_int_equal(records(f), 1);
  assert_int_equal(unlink(save.c_str()), 0);
  auto r = f.m->restore_save_label("vm", save);
  assert_true(r.ok() && r->ok());
  assert_int_equal(r->items.size(), 1);
  assert_int_equal(r->items[0].action, RestoreAction::kSkipped);
  assert_int_equal(records(f), 0);
}

}  // namespace

int main() {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test_setup_teardown(test_round_trip, setup, teardown),
      cmocka_unit_test_setup_teardown(test_symlinked_directory_is_fine, setup, teardown),
      cmocka_unit_test_setup_teardown(test_symlink_refused, setup, teardown),
      cmocka_unit_test_setup_teardown(test_system_paths_refused, setup, teardown),
      cmocka_unit_test_setup_teardown(test_missing_directory_relative_refused, setup, teardown),
      cmocka_unit_test_setup_teardown(test_restore_after_delete, setup, teardown),
  };
  return cmocka_run_group_tests_name("saved_state", tests, nullptr, nullptr);
}
