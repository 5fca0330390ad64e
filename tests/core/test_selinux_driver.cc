// SPDX-License-Identifier: LGPL-2.1-or-later
//
// The SELinux driver end to end without a running SELinux kernel: as root,
// security.selinux can be written on tmpfs and ext4 even when SELinux is
// disabled, so prepare/release must put real SELinux labels on files and
// take them back. (Entering labels needs the kernel: the enforce suite.)
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/xattr.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <iterator>
#include <memory>
#include <optional>
#include <string>

#include "svirt/manager.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
extern "C" {
#include <cmocka.h>
}

using namespace svirt;

namespace {

std::string g_dir;

std::optional<std::string> se_label(const std::string& path) {
  char buf[512];
  ssize_t n = getxattr(path.c_str(), "security.selinux", buf, sizeof buf);
  if (n <= 0) return std::nullopt;
  std::string s(buf, static_cast<size_t>(n));
  while (!s.empty() && s.back() == '\0') s.pop_back();  // the kernel stores a trailing NUL
  return s;
}

void set_se_label(const std::string& path, const std::string& label) {
  assert_int_equal(setxattr(path.c_str(), "security.selinux", label.c_str(), label.size() + 1, 0), 0);
}

// A manager of the SELinux driver on `state`, standing as virtd_t: on this
// host SELinux is disabled, so getcon() has nothing to say; the domain and
// image contexts still come from the installed policy's context files.
std::unique_ptr<SecurityManager> open_selinux_manager(const std::string& state) {
  ManagerOptions o;
  o.driver = "selinux";
  o.state_dir = state;
  Config c;
  c.process_context = "system_u:system_r:virtd_t:s0-s0:c0.c1023";
  o.config = c;
  auto m = SecurityManager::open(o);
  if (!m) {
    std::fprintf(stderr, "open: %s\n", m.error().message.c_str());
    std::abort();
  }
  return std::move(*m);
}

void test_prepare_release_real_xattrs(void**) {
  std::string img = g_dir + "/vm.img", iso = g_dir + "/os.iso";
  std::ofstream(img) << "disk";
  std::ofstream(iso) << "iso";
  set_se_label(img, "system_u:object_r:virt_image_t:s0");
  set_se_label(iso, "system_u:object_r:user_home_t:s0");

  auto m = open_selinux_manager(g_dir + "/state");
  assert_string_equal(m->model().model.c_str(), "selinux");

  std::string xml = "<domain type='kvm'><name>vm</name><devices>"
                    "<disk type='file' device='disk'><source file='" + img + "'/><target dev='vda'/></disk>"
                    "<disk type='file' device='cdrom'><source file='" + iso + "'/><target dev='hdc'/><readonly/></disk>"
                    "</devices></domain>";
  auto def = DomainDef::parse(xml);
  assert_true(def.ok());
  auto p = m->prepare(*def);
  if (!p) std::fprintf(stderr, "prepare: %s\n", p.error().message.c_str());
  assert_true(p.ok());
  assert_non_null(strstr(p->label.label.c_str(), "system_u:system_r:svirt_t:s0:c"));
  assert_non_null(strstr(p->label.imagelabel.c_str(), "system_u:object_r:svirt_image_t:s0:c"));
  assert_string_equal(se_label(img)->c_str(), p->label.imagelabel.c_str());
  assert_string_equal(se_label(iso)->c_str(), "system_u:object_r:virt_content_t:s0");

  auto r = m->release("vm");
  assert_true(r.ok());
  assert_true(r->restore.ok());
  assert_string_equal(se_label(img)->c_str(), "system_u:object_r:virt_image_t:s0");
  assert_string_equal(se_label(iso)->c_str(), "system_u:object_r:user_home_t:s0");
}

std::optional<std::string> raw_se_label(const std::string& path) {
  char buf[512];
  ssize_t n = getxattr(path.c_str(), "security.selinux", buf, sizeof buf);
  if (n < 0) return std::nullopt;
  return std::string(buf, static_cast<size_t>(n));
}

// Each original comes back byte for byte after prepare and release, and is
// reported as the context it spells: without the NUL chcon stores.
void test_originals_restored_byte_exact(void**) {
  using namespace std::string_literals;
  const std::string originals[] = {
      "system_u:object_r:virt_image_t:s0\0"s,  // chcon, the kernel
      "system_u:object_r:virt_image_t:s0"s,     // setfattr without the NUL
      "system_u:object_r:a\0b_t:s0\0"s,
      "system_u:object_r:\xff\xfe_t:s0\0"s,
      "system_u:object_r:x_t:s0\nrestored  /etc/shadow"s,
  };
  std::string disks;
  for (size_t i = 0; i < std::size(originals); ++i) {
    std::string img = g_dir + "/odd" + std::to_string(i) + ".img";
    std::ofstream(img) << "disk";
    const std::string& o = originals[i];
    assert_int_equal(setxattr(img.c_str(), "security.selinux", o.data(), o.size(), 0), 0);
    disks += "<disk type='file' device='disk'><source file='" + img + "'/><target dev='vd" +
             std::string(1, static_cast<char>('a' + i)) + "'/></disk>";
  }
  auto m = open_selinux_manager(g_dir + "/state-odd");
  auto def = DomainDef::parse("<domain type='kvm'><name>odd</name><devices>" + disks +
                              "</devices></domain>");
  assert_true(def.ok());
  auto p = m->prepare(*def);
  if (!p) std::fprintf(stderr, "prepare: %s\n", p.error().message.c_str());
  assert_true(p.ok());
  assert_int_equal(p->resources.size(), std::size(originals));
  for (size_t i = 0; i < std::size(originals); ++i) {
    std::string text = originals[i];
    if (text.back() == '\0') text.pop_back();
    assert_true(p->resources[i].original == text);
  }
  // A second manager reads the originals back from the state directory.
  m.reset();
  m = open_selinux_manager(g_dir + "/state-odd");
  auto r = m->release("odd");
  assert_true(r.ok());
  assert_true(r->restore.ok());
  for (size_t i = 0; i < std::size(originals); ++i)
    assert_true(raw_se_label(g_dir + "/odd" + std::to_string(i) + ".img") == originals[i]);
}

// The identity rules with real SELinux labels: a hard link refused, an
// image replaced while its VM runs left alone (the newcomer untouched), and
// given back once the administrator forgets it; a label set since is kept.
void test_identity_with_real_xattrs(void**) {
  const std::string orig = "system_u:object_r:virt_image_t:s0";
  const std::string other = "system_u:object_r:user_home_t:s0";
  std::string img = g_dir + "/id.img", shadow = g_dir + "/id-shadow", linked = g_dir + "/id-link.img";
  std::ofstream(img) << "disk";
  std::ofstream(shadow) << "secret";
  set_se_label(img, orig);
  set_se_label(shadow, other);
  assert_int_equal(link(shadow.c_str(), linked.c_str()), 0);
  auto m = open_selinux_manager(g_dir + "/state-id");
  auto disk = [](const std::string& path) {
    return "<domain type='kvm'><name>vm</name><devices><disk type='file' device='disk'>"
           "<source file='" + path + "'/><target dev='vda'/></disk></devices></domain>";
  };
  auto hard = m->prepare(*DomainDef::parse(disk(linked)));
  assert_false(hard.ok());
  assert_non_null(strstr(hard.error().message.c_str(), "hard links"));
  assert_string_equal(se_label(shadow)->c_str(), other.c_str());

  auto p = m->prepare(*DomainDef::parse(disk(img)));
  assert_true(p.ok());
  std::string away = g_dir + "/away";
  assert_int_equal(mkdir(away.c_str(), 0700), 0);
  assert_int_equal(rename(img.c_str(), (away + "/id.img").c_str()), 0);
  std::ofstream(img) << "newcomer";
  set_se_label(img, other);
  auto r = m->release("vm");
  assert_true(r.ok());
  assert_false(r->restore.ok());
  assert_string_equal(se_label(img)->c_str(), other.c_str());
  assert_string_equal(se_label(away + "/id.img")->c_str(), p->label.imagelabel.c_str());
  set_se_label(away + "/id.img", orig);
  auto f = m->forget("vm", {img});
  assert_true(f.ok() && f->ok());
  auto done = m->release("vm");
  assert_true(done.ok() && done->restore.ok());
  assert_string_equal(se_label(img)->c_str(), other.c_str());
}

}  // namespace

