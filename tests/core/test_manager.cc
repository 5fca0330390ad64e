// SPDX-License-Identifier: LGPL-2.1-or-later
//
// SecurityManager with the test driver: the lifecycle, remember/restore with
// refcounts, conflicts, MCS uniqueness across threads and processes,
// exhaustion, and recovery from the states a crash leaves behind.
#include <fcntl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <csignal>
#include <cstring>
#include <mutex>
#include <cstdio>
#include <fstream>
#include <map>
#include <set>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "state/state_dir.h"
#include "svirt/manager.h"
#include "svirt/test_backend.h"
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

constexpr const char* kImage = "system_u:object_r:svirt_image_t:s0";
constexpr const char* kContent = "system_u:object_r:virt_content_t:s0";

using Fixture = Scratch;

int setup(void** st) { return scratch_setup(st, "core"); }
int teardown(void** st) { return scratch_teardown(st); }




void test_prepare_release_restores_originals(void** st) {
  auto& f = *static_cast<Fixture*>(*st);
  std::string a = f.dir + "/a.img", b = f.dir + "/b.iso", c = f.dir + "/c.img";
  write_file(a);
  write_file(b);
  write_file(c);
  set_label(a, "system_u:object_r:virt_image_t:s0");  // c stays unlabelled
  auto m = open_test_manager(f.state);
  auto p = m->prepare(test_domain("vm1", disk_xml(a) + disk_xml(b, "<readonly/>", "hdc") + disk_xml(c, "", "vdb")));
  assert_true(p.ok());
  assert_int_equal(p->label.type, LabelType::kDynamic);
  assert_string_equal(label_of(a)->c_str(), p->label.imagelabel.c_str());
  assert_string_equal(label_of(b)->c_str(), kContent);
  assert_string_equal(label_of(c)->c_str(), p->label.imagelabel.c_str());
  assert_int_equal(p->resources.size(), 3);
  assert_string_equal(p->resources[0].original->c_str(), "system_u:object_r:virt_image_t:s0");
  assert_false(p->resources[2].original.has_value());

  auto r = m->release("vm1");
  assert_true(r.ok());
  assert_true(r->restore.ok());
  assert_string_equal(label_of(a)->c_str(), "system_u:object_r:virt_image_t:s0");
  assert_false(label_of(b).has_value());
  assert_false(label_of(c).has_value());
  // Nothing of vm1 is left behind.
  assert_false(m->release("vm1").ok());
  auto list = m->list();
  assert_true(list.ok() && list->empty());
}

void test_shared_readonly_image_refcounted(void** st) {
  auto& f = *static_cast<Fixture*>(*st);
  std::string iso = f.dir + "/shared.iso", a = f.dir + "/a.img", b = f.dir + "/b.img";
  write_file(iso);
  write_file(a);
  write_file(b);
  set_label(iso, "system_u:object_r:user_home_t:s0");
  auto m = open_test_manager(f.state);
  assert_true(m->prepare(test_domain("one", disk_xml(a) + disk_xml(iso, "<readonly/>", "hdc"))).ok());
  auto two = m->prepare(test_domain("two", disk_xml(b) + disk_xml(iso, "<readonly/>", "hdc")));
  assert_true(two.ok());
  assert_true(two->resources[1].shared);
  auto r1 = m->release("one");
  assert_true(r1.ok());
  bool kept = false;
  for (const auto& i : r1->restore.items)
    if (i.resource.path == iso) kept = i.action == RestoreAction::kKept;
  assert_true(kept);
  assert_string_equal(label_of(iso)->c_str(), kContent);  // still in use by "two"
  assert_true(m->release("two").ok());
  assert_string_equal(label_of(iso)->c_str(), "system_u:object_r:user_home_t:s0");
}

void test_conflicting_label_changes_nothing(void** st) {
  auto& f = *static_cast<Fixture*>(*st);
  std::string shared = f.dir + "/s.img", own = f.dir + "/own.img";
  write_file(shared);
  write_file(own);
  set_label(own, "system_u:object_r:virt_image_t:s0");
  auto m = open_test_manager(f.state);
  auto one = m->prepare(test_domain("one", disk_xml(shared)));
  assert_true(one.ok());
  std::string held = *label_of(shared);
  // "two" wants the same file read-write under its own categories.
  auto two = m->prepare(test_domain("two", disk_xml(own, "", "vdb") + disk_xml(shared)));
  assert_false(two.ok());
  assert_int_equal(two.error().code, ErrorCode::kConflict);
  assert_non_null(strstr(two.error().message.c_str(), "in use by domain 'one'"));
  assert_string_equal(label_of(shared)->c_str(), held.c_str());
  assert_string_equal(label_of(own)->c_str(), "system_u:object_r:virt_image_t:s0");
  assert_false(m->status("two").ok());
  assert_true(m->release("one").ok());
}

void test_missing_disk_changes_nothing(void** st) {
  auto& f = *static_cast<Fixture*>(*st);
  std::string a = f.dir + "/present.img";
  write_file(a);
  auto m = open_test_manager(f.state);
  auto p = m->prepare(test_domain("vm", disk_xml(a) + disk_xml(f.dir + "/absent.img", "", "vdb")));
  assert_false(p.ok());
  assert_int_equal(p.error().code, ErrorCode::kNotFound);
  assert_non_null(strstr(p.error().message.c_str(), "absent.img"));
  assert_false(label_of(a).has_value());
  auto list = m->list();
  assert_true(list.ok() && list->empty());
}

