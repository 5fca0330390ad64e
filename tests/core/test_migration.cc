// SPDX-License-Identifier: LGPL-2.1-or-later
//
// Live migration through the manager with the test driver (svirt/migration.h):
// the destination draws a fresh pair whatever the source's XML carries, keeps
// static labels, leaves shared storage alone; the source forgets shared files
// instead of restoring them; both ends leave no record and no pair behind.
// Which files are "shared" is injected (SharedStorage::probe and ::paths);
// the statfs-based detection is tested on its own parts.
#include <fcntl.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstdio>
#include <cstring>
#include <set>
#include <string>
#include <vector>

#include "core/migration.h"
#include "core/shared_fs.h"
#include "state/state_dir.h"
#include "svirt/manager.h"
#include "test_support.h"
extern "C" {
#include <cmocka.h>
}

using namespace svirt;
using namespace svirt::testing;

namespace {

constexpr const char* kSourceImage = "system_u:object_r:svirt_image_t:s0:c1,c2";
constexpr const char* kSourceLabel = "system_u:system_r:svirt_t:s0:c1,c2";
constexpr const char* kOrig = "system_u:object_r:virt_image_t:s0";

using Fixture = Scratch;

int setup(void** st) { return scratch_setup(st, "core"); }
int teardown(void** st) { return scratch_teardown(st); }

// A dynamic seclabel as the source's live XML has it.
std::string carried(const std::string& pair) {
  return "<seclabel type='dynamic' model='selinux' relabel='yes'>"
         "<label>system_u:system_r:svirt_t:s0:" +
         pair + "</label><imagelabel>system_u:object_r:svirt_image_t:s0:" + pair +
         "</imagelabel></seclabel>";
}

std::string pair_of(const std::string& label) { return label.substr(label.rfind(':') + 1); }

internal::McsRegistry registry(const Fixture& f) {
  auto sd = internal::StateDir::open(f.state);
  assert_true(sd.ok());
  auto reg = sd->load_registry();
  assert_true(reg.ok());
  return *reg;
}

internal::FileTable files(const Fixture& f) {
  auto sd = internal::StateDir::open(f.state);
  assert_true(sd.ok());
  auto t = sd->load_files();
  assert_true(t.ok());
  return *t;
}

// Nothing recorded: no domain, no pair, no file.
void expect_clean(const Fixture& f, SecurityManager& m) {
  assert_true(registry(f).empty());
  assert_true(files(f).empty());
  auto all = m.list();
  assert_true(all.ok());
  assert_true(all->empty());
}

// Files named in `shared` count as shared storage.
SharedStorage shared_files(std::set<std::string> shared) {
  SharedStorage s;
  s.probe = [shared](int, const std::string& resolved) { return shared.count(resolved) > 0; };
  return s;
}

PrepareOptions incoming(SharedStorage s = {}) {
  PrepareOptions o;
  o.incoming = true;
  o.shared = std::move(s);
  return o;
}

ReleaseOptions migrated(SharedStorage s = {}) {
  ReleaseOptions o;
  o.migrated = true;
  o.shared = std::move(s);
  return o;
}

// --- destination: labels -----------------------------------------------------

void test_incoming_drops_carried_free_pair(void** st) {
  auto& f = *static_cast<Fixture*>(*st);
  auto m = open_test_manager(f.state);
  auto p = m->prepare(test_domain("vm", "", carried("c1,c2")), incoming(shared_files({})));
  if (!p) std::fprintf(stderr, "%s\n", p.error().message.c_str());
  assert_true(p.ok());
  assert_int_equal(p->label.type, LabelType::kDynamic);
  assert_string_not_equal(p->label.label.c_str(), kSourceLabel);
  assert_string_not_equal(p->label.imagelabel.c_str(), kSourceImage);
  assert_string_equal(pair_of(p->label.label).c_str(), pair_of(p->label.imagelabel).c_str());
  auto reg = registry(f);
  assert_int_equal(reg.size(), 1);
  assert_string_equal(reg.begin()->first.c_str(), pair_of(p->label.label).c_str());
  // The live XML recorded here carries this host's pair only.
  auto live = m->live_definition("vm");
  assert_true(live.ok());
  std::string xml = live->format(FormatMode::kLive);
  assert_null(strstr(xml.c_str(), ":c1,c2<"));
  assert_non_null(strstr(xml.c_str(), p->label.label.c_str()));
  assert_true(m->release("vm").ok());
  expect_clean(f, *m);
}

// With two free pairs left, one of them carried, the other is the only
// possible answer: the carried pair is never drawn, not merely unlikely.
void test_incoming_never_draws_carried_pair(void** st) {
  auto& f = *static_cast<Fixture*>(*st);
  Config c;
  c.process_context = "system_u:system_r:virtd_t:s0-s0:c0.c7";  // 28 pairs
  auto m = open_test_manager(f.state, c);
  for (int i = 0; i < 26; ++i)
    assert_true(m->prepare(test_domain("d" + std::to_string(i), "")).ok());
  std::set<std::string> free_pairs;
  auto reg = registry(f);
  for (int a = 0; a < 8; ++a)
    for (int b = a + 1; b < 8; ++b) {
      std::string pair = "c" + std::to_string(a) + ",c" + std::to_string(b);
      if (!reg.count(pair)) free_pairs.insert(pair);
    }
  assert_int_equal(free_pairs.size(), 2);
  std::string carried_pair = *free_pairs.begin(), other = *free_pairs.rbegin();
  auto p = m->prepare(test_domain("vm", "", carried(carried_pair)), incoming());
  assert_true(p.ok());
  assert_string_equal(pair_of(p->label.label).c_str(), other.c_str());
  // The carried pair stays free for a domain of this host.
  auto next = m->prepare(test_domain("next", ""));
  assert_true(next.ok());
  assert_string_equal(pair_of(next->label.label).c_str(), carried_pair.c_str());
}

void test_incoming_carried_pair_taken_here(void** st) {
  auto& f = *static_cast<Fixture*>(*st);
  auto m = open_test_manager(f.state);
  auto local = m->prepare(test_domain("local", ""));
  assert_true(local.ok());
  std::string taken = pair_of(local->label.label);
  auto p = m->prepare(test_domain("vm", "", carried(taken)), incoming());
  assert_true(p.ok());
  assert_string_not_equal(pair_of(p->label.label).c_str(), taken.c_str());
  auto reg = registry(f);
  assert_int_equal(reg.size(), 2);
  assert_string_equal(reg.at(taken).c_str(), "local");
  assert_string_equal(reg.at(pair_of(p->label.label)).c_str(), "vm");
  assert_true(m->release("vm").ok());
  assert_true(m->release("local").ok());
  expect_clean(f, *m);
}

void test_incoming_static_kept_or_conflict(void** st) {
  auto& f = *static_cast<Fixture*>(*st);
  std::string a = f.dir + "/a.img";
  write_file(a);
  auto m = open_test_manager(f.state);
  std::string sl =
      "<seclabel type='static' model='selinux' relabel='yes'>"
      "<label>system_u:system_r:svirt_t:s0:c5,c6</label>"
      "<imagelabel>system_u:object_r:svirt_image_t:s0:c5,c6</imagelabel></seclabel>";
  auto p = m->prepare(test_domain("vm", disk_xml(a, "", "vda"), sl), incoming());
  if (!p) std::fprintf(stderr, "%s\n", p.error().message.c_str());
  assert_true(p.ok());
  assert_int_equal(p->label.type, LabelType::kStatic);
  assert_string_equal(p->label.label.c_str(), "system_u:system_r:svirt_t:s0:c5,c6");
  assert_string_equal(label_of(a)->c_str(), "system_u:object_r:svirt_image_t:s0:c5,c6");
  assert_string_equal(registry(f).at("c5,c6").c_str(), "vm");

  // The same static pair for a second incoming domain: refused, naming both.
  std::string b = f.dir + "/b.img";
  write_file(b);
  set_label(b, kOrig);
  auto clash = m->prepare(test_domain("other", disk_xml(b, "", "vda"), sl), incoming());
  assert_false(clash.ok());
  assert_int_equal(clash.error().code, ErrorCode::kConflict);
  assert_non_null(strstr(clash.error().message.c_str(), "'other'"));
  assert_non_null(strstr(clash.error().message.c_str(), "'vm'"));
  assert_string_equal(label_of(b)->c_str(), kOrig);
  assert_int_equal(registry(f).size(), 1);
  assert_true(m->release("vm").ok());
  assert_false(label_of(a).has_value());
  expect_clean(f, *m);
}

// --- destination: storage ----------------------------------------------------

void test_incoming_leaves_shared_storage(void** st) {
  auto& f = *static_cast<Fixture*>(*st);
  std::string local = f.dir + "/local.img", shared = f.dir + "/shared.img";
  write_file(local);
  write_file(shared);
  set_label(local, kOrig);
  set_label(shared, kSourceImage);  // the running source's label
  auto m = open_test_manager(f.state);
  auto p = m->prepare(
      test_domain("vm", disk_xml(local, "", "vda") + disk_xml(shared, "", "vdb"), carried("c1,c2")),
      incoming(shared_files({shared})));
  if (!p) std::fprintf(stderr, "%s\n", p.error().message.c_str());
  assert_true(p.ok());
  assert_string_equal(label_of(local)->c_str(), p->label.imagelabel.c_str());
  assert_string_equal(label_of(shared)->c_str(), kSourceImage);
  assert_int_equal(p->resources.size(), 2);
  for (const AppliedLabel& r : p->resources) {
    if (r.resource.path == shared) {
      assert_false(r.changed);
      assert_true(r.shared);
      assert_string_equal(r.resource.label->c_str(), kSourceImage);
    } else {
      assert_true(r.changed);
      assert_string_equal(r.original->c_str(), kOrig);
    }
  }
  // The label the VM here cannot use is pointed out.
  bool warned = false;
  for (const std::string& w : p->warnings)
    warned =
        warned || (w.find(shared) != std::string::npos && w.find("shared") != std::string::npos);
  assert_true(warned);
  // Only the local file is recorded.
  auto t = files(f);
  assert_int_equal(t.size(), 1);
  assert_true(t.count(local));

  auto r = m->release("vm");
  assert_true(r.ok() && r->restore.ok());
  assert_string_equal(label_of(local)->c_str(), kOrig);
  assert_string_equal(label_of(shared)->c_str(), kSourceImage);
  expect_clean(f, *m);
}

// A shared file a domain here holds with another label: refused, nothing
// changed (the local disk keeps its label, no pair is taken).
void test_incoming_shared_conflict_changes_nothing(void** st) {
  auto& f = *static_cast<Fixture*>(*st);
  std::string local = f.dir + "/local.img", shared = f.dir + "/shared.img";
  write_file(local);
  write_file(shared);
  set_label(local, kOrig);
  auto m = open_test_manager(f.state);
  auto holder = m->prepare(test_domain("holder", disk_xml(shared, "", "vda")));
  assert_true(holder.ok());
  std::string held = *label_of(shared);
  auto p = m->prepare(
      test_domain("vm", disk_xml(local, "", "vda") + disk_xml(shared, "", "vdb"), carried("c1,c2")),
      incoming(shared_files({shared})));
  assert_false(p.ok());
  assert_int_equal(p.error().code, ErrorCode::kConflict);
  assert_non_null(strstr(p.error().message.c_str(), "holder"));
  assert_string_equal(label_of(local)->c_str(), kOrig);
  assert_string_equal(label_of(shared)->c_str(), held.c_str());
  assert_int_equal(registry(f).size(), 1);
  assert_false(m->status("vm").ok());
}

// SharedStorage::paths: a tree counts as shared whatever its filesystem.
void test_incoming_shared_paths(void** st) {
  auto& f = *static_cast<Fixture*>(*st);
  std::string nfs = f.dir + "/nfs", near = f.dir + "/nfs-not";
  assert_int_equal(mkdir(nfs.c_str(), 0755), 0);
  assert_int_equal(mkdir(near.c_str(), 0755), 0);
  std::string in = nfs + "/in.img", out = near + "/out.img";
  write_file(in);
  write_file(out);
  set_label(in, kSourceImage);
  SharedStorage s;
  s.paths = {nfs + "/"};
  s.probe = [](int, const std::string&) { return false; };
  auto m = open_test_manager(f.state);
  auto p = m->prepare(
      test_domain("vm", disk_xml(in, "", "vda") + disk_xml(out, "", "vdb"), carried("c1,c2")),
      incoming(s));
  assert_true(p.ok());
  assert_string_equal(label_of(in)->c_str(), kSourceImage);
  assert_string_equal(label_of(out)->c_str(), p->label.imagelabel.c_str());
  assert_true(m->release("vm").ok());
  assert_false(label_of(out).has_value());
  expect_clean(f, *m);
}

// --- source ------------------------------------------------------------------

void test_migrated_release_forgets_shared(void** st) {
  auto& f = *static_cast<Fixture*>(*st);
  std::string local = f.dir + "/local.img", shared = f.dir + "/shared.img";
  write_file(local);
  write_file(shared);
  set_label(local, kOrig);
  set_label(shared, kOrig);
  auto m = open_test_manager(f.state);
  auto p = m->prepare(test_domain("vm", disk_xml(local, "", "vda") + disk_xml(shared, "", "vdb")));
  assert_true(p.ok());
  assert_string_equal(label_of(shared)->c_str(), p->label.imagelabel.c_str());
  auto r = m->release("vm", migrated(shared_files({shared})));
  assert_true(r.ok());
  assert_true(r->restore.ok());
  assert_string_equal(label_of(local)->c_str(), kOrig);
  // The destination's VM now uses the shared file: its label stays.
  assert_string_equal(label_of(shared)->c_str(), p->label.imagelabel.c_str());
  int restored = 0, kept = 0;
  for (const RestoredLabel& i : r->restore.items) {
    if (i.resource.path == shared) {
      assert_int_equal(i.action, RestoreAction::kKept);
      assert_string_equal(i.restored_to->c_str(), p->label.imagelabel.c_str());
      ++kept;
    } else if (i.resource.path == local) {
      assert_int_equal(i.action, RestoreAction::kRestored);
      ++restored;
    }
  }
  assert_int_equal(kept, 1);
  assert_int_equal(restored, 1);
  expect_clean(f, *m);
  assert_false(m->release("vm").ok());
}

// A shared file another domain here still uses is that domain's: the
// migrated one only drops out of its users, and the last plain release
// restores it.
void test_migrated_release_shared_file_used_here(void** st) {
  auto& f = *static_cast<Fixture*>(*st);
  std::string iso = f.dir + "/boot.iso";
  write_file(iso);
  set_label(iso, kOrig);
  std::string ro = "<disk type='file' device='cdrom'><source file='" + iso +
                   "'/><target dev='hdc'/><readonly/></disk>";
  auto m = open_test_manager(f.state);
  assert_true(m->prepare(test_domain("a", ro)).ok());
  assert_true(m->prepare(test_domain("b", ro)).ok());
  std::string content = *label_of(iso);
  auto r = m->release("a", migrated(shared_files({iso})));
  assert_true(r.ok() && r->restore.ok());
  assert_int_equal(r->restore.items.size(), 1);
  assert_int_equal(r->restore.items[0].action, RestoreAction::kKept);
  assert_string_equal(label_of(iso)->c_str(), content.c_str());
  auto t = files(f);
  assert_int_equal(t.size(), 1);
  assert_int_equal(t.begin()->second.users.size(), 1);
  assert_string_equal(t.begin()->second.users[0].c_str(), "b");
  assert_true(m->release("b").ok());
  assert_string_equal(label_of(iso)->c_str(), kOrig);
  expect_clean(f, *m);
}

// Without shared storage, a migrated release is a plain one.
void test_migrated_release_all_local(void** st) {
  auto& f = *static_cast<Fixture*>(*st);
  std::string a = f.dir + "/a.img";
  write_file(a);
  set_label(a, kOrig);
  auto m = open_test_manager(f.state);
  assert_true(m->prepare(test_domain("vm", disk_xml(a, "", "vda"))).ok());
  auto r = m->release("vm", migrated(shared_files({})));
  assert_true(r.ok() && r->restore.ok());
  assert_int_equal(r->restore.items.size(), 1);
  assert_int_equal(r->restore.items[0].action, RestoreAction::kRestored);
  assert_string_equal(r->restore.items[0].resource.path.c_str(), a.c_str());
  assert_string_equal(label_of(a)->c_str(), kOrig);
  expect_clean(f, *m);
}

// A full round: source prepares, the destination (another state directory,
// same shared file) prepares incoming, the source releases migrated, the
// destination releases when its VM ends. Each host ends clean.
void test_two_hosts_round_trip(void** st) {
  auto& f = *static_cast<Fixture*>(*st);
  std::string shared = f.dir + "/shared.img", src_nvram = f.dir + "/src_VARS.fd",
              dst_nvram = f.dir + "/dst_VARS.fd";
  write_file(shared);
  write_file(src_nvram);
  write_file(dst_nvram);
  set_label(shared, kOrig);
  Fixture dst;
  dst.dir = f.dir;
  dst.state = f.dir + "/state-dst";
  auto src = open_test_manager(f.state);
  auto d = open_test_manager(dst.state);
  std::string sl =
      "<seclabel type='static' model='selinux' relabel='yes'>"
      "<label>system_u:system_r:svirt_t:s0:c7,c8</label></seclabel>";
  auto p = src->prepare(
      test_domain("vm", disk_xml(shared, "", "vda") + disk_xml(src_nvram, "", "vdb"), sl));
  assert_true(p.ok());
  std::string img = *label_of(shared);
  // On the destination the local disk has another path.
  auto arrived =
      test_domain("vm", disk_xml(shared, "", "vda") + disk_xml(dst_nvram, "", "vdb"), sl);
  auto q = d->prepare(arrived, incoming(shared_files({shared})));
  assert_true(q.ok());
  assert_string_equal(q->label.label.c_str(), p->label.label.c_str());
  assert_string_equal(label_of(shared)->c_str(), img.c_str());
  assert_string_equal(label_of(dst_nvram)->c_str(), img.c_str());
  assert_true(src->release("vm", migrated(shared_files({shared}))).ok());
  assert_string_equal(label_of(shared)->c_str(), img.c_str());
  assert_false(label_of(src_nvram).has_value());
  expect_clean(f, *src);
  assert_true(d->release("vm").ok());
  assert_false(label_of(dst_nvram).has_value());
  expect_clean(dst, *d);
}

// --- detection -----------------------------------------------------------------

void test_shared_fs_magic_and_fuse(void**) {
  assert_string_equal(internal::shared_fs_magic_name(0x6969), "nfs");
  assert_string_equal(internal::shared_fs_magic_name(0xFF534D42u), "cifs");
  assert_string_equal(internal::shared_fs_magic_name(0xFE534D42u), "smb2");
  assert_string_equal(internal::shared_fs_magic_name(0x01161970), "gfs2");
  assert_string_equal(internal::shared_fs_magic_name(0x7461636F), "ocfs2");
  assert_string_equal(internal::shared_fs_magic_name(0x00C36400), "ceph");
  assert_string_equal(internal::shared_fs_magic_name(0x01021997), "9p");
  assert_null(internal::shared_fs_magic_name(0xEF53));      // ext4
  assert_null(internal::shared_fs_magic_name(0x01021994));  // tmpfs
  assert_null(internal::shared_fs_magic_name(0x65735546));  // fuse: by mount type
  assert_true(internal::fuse_type_is_shared("fuse.glusterfs"));
  assert_true(internal::fuse_type_is_shared("fuse.ceph-fuse"));
  assert_false(internal::fuse_type_is_shared("fuse.sshfs"));
  assert_false(internal::fuse_type_is_shared("glusterfs"));

  const char* mountinfo =
      "22 1 8:1 / / rw,relatime shared:1 - ext4 /dev/sda1 rw\n"
      "40 22 0:35 / /mnt/gv0 rw,relatime shared:20 master:3 - fuse.glusterfs srv:/gv0 rw\n"
      "41 22 0:36 / /mnt/odd rw - fuse\n";
  assert_string_equal(internal::mountinfo_fstype(mountinfo, 40)->c_str(), "fuse.glusterfs");
  assert_string_equal(internal::mountinfo_fstype(mountinfo, 22)->c_str(), "ext4");
  assert_string_equal(internal::mountinfo_fstype(mountinfo, 41)->c_str(), "fuse");
  assert_false(internal::mountinfo_fstype(mountinfo, 4).has_value());
  assert_false(internal::mountinfo_fstype("", 22).has_value());

  // procfs is nobody's shared storage.
  int fd = ::open("/proc/self", O_PATH | O_CLOEXEC);
  assert_true(fd >= 0);
  assert_false(internal::shared_fs_type(fd).has_value());
  ::close(fd);
}

void test_shared_storage_paths_match_whole_components(void** st) {
  auto& f = *static_cast<Fixture*>(*st);
  std::string tree = f.dir + "/pool";
  assert_int_equal(mkdir(tree.c_str(), 0755), 0);
  assert_int_equal(symlink(tree.c_str(), (f.dir + "/link").c_str()), 0);
  SharedStorage s;
  s.paths = {f.dir + "/link"};  // resolved when the test is built
  s.probe = [](int, const std::string&) { return false; };
  internal::SharedStorageTest t(s);
  assert_true(t(-1, tree));
  assert_true(t(-1, tree + "/a/b.img"));
  assert_false(t(-1, tree + "2/b.img"));
  assert_false(t(-1, f.dir + "/other.img"));
  // Without paths, the probe decides.
  SharedStorage yes;
  yes.probe = [](int, const std::string& p) { return p == "/x"; };
  internal::SharedStorageTest u(yes);
  assert_true(u(-1, "/x"));
  assert_false(u(-1, "/y"));
}

}  // namespace

