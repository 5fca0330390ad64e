// SPDX-License-Identifier: LGPL-2.1-or-later
//
// How long audit() takes for a large host: 50 domains and 100,000 files that
// share about 300 labels (each domain's disks, temp and home files; content
// every domain reads; leftovers of domains that are gone; files of other
// services). Not a test: run it by hand (docs/audit.md).
//
//   audit_bench [POLICY_FILE] [DOMAINS] [FILES]
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <vector>

#include "svirt/audit.h"

using namespace svirt;
using Clock = std::chrono::steady_clock;

namespace {

double ms_since(Clock::time_point t0) {
  return std::chrono::duration<double, std::milli>(Clock::now() - t0).count();
}

std::string cats(int a, int b) { return "c" + std::to_string(a) + ",c" + std::to_string(b); }

}  // namespace

int main(int argc, char** argv) {
  std::string policy;
  if (argc > 1) {
    policy = argv[1];
  } else {
    auto f = default_policy_file();
    if (!f) {
      std::fprintf(stderr, "audit_bench: %s\n", f.error().message.c_str());
      return 2;
    }
    policy = *f;
  }
  int domains = argc > 2 ? std::atoi(argv[2]) : 50;
  int files = argc > 3 ? std::atoi(argv[3]) : 100000;
  if (domains < 1 || domains > 400 || files < 1) {
    std::fprintf(stderr, "usage: audit_bench [POLICY_FILE] [DOMAINS<=400] [FILES]\n");
    return 1;
  }

  auto t0 = Clock::now();
  auto oracle = open_policy(policy);
  if (!oracle) {
    std::fprintf(stderr, "audit_bench: %s\n", oracle.error().message.c_str());
    return 2;
  }
  double load_ms = ms_since(t0);

  std::vector<AuditSubject> subjects;
  std::vector<std::string> per_domain;  // labels owned by one domain, 4 per domain
  for (int d = 0; d < domains; ++d) {
    std::string c = cats(2 * d, 2 * d + 1);
    subjects.push_back({"vm" + std::to_string(d), "system_u:system_r:svirt_t:s0:" + c,
                        "system_u:object_r:svirt_image_t:s0:" + c});
    for (const char* type : {"svirt_image_t", "svirt_tmp_t", "svirt_tmpfs_t", "svirt_home_t"})
      per_domain.push_back(std::string("system_u:object_r:") + type + ":s0:" + c);
  }
  std::vector<std::string> leftovers,
      others = {"system_u:object_r:virt_image_t:s0", "system_u:object_r:user_home_t:s0",
                "system_u:object_r:tmp_t:s0",        "system_u:object_r:etc_t:s0",
                "system_u:object_r:var_lib_t:s0",    "system_u:object_r:virt_var_lib_t:s0",
                "system_u:object_r:virt_etc_t:s0",   "system_u:object_r:default_t:s0"};
  for (int i = 0; i < 80; ++i)
    leftovers.push_back("system_u:object_r:svirt_image_t:s0:" + cats(900 + i, 1000 + i % 20));

  // 95% per-domain files, 3% leftovers, 1.9% other services, 0.1% shared content.
  std::vector<AuditObject> objects;
  objects.reserve(files);
  for (int i = 0; i < files; ++i) {
    AuditObject o;
    o.path = "/srv/vm/f" + std::to_string(i);
    int k = i % 1000;
    if (k < 950) {
      int d = i % domains;
      o.label = per_domain[4 * d + (i / domains) % 4];
      o.owners = {subjects[d].name};
    } else if (k < 980) {
      o.label = leftovers[i % leftovers.size()];
    } else if (k < 999) {
      o.label = others[i % others.size()];
      if (i % 2 == 0) o.tclass = "dir";
    } else {
      o.label = "system_u:object_r:virt_content_t:s0";
    }
    objects.push_back(std::move(o));
  }

  t0 = Clock::now();
  auto report = audit(subjects, objects, **oracle);
  double audit_ms = ms_since(t0);
  if (!report) {
    std::fprintf(stderr, "audit_bench: %s\n", report.error().message.c_str());
    return 2;
  }
  std::size_t outside = 0, cross = 0;
  for (const DomainAudit& d : report->domains) {
    outside += d.outside.size();
    cross += d.cross_domain;
  }
  std::printf("policy %s: loaded in %.0f ms\n", policy.c_str(), load_ms);
  std::printf("%d domains x %d files, %zu distinct labels, %zu policy queries: %.0f ms\n", domains,
              files, report->labels, report->queries, audit_ms);
  std::printf("outside accesses %zu, cross-domain %zu, findings %zu (leftover-label %zu)\n",
              outside, cross, report->findings.size(),
              report->count_findings(kFindingLeftoverLabel));
  return cross == 0 ? 0 : 1;
}