int main() {
  if (geteuid() != 0) {
    std::printf("SKIPPED: writing security.selinux needs root\n");
    return 77;
  }
  if (access("/etc/selinux/default/contexts/virtual_domain_context", R_OK) != 0) {
    std::printf("SKIPPED: Debian's reference policy (selinux-policy-default) is not installed\n");
    return 77;
  }
  char tmpl[] = "/tmp/svirt-se-XXXXXX";
  if (mkdtemp(tmpl) == nullptr) return 1;
  g_dir = tmpl;
  // A private tmpfs: security.selinux works there whatever /tmp is.
  bool mounted = mount("svirt-test", tmpl, "tmpfs", 0, "mode=0700") == 0;
  std::string probe = g_dir + "/probe";
  std::ofstream(probe) << "x";
  if (setxattr(probe.c_str(), "security.selinux", "system_u:object_r:tmp_t:s0", 27, 0) != 0) {
    std::printf("SKIPPED: this filesystem does not store security.selinux\n");
    if (mounted) umount(tmpl);
    rmdir(tmpl);
    return 77;
  }
  unlink(probe.c_str());
  const struct CMUnitTest tests[] = {cmocka_unit_test(test_prepare_release_real_xattrs),
                                     cmocka_unit_test(test_originals_restored_byte_exact),
                                     cmocka_unit_test(test_identity_with_real_xattrs)};
  int rc = cmocka_run_group_tests_name("selinux_driver", tests, nullptr, nullptr);
  if (mounted) umount2(tmpl, MNT_DETACH);
  std::string cmd = std::string("rm -rf '") + tmpl + "'";
  if (std::system(cmd.c_str()) != 0) rc = 1;
  return rc;
}
