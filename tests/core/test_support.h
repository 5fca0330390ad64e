// SPDX-License-Identifier: LGPL-2.1-or-later
//
// Shared helpers for core tests: scratch space on a filesystem with user
// xattrs, test-driver managers and domains, and reading/writing test-driver
// labels. Helpers that cannot go on print why and abort: cmocka reports the
// test as failed.
#pragma once

#include <sys/xattr.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <memory>
#include <optional>
#include <string>

#include "../common/xattr_dir.h"
#include "state/state_dir.h"
#include "svirt/config.h"
#include "svirt/domain.h"
#include "svirt/manager.h"

namespace svirt::testing {

// A temp dir where user xattrs work, or "" (callers then skip with 77).
inline std::string make_xattr_tmpdir() { return make_xattr_dir("core"); }

inline std::optional<std::string> label_of(const std::string& path) {
  char buf[512];
  ssize_t n = getxattr(path.c_str(), "user.svirt.label", buf, sizeof buf);
  if (n < 0) return std::nullopt;
  return std::string(buf, static_cast<size_t>(n));
}

inline void set_label(const std::string& path, const std::string& label) {
  setxattr(path.c_str(), "user.svirt.label", label.data(), label.size(), 0);
}

inline void write_file(const std::string& path, const std::string& content = "data") {
  std::ofstream(path) << content;
}

// One test's scratch space: `dir` (resolved, so it matches the paths svirt
// records) on a filesystem with user xattrs, and `state` inside it.
struct Scratch {
  std::string dir;
  std::string state;
};

// Fills `s`; false, with the reason on stderr, when no filesystem here keeps
// user xattrs (a cmocka setup then returns -1).
inline bool make_scratch(Scratch* s, const char* tag = "core") {
  std::string dir = make_xattr_dir(tag);
  if (dir.empty()) {
    std::fprintf(stderr, "SKIPPED: no filesystem with user xattrs for test files\n");
    return false;
  }
  s->dir = real(dir);
  s->state = s->dir + "/state";
  return true;
}

// A cmocka group's setup and teardown for a Scratch tagged `tag` in *st:
// setup returns -1 (the reason on stderr) when no filesystem keeps user xattrs.
inline int scratch_setup(void** st, const char* tag) {
  auto* s = new Scratch;
  if (!make_scratch(s, tag)) {
    delete s;
    return -1;
  }
  *st = s;
  return 0;
}

inline int scratch_teardown(void** st) {
  auto* s = static_cast<Scratch*>(*st);
  remove_tree(s->dir);
  delete s;
  return 0;
}

// A manager with the test driver on `state_dir`.
inline std::unique_ptr<SecurityManager> open_test_manager(const std::string& state_dir,
                                                          std::optional<Config> config = {},
                                                          bool recover = true) {
  ManagerOptions o;
  o.driver = "test";
  o.state_dir = state_dir;
  o.config = std::move(config);
  o.recover_on_open = recover;
  auto m = SecurityManager::open(o);
  if (!m) {
    std::fprintf(stderr, "open: %s\n", m.error().message.c_str());
    std::abort();
  }
  return std::move(*m);
}

// How many files the state directory `state` has records of.
inline size_t file_records(const std::string& state) {
  auto sd = internal::StateDir::open(state);
  auto t = sd ? sd->load_files() : Result<internal::FileTable>(sd.error());
  if (!t) {
    std::fprintf(stderr, "files.db: %s\n", t.error().message.c_str());
    std::abort();
  }
  return t->size();
}

// A <disk> of the image file `path`.
inline std::string disk_xml(const std::string& path, const std::string& extra = "",
                            const std::string& dev = "vda") {
  return "<disk type='file' device='disk'><source file='" + path + "'/><target dev='" + dev +
         "'/>" + extra + "</disk>";
}

// <domain type='kvm'> named `name`, with `inner` (seclabels, <devices>, ...)
// as its content, parsed.
inline DomainDef parse_test_domain(const std::string& name, const std::string& inner) {
  auto d = DomainDef::parse("<domain type='kvm'><name>" + name + "</name>" + inner + "</domain>");
  if (!d) {
    std::fprintf(stderr, "parse: %s\n", d.error().message.c_str());
    std::abort();
  }
  return std::move(*d);
}

// The same with `devices` inside <devices>, after an optional seclabel.
inline DomainDef test_domain(const std::string& name, const std::string& devices,
                             const std::string& seclabel = "") {
  return parse_test_domain(name, seclabel + "<devices>" + devices + "</devices>");
}

}  // namespace svirt::testing
