// SPDX-License-Identifier: LGPL-2.1-or-later
//
// 4 processes x 250 prepare/release cycles on a pool of 28 pairs, each domain
// with a private disk and two read-only images shared by everyone. No two
// domains may ever hold the same pair at the same time, no refcount may be
// lost (a shared image keeps the content label while anyone holds it), and at
// the end every file carries its original label again.
//
// A pair is held from before prepare() returns until after release() is
// called; if two cycles with the same label have overlapping
// [prepare returned, release called] windows, both held it at once.
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <fstream>
#include <map>
#include <sstream>
#include <string>
#include <vector>

#include "../core/test_support.h"
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

constexpr int kProcs = 4;
constexpr int kCycles = 250;
constexpr const char* kContent = "system_u:object_r:virt_content_t:s0";

std::string g_dir;

int64_t now_ns() {
  timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return static_cast<int64_t>(ts.tv_sec) * 1000000000 + ts.tv_nsec;
}

std::string disk(const std::string& path, const std::string& dev, const std::string& extra) {
  return "<disk type='file' device='disk'><source file='" + path + "'/><target dev='" + dev +
         "'/>" + extra + "</disk>";
}

// One worker process: writes "label start end" lines, returns the number of
// inconsistencies it saw itself.
int worker(int id, const Config& config) {
  ManagerOptions o;
  o.driver = "test";
  o.state_dir = g_dir + "/state";
  o.config = config;
  auto m = SecurityManager::open(o);
  if (!m) return 1000;
  std::ofstream log(g_dir + "/log." + std::to_string(id));
  int bad = 0;
  for (int i = 0; i < kCycles; ++i) {
    std::string name = "w" + std::to_string(id) + "-" + std::to_string(i);
    std::string own = g_dir + "/own" + std::to_string(id) + ".img";
    std::string xml = "<domain type='kvm'><name>" + name + "</name><devices>" +
                      disk(own, "vda", "") + disk(g_dir + "/shared1.iso", "hdc", "<readonly/>") +
                      disk(g_dir + "/shared2.iso", "hdd", "<readonly/>") + "</devices></domain>";
    auto def = DomainDef::parse(xml);
    if (!def) return 1000;
    auto p = (*m)->prepare(*def);
    if (!p) {
      std::fprintf(stderr, "worker %d: %s\n", id, p.error().message.c_str());
      ++bad;
      continue;
    }
    int64_t held_from = now_ns();
    if (label_of(own) != p->label.imagelabel) ++bad;
    if (label_of(g_dir + "/shared1.iso") != std::optional<std::string>(kContent)) ++bad;
    if (label_of(g_dir + "/shared2.iso") != std::optional<std::string>(kContent)) ++bad;
    int64_t held_to = now_ns();
    auto r = (*m)->release(name);
    if (!r || !r->restore.ok()) ++bad;
    log << p->label.label << " " << held_from << " " << held_to << "\n";
  }
  log.close();
  return bad;
}

void test_four_processes(void**) {
  Config c;
  c.process_context = "system_u:system_r:virtd_t:s0-s0:c0.c7";  // 28 pairs
  write_file(g_dir + "/shared1.iso");
  write_file(g_dir + "/shared2.iso");
  set_label(g_dir + "/shared1.iso", "system_u:object_r:user_home_t:s0");
  for (int p = 0; p < kProcs; ++p) {
    write_file(g_dir + "/own" + std::to_string(p) + ".img");
    set_label(g_dir + "/own" + std::to_string(p) + ".img", "system_u:object_r:virt_image_t:s0");
  }
  std::vector<pid_t> kids;
  for (int p = 0; p < kProcs; ++p) {
    pid_t pid = fork();
    if (pid == 0) _exit(std::min(worker(p, c), 250));
    kids.push_back(pid);
  }
  int worker_bad = 0;
  for (pid_t k : kids) {
    int status = 0;
    waitpid(k, &status, 0);
    assert_true(WIFEXITED(status));
    worker_bad += WEXITSTATUS(status);
  }
  assert_int_equal(worker_bad, 0);

  struct Hold {
    int64_t from, to;
    int proc;
  };
  std::map<std::string, std::vector<Hold>> by_label;
  size_t cycles = 0;
  for (int p = 0; p < kProcs; ++p) {
    std::ifstream in(g_dir + "/log." + std::to_string(p));
    std::string label;
    int64_t from, to;
    while (in >> label >> from >> to) {
      by_label[label].push_back({from, to, p});
      ++cycles;
    }
  }
  assert_int_equal(cycles, kProcs * kCycles);
  int overlaps = 0;
  for (auto& [label, holds] : by_label) {
    std::sort(holds.begin(), holds.end(), [](const Hold& a, const Hold& b) { return a.from < b.from; });
    for (size_t i = 1; i < holds.size(); ++i)
      if (holds[i].from < holds[i - 1].to) ++overlaps;
  }
  std::fprintf(stderr, "%zu cycles, %zu distinct labels, %d overlapping holds\n", cycles,
               by_label.size(), overlaps);
  assert_int_equal(overlaps, 0);
  // Collisions were possible: far more cycles than pairs.
  assert_true(by_label.size() <= 28);

  assert_string_equal(label_of(g_dir + "/shared1.iso")->c_str(), "system_u:object_r:user_home_t:s0");
  assert_false(label_of(g_dir + "/shared2.iso").has_value());
  for (int p = 0; p < kProcs; ++p)
    assert_string_equal(label_of(g_dir + "/own" + std::to_string(p) + ".img")->c_str(),
                        "system_u:object_r:virt_image_t:s0");
}

}  // namespace

int main() {
  g_dir = make_xattr_tmpdir();
  if (g_dir.empty()) {
    std::printf("SKIPPED: no filesystem with user xattrs\n");
    return 77;
  }
  const struct CMUnitTest tests[] = {cmocka_unit_test(test_four_processes)};
  int rc = cmocka_run_group_tests_name("concurrency", tests, nullptr, nullptr);
  remove_tree(g_dir);
  return rc;
}