void test_system_path_through_symlink_refused(void** st) {
  auto& f = *static_cast<Fixture*>(*st);
  std::string link = f.dir + "/etc-link";
  assert_int_equal(symlink("/etc", link.c_str()), 0);
  std::string a = f.dir + "/a.img";
  write_file(a);
  auto m = open_test_manager(f.state);
  DomainDef d = test_domain("vm", disk_xml(a));
  Filesystem fs;
  DiskSource src;
  Disk dd;
  dd.target = "vdb";
  dd.source.type = DiskType::kDir;
  dd.source.path = link;
  d.disks.push_back(dd);
  auto p = m->prepare(d);
  assert_false(p.ok());
  assert_non_null(strstr(p.error().message.c_str(), "/etc"));
  assert_false(label_of(a).has_value());
}

void test_static_pair_never_drawn_and_exhaustion(void** st) {
  auto& f = *static_cast<Fixture*>(*st);
  Config c;
  c.process_context = "system_u:system_r:virtd_t:s0-s0:c0.c7";  // 28 pairs
  auto m = open_test_manager(f.state, c);
  auto s = m->prepare(test_domain("static", "",
                             "<seclabel type='static' model='selinux' relabel='no'>"
                             "<label>system_u:system_r:svirt_t:s0:c0,c1</label></seclabel>"));
  assert_true(s.ok());
  std::set<std::string> labels{s->label.label};
  for (int i = 0; i < 27; ++i) {
    auto p = m->prepare(test_domain("d" + std::to_string(i), ""));
    assert_true(p.ok());
    assert_true(labels.insert(p->label.label).second);
  }
  auto full = m->prepare(test_domain("one-too-many", ""));
  assert_false(full.ok());
  assert_int_equal(full.error().code, ErrorCode::kExhausted);
  // Releasing one frees exactly its pair.
  std::string freed = m->status("d7")->label.label;
  assert_true(m->release("d7").ok());
  auto again = m->prepare(test_domain("again", ""));
  assert_true(again.ok());
  assert_string_equal(again->label.label.c_str(), freed.c_str());
}

void test_static_conflict(void** st) {
  auto& f = *static_cast<Fixture*>(*st);
  auto m = open_test_manager(f.state);
  std::string sl = "<seclabel type='static' model='selinux' relabel='no'>"
                   "<label>system_u:system_r:svirt_t:s0:c10,c20</label></seclabel>";
  assert_true(m->prepare(test_domain("s1", "", sl)).ok());
  auto s2 = m->prepare(test_domain("s2", "", sl));
  assert_false(s2.ok());
  assert_int_equal(s2.error().code, ErrorCode::kConflict);
}

void test_threads_get_unique_pairs(void** st) {
  auto& f = *static_cast<Fixture*>(*st);
  Config c;
  c.process_context = "system_u:system_r:virtd_t:s0-s0:c0.c15";  // 120 pairs
  auto m = open_test_manager(f.state, c);
  std::mutex mu;
  std::vector<std::string> labels;
  std::atomic<int> failures{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < 25; ++i) {
        auto p = m->prepare(test_domain("t" + std::to_string(t) + "-" + std::to_string(i), ""));
        if (!p) {
          ++failures;
          continue;
        }
        std::lock_guard<std::mutex> l(mu);
        labels.push_back(p->label.label);
      }
    });
  }
  for (auto& th : threads) th.join();
  assert_int_equal(failures.load(), 0);
  std::set<std::string> unique(labels.begin(), labels.end());
  assert_int_equal(unique.size(), 100);
}

void test_processes_get_unique_pairs(void** st) {
  auto& f = *static_cast<Fixture*>(*st);
  Config c;
  c.process_context = "system_u:system_r:virtd_t:s0-s0:c0.c15";  // 120 pairs: collisions likely
  { auto m = open_test_manager(f.state, c); }
  std::vector<pid_t> kids;
  for (int p = 0; p < 4; ++p) {
    pid_t pid = fork();
    if (pid == 0) {
      ManagerOptions o;
      o.driver = "test";
      o.state_dir = f.state;
      o.config = c;
      auto m = SecurityManager::open(o);
      if (!m) _exit(3);
      std::ofstream out(f.dir + "/labels." + std::to_string(p));
      for (int i = 0; i < 25; ++i) {
        auto r = (*m)->prepare(test_domain("p" + std::to_string(p) + "-" + std::to_string(i), ""));
        if (!r) _exit(4);
        out << r->label.label << "\n";
      }
      out.close();  // _exit() skips destructors
      _exit(out.good() ? 0 : 5);
    }
    kids.push_back(pid);
  }
  for (pid_t k : kids) {
    int status = 0;
    waitpid(k, &status, 0);
    assert_true(WIFEXITED(status));
    assert_int_equal(WEXITSTATUS(status), 0);
  }
  std::set<std::string> unique;
  for (int p = 0; p < 4; ++p) {
    std::ifstream in(f.dir + "/labels." + std::to_string(p));
    std::string line;
    while (std::getline(in, line)) unique.insert(line);
  }
  assert_int_equal(unique.size(), 100);
  auto m = open_test_manager(f.state, c);
  auto list = m->list();
  assert_int_equal(list->size(), 100);
}

