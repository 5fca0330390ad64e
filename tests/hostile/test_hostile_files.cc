// SPDX-License-Identifier: LGPL-2.1-or-later
//
// Files an attacker controls, through the manager with the test driver:
// hard links (to a file elsewhere, to svirt's own state), one file named
// twice by two domains, an image replaced, moved or relabelled while its VM
// runs, a directory above it swapped for a symlink, host devices, block
// devices the host uses, operating system trees, names that are not UTF-8.
// Each refusal changes nothing; each file svirt cannot give back keeps the
// domain (and its pair) until `forget`.
#include <fcntl.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/xattr.h>
#include <unistd.h>

#include <cstdio>
#include <cstring>
#include <fstream>
#include <string>

#include "../core/test_support.h"
#include "core/resource_checks.h"
#include "core/safe_path.h"
#include "state/state_dir.h"
#include "svirt/manager.h"
extern "C" {
#include <cmocka.h>
}

using namespace svirt;
using namespace svirt::testing;

namespace {

constexpr const char* kOrig = "system_u:object_r:virt_image_t:s0";
constexpr const char* kOther = "system_u:object_r:admin_home_t:s0";

using Fixture = Scratch;

int setup(void** st) { return scratch_setup(st, "hostile"); }
int teardown(void** st) { return scratch_teardown(st); }

Config with_links() {
  Config c;
  c.allow_hard_links = true;
  return c;
}

std::string image(const Fixture& f, const std::string& name, const char* label = kOrig) {
  std::string p = f.dir + "/" + name;
  write_file(p);
  if (label != nullptr) set_label(p, label);
  return p;
}

bool contains(const std::string& haystack, const char* needle) {
  return haystack.find(needle) != std::string::npos;
}

bool any_contains(const std::vector<std::string>& v, const char* needle) {
  for (const std::string& s : v)
    if (contains(s, needle)) return true;
  return false;
}

size_t records(const Fixture& f) { return file_records(f.state); }

// A disk that is a second name of a file elsewhere: refused by default, and
// the other name's file keeps its label.
void test_hard_link_refused(void** st) {
  auto& f = *static_cast<Fixture*>(*st);
  std::string outside = image(f, "shadow", kOther);
  std::string disk = f.dir + "/vm.img";
  assert_int_equal(::link(outside.c_str(), disk.c_str()), 0);
  auto m = open_test_manager(f.state, Config{});
  auto p = m->prepare(test_domain("vm", disk_xml(disk)));
  assert_false(p.ok());
  assert_int_equal(p.error().code, ErrorCode::kOperationFailed);
  assert_true(contains(p.error().message, "hard links"));
  assert_true(contains(p.error().message, "vm.img"));
  assert_true(contains(p.error().message, "allow_hard_links"));
  assert_string_equal(label_of(outside)->c_str(), kOther);
  assert_int_equal(records(f), 0);

  // Allowed by the config: labelled, and given back.
  auto m2 = open_test_manager(f.state, with_links());
  auto p2 = m2->prepare(test_domain("vm", disk_xml(disk)));
  assert_true(p2.ok());
  assert_string_equal(label_of(outside)->c_str(), p2->label.imagelabel.c_str());
  auto r = m2->release("vm");
  assert_true(r.ok() && r->restore.ok());
  assert_string_equal(label_of(outside)->c_str(), kOther);
}

// A hard link into svirt's state directory is refused even where hard links
// are allowed: the path is outside the state, the inode is not.
void test_hard_link_to_state_refused(void** st) {
  auto& f = *static_cast<Fixture*>(*st);
  auto m = open_test_manager(f.state, with_links());
  assert_true(m->prepare(test_domain("first", "")).ok());  // the state files exist now
  std::string disk = f.dir + "/state-link.img";
  assert_int_equal(::link((f.state + "/lock").c_str(), disk.c_str()), 0);
  auto p = m->prepare(test_domain("vm", disk_xml(disk)));
  assert_false(p.ok());
  assert_true(contains(p.error().message, "svirt's own state"));
  assert_false(label_of(f.state + "/lock").has_value());
  auto s = m->save_label("first", disk);
  assert_false(s.ok());
  assert_true(contains(s.error().message, "svirt's own state"));
}

// Two domains naming one file by two names are one resource: private
// images conflict, shareable ones share one record, and the original comes
// back after the last release, not the first domain's label.
void test_two_names_one_file(void** st) {
  auto& f = *static_cast<Fixture*>(*st);
  std::string a = image(f, "a.img");
  std::string b = f.dir + "/b.img";
  assert_int_equal(::link(a.c_str(), b.c_str()), 0);
  auto m = open_test_manager(f.state, with_links());
  auto p1 = m->prepare(test_domain("vm1", disk_xml(a)));
  assert_true(p1.ok());
  auto p2 = m->prepare(test_domain("vm2", disk_xml(b)));
  assert_false(p2.ok());
  assert_int_equal(p2.error().code, ErrorCode::kConflict);
  assert_true(contains(p2.error().message, "vm1"));
  assert_true(contains(p2.error().message, "same file as"));
  assert_true(m->release("vm1").ok());
  assert_string_equal(label_of(a)->c_str(), kOrig);

  const std::string shareable = "<shareable/>";
  auto s1 = m->prepare(test_domain("vm1", disk_xml(a, shareable)));
  auto s2 = m->prepare(test_domain("vm2", disk_xml(b, shareable)));
  assert_true(s1.ok() && s2.ok());
  assert_int_equal(records(f), 1);
  assert_true(s2->resources.at(0).shared);
  assert_string_equal(s2->resources.at(0).original->c_str(), kOrig);
  auto r1 = m->release("vm1");
  assert_true(r1.ok() && r1->restore.ok());
  assert_int_equal(r1->restore.items.at(0).action, RestoreAction::kKept);
  auto r2 = m->release("vm2");
  assert_true(r2.ok() && r2->restore.ok());
  assert_string_equal(label_of(a)->c_str(), kOrig);
  assert_int_equal(records(f), 0);
}

// One domain naming one file twice, with two labels: refused.
void test_one_domain_two_names_two_labels(void** st) {
  auto& f = *static_cast<Fixture*>(*st);
  std::string a = image(f, "a.img");
  std::string b = f.dir + "/b.img";
  assert_int_equal(::link(a.c_str(), b.c_str()), 0);
  auto m = open_test_manager(f.state, with_links());
  auto p = m->prepare(
      test_domain("vm", disk_xml(a) + disk_xml(b, "<readonly/>", "vdb")));
  assert_false(p.ok());
  assert_true(contains(p.error().message, "two labels"));
  assert_string_equal(label_of(a)->c_str(), kOrig);
}

// The image renamed in its directory and another file put in its place:
// release gives the labelled file (at its new name) its original back and
// leaves the newcomer alone.
void test_replaced_in_place(void** st) {
  auto& f = *static_cast<Fixture*>(*st);
  std::string disk = image(f, "vm.img");
  auto m = open_test_manager(f.state, Config{});
  auto p = m->prepare(test_domain("vm", disk_xml(disk)));
  assert_true(p.ok());
  std::string moved = f.dir + "/vm.img.old";
  assert_int_equal(::rename(disk.c_str(), moved.c_str()), 0);
  image(f, "vm.img", kOther);
  auto r = m->release("vm");
  assert_true(r.ok() && r->restore.ok());
  assert_string_equal(label_of(moved)->c_str(), kOrig);
  assert_string_equal(label_of(disk)->c_str(), kOther);
  assert_true(any_contains(r->warnings, "moved to"));
}

// The image moved out of its directory and another file put in its place:
// release cannot reach the labelled file, writes nothing on the other one,
// fails and keeps the domain (and its pair) until forget.
void test_replaced_and_moved_away(void** st) {
  auto& f = *static_cast<Fixture*>(*st);
  std::string disk = image(f, "vm.img");
  std::string elsewhere = f.dir + "/elsewhere";
  assert_int_equal(::mkdir(elsewhere.c_str(), 0755), 0);
  auto m = open_test_manager(f.state, Config{});
  auto p = m->prepare(test_domain("vm", disk_xml(disk)));
  assert_true(p.ok());
  std::string moved = elsewhere + "/vm.img";
  assert_int_equal(::rename(disk.c_str(), moved.c_str()), 0);
  image(f, "vm.img", kOther);

  auto r = m->release("vm");
  assert_true(r.ok());
  assert_false(r->restore.ok());
  assert_true(contains(r->restore.errors.at(0).message, "not the file svirt labelled"));
  assert_true(contains(r->restore.errors.at(0).message, "svirt forget vm"));
  assert_int_equal(r->restore.items.at(0).action, RestoreAction::kFailed);
  assert_string_equal(label_of(disk)->c_str(), kOther);
  assert_string_equal(label_of(moved)->c_str(), p->label.imagelabel.c_str());
  // Still prepared: its pair is not handed out again.
  assert_true(m->status("vm").ok());
  auto again = m->release("vm");
  assert_true(again.ok() && !again->restore.ok());

  // The administrator puts the file right and tells svirt.
  set_label(moved, kOrig);
  auto fg = m->forget("vm", {disk});
  assert_true(fg.ok() && fg->ok());
  assert_int_equal(fg->items.at(0).action, RestoreAction::kForgotten);
  assert_true(any_contains(fg->warnings, kOrig));
  auto done = m->release("vm");
  assert_true(done.ok() && done->restore.ok());
  assert_false(m->status("vm").ok());
  assert_string_equal(label_of(disk)->c_str(), kOther);
  auto unknown = m->forget("vm", {disk});
  assert_true(unknown.ok());
  assert_false(unknown->ok());
  assert_int_equal(unknown->errors.at(0).code, ErrorCode::kNotFound);
}

// A directory above the image swapped for a symlink to another directory
// with a file of the same name: that file is not touched.
void test_directory_swapped_for_symlink(void** st) {
  auto& f = *static_cast<Fixture*>(*st);
  std::string sub = f.dir + "/sub", other = f.dir + "/other";
  assert_int_equal(::mkdir(sub.c_str(), 0755), 0);
  assert_int_equal(::mkdir(other.c_str(), 0755), 0);
  std::string disk = sub + "/vm.img";
  write_file(disk);
  set_label(disk, kOrig);
  std::string decoy = other + "/vm.img";
  write_file(decoy);
  set_label(decoy, kOther);
  auto m = open_test_manager(f.state, Config{});
  auto p = m->prepare(test_domain("vm", disk_xml(disk)));
  assert_true(p.ok());
  std::string hidden = f.dir + "/sub.real";
  assert_int_equal(::rename(sub.c_str(), hidden.c_str()), 0);
  assert_int_equal(::symlink(other.c_str(), sub.c_str()), 0);
  auto r = m->release("vm");
  assert_true(r.ok());
  assert_false(r->restore.ok());
  assert_string_equal(label_of(decoy)->c_str(), kOther);
  assert_string_equal(label_of(hidden + "/vm.img")->c_str(), p->label.imagelabel.c_str());
}

// A label someone gave the file since svirt set its own is theirs: left.
void test_relabelled_since(void** st) {
  auto& f = *static_cast<Fixture*>(*st);
  std::string disk = image(f, "vm.img");
  auto m = open_test_manager(f.state, Config{});
  assert_true(m->prepare(test_domain("vm", disk_xml(disk))).ok());
  set_label(disk, kOther);
  auto r = m->release("vm");
  assert_true(r.ok());
  assert_false(r->restore.ok());
  assert_true(contains(r->restore.errors.at(0).message, "relabelled since"));
  assert_string_equal(label_of(disk)->c_str(), kOther);
  auto fg = m->forget("vm", {disk});
  assert_true(fg.ok() && fg->ok());
  assert_true(m->release("vm")->restore.ok());
  assert_string_equal(label_of(disk)->c_str(), kOther);
}

// A file already back to its original (an ignored failure on a permissive
// host leaves it so) counts as restored.
void test_already_original(void** st) {
  auto& f = *static_cast<Fixture*>(*st);
  std::string disk = image(f, "vm.img");
  auto m = open_test_manager(f.state, Config{});
  assert_true(m->prepare(test_domain("vm", disk_xml(disk))).ok());
  set_label(disk, kOrig);
  auto r = m->release("vm");
  assert_true(r.ok() && r->restore.ok());
  assert_int_equal(r->restore.items.at(0).action, RestoreAction::kRestored);
}

// Deleted while the VM ran: nothing to restore, said as a warning.
void test_deleted(void** st) {
  auto& f = *static_cast<Fixture*>(*st);
  std::string disk = image(f, "vm.img");
  auto m = open_test_manager(f.state, Config{});
  assert_true(m->prepare(test_domain("vm", disk_xml(disk))).ok());
  assert_int_equal(::unlink(disk.c_str()), 0);
  auto r = m->release("vm");
  assert_true(r.ok() && r->restore.ok());
  assert_int_equal(r->restore.items.at(0).action, RestoreAction::kSkipped);
  assert_true(any_contains(r->warnings, "is gone"));
}

// A name that is not UTF-8 keeps its record (the journal holds key-file text). XML
// cannot spell one, but a symlink can lead to one, and a save file's path
// comes from the caller.
void test_non_utf8_name(void** st) {
  auto& f = *static_cast<Fixture*>(*st);
  std::string disk = image(f, "vm-\xff\xfe.img");
  std::string link = f.dir + "/vm.img";
  assert_int_equal(::symlink(disk.c_str(), link.c_str()), 0);
  std::string save = image(f, "vm-\xe9.save");
  auto m = open_test_manager(f.state, Config{});
  assert_true(m->prepare(test_domain("vm", disk_xml(link))).ok());
  assert_true(m->save_label("vm", save).ok());
  assert_int_equal(records(f), 2);
  assert_true(m->restore_save_label("vm", save)->ok());
  assert_string_equal(label_of(save)->c_str(), kOrig);
  assert_int_equal(records(f), 1);
  auto sd = internal::StateDir::open(f.state);
  auto t = sd->load_files();
  assert_true(t.ok() && t->count(disk) == 1);
  assert_true(t->at(disk).identity.known());
  auto r = m->release("vm");
  assert_true(r.ok() && r->restore.ok());
  assert_string_equal(label_of(disk)->c_str(), kOrig);
}

// mknod of a device in the scratch directory; false when not permitted.
bool make_node(const std::string& path, mode_t kind, dev_t dev) {
  if (::mknod(path.c_str(), kind | 0600, dev) == 0) return true;
  std::fprintf(stderr, "SKIPPED part: mknod '%s': %s\n", path.c_str(), std::strerror(errno));
  return false;
}

// The block device that holds the host's root filesystem, under another
// name: refused, naming the mount.
void test_root_block_device_refused(void** st) {
  auto& f = *static_cast<Fixture*>(*st);
  struct stat root {};
  assert_int_equal(::stat("/", &root), 0);
  if (major(root.st_dev) == 0) {
    std::fprintf(stderr, "SKIPPED: '/' is not on a block device here\n");
    skip();
  }
  std::string node = f.dir + "/rootdisk";
  if (!make_node(node, S_IFBLK, root.st_dev)) skip();
  auto m = open_test_manager(f.state, Config{});
  auto p = m->prepare(test_domain(
      "vm", "<disk type='block' device='disk'><source dev='" + node +
                "'/><target dev='vda'/></disk>"));
  assert_false(p.ok());
  assert_true(contains(p.error().message, "mounted on '/'"));
  assert_true(contains(p.error().message, "rootdisk"));
  assert_int_equal(records(f), 0);
}

// A block device the kernel holds exclusively (as it does for a mounted
// filesystem, swap or a RAID member) is refused; once free, it is labelled.
void test_claimed_block_device_refused(void** st) {
  auto& f = *static_cast<Fixture*>(*st);
  struct stat loop {};
  int n = 0;
  for (; n < 8; ++n)
    if (::stat(("/dev/loop" + std::to_string(n)).c_str(), &loop) == 0 && S_ISBLK(loop.st_mode))
      break;
  if (n == 8) {
    std::fprintf(stderr, "SKIPPED: no loop device node here\n");
    skip();
  }
  std::string node = f.dir + "/loopdev";
  if (!make_node(node, S_IFBLK, loop.st_rdev)) skip();
  int held = ::open(node.c_str(), O_RDONLY | O_EXCL | O_CLOEXEC);
  if (held < 0) {
    std::fprintf(stderr, "SKIPPED: cannot claim %s: %s\n", node.c_str(), std::strerror(errno));
    skip();
  }
  const std::string disk = "<disk type='block' device='disk'><source dev='" + node +
                           "'/><target dev='vda'/></disk>";
  auto m = open_test_manager(f.state, Config{});
  auto p = m->prepare(test_domain("vm", disk));
  ::close(held);
  assert_false(p.ok());
  assert_true(contains(p.error().message, "block device the host uses"));
  auto p2 = m->prepare(test_domain("vm", disk));
  assert_true(p2.ok());
  assert_true(m->release("vm")->restore.ok());
}

// Host console and memory devices are never labelled, whatever the XML
// calls them.
void test_host_char_devices_refused(void** st) {
  auto& f = *static_cast<Fixture*>(*st);
  auto m = open_test_manager(f.state, Config{});
  struct Node {
    const char* name;
    unsigned maj, min;
  };
  for (const Node& n : {Node{"console", 5, 1}, Node{"tty", 5, 0}, Node{"kmsg", 1, 11},
                        Node{"zero", 1, 5}, Node{"tty1", 4, 1}}) {
    std::string node = f.dir + "/" + n.name;
    if (!make_node(node, S_IFCHR, makedev(n.maj, n.min))) skip();
    auto p = m->prepare(test_domain(
        "vm", "<serial type='dev'><source path='" + node + "'/><target port='0'/></serial>"));
    assert_false(p.ok());
    assert_true(contains(p.error().message, "console or memory"));
    assert_true(contains(p.error().message, n.name));
  }
  assert_int_equal(records(f), 0);
}

// The file-kind rule itself, for every kind a resource may promise.
void test_file_kind_rule(void** st) {
  auto& f = *static_cast<Fixture*>(*st);
  std::string file = image(f, "plain.img");
  std::string dir = f.dir + "/d";
  assert_int_equal(::mkdir(dir.c_str(), 0755), 0);
  std::string fifo = f.dir + "/fifo";
  assert_int_equal(::mkfifo(fifo.c_str(), 0600), 0);
  Config config;
  HostDefaults defaults;
  defaults.content_context = "system_u:object_r:virt_content_t:s0";
  internal::ResourceCheckContext ctx{config, defaults, f.state};
  struct Case {
    const std::string* path;
    FileKind expect;
    bool ok;
  };
  for (const Case& c : {Case{&file, FileKind::kRegular, true}, Case{&file, FileKind::kBlock, false},
                        Case{&file, FileKind::kDirectory, false},
                        Case{&file, FileKind::kRegularOrBlock, true},
                        Case{&dir, FileKind::kRegular, false}, Case{&dir, FileKind::kDirectory, true},
                        Case{&fifo, FileKind::kRegular, false}, Case{&fifo, FileKind::kFifo, true},
                        Case{&fifo, FileKind::kSocket, false}, Case{&file, FileKind::kAny, true}}) {
    auto opened = internal::open_resource(*c.path, {});
    assert_true(opened.ok());
    ResourceLabel r{ResourceKind::kDisk, *c.path, std::string(kOrig), "vda", c.expect, ""};
    auto v = internal::check_resource_file(r, *opened, ctx);
    if (v.ok() != c.ok) {
      std::fprintf(stderr, "%s as %s: %s\n", c.path->c_str(), file_kind_name(c.expect),
                   v.ok() ? "accepted" : v.error().message.c_str());
      fail();
    }
    if (!c.ok) assert_true(contains(v.error().message, file_kind_name(c.expect)));
  }
}

// Below the operating system's trees only read-only content is labelled,
// unless the config names the tree. Checked on a scratch file presented
// under a system path, so the host's own files are never touched.
void test_os_tree_rule(void** st) {
  auto& f = *static_cast<Fixture*>(*st);
  std::string file = image(f, "vm.img");
  auto opened = internal::open_resource(file, {});
  assert_true(opened.ok());
  Config config;
  HostDefaults defaults;
  defaults.content_context = "system_u:object_r:virt_content_t:s0";
  const std::string image_label = "system_u:object_r:svirt_image_t:s0:c1,c2";
  auto check = [&](const std::string& as, ResourceKind kind, const std::string& label) {
    opened->resolved = as;
    internal::ResourceCheckContext ctx{config, defaults, f.state};
    ResourceLabel r{kind, as, label, "vda", FileKind::kAny, ""};
    return internal::check_resource_file(r, *opened, ctx);
  };
  auto rw = check("/usr/share/images/vm.img", ResourceKind::kDisk, image_label);
  assert_false(rw.ok());
  assert_true(contains(rw.error().message, "system tree '/usr'"));
  assert_false(check("/boot/vm.img", ResourceKind::kNvram, image_label).ok());
  assert_false(check("/opt/app/vm.img", ResourceKind::kDisk, image_label).ok());
  assert_true(check("/boot/vmlinuz", ResourceKind::kKernel, defaults.content_context).ok());
  assert_true(check("/usr/share/OVMF/CODE.fd", ResourceKind::kLoader, image_label).ok());
  assert_true(check("/usr/share/iso/x.iso", ResourceKind::kDisk, defaults.content_context).ok());
  assert_true(check("/usrx/vm.img", ResourceKind::kDisk, image_label).ok());
  assert_true(check("/var/lib/images/vm.img", ResourceKind::kDisk, image_label).ok());
  config.allow_system_paths = {"/usr/share/images"};
  assert_true(check("/usr/share/images/vm.img", ResourceKind::kDisk, image_label).ok());
  assert_false(check("/usr/share/other/vm.img", ResourceKind::kDisk, image_label).ok());
}

// A share of a system tree is refused before anything is walked.
void test_share_of_system_tree_refused(void** st) {
  auto& f = *static_cast<Fixture*>(*st);
  auto m = open_test_manager(f.state, Config{});
  auto p = m->prepare(test_domain(
      "vm", "<filesystem type='mount' accessmode='passthrough'><source dir='/usr/share/doc'/>"
            "<target dir='doc'/></filesystem>"));
  assert_false(p.ok());
  assert_true(contains(p.error().message, "system tree '/usr'"));
  assert_int_equal(records(f), 0);
}

// A share holding a hard link to a file outside it: the outside file keeps
// its label (and the VM cannot use that name), the prepare report says so. A
// subdirectory the guest renames while it runs gets its originals back.
void test_share_tree_links_and_renames(void** st) {
  auto& f = *static_cast<Fixture*>(*st);
  std::string share = f.dir + "/share";
  assert_int_equal(::mkdir(share.c_str(), 0755), 0);
  set_label(share, kOrig);
  assert_int_equal(::mkdir((share + "/sub").c_str(), 0755), 0);
  set_label(share + "/sub", kOrig);
  std::string inner = share + "/sub/data";
  write_file(inner);
  set_label(inner, kOrig);
  std::string outside = image(f, "shadow", kOther);
  assert_int_equal(::link(outside.c_str(), (share + "/linked").c_str()), 0);

  auto m = open_test_manager(f.state, Config{});
  auto p = m->prepare(test_domain(
      "vm", "<filesystem type='mount' accessmode='passthrough'><source dir='" + share +
                "'/><target dir='share'/></filesystem>"));
  assert_true(p.ok());
  assert_true(any_contains(p->warnings, "hard links"));
  assert_string_equal(label_of(outside)->c_str(), kOther);
  std::string vm_label = *label_of(inner);
  assert_false(vm_label == kOrig);

  std::string renamed = share + "/sub.moved";
  assert_int_equal(::rename((share + "/sub").c_str(), renamed.c_str()), 0);
  auto r = m->release("vm");
  assert_true(r.ok() && r->restore.ok());
  assert_string_equal(label_of(renamed + "/data")->c_str(), kOrig);
  assert_string_equal(label_of(renamed)->c_str(), kOrig);
  assert_string_equal(label_of(share)->c_str(), kOrig);
  assert_string_equal(label_of(outside)->c_str(), kOther);
}

// The kernel's boot time, as libvirt's timestamps hold it.
std::string boot_time() {
  std::ifstream stat("/proc/stat");
  std::string key, value;
  while (stat >> key)
    if (key == "btime" && stat >> value) return value;
  return "";
}

bool set_trusted(const std::string& path, const std::string& name, const std::string& value) {
  return setxattr(path.c_str(), ("trusted.libvirt.security." + name).c_str(), value.data(),
                  value.size(), 0) == 0;
}

// libvirt's remember marks: a file one of its VMs holds this boot is refused
// and keeps its label; marks from an earlier boot are stale, warned about and
// ignored, as libvirt ignores them.
void test_libvirt_marks(void** st) {
  auto& f = *static_cast<Fixture*>(*st);
  std::string held = image(f, "held.img");
  if (!set_trusted(held, "ref_selinux", "1")) {
    std::fprintf(stderr, "SKIPPED: trusted xattrs need CAP_SYS_ADMIN here\n");
    skip();
  }
  assert_true(set_trusted(held, "selinux", kOther));
  assert_true(set_trusted(held, "timestamp_selinux", boot_time()));
  auto m = open_test_manager(f.state, Config{});
  auto p = m->prepare(test_domain("vm", disk_xml(held)));
  assert_false(p.ok());
  assert_int_equal(p.error().code, ErrorCode::kConflict);
  assert_true(contains(p.error().message, "held.img"));
  assert_true(contains(p.error().message, "libvirt holds it"));
  assert_string_equal(label_of(held)->c_str(), kOrig);
  assert_int_equal(records(f), 0);

  std::string dac = image(f, "dac.img");
  assert_true(set_trusted(dac, "ref_dac", "2"));
  assert_true(set_trusted(dac, "timestamp_dac", boot_time()));
  auto d = m->prepare(test_domain("vm", disk_xml(dac)));
  assert_false(d.ok());
  assert_true(contains(d.error().message, "ref_dac"));

  std::string stale = image(f, "stale.img");
  assert_true(set_trusted(stale, "ref_selinux", "1"));
  assert_true(set_trusted(stale, "timestamp_selinux", "1000000000"));
  auto s = m->prepare(test_domain("vm", disk_xml(stale)));
  assert_true(s.ok());
  assert_true(any_contains(s->warnings, "earlier boot"));
  assert_false(*label_of(stale) == kOrig);
  assert_true(m->release("vm").ok());
  assert_string_equal(label_of(stale)->c_str(), kOrig);
}

std::optional<std::string> get_trusted(const std::string& path, const std::string& name) {
  char buf[256];
  ssize_t n = getxattr(path.c_str(), ("trusted.libvirt.security." + name).c_str(), buf, sizeof buf);
  if (n < 0) return std::nullopt;
  return std::string(buf, static_cast<size_t>(n));
}

// With libvirt_marks, svirt marks what it holds the way libvirt does, so a
// libvirt on the host refuses the file; svirt's own mark does not make a
// second svirt domain refuse it; release clears the marks, unless libvirt
// changed them meanwhile (then they are libvirt's).
void test_libvirt_marks_written(void** st) {
  auto& f = *static_cast<Fixture*>(*st);
  std::string shared = image(f, "shared.img");
  if (!set_trusted(shared, "probe", "x")) {
    std::fprintf(stderr, "SKIPPED: trusted xattrs need CAP_SYS_ADMIN here\n");
    skip();
  }
  assert_int_equal(removexattr(shared.c_str(), "trusted.libvirt.security.probe"), 0);
  std::string own = image(f, "own.img");
  Config c;
  c.libvirt_marks = true;
  auto m = open_test_manager(f.state, c);
  auto a = m->prepare(test_domain("a", disk_xml(own) + disk_xml(shared, "<shareable/>", "vdb")));
  assert_true(a.ok());
  for (const std::string& p : {own, shared}) {
    assert_true(get_trusted(p, "ref_selinux") == "1");
    assert_true(get_trusted(p, "timestamp_selinux") == boot_time());
    assert_true(get_trusted(p, "selinux") == kOrig);
  }
  // svirt's own count on the shared disk is not another manager's hold.
  auto b = m->prepare(test_domain("b", disk_xml(shared, "<shareable/>")));
  assert_true(b.ok());
  assert_true(get_trusted(shared, "ref_selinux") == "1");
  // Its marks are svirt's own whatever the key says now; a file libvirt
  // marked that svirt does not hold is still refused.
  auto plain = open_test_manager(f.state, Config{});
  assert_true(plain->prepare(test_domain("c", disk_xml(shared, "<shareable/>"))).ok());
  assert_true(plain->release("c").ok());
  std::string theirs = image(f, "theirs.img");
  assert_true(set_trusted(theirs, "ref_selinux", "1"));
  assert_true(set_trusted(theirs, "selinux", kOrig));
  assert_true(set_trusted(theirs, "timestamp_selinux", boot_time()));
  auto t = m->prepare(test_domain("t", disk_xml(theirs)));
  assert_false(t.ok());
  assert_true(contains(t.error().message, "libvirt holds it"));

  assert_true(m->release("a").ok());
  assert_false(get_trusted(own, "ref_selinux").has_value());
  assert_false(get_trusted(own, "timestamp_selinux").has_value());
  assert_false(get_trusted(own, "selinux").has_value());
  assert_string_equal(label_of(own)->c_str(), kOrig);
  assert_true(get_trusted(shared, "ref_selinux") == "1");  // b still holds it
  // libvirt took the file too meanwhile: its count is left to it.
  assert_true(set_trusted(shared, "ref_selinux", "2"));
  auto r = m->release("b");
  assert_true(r.ok() && r->restore.ok());
  assert_true(get_trusted(shared, "ref_selinux") == "2");
  assert_string_equal(label_of(shared)->c_str(), kOrig);
  assert_int_equal(records(f), 0);
}

// The configuration keys.
void test_config_keys(void** st) {
  (void)st;
  auto c = Config::parse("[security]\nallow_hard_links = true\n"
                         "allow_system_paths = /usr/share/vm/;/opt/app\n");
  assert_true(c.ok());
  assert_true(c->allow_hard_links);
  assert_int_equal(c->allow_system_paths.size(), 2);
  assert_string_equal(c->allow_system_paths[0].c_str(), "/usr/share/vm");
  auto bad = Config::parse("[security]\nallow_system_paths = relative/dir\n");
  assert_false(bad.ok());
  assert_true(contains(bad.error().message, "allow_system_paths"));
  assert_false(Config::parse("[security]\nallow_hard_links = maybe\n").ok());
  auto marks = Config::parse("[security]\nlibvirt_marks = true\n");
  assert_true(marks.ok() && marks->libvirt_marks);
  assert_false(Config{}.libvirt_marks);
}

}  // namespace

