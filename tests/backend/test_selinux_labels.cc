// SPDX-License-Identifier: LGPL-2.1-or-later
// The SELinux backend writing and reading security.selinux through O_PATH
// descriptors. Root may write that xattr on ext4/xfs/tmpfs even with SELinux
// disabled, which is what lets this run on any Linux host; without root, or on
// a filesystem that does not store it, the test is skipped.
#include <selinux/selinux.h>
#include <stdio.h>
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
#include "selinux/selinux_backend.h"

// cmocka last: its fail() and skip() macros would clash with the standard library.
extern "C" {
#include <cmocka.h>
}

namespace {

using svirt::ErrorCode;
using svirt::internal::open_resource;
using svirt::internal::OpenedPath;

constexpr const char* kXattr = "security.selinux";

std::string g_root;
std::string g_dir;
std::string g_label_a;  // contexts the host accepts for a file
std::string g_label_b;

int setup(void** /*state*/) {
  g_dir = backend_test::make_temp_dir(g_root);
  return g_dir.empty() ? -1 : 0;
}

int teardown(void** /*state*/) {
  backend_test::remove_tree(g_dir);
  return 0;
}

void test_set_and_get(void** /*state*/) {
  auto b = svirt::internal::make_selinux_backend();
  std::string file = g_dir + "/disk.img";
  assert_true(backend_test::write_file(file, "x"));
  OpenedPath p = backend_test::open_ok(file);

  svirt::Result<void> set = b->set_label(p.fd.get(), p.resolved, g_label_a);
  if (!set.ok()) {
    print_error("%s\n", set.error().message.c_str());
    fail();
  }
  // What the kernel stored on the file itself.
  std::optional<std::string> x = backend_test::read_xattr(file, kXattr);
  assert_true(x.has_value());
  assert_string_equal(x->c_str(), g_label_a.c_str());

  svirt::Result<std::optional<std::string>> got = b->get_label(p.fd.get(), p.resolved);
  assert_true(got.ok());
  assert_true(got->has_value());
  assert_string_equal((*got)->c_str(), g_label_a.c_str());

  assert_true(b->set_label(p.fd.get(), p.resolved, g_label_b).ok());
  got = b->get_label(p.fd.get(), p.resolved);
  assert_true(got.ok() && got->has_value());
  assert_string_equal((*got)->c_str(), g_label_b.c_str());
}

void test_unlabelled_file(void** /*state*/) {
  if (is_selinux_enabled() == 1) skip();  // the kernel always reports some label
  auto b = svirt::internal::make_selinux_backend();
  std::string file = g_dir + "/fresh.img";
  assert_true(backend_test::write_file(file, "x"));
  if (backend_test::read_xattr(file, kXattr).has_value()) skip();  // labelled at creation
  OpenedPath p = backend_test::open_ok(file);
  svirt::Result<std::optional<std::string>> got = b->get_label(p.fd.get(), p.resolved);
  assert_true(got.ok());
  assert_false(got->has_value());
}

// The write goes to the opened file, not to whatever carries its name now.
void test_label_follows_descriptor(void** /*state*/) {
  auto b = svirt::internal::make_selinux_backend();
  std::string file = g_dir + "/disk.img";
  std::string moved = g_dir + "/moved.img";
  assert_true(backend_test::write_file(file, "original"));
  OpenedPath p = backend_test::open_ok(file);
  assert_int_equal(rename(file.c_str(), moved.c_str()), 0);
  assert_true(backend_test::write_file(file, "impostor"));
  std::optional<std::string> before = backend_test::read_xattr(file, kXattr);

  assert_true(b->set_label(p.fd.get(), file, g_label_a).ok());
  std::optional<std::string> x = backend_test::read_xattr(moved, kXattr);
  assert_true(x.has_value());
  assert_string_equal(x->c_str(), g_label_a.c_str());
  assert_true(backend_test::read_xattr(file, kXattr) == before);
}

void test_socket_and_directory(void** /*state*/) {
  auto b = svirt::internal::make_selinux_backend();
  std::string dir = g_dir + "/share";
  assert_int_equal(mkdir(dir.c_str(), 0700), 0);
  std::string fifo = g_dir + "/fifo";
  assert_int_equal(mkfifo(fifo.c_str(), 0600), 0);
  for (const std::string& path : {dir, fifo}) {
    OpenedPath p = backend_test::open_ok(path);
    assert_true(b->set_label(p.fd.get(), p.resolved, g_label_a).ok());
    std::optional<std::string> x = backend_test::read_xattr(path, kXattr);
    assert_true(x.has_value());
    assert_string_equal(x->c_str(), g_label_a.c_str());
  }
}

// The attribute's bytes exactly, without libselinux's NUL handling;
// nullopt when there is none.
std::optional<std::string> raw_xattr(const std::string& path) {
  char buf[4096];
  ssize_t n = getxattr(path.c_str(), kXattr, buf, sizeof buf);
  if (n < 0) return std::nullopt;
  return std::string(buf, static_cast<size_t>(n));
}

// What chcon and the kernel store, what setfattr may store without the NUL,
// and what nothing stops a file from holding.
using namespace std::string_literals;
const std::string kOddOriginals[] = {
    "system_u:object_r:virt_image_t:s0\0"s,
    "system_u:object_r:virt_image_t:s0"s,
    "system_u:object_r:a\0b_t:s0\0"s,
    "system_u:object_r:\xff\xfe_t:s0"s,
    "system_u:object_r:x_t:s0\nforged line"s,
};

// get_label hands out the stored bytes, trailing NUL included, and
// set_label writes back exactly the bytes it is given: a restore puts back
// what was there. (On a host running SELinux the kernel answers for the
// attribute itself: there, only well-formed labels exist.)
void test_bytes_round_trip(void** /*state*/) {
  if (is_selinux_enabled() == 1) skip();
  auto b = svirt::internal::make_selinux_backend();
  std::string file = g_dir + "/odd.img";
  assert_true(backend_test::write_file(file, "x"));
  OpenedPath p = backend_test::open_ok(file);
  for (const std::string& bytes : kOddOriginals) {
    assert_int_equal(setxattr(file.c_str(), kXattr, bytes.data(), bytes.size(), 0), 0);
    svirt::Result<std::optional<std::string>> got = b->get_label(p.fd.get(), p.resolved);
    assert_true(got.ok() && got->has_value());
    assert_true(**got == bytes);

    assert_true(b->set_label(p.fd.get(), p.resolved, g_label_a).ok());
    assert_true(raw_xattr(file) == g_label_a);  // as given: no NUL added
    assert_true(b->set_label(p.fd.get(), p.resolved, **got).ok());
    assert_true(raw_xattr(file) == bytes);
  }
}

}  // namespace