// The states a crash leaves: a prepare that died after recording its intent,
// and a VM whose process is gone.
void test_recovery_restores_after_crash(void** st) {
  auto& f = *static_cast<Fixture*>(*st);
  std::string a = f.dir + "/a.img", b = f.dir + "/b.img";
  write_file(a);
  write_file(b);
  set_label(a, "system_u:object_r:virt_image_t:s0");
  std::string a_vm, b_vm;
  {
    auto m = open_test_manager(f.state);
    auto p = m->prepare(test_domain("crashed", disk_xml(a)));
    assert_true(p.ok());
    a_vm = p->label.label;
    auto q = m->prepare(test_domain("ran", disk_xml(b)));
    assert_true(q.ok());
    // "ran" was started and its process has exited since.
    pid_t child = fork();
    if (child == 0) _exit(0);
    assert_true(m->mark_running("ran", child).ok());
    int status;
    waitpid(child, &status, 0);
  }
  // Make "crashed" look like a prepare that died half-way.
  auto sd = internal::StateDir::open(f.state);
  auto rec = sd->read_domain("crashed");
  assert_true(rec.ok() && rec->has_value());
  (*rec)->state = "preparing";
  assert_true(sd->write_domain(**rec).ok());

  auto m = open_test_manager(f.state);  // recovery runs on open
  assert_string_equal(label_of(a)->c_str(), "system_u:object_r:virt_image_t:s0");
  assert_false(label_of(b).has_value());
  auto list = m->list();
  assert_true(list->empty());
  auto reg = sd->load_registry();
  assert_true(reg->empty());
}

void test_recovery_after_reboot_and_unstarted(void** st) {
  auto& f = *static_cast<Fixture*>(*st);
  std::string a = f.dir + "/a.img", b = f.dir + "/b.img";
  write_file(a);
  write_file(b);
  {
    auto m = open_test_manager(f.state);
    assert_true(m->prepare(test_domain("before-reboot", disk_xml(a))).ok());
    assert_true(m->prepare(test_domain("unstarted", disk_xml(b))).ok());
  }
  auto sd = internal::StateDir::open(f.state);
  auto rec = sd->read_domain("before-reboot");
  (*rec)->boot_id = "00000000-0000-0000-0000-000000000000";
  (*rec)->pid = getpid();  // alive now, but from another boot: cannot be the same process
  assert_true(sd->write_domain(**rec).ok());

  auto m = open_test_manager(f.state);
  assert_false(label_of(a).has_value());
  // A prepared domain that never started survives automatic recovery (a
  // stack may start it later) but not an explicit one.
  assert_true(label_of(b).has_value());
  auto r = m->recover();
  assert_true(r.ok());
  assert_int_equal(r->released.size(), 1);
  assert_false(label_of(b).has_value());
}

// Replaces a state file's content and dates it before this boot, as a crash
// of the host leaves a record written without fsync.
void leave_after_host_crash(const std::string& path, const std::string& content) {
  FILE* fp = std::fopen(path.c_str(), "w");
  assert_non_null(fp);
  std::fputs(content.c_str(), fp);
  std::fclose(fp);
  struct timespec times[2] = {{1000000, 0}, {1000000, 0}};  // 1970: before any boot
  assert_int_equal(utimensat(AT_FDCWD, path.c_str(), times, 0), 0);
}

void test_recovery_after_host_crash_leftovers(void** st) {
  auto& f = *static_cast<Fixture*>(*st);
  std::string a = f.dir + "/a.img", b = f.dir + "/b.img";
  write_file(a);
  write_file(b);
  {
    auto m = open_test_manager(f.state);
    assert_true(m->prepare(test_domain("cut", disk_xml(a))).ok());
    assert_true(m->prepare(test_domain("lost", disk_xml(b))).ok());
  }
  // Only the files journal is durable. What the crash left of the rest: one domain
  // record cut short, the other never written, the registry cut short.
  leave_after_host_crash(f.state + "/domains/cut.state", "[domain]\nname=cu");
  assert_int_equal(unlink((f.state + "/domains/lost.state").c_str()), 0);
  leave_after_host_crash(f.state + "/mcs.db", "[pairs\nc1,c");

  auto m = open_test_manager(f.state);  // recovery restores every file the journal lists
  assert_false(label_of(a).has_value());
  assert_false(label_of(b).has_value());
  assert_true(m->list()->empty());
  auto sd = internal::StateDir::open(f.state);
  assert_true(sd->load_registry()->empty());
  assert_true(sd->load_files()->empty());
  // And the state is usable again.
  auto again = m->prepare(test_domain("cut", disk_xml(a)));
  assert_true(again.ok());
  assert_true(m->release("cut").ok());
}

