// SPDX-License-Identifier: LGPL-2.1-or-later
// A directory swapped for a symlink while svirt opens and labels a path below
// it must never let the label land on the symlink's target.
//
// One thread keeps exchanging base/comp (a real directory) with a symlink to
// a victim directory in another tree (the policy forbids that tree, as it
// would the state directory) or with a symlink to /etc, using atomic
// renameat2(RENAME_EXCHANGE) so the path always exists. Another thread opens
// base/comp and base/comp/disk 20000 times and labels whatever it got through
// the test backend. Afterwards the victim files and /etc must carry no label.
#include <fcntl.h>
#include <linux/fs.h>
#include <stdio.h>
#include <sys/syscall.h>
#include <sys/xattr.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <csetjmp>
#include <cstdarg>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <string>
#include <thread>

#include "backend_test_util.h"
#include "core/safe_path.h"
#include "test/test_backend.h"

// cmocka last: its fail() and skip() macros would clash with the standard library.
extern "C" {
#include <cmocka.h>
}

namespace {

using svirt::ErrorCode;
using svirt::internal::kTestLabelXattr;
using svirt::internal::open_resource;
using svirt::internal::OpenedPath;
using svirt::internal::PathPolicy;

// Against a resolve-then-open implementation, 2000 attempts hit the window
// about half the time on a 2-CPU machine; ten times as many catch it nearly always.
constexpr int kIterations = 10 * 2000;
constexpr const char* kLabel = "system_u:object_r:svirt_image_t:s0:c1,c2";

std::string g_base;    // holds comp, spare-victim, spare-etc
std::string g_victim;  // what the victim symlink points at
std::string g_state;   // the test backend's state directory

int swap_paths(const std::string& a, const std::string& b) {
  return static_cast<int>(
      syscall(SYS_renameat2, AT_FDCWD, a.c_str(), AT_FDCWD, b.c_str(), RENAME_EXCHANGE));
}

bool has_label(const std::string& path) {
  return backend_test::read_xattr(path, kTestLabelXattr).has_value();
}

void test_swap_race(void** /*state*/) {
  std::string comp = g_base + "/comp";
  std::string spare_victim = g_base + "/spare-victim";
  std::string spare_etc = g_base + "/spare-etc";
  assert_int_equal(mkdir(comp.c_str(), 0700), 0);
  assert_true(backend_test::write_file(comp + "/disk", "mine"));
  assert_true(backend_test::write_file(g_victim + "/disk", "victim"));
  assert_int_equal(symlink(g_victim.c_str(), spare_victim.c_str()), 0);
  assert_int_equal(symlink("/etc", spare_etc.c_str()), 0);
  assert_false(has_label("/etc"));

  std::unique_ptr<svirt::LabelBackend> backend = svirt::internal::make_test_backend(g_state);
  PathPolicy policy{{g_victim, g_state}};

  std::atomic<bool> stop{false};
  std::atomic<long> swaps{0};
  std::thread swapper([&] {
    for (long i = 0; !stop.load(std::memory_order_relaxed); ++i) {
      // Mostly the victim: a label that lands there is the failure we hunt.
      const std::string& spare = (i / 2) % 4 != 3 ? spare_victim : spare_etc;
      if (swap_paths(comp, spare) == 0) swaps.fetch_add(1, std::memory_order_relaxed);
    }
  });

  int labelled = 0, refused = 0, changed = 0, missing = 0, other = 0;
  for (int i = 0; i < kIterations; ++i) {
    std::string path = i % 4 != 3 ? comp + "/disk" : comp;
    svirt::Result<OpenedPath> r = open_resource(path, policy);
    if (!r.ok()) {
      const std::string& msg = r.error().message;
      if (r.error().code == ErrorCode::kNotFound) {
        ++missing;  // comp/disk through the /etc link: /etc/disk
      } else if (msg.find("refusing to relabel") != std::string::npos) {
        ++refused;
      } else if (msg.find("path changed while opening") != std::string::npos) {
        ++changed;
      } else {
        ++other;
        print_error("unexpected error: %s\n", msg.c_str());
      }
      continue;
    }
    // Whatever was opened must lie in our own tree, never behind a link.
    if (r->resolved != comp + "/disk" && r->resolved != comp) {
      print_error("'%s' resolved to '%s'\n", path.c_str(), r->resolved.c_str());
      stop = true;
      swapper.join();
      fail();
    }
    svirt::Result<void> set = backend->set_label(r->fd.get(), r->resolved, kLabel);
    if (!set.ok()) {
      print_error("set_label: %s\n", set.error().message.c_str());
      ++other;
      continue;
    }
    ++labelled;
  }
  stop = true;
  swapper.join();

  bool etc_labelled = has_label("/etc");
  if (etc_labelled) removexattr("/etc", kTestLabelXattr);  // leave the host as it was
  print_message("swaps %ld: labelled %d, refused %d, changed %d, missing %d\n", swaps.load(),
                labelled, refused, changed, missing);

  assert_false(etc_labelled);
  assert_false(has_label(g_victim));
  assert_false(has_label(g_victim + "/disk"));
  assert_int_equal(other, 0);
  assert_int_equal(labelled + refused + changed + missing, kIterations);
  assert_true(swaps.load() > 0);
  // The label went only where it belonged: the real directory and its file,
  // wherever the swapping left them.
  if (labelled > 0) {
    bool mine = has_label(comp) || has_label(comp + "/disk") || has_label(spare_victim) ||
                has_label(spare_victim + "/disk") || has_label(spare_etc) ||
                has_label(spare_etc + "/disk");
    assert_true(mine);
  }
}

}  // namespace

int main() {
  std::string why;
  g_base = backend_test::make_xattr_dir(&why);
  if (g_base.empty()) {
    printf("SKIPPED: %s\n", why.c_str());
    return backend_test::kSkip;
  }
  g_victim = backend_test::make_xattr_dir(&why);
  g_state = g_base + "-state";
  backend_test::write_file(g_base + "/probe1", "1");
  backend_test::write_file(g_base + "/probe2", "2");
  int rc = swap_paths(g_base + "/probe1", g_base + "/probe2");
  unlink((g_base + "/probe1").c_str());
  unlink((g_base + "/probe2").c_str());
  if (rc != 0) {
    printf("SKIPPED: renameat2(RENAME_EXCHANGE) is not supported here\n");
    backend_test::remove_tree(g_base);
    backend_test::remove_tree(g_victim);
    return backend_test::kSkip;
  }
  const struct CMUnitTest tests[] = {cmocka_unit_test(test_swap_race)};
  int failed = cmocka_run_group_tests(tests, nullptr, nullptr);
  backend_test::remove_tree(g_base);
  backend_test::remove_tree(g_victim);
  backend_test::remove_tree(g_state);
  return failed;
}