int main() {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test_setup_teardown(test_incoming_drops_carried_free_pair, setup, teardown),
      cmocka_unit_test_setup_teardown(test_incoming_never_draws_carried_pair, setup, teardown),
      cmocka_unit_test_setup_teardown(test_incoming_carried_pair_taken_here, setup, teardown),
      cmocka_unit_test_setup_teardown(test_incoming_static_kept_or_conflict, setup, teardown),
      cmocka_unit_test_setup_teardown(test_incoming_leaves_shared_storage, setup, teardown),
      cmocka_unit_test_setup_teardown(test_incoming_shared_conflict_changes_nothing, setup,
                                      teardown),
      cmocka_unit_test_setup_teardown(test_incoming_shared_paths, setup, teardown),
      cmocka_unit_test_setup_teardown(test_migrated_release_forgets_shared, setup, teardown),
      cmocka_unit_test_setup_teardown(test_migrated_release_shared_file_used_here, setup, teardown),
      cmocka_unit_test_setup_teardown(test_migrated_release_all_local, setup, teardown),
      cmocka_unit_test_setup_teardown(test_two_hosts_round_trip, setup, teardown),
      cmocka_unit_test(test_shared_fs_magic_and_fuse),
      cmocka_unit_test_setup_teardown(test_shared_storage_paths_match_whole_components, setup,
                                      teardown),
  };
  return cmocka_run_group_tests_name("migration", tests, nullptr, nullptr);
}