void test_registry_of_another_boot_ignored_corrupt_one_refused(void** st) {
  auto& f = *static_cast<Fixture*>(*st);
  auto sd = internal::StateDir::open(f.state);
  std::string reg = f.state + "/mcs.db";
  {
    FILE* fp = std::fopen(reg.c_str(), "w");
    std::fputs("[registry]\nboot_id=00000000-0000-0000-0000-000000000000\n[pairs]\nc1,c2=ghost\n", fp);
    std::fclose(fp);
  }
  assert_true(sd->load_registry()->empty());
  // Written during this boot, a registry that cannot be read is damage, not a
  // crash leftover: refused with its name rather than handing out pairs blind.
  {
    FILE* fp = std::fopen(reg.c_str(), "w");
    std::fputs("[pairs\nc1,c", fp);
    std::fclose(fp);
  }
  auto loaded = sd->load_registry();
  assert_false(loaded.ok());
  assert_non_null(std::strstr(loaded.error().message.c_str(), "mcs.db is corrupt"));
  // A registry of this boot keeps its pairs.
  internal::McsRegistry mine{{"c3,c4", "vm"}};
  assert_true(sd->save_registry(mine).ok());
  auto back = sd->load_registry();
  assert_true(back.ok());
  assert_int_equal(back->size(), 1);
  assert_string_equal(back->at("c3,c4").c_str(), "vm");
}

void test_release_reports_paths_as_written(void** st) {
  auto& f = *static_cast<Fixture*>(*st);
  std::string real_dir = f.dir + "/images", link_dir = f.dir + "/via-link";
  assert_int_equal(mkdir(real_dir.c_str(), 0755), 0);
  assert_int_equal(symlink(real_dir.c_str(), link_dir.c_str()), 0);
  std::string a = real_dir + "/a.img", b = real_dir + "/b.img";
  write_file(a);
  write_file(b);
  auto m = open_test_manager(f.state);
  // One disk named through the symlink, one by its own path.
  assert_true(m->prepare(test_domain("vm", disk_xml(link_dir + "/a.img") +
                                               disk_xml(b, "", "vdb")))
                  .ok());
  auto rel = m->release("vm");
  assert_true(rel.ok());
  std::map<std::string, std::string> device_of;
  for (const RestoredLabel& item : rel->restore.items)
    device_of[item.resource.path] = item.resource.device;
  assert_int_equal(device_of.size(), 2);
  assert_string_equal(device_of[link_dir + "/a.img"].c_str(), "vda");
  assert_string_equal(device_of[b].c_str(), "vdb");
  assert_false(label_of(a).has_value());
  assert_false(label_of(b).has_value());
}

// One damaged domain record stops only that domain: the others are listed,
// released and recovered; recovery names the damaged one and leaves its
// files alone until the record is moved away. A damaged pair registry is
// set aside and rebuilt from the domain records.
void test_damaged_records_contained(void** st) {
  auto& f = *static_cast<Fixture*>(*st);
  const std::string a = f.dir + "/a.img", b = f.dir + "/b.img", c = f.dir + "/c.img";
  for (const std::string& p : {a, b, c}) {
    write_file(p);
    set_label(p, "system_u:object_r:virt_image_t:s0");
  }
  {
    auto m = open_test_manager(f.state);
    assert_true(m->prepare(test_domain("a", disk_xml(a))).ok());
    assert_true(m->prepare(test_domain("b", disk_xml(b))).ok());
    assert_true(m->prepare(test_domain("c", disk_xml(c))).ok());
  }
  const std::string a_given = *label_of(a);
  std::FILE* fp = std::fopen((f.state + "/domains/a.state").c_str(), "w");
  std::fputs("[domain\nname=a", fp);
  std::fclose(fp);
  auto m = open_test_manager(f.state);  // recovery on open does not fail
  auto all = m->list();
  assert_true(all.ok());
  assert_int_equal(all->size(), 3);
  assert_string_equal(all->at(0).name.c_str(), "a");
  assert_int_equal(static_cast<int>(all->at(0).state), static_cast<int>(DomainState::kDamaged));
  assert_true(m->release("b").ok());
  assert_string_equal(label_of(b)->c_str(), "system_u:object_r:virt_image_t:s0");

  // The registry: damaged, set aside and rebuilt on open, c's pair still held.
  fp = std::fopen((f.state + "/mcs.db").c_str(), "w");
  std::fputs("[pairs\nc1,c", fp);
  std::fclose(fp);
  m = open_test_manager(f.state);
  auto reg = internal::StateDir::open(f.state)->load_registry();
  assert_true(reg.ok());
  bool holds_c = false;
  for (const auto& [cats, owner] : *reg) holds_c |= owner == "c";
  assert_true(holds_c);

  // recover() names a and leaves it; it releases c, which never started.
  auto rec = m->recover();
  assert_true(rec.ok());
  assert_int_equal(rec->errors.size(), 1);
  assert_non_null(strstr(rec->errors[0].message.c_str(), "domain 'a' is left as it is"));
  assert_string_equal(label_of(a)->c_str(), a_given.c_str());

  // The way out for a: its record moved away, recovery restores its files.
  assert_int_equal(rename((f.state + "/domains/a.state").c_str(), (f.dir + "/a.state").c_str()), 0);
  auto out = m->recover();
  assert_true(out.ok() && out->errors.empty());
  assert_string_equal(label_of(a)->c_str(), "system_u:object_r:virt_image_t:s0");
  assert_string_equal(label_of(c)->c_str(), "system_u:object_r:virt_image_t:s0");
  assert_true(m->list()->empty());
}

