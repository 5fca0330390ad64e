// SPDX-License-Identifier: LGPL-2.1-or-later
// The SELinux backend's host defaults, read from fake policy files, and its
// file_contexts lookups. Needs neither root nor a running SELinux.
#include <selinux/selinux.h>
#include <sys/stat.h>

#include <csetjmp>
#include <cstdarg>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <string>
#include <vector>

#include "backend_test_util.h"
#include "selinux/selinux_backend.h"

// cmocka last: its fail() and skip() macros would clash with the standard library.
extern "C" {
#include <cmocka.h>
}

namespace {

using svirt::Config;
using svirt::ErrorCode;
using svirt::HostDefaults;
using svirt::internal::make_selinux_backend;
using svirt::internal::read_context_lines;
using svirt::internal::SelinuxBackendOptions;

constexpr const char* kProcess = "system_u:system_r:virtd_t:s0-s0:c0.c1023";

std::string g_dir;

int setup(void** /*state*/) {
  g_dir = backend_test::make_temp_dir(g_get_tmp_dir());
  return g_dir.empty() ? -1 : 0;
}

int teardown(void** /*state*/) {
  backend_test::remove_tree(g_dir);
  return 0;
}

std::string put(const std::string& name, const std::string& text) {
  std::string path = g_dir + "/" + name;
  assert_true(backend_test::write_file(path, text));
  return path;
}

void expect_lines(const std::string& text, const std::vector<std::string>& want) {
  std::string path = put("ctx", text);
  svirt::Result<std::vector<std::string>> got = read_context_lines(path);
  assert_true(got.ok());
  if (*got != want) {
    print_error("%zu lines from '%s'\n", got->size(), text.c_str());
    fail();
  }
}

void test_read_context_lines(void** /*state*/) {
  expect_lines("system_u:system_r:svirt_t:s0\nsystem_u:system_r:svirt_tcg_t:s0\n",
               {"system_u:system_r:svirt_t:s0", "system_u:system_r:svirt_tcg_t:s0"});
  expect_lines("# comment\n\n   \n  system_u:system_r:svirt_t:s0 \t\r\n#x\n\tb_u:r:t:s0",
               {"system_u:system_r:svirt_t:s0", "b_u:r:t:s0"});
  expect_lines("", {});
  expect_lines("# only a comment\n", {});
  expect_lines("a_u:r:t:s0", {"a_u:r:t:s0"});
}

void test_read_context_lines_missing(void** /*state*/) {
  std::string path = g_dir + "/virtual_domain_context";
  svirt::Result<std::vector<std::string>> r = read_context_lines(path);
  assert_false(r.ok());
  assert_int_equal(static_cast<int>(r.error().code), static_cast<int>(ErrorCode::kNotFound));
  assert_non_null(strstr(r.error().message.c_str(), path.c_str()));
}

SelinuxBackendOptions fake_policy(const std::string& domain, const std::string& image) {
  SelinuxBackendOptions o;
  o.domain_context_file = put("virtual_domain_context", domain);
  o.image_context_file = put("virtual_image_context", image);
  return o;
}

void test_defaults_from_files(void** /*state*/) {
  auto b = make_selinux_backend(
      fake_policy("system_u:system_r:svirt_t:s0\nsystem_u:system_r:svirt_tcg_t:s0\n",
                  "system_u:object_r:svirt_image_t:s0\nsystem_u:object_r:virt_content_t:s0\n"));
  Config c;
  c.process_context = kProcess;
  svirt::Result<HostDefaults> d = b->defaults(c);
  if (!d.ok()) {
    print_error("%s\n", d.error().message.c_str());
    fail();
  }
  assert_string_equal(d->process_context.c_str(), kProcess);
  assert_string_equal(d->domain_context.c_str(), "system_u:system_r:svirt_t:s0");
  assert_true(d->tcg_domain_context.has_value());
  assert_string_equal(d->tcg_domain_context->c_str(), "system_u:system_r:svirt_tcg_t:s0");
  assert_string_equal(d->image_context.c_str(), "system_u:object_r:svirt_image_t:s0");
  assert_string_equal(d->content_context.c_str(), "system_u:object_r:virt_content_t:s0");
}

void test_defaults_config_wins(void** /*state*/) {
  auto b = make_selinux_backend(
      fake_policy("system_u:system_r:svirt_t:s0\n",
                  "system_u:object_r:svirt_image_t:s0\nsystem_u:object_r:virt_content_t:s0\n"));
  Config c;
  c.process_context = kProcess;
  c.domain_context = "system_u:system_r:my_vm_t:s0";
  c.content_context = "system_u:object_r:my_ro_t:s0";
  svirt::Result<HostDefaults> d = b->defaults(c);
  assert_true(d.ok());
  assert_string_equal(d->domain_context.c_str(), "system_u:system_r:my_vm_t:s0");
  // Debian's file has one line: no TCG context.
  assert_false(d->tcg_domain_context.has_value());
  assert_string_equal(d->image_context.c_str(), "system_u:object_r:svirt_image_t:s0");
  assert_string_equal(d->content_context.c_str(), "system_u:object_r:my_ro_t:s0");
}

void test_defaults_all_from_config_needs_no_files(void** /*state*/) {
  SelinuxBackendOptions o;
  o.domain_context_file = g_dir + "/missing-domain";
  o.image_context_file = g_dir + "/missing-image";
  auto b = make_selinux_backend(o);
  Config c;
  c.process_context = kProcess;
  c.domain_context = "system_u:system_r:svirt_t:s0";
  c.tcg_domain_context = "system_u:system_r:svirt_tcg_t:s0";
  c.image_context = "system_u:object_r:svirt_image_t:s0";
  c.content_context = "system_u:object_r:virt_content_t:s0";
  svirt::Result<HostDefaults> d = b->defaults(c);
  assert_true(d.ok());
  assert_string_equal(d->tcg_domain_context->c_str(), "system_u:system_r:svirt_tcg_t:s0");
  // Only the optional TCG line may come from a missing file: it stays empty.
  c.tcg_domain_context.reset();
  d = b->defaults(c);
  assert_true(d.ok());
  assert_false(d->tcg_domain_context.has_value());
}

void expect_defaults_error(const SelinuxBackendOptions& o, const Config& c,
                           const std::string& names) {
  auto b = make_selinux_backend(o);
  svirt::Result<HostDefaults> d = b->defaults(c);
  assert_false(d.ok());
  if (d.error().message.find(names) == std::string::npos) {
    print_error("message '%s' does not name '%s'\n", d.error().message.c_str(), names.c_str());
    fail();
  }
}

void test_defaults_missing_files(void** /*state*/) {
  Config c;
  c.process_context = kProcess;
  SelinuxBackendOptions o =
      fake_policy("system_u:system_r:svirt_t:s0\n", "system_u:object_r:svirt_image_t:s0\n");
  // Image file without the content line.
  expect_defaults_error(o, c, *o.image_context_file);

  SelinuxBackendOptions missing_domain = o;
  missing_domain.domain_context_file = g_dir + "/no-such-domain-file";
  expect_defaults_error(missing_domain, c, *missing_domain.domain_context_file);

  SelinuxBackendOptions missing_image = o;
  missing_image.image_context_file = g_dir + "/no-such-image-file";
  expect_defaults_error(missing_image, c, *missing_image.image_context_file);

  SelinuxBackendOptions empty_domain = o;
  empty_domain.domain_context_file = put("empty", "# nothing\n");
  expect_defaults_error(empty_domain, c, *empty_domain.domain_context_file);
}

void test_model_and_mode(void** /*state*/) {
  auto b = make_selinux_backend();
  assert_string_equal(std::string(b->name()).c_str(), "selinux");
  assert_string_equal(b->model().model.c_str(), "selinux");
  assert_string_equal(b->model().doi.c_str(), "0");
  if (is_selinux_enabled() != 1) {
    assert_int_equal(static_cast<int>(b->mode()),
                     static_cast<int>(svirt::EnforcingMode::kDisabled));
    // No policy to ask: syntax alone decides.
    assert_true(b->check_context("made_u:made_r:made_t:s0:c1,c2").ok());
    svirt::Result<void> bad = b->check_context("not a context");
    assert_false(bad.ok());
    assert_int_equal(static_cast<int>(bad.error().code),
                     static_cast<int>(ErrorCode::kInvalidInput));
    // Entering a label needs SELinux.
    svirt::Result<svirt::ExecPlan> exec =
        b->plan_exec_label("system_u:system_r:svirt_t:s0:c1,c2", true);
    assert_false(exec.ok());
    assert_int_equal(static_cast<int>(exec.error().code),
                     static_cast<int>(ErrorCode::kUnsupported));
    assert_true(b->clear_socket_label().ok());
  } else {
    assert_int_not_equal(static_cast<int>(b->mode()),
                         static_cast<int>(svirt::EnforcingMode::kDisabled));
  }
}

void test_default_label_from_file_contexts(void** /*state*/) {
  SelinuxBackendOptions o;
  o.file_contexts_file = put("file_contexts",
                             "/srv/vm(/.*)?\tsystem_u:object_r:virt_image_t:s0\n"
                             "/srv/vm/iso/[^/]+\\.iso\t--\tsystem_u:object_r:virt_content_t:s0\n"
                             "/srv/vm/private\t<<none>>\n");
  auto b = make_selinux_backend(o);
  struct Case {
    const char* path;
    mode_t mode;
    const char* want;  // nullptr: no default
  } cases[] = {
      {"/srv/vm/a.img", S_IFREG, "system_u:object_r:virt_image_t:s0"},
      {"/srv/vm", S_IFDIR, "system_u:object_r:virt_image_t:s0"},
      {"/srv/vm/iso/x.iso", S_IFREG, "system_u:object_r:virt_content_t:s0"},
      {"/srv/vm/iso/x.iso", S_IFDIR, "system_u:object_r:virt_image_t:s0"},
      {"/srv/vm/private", S_IFREG, nullptr},
      {"/elsewhere/a.img", S_IFREG, nullptr},
  };
  for (const Case& c : cases) {
    svirt::Result<std::optional<std::string>> r = b->default_label(c.path, c.mode);
    if (!r.ok()) {
      print_error("%s: %s\n", c.path, r.error().message.c_str());
      fail();
    }
    if (c.want == nullptr) {
      if (r->has_value()) {
        print_error("%s: got '%s', want none\n", c.path, (*r)->c_str());
        fail();
      }
    } else {
      if (!r->has_value() || **r != c.want) {
        print_error("%s: got '%s', want '%s'\n", c.path, r->has_value() ? (*r)->c_str() : "none",
                    c.want);
        fail();
      }
    }
  }
}

void test_default_label_without_file_contexts(void** /*state*/) {
  SelinuxBackendOptions o;
  o.file_contexts_file = g_dir + "/no-file-contexts";
  auto b = make_selinux_backend(o);
  svirt::Result<std::optional<std::string>> r = b->default_label("/srv/a.img", S_IFREG);
  assert_false(r.ok());
  assert_int_equal(static_cast<int>(r.error().code), static_cast<int>(ErrorCode::kUnsupported));
}

// A host status the test drives: what setenforce and a policy load change
// on the kernel's status page.
struct FakeStatus final : svirt::internal::HostStatus {
  svirt::EnforcingMode now = svirt::EnforcingMode::kEnforcing;
  uint64_t generation = 1;
  svirt::EnforcingMode mode() override { return now; }
  uint64_t policy_generation() override { return generation; }
};

// A long-running process sees setenforce at once, and a policy load's new
// file contexts, without reopening its backend.
void test_status_stays_fresh(void** /*state*/) {
  auto status = std::make_shared<FakeStatus>();
  SelinuxBackendOptions o;
  o.status = status;
  o.file_contexts_file =
      put("file_contexts", "/srv/vm(/.*)?\tsystem_u:object_r:virt_image_t:s0\n");
  auto b = make_selinux_backend(o);
  assert_int_equal(static_cast<int>(b->mode()), static_cast<int>(svirt::EnforcingMode::kEnforcing));
  status->now = svirt::EnforcingMode::kPermissive;  // setenforce 0
  assert_int_equal(static_cast<int>(b->mode()), static_cast<int>(svirt::EnforcingMode::kPermissive));
  status->now = svirt::EnforcingMode::kEnforcing;  // setenforce 1
  assert_int_equal(static_cast<int>(b->mode()), static_cast<int>(svirt::EnforcingMode::kEnforcing));

  auto r = b->default_label("/srv/vm/a.img", S_IFREG);
  assert_true(r.ok() && r->has_value());
  assert_string_equal((*r)->c_str(), "system_u:object_r:virt_image_t:s0");
  // New file contexts on disk: the handle of the loaded policy still answers...
  put("file_contexts", "/srv/vm(/.*)?\tsystem_u:object_r:virt_content_t:s0\n");
  r = b->default_label("/srv/vm/a.img", S_IFREG);
  assert_true(r.ok() && r->has_value());
  assert_string_equal((*r)->c_str(), "system_u:object_r:virt_image_t:s0");
  // ...until that policy is loaded.
  status->generation = 2;
  r = b->default_label("/srv/vm/a.img", S_IFREG);
  assert_true(r.ok() && r->has_value());
  assert_string_equal((*r)->c_str(), "system_u:object_r:virt_content_t:s0");
}

}  // namespace

int main() {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test_setup_teardown(test_read_context_lines, setup, teardown),
      cmocka_unit_test_setup_teardown(test_read_context_lines_missing, setup, teardown),
      cmocka_unit_test_setup_teardown(test_defaults_from_files, setup, teardown),
      cmocka_unit_test_setup_teardown(test_defaults_config_wins, setup, teardown),
      cmocka_unit_test_setup_teardown(test_defaults_all_from_config_needs_no_files, setup,
                                      teardown),
      cmocka_unit_test_setup_teardown(test_defaults_missing_files, setup, teardown),
      cmocka_unit_test(test_model_and_mode),
      cmocka_unit_test_setup_teardown(test_default_label_from_file_contexts, setup, teardown),
      cmocka_unit_test_setup_teardown(test_default_label_without_file_contexts, setup, teardown),
      cmocka_unit_test_setup_teardown(test_status_stays_fresh, setup, teardown),
  };
  return cmocka_run_group_tests(tests, nullptr, nullptr);
}
