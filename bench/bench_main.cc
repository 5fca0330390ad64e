// SPDX-License-Identifier: LGPL-2.1-or-later
//
// svirt-bench: svirt's costs against the baselines they replace. Run it
// through bench/run, which builds it in release mode first.
//
//   svirt-bench [--quick] [--json] [--only alloc,vm,tree]
//               [--scratch DIR] [--tree-dir DIR]
#include <ftw.h>
#include <stdio.h>
#include <sys/resource.h>
#include <sys/statfs.h>
#include <sys/utsname.h>
#include <time.h>
#include <unistd.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <iostream>
#include <sstream>

#include "bench.h"

namespace svirt_bench {

double thread_cpu_seconds() {
  struct timespec ts {};
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
  return static_cast<double>(ts.tv_sec) + static_cast<double>(ts.tv_nsec) * 1e-9;
}

double median(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  size_t n = v.size();
  return n % 2 == 1 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

std::string make_scratch_dir(const std::string& parent) {
  std::string tmpl = parent + "/svirt-bench-XXXXXX";
  if (mkdtemp(tmpl.data()) == nullptr) return {};
  return tmpl;
}

void remove_tree(const std::string& dir) {
  if (dir.empty()) return;
  nftw(
      dir.c_str(), [](const char* p, const struct stat*, int, struct FTW*) { return remove(p); },
      64, FTW_DEPTH | FTW_PHYS);
}

std::string fs_type(const std::string& path) {
  struct statfs fs {};
  if (statfs(path.c_str(), &fs) != 0) return "unknown";
  switch (static_cast<unsigned long>(fs.f_type)) {
    case 0xEF53:
      return "ext4";
    case 0x01021994:
      return "tmpfs";
    case 0x58465342:
      return "xfs";
    case 0x9123683E:
      return "btrfs";
    case 0x794c7630:
      return "overlayfs";
    default: {
      char buf[32];
      snprintf(buf, sizeof buf, "0x%lx", static_cast<unsigned long>(fs.f_type));
      return buf;
    }
  }
}

void progress(const std::string& line) { std::cerr << "bench: " << line << std::endl; }

namespace {

std::string json_string(const std::string& s) {
  std::string out = "\"";
  for (unsigned char c : s) {
    switch (c) {
      case '"':
        out += "\\\"";
        break;
      case '\\':
        out += "\\\\";
        break;
      case '\n':
        out += "\\n";
        break;
      default:
        if (c < 0x20) {
          char buf[8];
          snprintf(buf, sizeof buf, "\\u%04x", c);
          out += buf;
        } else {
          out += static_cast<char>(c);
        }
    }
  }
  return out + "\"";
}

std::string json_number(std::optional<double> v) {
  if (!v || !std::isfinite(*v)) return "null";
  char buf[64];
  snprintf(buf, sizeof buf, "%.6g", *v);
  return buf;
}

std::string fmt(double v) {
  char buf[64];
  if (v != 0 && (std::fabs(v) < 0.01 || std::fabs(v) >= 1e6)) {
    snprintf(buf, sizeof buf, "%.3g", v);
  } else {
    snprintf(buf, sizeof buf, "%.3f", v);
  }
  return buf;
}

std::string first_line_of(const std::string& file, const std::string& key) {
  std::ifstream in(file);
  std::string line;
  while (std::getline(in, line)) {
    if (line.rfind(key, 0) == 0) {
      size_t colon = line.find(':');
      if (colon == std::string::npos) return line;
      size_t start = line.find_first_not_of(" \t", colon + 1);
      return start == std::string::npos ? "" : line.substr(start);
    }
  }
  return "unknown";
}

// A daemon that labels large trees runs with a high descriptor limit
// (libvirtd's unit sets LimitNOFILE=1048576); so does this benchmark.
void raise_fd_limit() {
  struct rlimit rl {};
  if (getrlimit(RLIMIT_NOFILE, &rl) != 0) return;
  rlim_t want = 1 << 20;
  if (rl.rlim_max < want) {
    struct rlimit up = {want, want};
    if (setrlimit(RLIMIT_NOFILE, &up) == 0) return;
  }
  rl.rlim_cur = rl.rlim_max;
  setrlimit(RLIMIT_NOFILE, &rl);
}

// The 1-minute load average: on a busy machine, wall times grow and threads
// stop scaling, while CPU times stay put.
std::string load_average() {
  std::ifstream in("/proc/loadavg");
  std::string first;
  in >> first;
  return first.empty() ? "unknown" : first;
}

bool wanted(const Options& o, const std::string& suite) {
  return o.only.empty() || std::find(o.only.begin(), o.only.end(), suite) != o.only.end();
}

int usage() {
  std::cerr << "usage: svirt-bench [--quick] [--json] [--only alloc,vm,tree] [--scratch DIR] "
               "[--tree-dir DIR]\n";
  return 2;
}

}  // namespace

void Report::print_table() const {
  printf("%-44s %12s %-6s %12s %9s  %-26s %s\n", "figure", "value", "unit", "baseline", "ratio",
         "target", "met");
  for (const Figure& f : figures_) {
    printf("%-44s %12s %-6s %12s %9s  %-26s %s\n", f.name.c_str(), fmt(f.value).c_str(),
           f.unit.c_str(), f.baseline_value ? fmt(*f.baseline_value).c_str() : "-",
           f.ratio ? (fmt(*f.ratio) + "x").c_str() : "-", f.target.empty() ? "-" : f.target.c_str(),
           !f.met   ? "-"
           : *f.met ? "yes"
                    : "NO");
  }
  printf("\nBaselines:\n");
  for (const Figure& f : figures_) {
    if (!f.baseline.empty()) printf("  %s: %s\n", f.name.c_str(), f.baseline.c_str());
  }
  bool any_note = false;
  for (const Figure& f : figures_) {
    if (f.note.empty()) continue;
    if (!any_note) printf("\nNotes:\n");
    any_note = true;
    printf("  %s: %s\n", f.name.c_str(), f.note.c_str());
  }
}

std::string Report::json() const {
  std::ostringstream out;
  out << "{\"results\": [";
  for (size_t i = 0; i < figures_.size(); ++i) {
    const Figure& f = figures_[i];
    if (i > 0) out << ", ";
    out << "{\"name\": " << json_string(f.name) << ", \"value\": " << json_number(f.value)
        << ", \"unit\": " << json_string(f.unit)
        << ", \"baseline\": " << (f.baseline.empty() ? "null" : json_string(f.baseline))
        << ", \"baseline_value\": " << json_number(f.baseline_value)
        << ", \"ratio\": " << json_number(f.ratio)
        << ", \"target\": " << (f.target.empty() ? "null" : json_string(f.target)) << ", \"met\": "
        << (!f.met   ? "null"
            : *f.met ? "true"
                     : "false")
        << "}";
  }
  out << "]}";
  return out.str();
}

}  // namespace svirt_bench

int main(int argc, char** argv) {
  using namespace svirt_bench;
  Options opts;
  bool json = false;
  for (int i = 1; i < argc; ++i) {
    std::string a = argv[i];
    auto value = [&]() -> std::string {
      if (i + 1 >= argc) exit(usage());
      return argv[++i];
    };
    if (a == "--quick") {
      opts.quick = true;
    } else if (a == "--json") {
      json = true;
    } else if (a == "--scratch") {
      opts.scratch = value();
    } else if (a == "--tree-dir") {
      opts.tree_parent = value();
    } else if (a == "--only") {
      std::stringstream list(value());
      std::string s;
      while (std::getline(list, s, ',')) opts.only.push_back(s);
    } else {
      return usage();
    }
  }
  raise_fd_limit();

  const std::string load_before = load_average();
  Clock::time_point start = Clock::now();
  Report report;
  if (wanted(opts, "alloc")) bench_allocation(opts, report);
  if (wanted(opts, "vm")) bench_vm(opts, report);
  if (wanted(opts, "tree")) bench_tree(opts, report);

  struct utsname u {};
  uname(&u);
  struct rlimit rl {};
  getrlimit(RLIMIT_NOFILE, &rl);
  printf("machine: %ld CPUs (%s), kernel %s, scratch %s (%s), tree %s (%s), RLIMIT_NOFILE %llu\n",
         sysconf(_SC_NPROCESSORS_ONLN), first_line_of("/proc/cpuinfo", "model name").c_str(),
         u.release, opts.scratch.c_str(), fs_type(opts.scratch).c_str(), opts.tree_parent.c_str(),
         fs_type(opts.tree_parent).c_str(), static_cast<unsigned long long>(rl.rlim_cur));
  printf("mode: %s, %.1f s; load average (1 min) %s before, %s after\n\n",
         opts.quick ? "quick" : "full", seconds_since(start), load_before.c_str(),
         load_average().c_str());
  report.print_table();
  if (json) printf("%s\n", report.json().c_str());
  fflush(stdout);
  // Missed targets are in the table, not the exit status: the run itself worked.
  return 0;
}
