// SPDX-License-Identifier: LGPL-2.1-or-later
// open_resource(): resolution, refusal of system paths, symlink handling.
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <csetjmp>
#include <cstdarg>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <string>

#include "backend_test_util.h"
#include "core/safe_path.h"

// cmocka last: its fail() and skip() macros would clash with the standard library.
extern "C" {
#include <cmocka.h>
}

namespace {

using svirt::ErrorCode;
using svirt::internal::check_path_allowed;
using svirt::internal::fd_path;
using svirt::internal::open_resource;
using svirt::internal::OpenedPath;
using svirt::internal::PathPolicy;

std::string g_dir;  // canonical temporary directory, fresh for each test

int setup(void** /*state*/) {
  g_dir = backend_test::make_temp_dir(g_get_tmp_dir());
  return g_dir.empty() ? -1 : 0;
}

int teardown(void** /*state*/) {
  backend_test::remove_tree(g_dir);
  return 0;
}

bool contains(const std::string& haystack, const std::string& needle) {
  return haystack.find(needle) != std::string::npos;
}

void expect_error(const std::string& path, ErrorCode code, const PathPolicy& policy = {}) {
  svirt::Result<OpenedPath> r = open_resource(path, policy);
  if (r.ok()) {
    print_error("'%s' opened as '%s', expected an error\n", path.c_str(), r->resolved.c_str());
    fail();
  }
  if (r.error().code != code) {
    print_error("'%s': code %s, message '%s'\n", path.c_str(),
                svirt::error_code_name(r.error().code), r.error().message.c_str());
    fail();
  }
  // Every message names the path as the caller gave it.
  if (!contains(r.error().message, path)) {
    print_error("message '%s' does not name '%s'\n", r.error().message.c_str(), path.c_str());
    fail();
  }
}

void test_relative_path_refused(void** /*state*/) {
  expect_error("disk.img", ErrorCode::kInvalidInput);
  expect_error("./disk.img", ErrorCode::kInvalidInput);
  svirt::Result<OpenedPath> r = open_resource("", {});
  assert_false(r.ok());
  assert_int_equal(static_cast<int>(r.error().code), static_cast<int>(ErrorCode::kInvalidInput));
}

void test_missing_file(void** /*state*/) {
  expect_error(g_dir + "/nothing-here", ErrorCode::kNotFound);
  expect_error(g_dir + "/no-dir/disk.img", ErrorCode::kNotFound);
}

void test_file_as_directory(void** /*state*/) {
  assert_true(backend_test::write_file(g_dir + "/file", "x"));
  expect_error(g_dir + "/file/child", ErrorCode::kNotFound);
  expect_error(g_dir + "/file/", ErrorCode::kNotFound);
}

void test_plain_file(void** /*state*/) {
  std::string file = g_dir + "/disk.img";
  assert_true(backend_test::write_file(file, "data"));
  svirt::Result<OpenedPath> r = open_resource(file, {});
  assert_true(r.ok());
  assert_string_equal(r->resolved.c_str(), file.c_str());
  assert_true(S_ISREG(r->st.st_mode));
  assert_int_equal(r->st.st_size, 4);

  // The descriptor is an O_PATH one of that very file.
  int flags = fcntl(r->fd.get(), F_GETFL);
  assert_true(flags & O_PATH);
  assert_true(fcntl(r->fd.get(), F_GETFD) & FD_CLOEXEC);
  struct stat st {};
  assert_int_equal(stat(file.c_str(), &st), 0);
  assert_int_equal(st.st_ino, r->st.st_ino);
  svirt::Result<std::string> kernel = fd_path(r->fd.get());
  assert_true(kernel.ok());
  assert_string_equal(kernel->c_str(), file.c_str());
}

void test_dot_components(void** /*state*/) {
  assert_int_equal(mkdir((g_dir + "/sub").c_str(), 0700), 0);
  std::string file = g_dir + "/disk.img";
  assert_true(backend_test::write_file(file, "x"));
  svirt::Result<OpenedPath> r = open_resource(g_dir + "//sub/./../disk.img", {});
  assert_true(r.ok());
  assert_string_equal(r->resolved.c_str(), file.c_str());

  svirt::Result<OpenedPath> d = open_resource(g_dir + "/sub/", {});
  assert_true(d.ok());
  assert_string_equal(d->resolved.c_str(), (g_dir + "/sub").c_str());
  assert_true(S_ISDIR(d->st.st_mode));
}

void test_symlink_to_allowed_file(void** /*state*/) {
  assert_int_equal(mkdir((g_dir + "/images").c_str(), 0700), 0);
  std::string file = g_dir + "/images/disk.img";
  assert_true(backend_test::write_file(file, "x"));
  // Relative, absolute and chained links, and a link to a directory in the middle.
  assert_int_equal(symlink("images/disk.img", (g_dir + "/rel").c_str()), 0);
  assert_int_equal(symlink(file.c_str(), (g_dir + "/abs").c_str()), 0);
  assert_int_equal(symlink("rel", (g_dir + "/chain").c_str()), 0);
  assert_int_equal(symlink(g_dir.c_str(), (g_dir + "/images/up").c_str()), 0);
  assert_int_equal(symlink("images", (g_dir + "/dirlink").c_str()), 0);

  for (const char* name : {"/rel", "/abs", "/chain", "/dirlink/disk.img",
                           "/images/up/dirlink/up/chain", "/dirlink/../images/disk.img"}) {
    svirt::Result<OpenedPath> r = open_resource(g_dir + name, {});
    if (!r.ok()) {
      print_error("%s: %s\n", name, r.error().message.c_str());
      fail();
    }
    if (r->resolved != file) {
      print_error("%s resolved to '%s'\n", name, r->resolved.c_str());
      fail();
    }
    assert_true(S_ISREG(r->st.st_mode));
  }
}

void test_symlink_to_etc_refused(void** /*state*/) {
  std::string link = g_dir + "/link";
  assert_int_equal(symlink("/etc", link.c_str()), 0);
  svirt::Result<OpenedPath> r = open_resource(link, {});
  assert_false(r.ok());
  assert_int_equal(static_cast<int>(r.error().code), static_cast<int>(ErrorCode::kOperationFailed));
  std::string want = "refusing to relabel system path '/etc' (reached from '" + link + "')";
  assert_string_equal(r.error().message.c_str(), want.c_str());

  // Files of the host configuration too, however they are reached.
  std::string passwd = g_dir + "/passwd";
  assert_int_equal(symlink("../../../../../../../../../etc/passwd", passwd.c_str()), 0);
  expect_error(passwd, ErrorCode::kOperationFailed);
  expect_error(link + "/passwd", ErrorCode::kOperationFailed);
}

void test_system_paths_refused(void** /*state*/) {
  expect_error("/", ErrorCode::kOperationFailed);
  expect_error("/etc", ErrorCode::kOperationFailed);
  expect_error("/usr/", ErrorCode::kOperationFailed);
  expect_error("/tmp", ErrorCode::kOperationFailed);
  expect_error("/dev", ErrorCode::kOperationFailed);
  // /proc/self is a symlink; what it leads to is still under /proc.
  expect_error("/proc/self/status", ErrorCode::kOperationFailed);
  expect_error("/sys/kernel", ErrorCode::kOperationFailed);
  svirt::Result<OpenedPath> r = open_resource("/dev/null", {});
  assert_true(r.ok());
  assert_true(S_ISCHR(r->st.st_mode));
}

void test_forbidden_list(void** /*state*/) {
  PathPolicy policy{{"/var/lib/svirt-state/", "relative/ignored"}};
  const char* refused[] = {
      "/",
      "/etc",
      "/etc/shadow",
      "/usr",
      "/boot",
      "/proc",
      "/proc/1/mem",
      "/sys",
      "/sys/fs/selinux/load",
      "/dev",
      "/var",
      "/home",
      "/home/alice",
      "/home/bob",
      "/root",
      "/bin",
      "/sbin",
      "/lib",
      "/lib64",
      "/opt",
      "/run",
      "/tmp",
      "/srv",
      "/mnt",
      "/media",
      "/usr/bin",
      "/var/lib",
      "/var/lib/svirt-state",
      "/var/lib/svirt-state/domains/x.xml",
  };
  for (const char* path : refused) {
    svirt::Result<void> r = check_path_allowed(path, policy);
    if (r.ok()) {
      print_error("'%s' allowed\n", path);
      fail();
    }
    assert_int_equal(static_cast<int>(r.error().code),
                     static_cast<int>(ErrorCode::kOperationFailed));
    if (!contains(r.error().message, std::string("'") + path + "'")) {
      print_error("message '%s' does not name '%s'\n", r.error().message.c_str(), path);
      fail();
    }
  }
  const char* allowed[] = {
      "/home/alice/vm/disk.img",
      "/home/alice/disk.img",
      "/root/disk.img",
      "/tmp/svirt-test/disk.img",
      "/dev/null",
      "/dev/sdb",
      "/var/lib/libvirt/images/vm.qcow2",
      "/var/lib/svirt-statex",
      "/srv/vm/disk.img",
      "/run/svirt/vm.sock",
      "/usr/share/OVMF/OVMF_CODE.fd",
      "/boot/vmlinuz",
      "/relative/ignored",
  };
  for (const char* path : allowed) {
    svirt::Result<void> r = check_path_allowed(path, policy);
    if (!r.ok()) {
      print_error("'%s' refused: %s\n", path, r.error().message.c_str());
      fail();
    }
  }
}

void test_extra_tree_through_symlink(void** /*state*/) {
  std::string state = g_dir + "/state";
  assert_int_equal(mkdir(state.c_str(), 0700), 0);
  assert_true(backend_test::write_file(state + "/registry", "x"));
  std::string link = g_dir + "/innocent.img";
  assert_int_equal(symlink("state/registry", link.c_str()), 0);

  PathPolicy policy{{state}};
  expect_error(link, ErrorCode::kOperationFailed, policy);
  expect_error(state, ErrorCode::kOperationFailed, policy);
  svirt::Result<OpenedPath> r = open_resource(link, policy);
  assert_false(r.ok());
  assert_true(contains(r.error().message, "'" + state + "/registry'"));
  assert_true(contains(r.error().message, "reached from '" + link + "'"));
  // The policy entry itself may be spelled through a symlink.
  assert_int_equal(symlink("state", (g_dir + "/state-alias").c_str()), 0);
  expect_error(link, ErrorCode::kOperationFailed, PathPolicy{{g_dir + "/state-alias"}});
  // Without the extra tree the same file is fine.
  assert_true(open_resource(link, {}).ok());
}

void test_dangling_symlink(void** /*state*/) {
  std::string link = g_dir + "/dangling";
  assert_int_equal(symlink("does-not-exist", link.c_str()), 0);
  expect_error(link, ErrorCode::kNotFound);
  std::string empty_dir_link = g_dir + "/to-missing-dir";
  assert_int_equal(symlink("/nonexistent-svirt-dir/x", empty_dir_link.c_str()), 0);
  expect_error(empty_dir_link, ErrorCode::kNotFound);
}

void test_symlink_loop(void** /*state*/) {
  assert_int_equal(symlink("b", (g_dir + "/a").c_str()), 0);
  assert_int_equal(symlink("a", (g_dir + "/b").c_str()), 0);
  svirt::Result<OpenedPath> r = open_resource(g_dir + "/a", {});
  assert_false(r.ok());
  assert_int_equal(static_cast<int>(r.error().code), static_cast<int>(ErrorCode::kOperationFailed));
  assert_int_equal(r.error().sys_errno, ELOOP);

  // 40 links in a row are fine, 41 are not (the kernel's own limit).
  assert_true(backend_test::write_file(g_dir + "/end", "x"));
  std::string prev = "end";
  for (int i = 0; i < 41; ++i) {
    std::string name = "l" + std::to_string(i);
    assert_int_equal(symlink(prev.c_str(), (g_dir + "/" + name).c_str()), 0);
    prev = name;
  }
  assert_true(open_resource(g_dir + "/l39", {}).ok());
  svirt::Result<OpenedPath> deep = open_resource(g_dir + "/l40", {});
  assert_false(deep.ok());
  assert_int_equal(deep.error().sys_errno, ELOOP);
}

void test_proc_fd_path(void** /*state*/) {
  assert_string_equal(svirt::internal::proc_fd_path(7).c_str(), "/proc/self/fd/7");
}

}  // namespace

int main() {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test_setup_teardown(test_relative_path_refused, setup, teardown),
      cmocka_unit_test_setup_teardown(test_missing_file, setup, teardown),
      cmocka_unit_test_setup_teardown(test_file_as_directory, setup, teardown),
      cmocka_unit_test_setup_teardown(test_plain_file, setup, teardown),
      cmocka_unit_test_setup_teardown(test_dot_components, setup, teardown),
      cmocka_unit_test_setup_teardown(test_symlink_to_allowed_file, setup, teardown),
      cmocka_unit_test_setup_teardown(test_symlink_to_etc_refused, setup, teardown),
      cmocka_unit_test_setup_teardown(test_system_paths_refused, setup, teardown),
      cmocka_unit_test_setup_teardown(test_forbidden_list, setup, teardown),
      cmocka_unit_test_setup_teardown(test_extra_tree_through_symlink, setup, teardown),
      cmocka_unit_test_setup_teardown(test_dangling_symlink, setup, teardown),
      cmocka_unit_test_setup_teardown(test_symlink_loop, setup, teardown),
      cmocka_unit_test(test_proc_fd_path),
  };
  return cmocka_run_group_tests(tests, nullptr, nullptr);
}
