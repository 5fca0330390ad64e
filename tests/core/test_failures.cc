// SPDX-License-Identifier: LGPL-2.1-or-later
//
// Hosts that say no: a state directory that is read-only or full, and a
// filesystem that cannot hold labels. Each must give one specific error or
// warning, never a silent degradation, and a failed prepare changes nothing.
// Needs root (private mounts); skips otherwise.
#include <sys/mount.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstdio>
#include <cstring>
#include <fstream>
#include <string>

#include "svirt/manager.h"
#include "test_support.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
extern "C" {
#include <cmocka.h>
}

using namespace svirt;
using namespace svirt::testing;

namespace {

std::string g_dir;  // on a filesystem with user xattrs

std::string mount_point(const std::string& name, const char* fstype, const char* opts) {
  std::string p = g_dir + "/" + name;
  mkdir(p.c_str(), 0700);
  if (mount(name.c_str(), p.c_str(), fstype, 0, opts) != 0) return {};
  return p;
}

ManagerOptions opts(const std::string& state) {
  ManagerOptions o;
  o.driver = "test";
  o.state_dir = state;
  o.config = Config{};
  return o;
}

DomainDef one_disk(const std::string& name, const std::string& path) {
  auto d = DomainDef::parse("<domain type='kvm'><name>" + name +
                            "</name><devices><disk type='file' device='disk'><source file='" +
                            path + "'/><target dev='vda'/></disk></devices></domain>");
  assert_true(d.ok());
  return std::move(*d);
}

void test_read_only_state_dir(void**) {
  std::string st = mount_point("ro-state", "tmpfs", "size=1m");
  assert_false(st.empty());
  assert_int_equal(mount(nullptr, st.c_str(), nullptr, MS_REMOUNT | MS_RDONLY, nullptr), 0);
  auto m = SecurityManager::open(opts(st));
  assert_false(m.ok());
  std::fprintf(stderr, "%s\n", m.error().message.c_str());
  assert_non_null(strstr(m.error().message.c_str(), st.c_str()));
  assert_non_null(strstr(m.error().message.c_str(), "read-only"));
  umount2(st.c_str(), MNT_DETACH);
}

void test_full_state_dir_changes_nothing(void**) {
  std::string st = mount_point("full-state", "tmpfs", "size=64k");
  assert_false(st.empty());
  auto m = SecurityManager::open(opts(st));
  assert_true(m.ok());
  {  // fill it up
    std::ofstream filler(st + "/filler");
    std::string block(4096, 'x');
    for (int i = 0; i < 64 && filler; ++i) filler << block;
  }
  std::string img = g_dir + "/full.img";
  write_file(img);
  set_label(img, "system_u:object_r:virt_image_t:s0");
  auto p = (*m)->prepare(one_disk("vm", img));
  assert_false(p.ok());
  std::fprintf(stderr, "%s\n", p.error().message.c_str());
  assert_non_null(strstr(p.error().message.c_str(), "full"));
  assert_string_equal(label_of(img)->c_str(), "system_u:object_r:virt_image_t:s0");
  unlink((st + "/filler").c_str());
  auto list = (*m)->list();
  assert_true(list.ok() && list->empty());
  umount2(st.c_str(), MNT_DETACH);
}

void test_filesystem_without_labels_warns(void**) {
  // ramfs has no extended attributes at all.
  std::string fs = mount_point("nolabels", "ramfs", "mode=0700");
  assert_false(fs.empty());
  std::string img = fs + "/disk.img";
  write_file(img);
  auto m = SecurityManager::open(opts(g_dir + "/state"));
  assert_true(m.ok());
  auto p = (*m)->prepare(one_disk("vm", img));
  assert_true(p.ok());
  bool named = false;
  for (const auto& w : p->warnings) {
    std::fprintf(stderr, "warning: %s\n", w.c_str());
    if (w.find(img) != std::string::npos) named = true;
  }
  assert_true(named);
  assert_true((*m)->release("vm").ok());
  umount2(fs.c_str(), MNT_DETACH);
}

}  // namespace

int main() {
  if (geteuid() != 0) {
    std::printf("SKIPPED: private mounts need root\n");
    return 77;
  }
  g_dir = make_xattr_tmpdir();
  if (g_dir.empty()) {
    std::printf("SKIPPED: no filesystem with user xattrs\n");
    return 77;
  }
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_read_only_state_dir),
      cmocka_unit_test(test_full_state_dir_changes_nothing),
      cmocka_unit_test(test_filesystem_without_labels_warns),
  };
  int rc = cmocka_run_group_tests_name("failures", tests, nullptr, nullptr);
  remove_tree(g_dir);
  return rc;
}
