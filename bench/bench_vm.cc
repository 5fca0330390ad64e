// SPDX-License-Identifier: LGPL-2.1-or-later
//
// VM start/stop overhead: prepare + release of a domain with four disk images
// through SecurityManager (driver "test", labels in user xattrs), against the
// floor of the same work done bare: as many lgetxattr/lsetxattr calls as the
// backend made, plus one fsync'd state file write.
#include <stdio.h>
#include <sys/xattr.h>
#include <unistd.h>

#include <cstring>
#include <string>
#include <vector>

#include "bench.h"
#include "svirt/manager.h"
#include "svirt/test_backend.h"

namespace svirt_bench {
namespace {

constexpr const char* kXattr = "user.svirt.label";
constexpr const char* kFloorLabel = "system_u:object_r:svirt_image_t:s0:c1,c2";

bool make_image(const std::string& path) {
  FILE* f = fopen(path.c_str(), "w");
  if (f == nullptr) return false;
  fputs("image", f);
  return fclose(f) == 0;
}

std::string domain_xml(const std::vector<std::string>& disks) {
  std::string xml = "<domain type='kvm'><name>vm-bench</name><memory>1048576</memory><devices>";
  const char* targets[] = {"vda", "vdb", "vdc", "vdd"};
  for (size_t i = 0; i < disks.size(); ++i) {
    xml += "<disk type='file' device='disk'><driver name='qemu' type='raw'/><source file='" +
           disks[i] + "'/><target dev='" + targets[i] + "' bus='virtio'/></disk>";
  }
  return xml + "</devices></domain>";
}

struct CallCount {
  int gets = 0;
  int sets = 0;  // set_label and remove_label
};

CallCount count_calls(const std::vector<std::string>& calls) {
  CallCount c;
  for (const std::string& call : calls) {
    if (call.rfind("get_label ", 0) == 0) ++c.gets;
    if (call.rfind("set_label ", 0) == 0 || call.rfind("remove_label ", 0) == 0) ++c.sets;
  }
  return c;
}

// The bare floor: the same number of xattr reads and writes on the same
// files, and one atomic fsync'd write of a state file.
double floor_us(const std::vector<std::string>& disks, CallCount calls, const std::string& dir,
                int n) {
  std::string state = dir + "/floor.state", tmp = state + ".tmp";
  std::string record(1500, 'x');  // about the size of a domain record
  char buf[256];
  Clock::time_point start = Clock::now();
  for (int i = 0; i < n; ++i) {
    for (int g = 0; g < calls.gets; ++g) {
      lgetxattr(disks[g % disks.size()].c_str(), kXattr, buf, sizeof buf);
    }
    for (int s = 0; s < calls.sets; ++s) {
      lsetxattr(disks[s % disks.size()].c_str(), kXattr, kFloorLabel, strlen(kFloorLabel), 0);
    }
    FILE* f = fopen(tmp.c_str(), "w");
    fwrite(record.data(), 1, record.size(), f);
    fflush(f);
    fsync(fileno(f));
    fclose(f);
    rename(tmp.c_str(), state.c_str());
    FILE* d = fopen(dir.c_str(), "r");
    fsync(fileno(d));
    fclose(d);
  }
  return seconds_since(start) * 1e6 / n;
}

}  // namespace

void bench_vm(const Options& opts, Report& report) {
  progress("vm start/stop");
  std::string dir = make_scratch_dir(opts.scratch);
  if (dir.empty()) {
    progress("cannot create a scratch directory in " + opts.scratch);
    return;
  }
  std::vector<std::string> disks;
  for (int i = 0; i < 4; ++i) {
    disks.push_back(dir + "/disk" + std::to_string(i) + ".img");
    if (!make_image(disks.back())) {
      progress("cannot create " + disks.back());
      remove_tree(dir);
      return;
    }
  }
  if (lsetxattr(disks[0].c_str(), kXattr, "probe", 5, 0) != 0) {
    progress(opts.scratch + " has no user extended attributes: vm bench skipped");
    remove_tree(dir);
    return;
  }
  lremovexattr(disks[0].c_str(), kXattr);

  svirt::ManagerOptions mo;
  mo.driver = "test";
  mo.state_dir = dir + "/state";
  mo.config = svirt::Config{};
  auto mgr = svirt::SecurityManager::open(mo);
  auto def = svirt::DomainDef::parse(domain_xml(disks));
  if (!mgr || !def) {
    progress("vm bench: " + (!mgr ? mgr.error().message : def.error().message));
    remove_tree(dir);
    return;
  }
  svirt::TestBackendRecorder* rec = svirt::test_backend_recorder((*mgr)->backend());

  // One op to learn how many label calls it takes (and to create the state files).
  rec->clear();
  auto p0 = (*mgr)->prepare(*def);
  auto r0 = (*mgr)->release(def->name);
  if (!p0 || !r0 || !r0->restore.ok()) {
    progress("vm bench: first prepare/release failed: " + (!p0   ? p0.error().message
                                                           : !r0 ? r0.error().message
                                                                 : r0->restore.summary().message));
    remove_tree(dir);
    return;
  }
  CallCount calls = count_calls(rec->calls());

  // A slow disk makes each op cost many milliseconds: stop at a time cap.
  const int max_ops = opts.quick ? 30 : 120;
  const double cap = opts.quick ? 3 : 4;
  bool ok = true;
  double cpu0 = thread_cpu_seconds();
  Clock::time_point start = Clock::now();
  int n = 0;
  for (; n < max_ops && (n < 5 || seconds_since(start) < cap); ++n) {
    auto p = (*mgr)->prepare(*def);
    auto r = (*mgr)->release(def->name);
    if (!p || !r || !r->restore.ok()) ok = false;
    // The recorder keeps every call; it is test machinery, not part of the cost.
    rec->clear();
  }
  double us = seconds_since(start) * 1e6 / n;
  double cpu_us = (thread_cpu_seconds() - cpu0) * 1e6 / n;
  double floor_cpu0 = thread_cpu_seconds();
  double floor = floor_us(disks, calls, dir, n);
  double floor_cpu_us = (thread_cpu_seconds() - floor_cpu0) * 1e6 / n;

  Figure f;
  f.name = "vm prepare+release, 4 disks (" + fs_type(dir) + ")";
  f.value = us;
  f.unit = "us/op";
  f.baseline = std::to_string(calls.gets) + " lgetxattr + " + std::to_string(calls.sets) +
               " lsetxattr + one fsync'd state file write";
  f.baseline_value = floor;
  f.ratio = floor / us;
  f.target = "<= 2x floor (ratio >= 0.5)";
  f.met = ok && us <= 2 * floor;
  f.note = "CPU " + std::to_string(static_cast<long>(cpu_us)) + " us/op vs the floor's " +
           std::to_string(static_cast<long>(floor_cpu_us)) + " us/op";
  if (!ok) f.note = "a prepare or release FAILED; " + f.note;
  report.add(f);
  progress(f.name + ": " + std::to_string(us) + " us vs floor " + std::to_string(floor) + " us");
  remove_tree(dir);
}

}  // namespace svirt_bench
