// SPDX-License-Identifier: LGPL-2.1-or-later
//
// MCS dominance with the test driver: no live label dominates, or is
// dominated by, another live domain's categories (docs/mcs.md). Dynamic
// pairs avoid every pair a static set or range dominates, static labels that
// would reach (or be reached by) a live domain are refused, re-reserving a
// live domain checks the same, and the labels libvirt accepts that weaken
// separation are warned about.
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdlib>
#include <fstream>
#include <csignal>
#include <cstring>
#include <set>
#include <string>
#include <vector>

#include "../core/test_support.h"
#include "core/proc_list.h"
#include "state/state_dir.h"
#include "svirt/context.h"
#include "svirt/manager.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
extern "C" {
#include <cmocka.h>
}

using namespace svirt;
using namespace svirt::testing;

namespace {

constexpr const char* kSvirt = "system_u:system_r:svirt_t:";

using Fixture = Scratch;

int setup(void** st) { return scratch_setup(st, "dominance"); }
int teardown(void** st) { return scratch_teardown(st); }

// A manager whose category pool is `pool` (the high level of its process
// context), "" for the default c0.c1023.
std::unique_ptr<SecurityManager> manager(const Fixture& f, const std::string& pool) {
  Config c;
  if (!pool.empty()) c.process_context = "system_u:system_r:virtd_t:s0-s0:" + pool;
  return open_test_manager(f.state, c);
}

std::string static_seclabel(const std::string& label, const char* relabel = "no") {
  return std::string("<seclabel type='static' model='selinux' relabel='") + relabel +
         "'><label>" + label + "</label></seclabel>";
}

DomainDef static_domain(const std::string& name, const std::string& range) {
  return test_domain(name, "", static_seclabel(kSvirt + range));
}

CategorySet categories_of(const std::string& label) {
  auto c = SecurityContext::parse(label);
  if (!c || !c->range()) return {};
  return c->range()->high.categories;
}

bool has(const std::string& text, const char* part) {
  return text.find(part) != std::string::npos;
}

void expect_has(const std::string& text, const char* part) {
  if (!has(text, part)) fail_msg("'%s' does not say '%s'", text.c_str(), part);
}

bool any_has(const std::vector<std::string>& lines, const char* part) {
  for (const std::string& l : lines)
    if (has(l, part)) return true;
  return false;
}

// Prepares dynamic domains "<prefix>0", "<prefix>1", ... until the pool is
// exhausted; returns their categories and leaves the refusal in `last`.
std::vector<CategorySet> fill(SecurityManager& m, const std::string& prefix, Error* last) {
  std::vector<CategorySet> got;
  for (int i = 0; i < 100000; ++i) {
    auto p = m.prepare(test_domain(prefix + std::to_string(i), ""));
    if (!p) {
      *last = p.error();
      return got;
    }
    got.push_back(categories_of(p->label.label));
  }
  fail_msg("the pool never ran out");
  return got;
}

// A static c0,c1,c2 dominates c0,c1, c0,c2 and c1,c2: in c0.c7 the dynamic
// domains get the other 25 pairs, all distinct, then exhaustion naming it.
void test_static_set_pairs_never_drawn(void** st) {
  auto& f = *static_cast<Fixture*>(*st);
  auto m = manager(f, "c0.c7");
  auto s = m->prepare(static_domain("triple", "s0:c0,c1,c2"));
  assert_true(s.ok());
  Error last;
  std::vector<CategorySet> got = fill(*m, "d", &last);
  assert_int_equal(got.size(), 25);
  std::set<std::string> distinct;
  const CategorySet triple = categories_of(std::string(kSvirt) + "s0:c0,c1,c2");
  for (const CategorySet& c : got) {
    assert_int_equal(c.size(), 2);
    if (c.is_subset_of(triple)) fail_msg("dynamic domain got %s", c.format().c_str());
    distinct.insert(c.format());
  }
  assert_int_equal(distinct.size(), 25);
  assert_int_equal(last.code, ErrorCode::kExhausted);
  expect_has(last.message, "exhausted");
  expect_has(last.message, "'triple'");
}

// A static range c0.c7 in a c0.c15 pool rules out its 28 pairs: 92 dynamic
// domains, none inside c0.c7.
void test_static_range_pairs_excluded(void** st) {
  auto& f = *static_cast<Fixture*>(*st);
  auto m = manager(f, "c0.c15");
  auto s = m->prepare(static_domain("range", "s0-s0:c0.c7"));
  assert_true(s.ok());
  Error last;
  std::vector<CategorySet> got = fill(*m, "d", &last);
  assert_int_equal(got.size(), 120 - 28);
  for (const CategorySet& c : got)
    if (c.is_subset_of(CategorySet::span(0, 7))) fail_msg("got %s", c.format().c_str());
  assert_int_equal(last.code, ErrorCode::kExhausted);
}

// A static label on the whole pool: accepted with a warning, and every
// dynamic domain is then refused at once with that domain named; released,
// the pool is whole again.
void test_whole_space(void** st) {
  auto& f = *static_cast<Fixture*>(*st);
  {
    auto m = manager(f, "c0.c7");
    auto s = m->prepare(static_domain("all", "s0-s0:c0.c7"));
    assert_true(s.ok());
    assert_true(any_has(s->warnings, "every category of the pool"));
    auto d = m->prepare(test_domain("dyn", ""));
    assert_false(d.ok());
    assert_int_equal(d.error().code, ErrorCode::kExhausted);
    expect_has(d.error().message, "domain 'all' holds categories c0.c7");
    expect_has(d.error().message, "'dyn'");
    assert_true(m->release("all").ok());
    Error last;
    assert_int_equal(fill(*m, "after", &last).size(), 28);
    for (int i = 0; i < 28; ++i) assert_true(m->release("after" + std::to_string(i)).ok());
  }
  // The default c0.c1023 space: 523776 pairs, and the refusal still comes
  // at once, from one pass over the live label rather than a pair at a time.
  auto m = manager(f, "");
  assert_true(m->prepare(static_domain("space", "s0-s0:c0.c1023")).ok());
  auto t0 = std::chrono::steady_clock::now();
  for (int i = 0; i < 20; ++i) {
    auto d = m->prepare(test_domain("dyn" + std::to_string(i), ""));
    assert_false(d.ok());
    assert_int_equal(d.error().code, ErrorCode::kExhausted);
    expect_has(d.error().message, "domain 'space' holds categories c0.c1023");
  }
  auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(
                std::chrono::steady_clock::now() - t0)
                .count();
  if (ms > 5000) fail_msg("20 refusals took %lld ms", static_cast<long long>(ms));
  assert_true(m->release("space").ok());
  assert_true(m->prepare(test_domain("dyn", "")).ok());
}

// A static label without categories is dominated by every label: warned
// about, no dynamic domain starts beside it, and it cannot start beside one.
void test_static_without_categories(void** st) {
  auto& f = *static_cast<Fixture*>(*st);
  auto m = manager(f, "c0.c7");
  auto s = m->prepare(static_domain("bare", "s0"));
  assert_true(s.ok());
  assert_true(any_has(s->warnings, "has no categories"));
  auto d = m->prepare(test_domain("dyn", ""));
  assert_false(d.ok());
  assert_int_equal(d.error().code, ErrorCode::kExhausted);
  expect_has(d.error().message, "domain 'bare' holds a label without categories");
  assert_true(m->release("bare").ok());
  assert_true(m->prepare(test_domain("dyn", "")).ok());
  auto again = m->prepare(static_domain("bare", "s0"));
  assert_false(again.ok());
  assert_int_equal(again.error().code, ErrorCode::kConflict);
  expect_has(again.error().message, "'dyn'");
}

// A static label dominating a live dynamic pair (or dominated by it) is
// refused, in one line naming both domains and labels, and nothing of it is
// recorded.
void test_static_dominating_live_dynamic_refused(void** st) {
  auto& f = *static_cast<Fixture*>(*st);
  auto m = manager(f, "");
  auto d = m->prepare(test_domain("dyn", ""));
  assert_true(d.ok());
  std::vector<int> pair = categories_of(d->label.label).to_vector();
  std::string a = "c" + std::to_string(pair[0]), b = "c" + std::to_string(pair[1]);
  int extra = 0;
  while (extra == pair[0] || extra == pair[1]) ++extra;
  std::string over = std::string(kSvirt) + "s0:" +
                     CategorySet::parse(a + "," + b + ",c" + std::to_string(extra))->format();

  auto s = m->prepare(test_domain("wide", "", static_seclabel(over)));
  assert_false(s.ok());
  assert_int_equal(s.error().code, ErrorCode::kConflict);
  const std::string& msg = s.error().message;
  assert_null(strchr(msg.c_str(), '\n'));
  expect_has(msg, "domain 'wide'");
  expect_has(msg, over.c_str());
  expect_has(msg, "dominates");
  expect_has(msg, d->label.label.c_str());
  expect_has(msg, "domain 'dyn'");

  // One category of the pair: every label holding it dominates this one.
  auto one = m->prepare(test_domain("one", "", static_seclabel(kSvirt + ("s0:" + a))));
  assert_false(one.ok());
  assert_int_equal(one.error().code, ErrorCode::kConflict);
  expect_has(one.error().message, "is dominated by");
  // The pair itself, as before.
  auto same = m->prepare(test_domain("same", "", static_seclabel(d->label.label)));
  assert_false(same.ok());
  assert_int_equal(same.error().code, ErrorCode::kConflict);
  expect_has(same.error().message, "same categories");

  auto list = m->list();
  assert_true(list.ok());
  assert_int_equal(list->size(), 1);
  // Released, the same static label is fine.
  assert_true(m->release("dyn").ok());
  assert_true(m->prepare(test_domain("wide", "", static_seclabel(over))).ok());
}

// Between static labels: a set inside a live range is refused, and so is a
// range over a live set; unrelated ones live side by side.
void test_static_dominated_by_live_static_refused(void** st) {
  auto& f = *static_cast<Fixture*>(*st);
  auto m = manager(f, "");
  assert_true(m->prepare(static_domain("big", "s0-s0:c0.c9")).ok());
  auto small = m->prepare(static_domain("small", "s0:c3,c4"));
  assert_false(small.ok());
  assert_int_equal(small.error().code, ErrorCode::kConflict);
  expect_has(small.error().message, "is dominated by");
  expect_has(small.error().message, "domain 'big'");
  expect_has(small.error().message, "s0-s0:c0.c9");
  assert_true(m->prepare(static_domain("beside", "s0:c9,c10")).ok());  // c10 is not in big
  assert_true(m->prepare(static_domain("far", "s0:c20.c30")).ok());
  auto over = m->prepare(static_domain("over", "s0-s0:c20.c40"));
  assert_false(over.ok());
  expect_has(over.error().message, "domain 'far'");
  expect_has(over.error().message, "dominates");

  // Released, what it dominated is free again.
  assert_true(m->release("big").ok());
  assert_true(m->prepare(static_domain("small", "s0:c3,c4")).ok());
}

// The registry holds each live label's categories under their canonical
// text; keys it cannot read are ignored, pairs written before are honoured.
void test_registry_keys(void** st) {
  auto& f = *static_cast<Fixture*>(*st);
  auto m = manager(f, "c0.c7");
  assert_true(m->prepare(static_domain("triple", "s0:c0,c1,c2")).ok());
  auto sd = internal::StateDir::open(f.state);
  assert_true(sd.ok());
  auto reg = sd->load_registry();
  assert_true(reg.ok());
  assert_int_equal(reg->size(), 1);
  assert_string_equal(reg->begin()->first.c_str(), "c0.c2");
  assert_string_equal(reg->begin()->second.c_str(), "triple");

  // A key from elsewhere is skipped; an old pair entry still rules its pair out.
  (*reg)["not a key"] = "ghost";
  (*reg)["c5,c6"] = "triple";
  assert_true(sd->save_registry(*reg).ok());
  auto d = m->prepare(test_domain("dyn", ""));
  assert_true(d.ok());
  std::string got = categories_of(d->label.label).format();
  assert_false(got == "c5,c6");
  assert_false(got == "c0,c1" || got == "c0,c2" || got == "c1,c2");
  // Releasing drops every key the domain held.
  assert_true(m->release("triple").ok());
  reg = sd->load_registry();
  for (const auto& [key, owner] : *reg) assert_false(owner == "triple");
}

// A child standing for a running VM; it dies with the test, should an
// assertion end the test before reap().
pid_t sleeper() {
  pid_t parent = getpid();
  pid_t p = fork();
  if (p == 0) {
    prctl(PR_SET_PDEATHSIG, SIGKILL);
    if (getppid() != parent) _exit(0);
    pause();
    _exit(0);
  }
  return p;
}

void reap(pid_t p) {
  kill(p, SIGKILL);
  int status;
  waitpid(p, &status, 0);
}

// A process that runs under `label` (the test backend reads it from the
// environment, where its exec plan puts it): a VM another manager started.
pid_t labelled_process(const std::string& label, const std::string& host) {
  pid_t parent = getpid();
  pid_t p = fork();
  if (p == 0) {
    prctl(PR_SET_PDEATHSIG, SIGKILL);
    if (getppid() != parent) _exit(0);
    std::string env = "SVIRT_LABEL=" + label;
    std::string on = "SVIRT_TEST_HOST=" + host;
    char* const argv[] = {const_cast<char*>("sleep"), const_cast<char*>("60"), nullptr};
    char* const envp[] = {env.data(), on.data(), nullptr};
    execve("/bin/sleep", argv, envp);
    _exit(127);
  }
  // Until exec, the child's environment is still ours.
  for (int i = 0; i < 1000; ++i) {
    std::string comm;
    std::ifstream(("/proc/" + std::to_string(p) + "/comm").c_str()) >> comm;
    if (comm == "sleep") break;
    usleep(1000);
  }
  return p;
}

// A VM svirt did not start (libvirt's) holds c1,c2: no dynamic domain gets
// that pair, a static label over it is refused naming the process, and a
// process of another type (a root shell's whole range) takes no pair.
void test_foreign_vm_process(void** st) {
  auto& f = *static_cast<Fixture*>(*st);
  auto m = manager(f, "c0.c7");
  pid_t vm = labelled_process(std::string(kSvirt) + "s0:c1,c2", f.state);
  pid_t shell = labelled_process("unconfined_u:unconfined_r:unconfined_t:s0-s0:c0.c7", f.state);
  // A VM of another (fake) host is not this host's.
  pid_t elsewhere = labelled_process(std::string(kSvirt) + "s0:c5,c6", f.state + "-other");

  auto over = m->prepare(static_domain("over", "s0:c1,c2,c3"));
  assert_false(over.ok());
  assert_int_equal(over.error().code, ErrorCode::kConflict);
  assert_non_null(strstr(over.error().message.c_str(),
                         ("running process " + std::to_string(vm)).c_str()));
  // Told to look in no cgroup, svirt does not see it.
  Config blind;
  blind.process_context = "system_u:system_r:virtd_t:s0-s0:c0.c7";
  blind.vm_cgroups.clear();
  auto unseen = open_test_manager(f.state, blind)->prepare(static_domain("unseen", "s0:c1,c2"));
  assert_true(unseen.ok());
  assert_true(open_test_manager(f.state, blind)->release("unseen").ok());

  Error last;
  std::vector<CategorySet> got = fill(*m, "d", &last);
  assert_int_equal(got.size(), 27);
  for (const CategorySet& c : got) assert_false(c == categories_of(std::string(kSvirt) + "s0:c1,c2"));
  assert_int_equal(last.code, ErrorCode::kExhausted);
  // The pair nobody sees in 'svirt list' is named.
  assert_non_null(strstr(last.message.c_str(),
                         ("(1 held by VMs svirt did not start, such as process " +
                          std::to_string(vm) + " running as " + kSvirt + "s0:c1,c2)")
                             .c_str()));

  reap(vm);
  auto freed = m->prepare(test_domain("after", ""));
  assert_true(freed.ok());
  assert_true(categories_of(freed->label.label) == categories_of(std::string(kSvirt) + "s0:c1,c2"));
  reap(shell);
  reap(elsewhere);
}

// The SELinux backend finds VMs it did not start in the configured cgroups
// (machine.slice by default): every cgroup below each (v2 layout, else v1's
// name=systemd), nothing elsewhere.
void test_machine_slice_pids(void** st) {
  auto& f = *static_cast<Fixture*>(*st);
  auto procs = [](const std::string& dir, const std::string& text) {
    assert_int_equal(std::system(("mkdir -p '" + dir + "'").c_str()), 0);
    write_file(dir + "/cgroup.procs", text);
  };
  std::string v2 = f.dir + "/v2";
  procs(v2 + "/machine.slice", "");
  procs(v2 + "/machine.slice/machine-qemu\\x2d1\\x2dweb.scope", "123\n456\n");
  procs(v2 + "/machine.slice/machine-qemu\\x2d2\\x2ddb.scope/libvirt/emulator", "789\n");
  procs(v2 + "/system.slice/sshd.service", "42\n");
  const std::vector<std::string> dflt = Config{}.vm_cgroups;
  std::vector<pid_t> got = internal::vm_cgroup_pids(dflt, v2);
  std::sort(got.begin(), got.end());
  assert_int_equal(got.size(), 3);
  assert_int_equal(got[0], 123);
  assert_int_equal(got[1], 456);
  assert_int_equal(got[2], 789);

  std::string v1 = f.dir + "/v1";
  procs(v1 + "/systemd/machine.slice/machine-qemu\\x2d3.scope", "321\n");
  got = internal::vm_cgroup_pids(dflt, v1);
  assert_int_equal(got.size(), 1);
  assert_int_equal(got[0], 321);
  assert_true(internal::vm_cgroup_pids(dflt, f.dir + "/none").empty());

  // More cgroups configured: a stack's own slice too; none: nothing read.
  procs(v2 + "/vms.slice/web", "555\n");
  got = internal::vm_cgroup_pids({"/machine.slice", "/vms.slice"}, v2);
  assert_int_equal(got.size(), 4);
  assert_true(std::find(got.begin(), got.end(), 555) != got.end());
  assert_true(internal::vm_cgroup_pids({}, v2).empty());
  auto bad = Config::parse("[security]\nvm_cgroups = /\n");
  assert_false(bad.ok());
  assert_non_null(strstr(bad.error().message.c_str(), "vm_cgroups"));
  assert_false(Config::parse("[security]\nvm_cgroups = /a/../b\n").ok());
  auto two = Config::parse("[security]\nvm_cgroups = /machine.slice;/vms.slice/\n");
  assert_true(two.ok() && two->vm_cgroups.size() == 2 && two->vm_cgroups[1] == "/vms.slice");
  auto none = Config::parse("[security]\nvm_cgroups =\n");
  assert_true(none.ok() && none->vm_cgroups.empty());
}

// After a restart reserve_label registers a running domain's whole set
// again (here after mcs.db was lost), and refuses one whose label dominates
// another running domain's.
void test_reserve_label(void** st) {
  auto& f = *static_cast<Fixture*>(*st);
  auto m = manager(f, "c0.c7");
  assert_true(m->prepare(static_domain("first", "s0:c0,c1,c2")).ok());
  assert_true(m->prepare(static_domain("second", "s0:c5,c6")).ok());
  pid_t a = sleeper(), b = sleeper();
  assert_true(m->mark_running("first", a).ok());
  assert_true(m->mark_running("second", b).ok());

  assert_int_equal(unlink((f.state + "/mcs.db").c_str()), 0);
  auto r = m->recover();
  assert_true(r.ok());
  assert_int_equal(r->reserved.size(), 2);
  assert_int_equal(r->errors.size(), 0);
  auto sd = internal::StateDir::open(f.state);
  auto reg = sd->load_registry();
  assert_int_equal(reg->count("c0.c2"), 1);
  assert_int_equal(reg->count("c5,c6"), 1);
  // Registered again, the set keeps its dominated pairs from dynamic domains.
  Error last;
  std::vector<CategorySet> got = fill(*m, "d", &last);
  assert_int_equal(got.size(), 28 - 3 - 1);
  for (int i = 0; i < static_cast<int>(got.size()); ++i)
    assert_true(m->release("d" + std::to_string(i)).ok());

  // "second" now claims a range over "first"'s set (its record edited
  // behind svirt's back): kept, but reported, naming both.
  auto two = sd->read_domain("second");
  std::string xml = (*two)->live_xml;
  size_t at = xml.find("s0:c5,c6");
  assert_true(at != std::string::npos);
  xml.replace(at, 8, "s0-s0:c0.c5");
  (*two)->live_xml = xml;
  assert_true(sd->write_domain(**two).ok());
  r = m->recover();
  assert_true(r.ok());
  assert_int_equal(r->reserved.size(), 1);
  assert_string_equal(r->reserved[0].c_str(), "first");
  assert_int_equal(r->errors.size(), 1);
  const std::string& msg = r->errors[0].message;
  expect_has(msg, "domain 'second'");
  expect_has(msg, "s0-s0:c0.c5");
  expect_has(msg, "dominates");
  expect_has(msg, "domain 'first'");
  reap(a);
  reap(b);
}

// (a) A label whose type is not a VM domain type is accepted, as libvirt
// accepts it, with a warning; the VM types are not warned about.
void test_warning_unconfined_type(void** st) {
  auto& f = *static_cast<Fixture*>(*st);
  auto m = manager(f, "");
  auto u = m->prepare(test_domain(
      "u", "", static_seclabel("unconfined_u:unconfined_r:unconfined_t:s0:c5,c6")));
  assert_true(u.ok());
  assert_true(any_has(u->warnings, "not confined by the VM policy"));
  assert_true(any_has(u->warnings, "'unconfined_t'"));
  auto base = m->prepare(test_domain("base", "",
                                     "<seclabel type='dynamic' model='selinux'>"
                                     "<baselabel>system_u:sysadm_r:sysadm_t:s0</baselabel>"
                                     "</seclabel>"));
  assert_true(base.ok());
  assert_true(any_has(base->warnings, "'sysadm_t'"));
  for (const char* type : {"svirt_t", "svirt_tcg_t", "svirt_kvm_net_t", "svirt_qemu_net_t"}) {
    std::string name = std::string("vm-") + type;
    auto p = m->prepare(test_domain(name, "",
                                    "<seclabel type='dynamic' model='selinux'><baselabel>"
                                    "system_u:system_r:" +
                                        std::string(type) + ":s0</baselabel></seclabel>"));
    assert_true(p.ok());
    if (any_has(p->warnings, "not confined")) fail_msg("%s warned about", type);
  }
  auto plain = m->prepare(test_domain("plain", ""));
  assert_true(plain.ok());
  assert_false(any_has(plain->warnings, "not confined"));
}

// (b) A disk's own <label> with another live domain's categories, or ones
// dominating or dominated by them, is warned about, naming that domain.
void test_warning_source_label_of_another_domain(void** st) {
  auto& f = *static_cast<Fixture*>(*st);
  auto m = manager(f, "");
  auto other = m->prepare(static_domain("other", "s0:c7,c8"));
  assert_true(other.ok());
  struct Case {
    const char* range;
    const char* relation;  // "" when no warning is due
  } cases[] = {
      {"s0:c7,c8", "same categories"},
      {"s0:c7,c8,c100", "dominates"},
      {"s0:c7", "is dominated by"},
      {"s0:c9,c10", ""},
      {"s0", ""},  // the shared label: every VM reaches it by design
  };
  int n = 0;
  for (const Case& c : cases) {
    std::string img = f.dir + "/img" + std::to_string(n) + ".img";
    write_file(img);
    std::string disk = "<disk type='file' device='disk'><source file='" + img +
                       "'><seclabel model='selinux' relabel='yes'><label>"
                       "system_u:object_r:svirt_image_t:" +
                       c.range + "</label></seclabel></source><target dev='vda'/></disk>";
    std::string name = "vm" + std::to_string(n++);
    auto p = m->prepare(test_domain(name, disk));
    assert_true(p.ok());
    bool warned = any_has(p->warnings, "live domain 'other'");
    if (*c.relation == '\0') {
      if (warned) fail_msg("%s: warned: %s", c.range, p->warnings[0].c_str());
    } else {
      if (!warned) fail_msg("%s: no warning naming 'other'", c.range);
      assert_true(any_has(p->warnings, c.relation));
      assert_true(any_has(p->warnings, img.c_str()));
    }
    assert_true(m->release(name).ok());
  }
}

}  // namespace

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test_setup_teardown(test_static_set_pairs_never_drawn, setup, teardown),
      cmocka_unit_test_setup_teardown(test_static_range_pairs_excluded, setup, teardown),
      cmocka_unit_test_setup_teardown(test_whole_space, setup, teardown),
      cmocka_unit_test_setup_teardown(test_static_without_categories, setup, teardown),
      cmocka_unit_test_setup_teardown(test_static_dominating_live_dynamic_refused, setup,
                                      teardown),
      cmocka_unit_test_setup_teardown(test_static_dominated_by_live_static_refused, setup,
                                      teardown),
      cmocka_unit_test_setup_teardown(test_registry_keys, setup, teardown),
      cmocka_unit_test_setup_teardown(test_reserve_label, setup, teardown),
      cmocka_unit_test_setup_teardown(test_foreign_vm_process, setup, teardown),
      cmocka_unit_test_setup_teardown(test_machine_slice_pids, setup, teardown),
      cmocka_unit_test_setup_teardown(test_warning_unconfined_type, setup, teardown),
      cmocka_unit_test_setup_teardown(test_warning_source_label_of_another_domain, setup,
                                      teardown),
  };
  return cmocka_run_group_tests(tests, nullptr, nullptr);
}