int main() {
  if (geteuid() != 0) {
    printf("SKIPPED: writing security.selinux needs root\n");
    return backend_test::kSkip;
  }
  g_root = backend_test::make_temp_dir(g_get_tmp_dir());
  if (g_root.empty()) return 1;
  if (is_selinux_enabled() == 1) {
    // On a real SELinux host the labels must be ones the policy knows: use
    // the directory's own label for both.
    char* con = nullptr;
    if (getfilecon_raw(g_root.c_str(), &con) < 0) {
      printf("SKIPPED: cannot read the label of %s\n", g_root.c_str());
      backend_test::remove_tree(g_root);
      return backend_test::kSkip;
    }
    g_label_a = g_label_b = con;
    freecon(con);
  } else {
    g_label_a = "system_u:object_r:svirt_image_t:s0:c1,c2";
    g_label_b = "system_u:object_r:virt_content_t:s0";
  }
  std::string probe = g_root + "/probe";
  backend_test::write_file(probe, "");
  if (setxattr(probe.c_str(), kXattr, g_label_a.c_str(), g_label_a.size() + 1, 0) != 0) {
    int err = errno;
    backend_test::remove_tree(g_root);
    if (err == EOPNOTSUPP || err == EPERM || err == EACCES) {
      printf("SKIPPED: %s does not store security.selinux: %s\n", g_get_tmp_dir(), strerror(err));
      return backend_test::kSkip;
    }
    printf("cannot write security.selinux: %s\n", strerror(err));
    return 1;
  }
  const struct CMUnitTest tests[] = {
      cmocka_unit_test_setup_teardown(test_set_and_get, setup, teardown),
      cmocka_unit_test_setup_teardown(test_unlabelled_file, setup, teardown),
      cmocka_unit_test_setup_teardown(test_label_follows_descriptor, setup, teardown),
      cmocka_unit_test_setup_teardown(test_socket_and_directory, setup, teardown),
      cmocka_unit_test_setup_teardown(test_bytes_round_trip, setup, teardown),
  };
  int failed = cmocka_run_group_tests(tests, nullptr, nullptr);
  backend_test::remove_tree(g_root);
  return failed;
}
