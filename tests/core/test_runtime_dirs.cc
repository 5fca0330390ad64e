// SPDX-License-Identifier: LGPL-2.1-or-later
//
// Files the stack keeps per domain outside the domain XML, through the
// manager and the test driver: swtpm's state (a tree, or one file) and log,
// hugepage directories and file-backed RAM. Each is labelled, reported, and
// put back on release or after a crash, with nothing left in the state
// directory. The [paths] config keys point every root at a scratch directory.
#include <dirent.h>
#include <sys/stat.h>

#include <cstdio>
#include <cstring>
#include <string>
#include <vector>

#include "state/state_dir.h"
#include "svirt/manager.h"
#include "test_support.h"

// cmocka last, as C: 1.1.5 has no linkage guards and its macros clash with
// the C++ library.
// clang-format off
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
extern "C" {
#include <cmocka.h>
}
// clang-format on

using namespace svirt;
using namespace svirt::testing;

namespace {

constexpr const char* kUuid = "6f1d7c2e-3b4a-4c5d-9e8f-0a1b2c3d4e5f";
constexpr const char* kVarLib = "system_u:object_r:virt_var_lib_t:s0";
constexpr const char* kLog = "system_u:object_r:virt_log_t:s0";
constexpr const char* kHuge = "system_u:object_r:hugetlbfs_t:s0";

struct Fixture : Scratch {
  Config config;
};

void make_dir(const std::string& path) {
  std::string partial;
  for (size_t at = 1; at != std::string::npos;) {
    at = path.find('/', at + 1);
    partial = path.substr(0, at);
    mkdir(partial.c_str(), 0755);
  }
  struct stat st {};
  assert_int_equal(stat(path.c_str(), &st), 0);
}

int setup(void** st) {
  auto* f = new Fixture;
  if (!make_scratch(f)) {
    delete f;
    return -1;
  }
  f->config.swtpm_storage_dir = f->dir + "/swtpm";
  f->config.swtpm_log_dir = f->dir + "/log/swtpm";
  f->config.hugetlbfs_mounts = {f->dir + "/huge2M", f->dir + "/huge1G"};
  f->config.memory_backing_dir = f->dir + "/ram";
  *st = f;
  return 0;
}

int teardown(void** st) {
  auto* f = static_cast<Fixture*>(*st);
  remove_tree(f->dir);
  delete f;
  return 0;
}

DomainDef domain(const std::string& name, const std::string& inner) {
  return parse_test_domain(name, std::string("<uuid>") + kUuid + "</uuid>" + inner);
}

const char* kTpm2 =
    "<devices><tpm model='tpm-crb'><backend type='emulator' version='2.0'/></tpm>"
    "</devices>";

bool has_warning(const std::vector<std::string>& warnings, const std::string& needle) {
  for (const std::string& w : warnings)
    if (w.find(needle) != std::string::npos) return true;
  return false;
}

// Neither a file record nor a tree record survives a release.
void assert_no_state_left(const Fixture& f) {
  auto sd = internal::StateDir::open(f.state);
  assert_true(sd.ok());
  auto files = sd->load_files();
  assert_true(files.ok());
  for (const auto& [path, rec] : *files) std::fprintf(stderr, "left: %s\n", path.c_str());
  assert_true(files->empty());
  if (DIR* d = opendir((f.state + "/trees").c_str())) {
    int entries = 0;
    while (dirent* e = readdir(d))
      if (std::strcmp(e->d_name, ".") != 0 && std::strcmp(e->d_name, "..") != 0) ++entries;
    closedir(d);
    assert_int_equal(entries, 0);
  }
}

void test_tpm_state_tree_and_log(void** st) {
  auto& f = *static_cast<Fixture*>(*st);
  const std::string uuid_dir = f.config.swtpm_storage_dir + "/" + kUuid;
  const std::string state = uuid_dir + "/tpm2";
  const std::string log = f.config.swtpm_log_dir + "/vtpm-swtpm.log";
  make_dir(state + "/sub");
  make_dir(f.config.swtpm_log_dir);
  write_file(state + "/tpm2-00.permall");
  write_file(state + "/sub/x");
  write_file(log);
  set_label(uuid_dir, kVarLib);
  set_label(state + "/tpm2-00.permall", kVarLib);
  set_label(log, kLog);

  auto m = open_test_manager(f.state, f.config);
  auto p = m->prepare(domain("vtpm", kTpm2));
  if (!p) std::fprintf(stderr, "%s\n", p.error().message.c_str());
  assert_true(p.ok());
  const std::string& image = p->label.imagelabel;
  for (const char* rel : {"", "/tpm2-00.permall", "/sub", "/sub/x"})
    assert_string_equal(label_of(state + rel)->c_str(), image.c_str());
  assert_string_equal(label_of(log)->c_str(), image.c_str());
  // Only swtpm's own directory: the per-UUID parent stays as it was.
  assert_string_equal(label_of(uuid_dir)->c_str(), kVarLib);
  assert_int_equal(p->resources.size(), 2);
  assert_int_equal(p->resources[0].resource.kind, ResourceKind::kTpmState);
  assert_string_equal(p->resources[0].resource.path.c_str(), state.c_str());
  assert_false(p->resources[0].original.has_value());
  assert_int_equal(p->resources[1].resource.kind, ResourceKind::kTpmLog);
  assert_string_equal(p->resources[1].original->c_str(), kLog);

  auto r = m->release("vtpm");
  assert_true(r.ok());
  assert_true(r->restore.ok());
  assert_false(label_of(state).has_value());
  assert_string_equal(label_of(state + "/tpm2-00.permall")->c_str(), kVarLib);
  assert_false(label_of(state + "/sub/x").has_value());
  assert_string_equal(label_of(log)->c_str(), kLog);
  assert_no_state_left(f);
}

// swtpm creates its log on first start: a missing log is skipped with a
// warning, like a socket QEMU has yet to bind. The state must be there.
void test_tpm_log_optional_state_required(void** st) {
  auto& f = *static_cast<Fixture*>(*st);
  const std::string state = f.config.swtpm_storage_dir + "/" + kUuid + "/tpm2";
  make_dir(state);
  auto m = open_test_manager(f.state, f.config);
  auto p = m->prepare(domain("nolog", kTpm2));
  assert_true(p.ok());
  assert_int_equal(p->resources.size(), 1);
  assert_true(has_warning(p->warnings, "tpm-log"));
  assert_true(has_warning(p->warnings, "nolog-swtpm.log"));
  assert_string_equal(label_of(state)->c_str(), p->label.imagelabel.c_str());
  assert_true(m->release("nolog").ok());
  assert_false(label_of(state).has_value());

  // TPM 1.2 state was never created: refused, and the log that exists is
  // left as it was.
  const std::string log = f.config.swtpm_log_dir + "/old-swtpm.log";
  make_dir(f.config.swtpm_log_dir);
  write_file(log);
  auto q = m->prepare(domain("old",
                             "<devices><tpm model='tpm-tis'><backend type='emulator' "
                             "version='1.2'/></tpm></devices>"));
  assert_false(q.ok());
  assert_non_null(strstr(q.error().message.c_str(), "tpm1.2"));
  assert_false(label_of(log).has_value());
  assert_no_state_left(f);
}

void test_tpm_state_file(void** st) {
  auto& f = *static_cast<Fixture*>(*st);
  const std::string file = f.dir + "/vm/tpm.state";
  make_dir(f.dir + "/vm");
  write_file(file);
  set_label(file, kVarLib);
  auto m = open_test_manager(f.state, f.config);
  auto p = m->prepare(domain("tpmfile",
                             "<devices><tpm model='tpm-crb'><backend type='emulator' "
                             "version='2.0'><source type='file' path='" +
                                 file + "'/></backend></tpm></devices>"));
  assert_true(p.ok());
  assert_string_equal(label_of(file)->c_str(), p->label.imagelabel.c_str());
  // The directory holding the file is not the VM's.
  assert_false(label_of(f.dir + "/vm").has_value());
  assert_true(m->release("tpmfile").ok());
  assert_string_equal(label_of(file)->c_str(), kVarLib);
  assert_no_state_left(f);
}

const char* kHugeAndFile =
    "<memoryBacking><hugepages><page size='2048' unit='KiB'/></hugepages>"
    "<source type='file'/></memoryBacking>";

void test_memory_directories(void** st) {
  auto& f = *static_cast<Fixture*>(*st);
  // The stack made the per-domain directory on the 2M mount only.
  const std::string huge = f.config.hugetlbfs_mounts[0] + "/libvirt/qemu/mem";
  const std::string ram = f.config.memory_backing_dir + "/mem";
  make_dir(huge);
  make_dir(f.config.hugetlbfs_mounts[1]);
  make_dir(ram);
  write_file(huge + "/qemu_back_mem.pc.ram.XYZ");
  write_file(ram + "/pc.ram");
  set_label(huge, kHuge);
  set_label(f.config.hugetlbfs_mounts[0] + "/libvirt/qemu", kHuge);

  auto m = open_test_manager(f.state, f.config);
  auto p = m->prepare(domain("mem", kHugeAndFile));
  if (!p) std::fprintf(stderr, "%s\n", p.error().message.c_str());
  assert_true(p.ok());
  const std::string& image = p->label.imagelabel;
  assert_int_equal(p->resources.size(), 2);
  assert_int_equal(p->resources[0].resource.kind, ResourceKind::kHugepages);
  assert_int_equal(p->resources[1].resource.kind, ResourceKind::kMemoryBacking);
  for (const std::string& path : {huge, huge + "/qemu_back_mem.pc.ram.XYZ", ram, ram + "/pc.ram"})
    assert_string_equal(label_of(path)->c_str(), image.c_str());
  assert_string_equal(label_of(f.config.hugetlbfs_mounts[0] + "/libvirt/qemu")->c_str(), kHuge);
  assert_true(has_warning(p->warnings, f.config.hugetlbfs_mounts[1] + "/libvirt/qemu/mem"));

  auto r = m->release("mem");
  assert_true(r.ok());
  assert_true(r->restore.ok());
  assert_string_equal(label_of(huge)->c_str(), kHuge);
  assert_false(label_of(huge + "/qemu_back_mem.pc.ram.XYZ").has_value());
  assert_false(label_of(ram).has_value());
  assert_false(label_of(ram + "/pc.ram").has_value());
  assert_no_state_left(f);
}

// A prepare that died half-way: recovery restores the trees from their
// records, as it does shares.
void test_memory_directories_recovered(void** st) {
  auto& f = *static_cast<Fixture*>(*st);
  const std::string huge = f.config.hugetlbfs_mounts[1] + "/libvirt/qemu/crash";
  const std::string state = f.config.swtpm_storage_dir + "/" + kUuid + "/tpm2";
  make_dir(huge);
  make_dir(state);
  write_file(huge + "/page");
  write_file(state + "/tpm2-00.permall");
  set_label(huge + "/page", kHuge);
  {
    auto m = open_test_manager(f.state, f.config);
    std::string devices = kTpm2;
    auto p = m->prepare(domain("crash", kHugeAndFile + devices));
    assert_true(p.ok());
    assert_string_equal(label_of(huge + "/page")->c_str(), p->label.imagelabel.c_str());
    assert_string_equal(label_of(state + "/tpm2-00.permall")->c_str(), p->label.imagelabel.c_str());
  }
  auto sd = internal::StateDir::open(f.state);
  auto rec = sd->read_domain("crash");
  assert_true(rec.ok() && rec->has_value());
  (*rec)->state = "preparing";
  assert_true(sd->write_domain(**rec).ok());

  auto m = open_test_manager(f.state, f.config);  // recovery runs on open
  assert_string_equal(label_of(huge + "/page")->c_str(), kHuge);
  assert_false(label_of(huge).has_value());
  assert_false(label_of(state + "/tpm2-00.permall").has_value());
  assert_true(m->list()->empty());
  assert_no_state_left(f);
}

}  // namespace

int main() {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test_setup_teardown(test_tpm_state_tree_and_log, setup, teardown),
      cmocka_unit_test_setup_teardown(test_tpm_log_optional_state_required, setup, teardown),
      cmocka_unit_test_setup_teardown(test_tpm_state_file, setup, teardown),
      cmocka_unit_test_setup_teardown(test_memory_directories, setup, teardown),
      cmocka_unit_test_setup_teardown(test_memory_directories_recovered, setup, teardown),
  };
  return cmocka_run_group_tests_name("runtime_dirs", tests, nullptr, nullptr);
}