// The files journal lost while a domain runs (emptied, removed): release
// does not pretend the image got its original back. It fails, naming the
// file, and keeps the domain; once the label is put right by hand, release
// succeeds.
void test_lost_record_fails_release(void** st) {
  auto& f = *static_cast<Fixture*>(*st);
  const std::string img = f.dir + "/lost.img";
  write_file(img);
  set_label(img, "system_u:object_r:virt_image_t:s0");
  auto m = open_test_manager(f.state);
  auto p = m->prepare(test_domain("vm", disk_xml(img)));
  assert_true(p.ok());
  const std::string given = *label_of(img);
  assert_int_equal(truncate((f.state + "/files.journal").c_str(), 0), 0);
  auto r = m->release("vm");
  assert_true(r.ok());
  assert_false(r->restore.ok());
  assert_non_null(strstr(r->restore.errors.at(0).message.c_str(), "lost.img"));
  assert_non_null(strstr(r->restore.errors.at(0).message.c_str(), "no record of its original"));
  assert_string_equal(label_of(img)->c_str(), given.c_str());
  assert_int_equal(m->list()->size(), 1);
  set_label(img, "system_u:object_r:virt_image_t:s0");
  auto again = m->release("vm");
  assert_true(again.ok() && again->restore.ok());
  assert_true(m->list()->empty());
}

// A domain without resources has nothing to journal: no durable write.
void test_domain_without_resources_writes_no_file_records(void** st) {
  auto& f = *static_cast<Fixture*>(*st);
  auto m = open_test_manager(f.state);
  assert_true(m->prepare(test_domain("empty", "")).ok());
  struct stat sb {};
  assert_int_equal(stat((f.state + "/files.journal").c_str(), &sb), -1);
  assert_true(m->release("empty").ok());
  assert_int_equal(stat((f.state + "/files.journal").c_str(), &sb), -1);
}

void test_running_domain_kept_and_release_refused(void** st) {
  auto& f = *static_cast<Fixture*>(*st);
  std::string a = f.dir + "/a.img";
  write_file(a);
  auto m = open_test_manager(f.state);
  assert_true(m->prepare(test_domain("live", disk_xml(a))).ok());
  auto pid = m->launch("live", {"sleep", "30"});
  assert_true(pid.ok());
  auto rel = m->release("live");
  assert_false(rel.ok());
  assert_int_equal(rel.error().code, ErrorCode::kConflict);
  auto r = m->recover();
  assert_true(r.ok());
  assert_int_equal(r->reserved.size(), 1);
  assert_true(label_of(a).has_value());
  auto label = m->process_label("live");
  assert_true(label.ok());
  assert_string_equal(label->label.c_str(), m->status("live")->label.label.c_str());
  kill(*pid, SIGKILL);
  int status;
  waitpid(*pid, &status, 0);
  assert_int_equal(m->status("live")->state, DomainState::kGone);
  assert_true(m->release("live").ok());
  assert_false(label_of(a).has_value());
}

void test_release_reports_skipped_and_restores_backing(void** st) {
  auto& f = *static_cast<Fixture*>(*st);
  std::string top = f.dir + "/top.qcow2", base = f.dir + "/base.qcow2", mine = f.dir + "/mine.img";
  write_file(top);
  write_file(base);
  write_file(mine);
  set_label(base, "system_u:object_r:virt_image_t:s0");
  auto m = open_test_manager(f.state);
  std::string chain = "<disk type='file' device='disk'><source file='" + top +
                      "'/><backingStore type='file'><format type='qcow2'/><source file='" + base +
                      "'/></backingStore><target dev='vda'/></disk>"
                      "<disk type='file' device='disk'><source file='" + mine +
                      "'><seclabel model='selinux' relabel='no'/></source><target dev='vdb'/></disk>";
  auto p = m->prepare(test_domain("chain", chain));
  assert_true(p.ok());
  assert_string_equal(label_of(base)->c_str(), kContent);
  assert_false(label_of(mine).has_value());
  auto r = m->release("chain");
  assert_true(r.ok());
  int restored = 0, skipped = 0;
  for (const auto& i : r->restore.items) {
    if (i.action == RestoreAction::kRestored) ++restored;
    if (i.action == RestoreAction::kSkipped) ++skipped;
  }
  assert_int_equal(restored, 2);
  assert_int_equal(skipped, 1);
  assert_string_equal(label_of(base)->c_str(), "system_u:object_r:virt_image_t:s0");
}

void test_attach_detach(void** st) {
  auto& f = *static_cast<Fixture*>(*st);
  std::string a = f.dir + "/a.img", hot = f.dir + "/hot.img";
  write_file(a);
  write_file(hot);
  auto m = open_test_manager(f.state);
  auto p = m->prepare(test_domain("vm", disk_xml(a)));
  assert_true(p.ok());
  auto live = m->live_definition("vm");
  auto dev = DeviceDef::parse(disk_xml(hot, "", "vdz"), *live);
  assert_true(dev.ok());
  auto at = m->attach("vm", *dev);
  assert_true(at.ok());
  assert_string_equal(label_of(hot)->c_str(), p->label.imagelabel.c_str());
  auto de = m->detach("vm", *dev);
  assert_true(de.ok());
  assert_false(label_of(hot).has_value());
  assert_true(label_of(a).has_value());
  // A device attached and never detached is restored on release too.
  assert_true(m->attach("vm", *dev).ok());
  assert_true(m->release("vm").ok());
  assert_false(label_of(hot).has_value());
}