int main() {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test_setup_teardown(test_hard_link_refused, setup, teardown),
      cmocka_unit_test_setup_teardown(test_hard_link_to_state_refused, setup, teardown),
      cmocka_unit_test_setup_teardown(test_two_names_one_file, setup, teardown),
      cmocka_unit_test_setup_teardown(test_one_domain_two_names_two_labels, setup, teardown),
      cmocka_unit_test_setup_teardown(test_replaced_in_place, setup, teardown),
      cmocka_unit_test_setup_teardown(test_replaced_and_moved_away, setup, teardown),
      cmocka_unit_test_setup_teardown(test_directory_swapped_for_symlink, setup, teardown),
      cmocka_unit_test_setup_teardown(test_relabelled_since, setup, teardown),
      cmocka_unit_test_setup_teardown(test_already_original, setup, teardown),
      cmocka_unit_test_setup_teardown(test_deleted, setup, teardown),
      cmocka_unit_test_setup_teardown(test_non_utf8_name, setup, teardown),
      cmocka_unit_test_setup_teardown(test_root_block_device_refused, setup, teardown),
      cmocka_unit_test_setup_teardown(test_claimed_block_device_refused, setup, teardown),
      cmocka_unit_test_setup_teardown(test_host_char_devices_refused, setup, teardown),
      cmocka_unit_test_setup_teardown(test_file_kind_rule, setup, teardown),
      cmocka_unit_test_setup_teardown(test_os_tree_rule, setup, teardown),
      cmocka_unit_test_setup_teardown(test_share_of_system_tree_refused, setup, teardown),
      cmocka_unit_test_setup_teardown(test_share_tree_links_and_renames, setup, teardown),
      cmocka_unit_test_setup_teardown(test_libvirt_marks, setup, teardown),
      cmocka_unit_test_setup_teardown(test_libvirt_marks_written, setup, teardown),
      cmocka_unit_test(test_config_keys),
  };
  return cmocka_run_group_tests(tests, nullptr, nullptr);
}
