// SPDX-License-Identifier: LGPL-2.1-or-later
//
// Shared pieces of svirt-bench: what a measurement reports, timing, scratch
// directories. Every figure is measured next to its baseline, in the same
// process and on the same files, so both see the same machine state.
#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace svirt_bench {

struct Options {
  bool quick = false;
  std::string scratch = "/var/tmp";      // persistent filesystem: state, records, disk images
  std::string tree_parent = "/dev/shm";  // where the relabel tree is built (tmpfs)
  std::vector<std::string> only;         // suites to run; empty: all
};

// One line of the table. Every value is a cost (lower is better); ratio is
// baseline_value / value, i.e. how many times cheaper than the baseline.
struct Figure {
  std::string name;
  double value = 0;
  std::string unit;
  std::string baseline;  // what was measured as the baseline; "" when none
  std::optional<double> baseline_value;
  std::optional<double> ratio;
  std::string target;  // human-readable target; "" for figures given for information
  std::optional<bool> met;
  std::string note;  // printed under the table
};

class Report {
 public:
  void add(Figure f) { figures_.push_back(std::move(f)); }
  const std::vector<Figure>& figures() const { return figures_; }
  void print_table() const;
  // One line: {"results": [...]}.
  std::string json() const;

 private:
  std::vector<Figure> figures_;
};

using Clock = std::chrono::steady_clock;

inline double seconds_since(Clock::time_point start) {
  return std::chrono::duration<double>(Clock::now() - start).count();
}

// CPU time the calling thread has used.
double thread_cpu_seconds();

// Median of a non-empty sample.
double median(std::vector<double> v);

// A fresh directory "<parent>/svirt-bench-XXXXXX", "" on failure.
std::string make_scratch_dir(const std::string& parent);
void remove_tree(const std::string& dir);
// Filesystem type of `path` as statfs names it ("ext4", "tmpfs", ...).
std::string fs_type(const std::string& path);
// Progress on stderr, so that stdout carries only the table and JSON.
void progress(const std::string& line);

// The suites.
void bench_allocation(const Options& opts, Report& report);
void bench_vm(const Options& opts, Report& report);
void bench_tree(const Options& opts, Report& report);

}  // namespace svirt_bench