void test_saved_state_and_mount_options(void** st) {
  auto& f = *static_cast<Fixture*>(*st);
  std::string a = f.dir + "/a.img", save = f.dir + "/vm.save";
  write_file(a);
  write_file(save);
  set_label(save, "system_u:object_r:virt_var_lib_t:s0");
  auto m = open_test_manager(f.state);
  auto p = m->prepare(test_domain("vm", disk_xml(a)));
  assert_true(p.ok());
  auto s = m->save_label("vm", save);
  assert_true(s.ok());
  assert_string_equal(label_of(save)->c_str(), p->label.imagelabel.c_str());
  assert_string_equal(s->items.at(0).original->c_str(), "system_u:object_r:virt_var_lib_t:s0");
  auto r = m->restore_save_label("vm", save);
  assert_true(r.ok() && r->ok());
  assert_string_equal(label_of(save)->c_str(), "system_u:object_r:virt_var_lib_t:s0");
  assert_true(label_of(a).has_value());  // only the save file was restored

  auto opt = m->mount_options("vm");
  assert_true(opt.ok());
  assert_string_equal(opt->c_str(), ("context=\"" + p->label.imagelabel + "\"").c_str());

  // A save file left labelled is restored on release too.
  assert_true(m->save_label("vm", save).ok());
  assert_true(m->release("vm").ok());
  assert_string_equal(label_of(save)->c_str(), "system_u:object_r:virt_var_lib_t:s0");
}

void test_filesystem_share_tree(void** st) {
  auto& f = *static_cast<Fixture*>(*st);
  std::string share = f.dir + "/share", victim = f.dir + "/victim";
  assert_int_equal(mkdir(share.c_str(), 0755), 0);
  assert_int_equal(mkdir((share + "/sub").c_str(), 0755), 0);
  write_file(share + "/a");
  write_file(share + "/sub/b");
  write_file(victim);
  set_label(share + "/a", "system_u:object_r:user_home_t:s0");
  set_label(victim, "system_u:object_r:etc_t:s0");
  assert_int_equal(symlink(victim.c_str(), (share + "/sub/link").c_str()), 0);
  auto m = open_test_manager(f.state);
  auto p = m->prepare(test_domain("fs", "<filesystem type='mount' accessmode='passthrough'><source dir='" +
                                       share + "'/><target dir='tag'/></filesystem>"));
  if (!p) std::fprintf(stderr, "%s\n", p.error().message.c_str());
  assert_true(p.ok());
  for (const char* rel : {"", "/sub", "/a", "/sub/b"})
    assert_string_equal(label_of(share + rel)->c_str(), p->label.imagelabel.c_str());
  // The symlink planted in the share is neither followed nor labelled.
  assert_string_equal(label_of(victim)->c_str(), "system_u:object_r:etc_t:s0");
  auto r = m->release("fs");
  assert_true(r.ok() && r->restore.ok());
  assert_string_equal(label_of(share + "/a")->c_str(), "system_u:object_r:user_home_t:s0");
  assert_false(label_of(share + "/sub/b").has_value());
  assert_false(label_of(share).has_value());
}

// Two recorded domains still running under the same pair (state edited
// behind svirt's back): recovery keeps the first and reports the second.
void test_recovery_reports_shared_live_label(void** st) {
  auto& f = *static_cast<Fixture*>(*st);
  auto m = open_test_manager(f.state);
  assert_true(m->prepare(test_domain("first", "")).ok());
  assert_true(m->prepare(test_domain("second", "")).ok());
  pid_t a = fork();
  if (a == 0) {
    pause();
    _exit(0);
  }
  pid_t b = fork();
  if (b == 0) {
    pause();
    _exit(0);
  }
  assert_true(m->mark_running("first", a).ok());
  assert_true(m->mark_running("second", b).ok());
  auto sd = internal::StateDir::open(f.state);
  auto one = sd->read_domain("first");
  auto two = sd->read_domain("second");
  // Give "second" the live XML of "first", label and all.
  std::string xml = (*one)->live_xml;
  size_t at = xml.find("<name>first</name>");
  xml.replace(at, 18, "<name>second</name>");
  (*two)->live_xml = xml;
  assert_true(sd->write_domain(**two).ok());
  auto r = m->recover();
  assert_true(r.ok());
  assert_int_equal(r->reserved.size(), 1);
  assert_string_equal(r->reserved[0].c_str(), "first");
  assert_int_equal(r->errors.size(), 1);
  assert_non_null(strstr(r->errors[0].message.c_str(), "share a label"));
  assert_non_null(strstr(r->errors[0].message.c_str(), "second"));
  kill(a, SIGKILL);
  kill(b, SIGKILL);
  int status;
  waitpid(a, &status, 0);
  waitpid(b, &status, 0);
}

// A seclabel of a model svirt has no driver for is refused with a line that
// names it, and nothing is labelled or recorded; DAC's and none's pass.
void test_unknown_seclabel_model_refused(void** st) {
  auto& f = *static_cast<Fixture*>(*st);
  std::string a = f.dir + "/a.img";
  write_file(a);
  set_label(a, "system_u:object_r:virt_image_t:s0");
  auto m = open_test_manager(f.state);
  for (const char* model : {"apparmor", "smack"}) {
    auto p = m->prepare(test_domain(
        "vm", disk_xml(a),
        std::string("<seclabel type='dynamic' model='") + model + "' relabel='yes'/>"));
    assert_false(p.ok());
    assert_int_equal(p.error().code, ErrorCode::kInvalidInput);
    assert_non_null(std::strstr(p.error().message.c_str(), model));
    assert_null(std::strchr(p.error().message.c_str(), '\n'));
    assert_string_equal(label_of(a)->c_str(), "system_u:object_r:virt_image_t:s0");
    auto none = m->list();
    assert_true(none.ok() && none->empty());
  }
  auto p = m->prepare(test_domain("vm", disk_xml(a),
                                  "<seclabel type='dynamic' model='selinux' relabel='yes'/>"
                                  "<seclabel type='dynamic' model='dac' relabel='yes'/>"));
  assert_true(p.ok());
  assert_true(m->release("vm").ok());
}

void test_socket_labels(void** st) {
  auto& f = *static_cast<Fixture*>(*st);
  auto m = open_test_manager(f.state);
  auto p = m->prepare(test_domain("sock", ""));
  assert_true(p.ok());
  auto* rec = test_backend_recorder(m->backend());
  assert_non_null(rec);
  rec->clear();
  assert_true(m->set_socket_label("sock").ok());
  assert_true(m->clear_socket_label("sock").ok());
  auto calls = rec->calls();
  assert_int_equal(calls.size(), 2);
  assert_string_equal(calls[0].c_str(), ("set_socket_label " + p->label.label).c_str());
  assert_string_equal(calls[1].c_str(), "clear_socket_label");
  assert_false(m->set_socket_label("nobody").ok());
}

// What chcon and the kernel store (a trailing NUL), what setfattr may store
// (none), and what nothing stops a file from holding.
const std::string kOddOriginals[] = {
    std::string("system_u:object_r:virt_image_t:s0\0", 34),
    "system_u:object_r:virt_image_t:s0",
    std::string("system_u:object_r:a\0b_t:s0", 26),
    "system_u:object_r:\xff\xfe_t:s0",
    "system_u:object_r:x_t:s0\nrestored  /etc/shadow -> ok",
};

// Each original comes back byte for byte after prepare and a release by
// another manager (from the file records alone), and is reported as the
// context it spells: without the trailing NUL, every other byte kept.
void test_originals_restored_byte_exact(void** st) {
  auto& f = *static_cast<Fixture*>(*st);
  std::string disks;
  for (size_t i = 0; i < std::size(kOddOriginals); ++i) {
    std::string img = f.dir + "/odd" + std::to_string(i) + ".img";
    write_file(img);
    set_label(img, kOddOriginals[i]);
    disks += disk_xml(img, "", "vd" + std::string(1, static_cast<char>('a' + i)));
  }
  {
    auto m = open_test_manager(f.state);
    auto p = m->prepare(test_domain("odd", disks));
    assert_true(p.ok());
    assert_int_equal(p->resources.size(), std::size(kOddOriginals));
    assert_true(p->resources[0].original == std::string(kOddOriginals[1]));
    for (size_t i = 1; i < std::size(kOddOriginals); ++i)
      assert_true(p->resources[i].original == kOddOriginals[i]);
  }
  auto m = open_test_manager(f.state);
  auto r = m->release("odd");
  assert_true(r.ok() && r->restore.ok());
  for (const RestoredLabel& item : r->restore.items)
    if (item.resource.path == f.dir + "/odd0.img")
      assert_true(item.restored_to == kOddOriginals[1]);
  for (size_t i = 0; i < std::size(kOddOriginals); ++i)
    assert_true(label_of(f.dir + "/odd" + std::to_string(i) + ".img") == kOddOriginals[i]);
}

// The files journal keeps every byte of an original, and an original a key file
// holds as it is is written as before: one "original" key.
void test_file_records_keep_every_byte(void** st) {
  auto& f = *static_cast<Fixture*>(*st);
  auto sd = internal::StateDir::open(f.state);
  assert_true(sd.ok());
  internal::FileTable table;
  std::vector<std::optional<std::string>> originals(std::begin(kOddOriginals),
                                                    std::end(kOddOriginals));
  originals.push_back(std::string());
  originals.push_back(std::string("\\x41 \\", 6));  // looks escaped, is not
  originals.push_back(std::nullopt);
  for (size_t i = 0; i < originals.size(); ++i) {
    internal::FileRecord rec;
    rec.path = f.dir + "/f" + std::to_string(i);
    rec.original = originals[i];
    rec.label = kImage;
    rec.users = {"vm"};
    table[rec.path] = rec;
  }
  assert_true(sd->save_files(table).ok());
  auto back = sd->load_files();
  assert_true(back.ok());
  assert_int_equal(back->size(), originals.size());
  for (size_t i = 0; i < originals.size(); ++i)
    assert_true(back->at(f.dir + "/f" + std::to_string(i)).original == originals[i]);

  // The journal's records are key-file text behind a binary frame.
  std::ifstream in(f.state + "/files.journal");
  std::stringstream text;
  text << in.rdbuf();
  std::string db = text.str();
  assert_true(db.find("\noriginal=system_u:object_r:virt_image_t:s0\n") != std::string::npos);
  assert_true(db.find("\noriginal_bytes=system_u:object_r:virt_image_t:s0\\x00\n") != std::string::npos);
  assert_true(db.find("\noriginal=system_u:object_r:x_t:s0\\nrestored  /etc") != std::string::npos);
}

// Records written before originals were kept as bytes read as they did,
// including a label that was not UTF-8, which went in raw.
void test_file_records_written_before_read_unchanged(void** st) {
  auto& f = *static_cast<Fixture*>(*st);
  auto sd = internal::StateDir::open(f.state);
  assert_true(sd.ok());
  std::string db =
      "[file 0]\npath=/v/plain.img\noriginal=system_u:object_r:virt_image_t:s0\n"
      "label=system_u:object_r:svirt_image_t:s0:c1,c2\nkind=disk\nusers=vm;\n\n"
      "[file 1]\npath=/v/newline.img\noriginal=a_t:s0\\nb\\sc\\\\d\n"
      "label=system_u:object_r:svirt_image_t:s0:c1,c2\nkind=disk\nusers=vm;\n\n"
      "[file 2]\npath=/v/raw.img\noriginal=system_u:object_r:\xff_t:s0\n"
      "label=system_u:object_r:svirt_image_t:s0:c1,c2\nkind=disk\nusers=vm;\n\n"
      "[file 3]\npath=/v/none.img\n"
      "label=system_u:object_r:svirt_image_t:s0:c1,c2\nkind=disk\nusers=vm;\n";
  assert_true(sd->write_atomic("files.db", db, false).ok());
  auto table = sd->load_files();
  assert_true(table.ok());
  assert_int_equal(table->size(), 4);
  assert_true(table->at("/v/plain.img").original == std::string(kOddOriginals[1]));
  assert_true(table->at("/v/newline.img").original == std::string("a_t:s0\nb c\\d"));
  assert_true(table->at("/v/raw.img").original == std::string("system_u:object_r:\xff_t:s0"));
  assert_false(table->at("/v/none.img").original.has_value());
  assert_string_equal(table->at("/v/none.img").label.c_str(),
                      "system_u:object_r:svirt_image_t:s0:c1,c2");
}

}  // namespace

int main() {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test_setup_teardown(test_prepare_release_restores_originals, setup, teardown),
      cmocka_unit_test_setup_teardown(test_shared_readonly_image_refcounted, setup, teardown),
      cmocka_unit_test_setup_teardown(test_conflicting_label_changes_nothing, setup, teardown),
      cmocka_unit_test_setup_teardown(test_missing_disk_changes_nothing, setup, teardown),
      cmocka_unit_test_setup_teardown(test_system_path_through_symlink_refused, setup, teardown),
      cmocka_unit_test_setup_teardown(test_static_pair_never_drawn_and_exhaustion, setup, teardown),
      cmocka_unit_test_setup_teardown(test_static_conflict, setup, teardown),
      cmocka_unit_test_setup_teardown(test_threads_get_unique_pairs, setup, teardown),
      cmocka_unit_test_setup_teardown(test_processes_get_unique_pairs, setup, teardown),
      cmocka_unit_test_setup_teardown(test_recovery_restores_after_crash, setup, teardown),
      cmocka_unit_test_setup_teardown(test_recovery_after_reboot_and_unstarted, setup, teardown),
      cmocka_unit_test_setup_teardown(test_recovery_after_host_crash_leftovers, setup, teardown),
      cmocka_unit_test_setup_teardown(test_registry_of_another_boot_ignored_corrupt_one_refused,
                                      setup, teardown),
      cmocka_unit_test_setup_teardown(test_release_reports_paths_as_written, setup, teardown),
      cmocka_unit_test_setup_teardown(test_lost_record_fails_release, setup, teardown),
      cmocka_unit_test_setup_teardown(test_damaged_records_contained, setup, teardown),
      cmocka_unit_test_setup_teardown(test_domain_without_resources_writes_no_file_records, setup,
                                      teardown),
      cmocka_unit_test_setup_teardown(test_running_domain_kept_and_release_refused, setup, teardown),
      cmocka_unit_test_setup_teardown(test_release_reports_skipped_and_restores_backing, setup,
                                      teardown),
      cmocka_unit_test_setup_teardown(test_attach_detach, setup, teardown),
      cmocka_unit_test_setup_teardown(test_saved_state_and_mount_options, setup, teardown),
      cmocka_unit_test_setup_teardown(test_filesystem_share_tree, setup, teardown),
      cmocka_unit_test_setup_teardown(test_recovery_reports_shared_live_label, setup, teardown),
      cmocka_unit_test_setup_teardown(test_socket_labels, setup, teardown),
      cmocka_unit_test_setup_teardown(test_unknown_seclabel_model_refused, setup, teardown),
      cmocka_unit_test_setup_teardown(test_originals_restored_byte_exact, setup, teardown),
      cmocka_unit_test_setup_teardown(test_file_records_keep_every_byte, setup, teardown),
      cmocka_unit_test_setup_teardown(test_file_records_written_before_read_unchanged, setup,
                                      teardown),
  };
  return cmocka_run_group_tests_name("manager", tests, nullptr, nullptr);
}
