// SPDX-License-Identifier: LGPL-2.1-or-later
// relabel_tree / restore_tree with the test backend: what is labelled and what
// is left alone (symlinks, device nodes, other mounts, files hard-linked from
// outside), skipping what is already right, restoring every original by
// identity wherever the guest moved it (and nothing that merely took its
// name), leaving labels someone else set, version 1 records, the record
// surviving a crash, and rollback when the second pass fails.
#include <sched.h>
#include <signal.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <csetjmp>
#include <cstdarg>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "core/safe_path.h"
#include "core/tree_relabel.h"
#include "svirt/test_backend.h"
#include "test/test_backend.h"
#include "tree_test_util.h"

// cmocka last: its fail() and skip() macros would clash with the standard library.
extern "C" {
#include <cmocka.h>
}

namespace {

using svirt::ErrorCode;
using svirt::ExecPlan;
using svirt::LabelBackend;
using svirt::Result;
using svirt::internal::make_test_backend;
using svirt::internal::open_resource;
using svirt::internal::OpenedPath;
using svirt::internal::relabel_tree;
using svirt::internal::restore_tree;
using svirt::internal::TreeRelabelOptions;
using svirt::internal::TreeRelabelStats;
using svirt::internal::TreeRestoreReport;
using tree_test::exists;
using tree_test::make_file;
using tree_test::set_xlabel;
using tree_test::xlabel;

constexpr const char* kLabel = "system_u:object_r:svirt_image_t:s0:c7,c9";
constexpr const char* kOrigA = "system_u:object_r:user_home_t:s0";
constexpr const char* kOrigB = "system_u:object_r:public_content_t:s0";

std::string g_base;   // xattr-capable directory holding each test's files
std::string g_root;   // the tree under test
std::string g_state;  // test backend state and the record
std::string g_record;

int setup(void** /*state*/) {
  std::string tmpl = g_base + "/t-XXXXXX";
  if (mkdtemp(tmpl.data()) == nullptr) return -1;
  g_root = tmpl + "/share";
  g_state = tmpl + "/state";
  g_record = g_state + "/fs.tree";
  return mkdir(g_root.c_str(), 0755) == 0 && mkdir(g_state.c_str(), 0700) == 0 ? 0 : -1;
}

int teardown(void** /*state*/) {
  // The mount test's mounts, also when one of its assertions failed.
  umount2((g_root + "/tmp").c_str(), MNT_DETACH);
  umount2((g_root + "/bind").c_str(), MNT_DETACH);
  umount2((g_root + "/again").c_str(), MNT_DETACH);
  tree_test::remove_tree(g_root.substr(0, g_root.rfind('/')));
  return 0;
}

std::string at(const std::string& rel) { return g_root + "/" + rel; }

OpenedPath open_root() {
  Result<OpenedPath> r = open_resource(g_root, {});
  if (!r.ok()) {
    print_error("open_resource(%s): %s\n", g_root.c_str(), r.error().message.c_str());
    fail();
  }
  return std::move(r).value();
}

TreeRelabelStats relabel_ok(LabelBackend& b, const TreeRelabelOptions& opts = {}) {
  OpenedPath root = open_root();
  Result<TreeRelabelStats> r =
      relabel_tree(b, root.fd.get(), root.resolved, kLabel, g_record, opts);
  if (!r.ok()) {
    print_error("relabel_tree: %s\n", r.error().message.c_str());
    fail();
  }
  return *r;
}

TreeRestoreReport restore(LabelBackend& b, const TreeRelabelOptions& opts = {}) {
  OpenedPath root = open_root();
  TreeRestoreReport rep = restore_tree(b, root.fd.get(), root.resolved, g_record, opts);
  for (const svirt::Error& e : rep.errors) print_error("restore_tree: %s\n", e.message.c_str());
  return rep;
}

std::vector<std::string> calls_of(LabelBackend& b, const std::string& verb) {
  std::vector<std::string> out;
  for (const std::string& c : svirt::test_backend_recorder(&b)->calls()) {
    if (c.rfind(verb + " ", 0) == 0) out.push_back(c);
  }
  return out;
}

bool mentions(const std::vector<std::string>& calls, const std::string& path) {
  for (const std::string& c : calls) {
    if (c.find(" " + path + " ") != std::string::npos ||
        (c.size() >= path.size() && c.compare(c.size() - path.size(), path.size(), path) == 0)) {
      return true;
    }
  }
  return false;
}

// Forwards to the test backend, letting a test intervene before each
// set_label (by its 1-based number) or make it fail.
class HookedBackend : public LabelBackend {
 public:
  explicit HookedBackend(std::unique_ptr<LabelBackend> inner) : inner_(std::move(inner)) {}
  std::function<Result<void>(int n)> before_set;  // an error is returned instead of setting

  std::string_view name() const override { return inner_->name(); }
  svirt::SecurityModel model() const override { return inner_->model(); }
  svirt::EnforcingMode mode() const override { return inner_->mode(); }
  Result<svirt::HostDefaults> defaults(const svirt::Config& c) const override {
    return inner_->defaults(c);
  }
  Result<void> check_context(const std::string& c) const override {
    return inner_->check_context(c);
  }
  Result<std::optional<std::string>> get_label(int fd, const std::string& p) override {
    return inner_->get_label(fd, p);
  }
  Result<void> set_label(int fd, const std::string& p, const std::string& l) override {
    int n = ++sets_;
    if (before_set) {
      Result<void> r = before_set(n);
      if (!r.ok()) return r;
    }
    return inner_->set_label(fd, p, l);
  }
  Result<void> remove_label(int fd, const std::string& p) override {
    return inner_->remove_label(fd, p);
  }
  Result<std::optional<std::string>> default_label(const std::string& p, mode_t m) override {
    return inner_->default_label(p, m);
  }
  Result<ExecPlan> plan_exec_label(const std::string& l, bool required) override {
    return inner_->plan_exec_label(l, required);
  }
  Result<void> set_socket_label(const std::string& l) override {
    return inner_->set_socket_label(l);
  }
  Result<void> clear_socket_label() override { return inner_->clear_socket_label(); }
  Result<std::string> process_label(pid_t pid) override { return inner_->process_label(pid); }

 private:
  std::unique_ptr<LabelBackend> inner_;
  std::atomic<int> sets_{0};
};

// share/
//   a.txt             labelled kOrigA
//   fifo
//   d1/               labelled kOrigB
//     b.txt
//     to-etc -> /etc          must not be followed
//     to-a -> ../a.txt
//     dangling -> /nonexistent/x
//     d2/
//       c.txt
// 7 entries to label (root, a.txt, fifo, d1, b.txt, d2, c.txt), 3 symlinks.
void build_small_tree() {
  assert_true(make_file(at("a.txt")));
  assert_int_equal(mkfifo(at("fifo").c_str(), 0600), 0);
  assert_int_equal(mkdir(at("d1").c_str(), 0755), 0);
  assert_true(make_file(at("d1/b.txt")));
  assert_int_equal(symlink("/etc", at("d1/to-etc").c_str()), 0);
  assert_int_equal(symlink("../a.txt", at("d1/to-a").c_str()), 0);
  assert_int_equal(symlink("/nonexistent/x", at("d1/dangling").c_str()), 0);
  assert_int_equal(mkdir(at("d1/d2").c_str(), 0755), 0);
  assert_true(make_file(at("d1/d2/c.txt")));
  assert_true(set_xlabel(at("a.txt"), kOrigA));
  assert_true(set_xlabel(at("d1"), kOrigB));
}

std::optional<std::string> backend_label(LabelBackend& b, const std::string& path) {
  Result<OpenedPath> p = open_resource(path, {});
  assert_true(p.ok());
  Result<std::optional<std::string>> l = b.get_label(p->fd.get(), p->resolved);
  assert_true(l.ok());
  return *l;
}

void test_labels_tree_but_not_symlinks(void** /*state*/) {
  build_small_tree();
  std::optional<std::string> etc_before = xlabel("/etc");
  auto b = make_test_backend(g_state);
  TreeRelabelStats s = relabel_ok(*b);

  assert_int_equal(s.entries, 10);
  assert_int_equal(s.changed, 7);
  assert_int_equal(s.already, 0);
  assert_int_equal(s.skipped, 3);
  assert_int_equal(s.unsupported, 0);
  for (const char* rel : {"a.txt", "d1", "d1/b.txt", "d1/d2", "d1/d2/c.txt"}) {
    assert_true(xlabel(at(rel)) == std::optional<std::string>(kLabel));
  }
  assert_true(xlabel(g_root) == std::optional<std::string>(kLabel));
  assert_true(backend_label(*b, at("fifo")) == std::optional<std::string>(kLabel));

  // Neither the symlinks nor what they point at were read or written.
  std::vector<std::string> all = svirt::test_backend_recorder(b.get())->calls();
  assert_false(mentions(all, "/etc"));
  assert_false(mentions(all, at("d1/to-etc")));
  assert_false(mentions(all, at("d1/to-a")));
  assert_false(mentions(all, at("d1/dangling")));
  assert_true(xlabel("/etc") == etc_before);
  assert_int_equal(calls_of(*b, "set_label").size(), 7);

  // The record lists the seven originals, each with its file's identity.
  std::optional<std::string> rec = tree_test::read_text(g_record);
  assert_true(rec.has_value());
  assert_int_equal(std::count(rec->begin(), rec->end(), '\n'), 1 + 7);
  assert_true(rec->rfind("svirt-tree-record 2\t", 0) == 0);
  auto line = [&](const std::string& rel, const std::string& orig) {
    std::string want = "\n" + rel + "\t" + orig + "\t" + tree_test::identity(at(rel)) + "\n";
    if (strstr(rec->c_str(), want.c_str()) == nullptr) {
      print_error("record lacks %s", want.c_str() + 1);
      fail();
    }
  };
  line("a.txt", kOrigA);
  line("d1", kOrigB);
  line("d1/d2/c.txt", "-");
  line(".", "-");
}

void test_device_nodes_left_alone(void** /*state*/) {
  if (mknod(at("null").c_str(), S_IFCHR | 0600, makedev(1, 3)) != 0) {
    print_message("cannot create a device node (%s): not root?\n", strerror(errno));
    skip();
  }
  assert_true(make_file(at("f")));
  auto b = make_test_backend(g_state);
  TreeRelabelStats s = relabel_ok(*b);
  assert_int_equal(s.entries, 3);
  assert_int_equal(s.changed, 2);
  assert_int_equal(s.skipped, 1);
  assert_false(mentions(svirt::test_backend_recorder(b.get())->calls(), at("null")));
}

void test_second_run_changes_nothing(void** /*state*/) {
  build_small_tree();
  auto b = make_test_backend(g_state);
  relabel_ok(*b);
  std::optional<std::string> rec1 = tree_test::read_text(g_record);
  svirt::test_backend_recorder(b.get())->clear();

  TreeRelabelStats s = relabel_ok(*b);
  assert_int_equal(s.changed, 0);
  assert_int_equal(s.already, 7);
  assert_int_equal(s.skipped, 3);
  assert_true(calls_of(*b, "set_label").empty());
  // The record still holds the first run's originals.
  assert_true(tree_test::read_text(g_record) == rec1);
}

void test_restore_puts_originals_back(void** /*state*/) {
  build_small_tree();
  // Already right: neither changed nor recorded, and still right afterwards.
  assert_true(set_xlabel(at("d1/d2/c.txt"), kLabel));
  auto b = make_test_backend(g_state);
  TreeRelabelStats s = relabel_ok(*b);
  assert_int_equal(s.changed, 6);
  assert_int_equal(s.already, 1);

  TreeRestoreReport rep = restore(*b);
  assert_true(rep.ok());
  assert_int_equal(rep.entries, 6);
  assert_int_equal(rep.restored, 6);
  assert_true(xlabel(at("a.txt")) == std::optional<std::string>(kOrigA));
  assert_true(xlabel(at("d1")) == std::optional<std::string>(kOrigB));
  assert_true(xlabel(at("d1/d2/c.txt")) == std::optional<std::string>(kLabel));
  for (const char* rel : {"d1/b.txt", "d1/d2"}) assert_false(xlabel(at(rel)).has_value());
  assert_false(xlabel(g_root).has_value());
  assert_false(backend_label(*b, at("fifo")).has_value());
  assert_false(exists(g_record));

  // A second restore has nothing to do.
  TreeRestoreReport again = restore(*b);
  assert_true(again.ok());
  assert_int_equal(again.entries, 0);
}

// Relabel in a child that then dies without restoring; a fresh backend in
// this process restores from the record alone.
void test_restore_after_crash(void** /*state*/) {
  build_small_tree();
  pid_t pid = fork();
  assert_true(pid >= 0);
  if (pid == 0) {
    auto b = make_test_backend(g_state);
    Result<OpenedPath> root = open_resource(g_root, {});
    if (!root.ok()) _exit(2);
    Result<TreeRelabelStats> r =
        relabel_tree(*b, root->fd.get(), root->resolved, kLabel, g_record, {});
    _exit(r.ok() && r->changed == 7 ? 0 : 1);
  }
  int status = 0;
  assert_int_equal(waitpid(pid, &status, 0), pid);
  assert_true(WIFEXITED(status) && WEXITSTATUS(status) == 0);
  assert_true(xlabel(at("a.txt")) == std::optional<std::string>(kLabel));

  auto b = make_test_backend(g_state);
  TreeRestoreReport rep = restore(*b);
  assert_true(rep.ok());
  assert_int_equal(rep.restored, 7);
  assert_true(xlabel(at("a.txt")) == std::optional<std::string>(kOrigA));
  assert_true(xlabel(at("d1")) == std::optional<std::string>(kOrigB));
  assert_false(xlabel(at("d1/d2/c.txt")).has_value());
  assert_false(exists(g_record));
}

// The child dies in the middle of the second pass, after three labels.
void test_restore_after_crash_mid_relabel(void** /*state*/) {
  build_small_tree();
  pid_t pid = fork();
  assert_true(pid >= 0);
  if (pid == 0) {
    HookedBackend b(make_test_backend(g_state));
    b.before_set = [](int n) -> Result<void> {
      if (n == 4) _exit(0);
      return svirt::ok();
    };
    Result<OpenedPath> root = open_resource(g_root, {});
    if (!root.ok()) _exit(2);
    TreeRelabelOptions one;
    one.threads = 1;
    (void)relabel_tree(b, root->fd.get(), root->resolved, kLabel, g_record, one);
    _exit(1);
  }
  int status = 0;
  assert_int_equal(waitpid(pid, &status, 0), pid);
  assert_true(WIFEXITED(status) && WEXITSTATUS(status) == 0);
  int labelled = 0;
  for (const char* rel : {"a.txt", "d1", "d1/b.txt", "d1/d2", "d1/d2/c.txt"}) {
    if (xlabel(at(rel)) == std::optional<std::string>(kLabel)) ++labelled;
  }
  if (xlabel(g_root) == std::optional<std::string>(kLabel)) ++labelled;
  auto b = make_test_backend(g_state);
  if (backend_label(*b, at("fifo")) == std::optional<std::string>(kLabel)) ++labelled;
  assert_int_equal(labelled, 3);

  TreeRestoreReport rep = restore(*b);
  assert_true(rep.ok());
  assert_int_equal(rep.entries, 7);
  assert_int_equal(rep.restored, 3);
  assert_int_equal(rep.already, 4);
  assert_true(xlabel(at("a.txt")) == std::optional<std::string>(kOrigA));
  assert_true(xlabel(at("d1")) == std::optional<std::string>(kOrigB));
  assert_false(xlabel(g_root).has_value());
  assert_false(exists(g_record));
}

void test_failed_second_pass_rolls_back(void** /*state*/) {
  build_small_tree();
  HookedBackend b(make_test_backend(g_state));
  b.before_set = [](int n) -> Result<void> {
    if (n == 5) return svirt::Error{ErrorCode::kOperationFailed, "injected failure", 0};
    return svirt::ok();
  };
  OpenedPath root = open_root();
  Result<TreeRelabelStats> r =
      relabel_tree(b, root.fd.get(), root.resolved, kLabel, g_record, TreeRelabelOptions{});
  assert_false(r.ok());
  assert_non_null(strstr(r.error().message.c_str(), "injected failure"));
  assert_true(xlabel(at("a.txt")) == std::optional<std::string>(kOrigA));
  assert_true(xlabel(at("d1")) == std::optional<std::string>(kOrigB));
  for (const char* rel : {"d1/b.txt", "d1/d2", "d1/d2/c.txt"})
    assert_false(xlabel(at(rel)).has_value());
  assert_false(xlabel(g_root).has_value());
  assert_false(exists(g_record));
}

// Many directories and files on several threads, with descriptors held
// between the passes and without (every entry looked up again).
void run_wide_tree(long held_fds) {
  constexpr int kDirs = 20, kFiles = 100;
  std::map<std::string, std::string> originals;
  for (int d = 0; d < kDirs; ++d) {
    std::string dir = "d" + std::to_string(d);
    assert_int_equal(mkdir(at(dir).c_str(), 0755), 0);
    for (int f = 0; f < kFiles; ++f) {
      std::string rel = dir + "/f" + std::to_string(f);
      assert_true(make_file(at(rel)));
      if (f % 3 == 0) {
        originals[rel] = "system_u:object_r:etc_t:s0:c" + std::to_string(f);
        assert_true(set_xlabel(at(rel), originals[rel]));
      }
    }
  }
  auto b = make_test_backend(g_state);
  TreeRelabelOptions opts;
  opts.threads = 4;
  opts.max_held_fds = held_fds;
  TreeRelabelStats s = relabel_ok(*b, opts);
  assert_int_equal(s.entries, 1 + kDirs + kDirs * kFiles);
  assert_int_equal(s.changed, 1 + kDirs + kDirs * kFiles);
  for (int d = 0; d < kDirs; ++d) {
    for (int f = 0; f < kFiles; ++f) {
      std::string rel = "d" + std::to_string(d) + "/f" + std::to_string(f);
      assert_true(xlabel(at(rel)) == std::optional<std::string>(kLabel));
    }
  }
  TreeRestoreReport rep = restore(*b, opts);
  assert_true(rep.ok());
  assert_int_equal(rep.restored, 1 + kDirs + kDirs * kFiles);
  for (int d = 0; d < kDirs; ++d) {
    for (int f = 0; f < kFiles; ++f) {
      std::string rel = "d" + std::to_string(d) + "/f" + std::to_string(f);
      auto it = originals.find(rel);
      if (it == originals.end()) {
        assert_false(xlabel(at(rel)).has_value());
      } else {
        assert_true(xlabel(at(rel)) == std::optional<std::string>(it->second));
      }
    }
  }
}

void test_wide_tree_holding_fds(void** /*state*/) { run_wide_tree(-1); }
void test_wide_tree_looking_up_again(void** /*state*/) { run_wide_tree(0); }

// Between the passes an entry is swapped for a symlink to a file outside
// the tree: the second pass, looking it up again, must not label either.
void test_entry_swapped_between_passes(void** /*state*/) {
  std::string outside = g_state + "/outside";
  assert_true(make_file(outside));
  assert_true(make_file(at("victim")));
  assert_true(make_file(at("other")));
  HookedBackend b(make_test_backend(g_state));
  std::string victim = at("victim");
  b.before_set = [&](int n) -> Result<void> {
    if (n == 1) {
      if (unlink(victim.c_str()) != 0 || symlink(outside.c_str(), victim.c_str()) != 0) {
        return svirt::Error{ErrorCode::kOperationFailed, "cannot swap", errno};
      }
    }
    return svirt::ok();
  };
  TreeRelabelOptions opts;
  opts.threads = 1;
  opts.max_held_fds = 0;
  TreeRelabelStats s = relabel_ok(b, opts);
  assert_int_equal(s.changed, 2);  // the root and "other"
  assert_int_equal(s.skipped, 1);
  assert_false(xlabel(outside).has_value());
  assert_true(xlabel(at("other")) == std::optional<std::string>(kLabel));
}

// Names and labels the record must escape; a label that is literally "-"
// must come back as "-", not as "no label".
void test_record_escapes_names_and_labels(void** /*state*/) {
  const std::vector<std::string> names = {"tab\there", "new\nline", "back\\slash", "-", "\\x2d"};
  for (const std::string& n : names) assert_true(make_file(at(n)));
  assert_true(set_xlabel(at("-"), "-"));
  assert_true(set_xlabel(at("tab\there"), "odd\tlabel\n"));
  auto b = make_test_backend(g_state);
  TreeRelabelStats s = relabel_ok(*b);
  assert_int_equal(s.changed, 1 + names.size());
  for (const std::string& n : names) {
    assert_true(xlabel(at(n)) == std::optional<std::string>(kLabel));
  }
  auto fresh = make_test_backend(g_state);
  TreeRestoreReport rep = restore(*fresh);
  assert_true(rep.ok());
  assert_int_equal(rep.restored, 1 + names.size());
  assert_true(xlabel(at("-")) == std::optional<std::string>("-"));
  assert_true(xlabel(at("tab\there")) == std::optional<std::string>("odd\tlabel\n"));
  assert_false(xlabel(at("new\nline")).has_value());
  assert_false(xlabel(at("back\\slash")).has_value());
  assert_false(xlabel(at("\\x2d")).has_value());
}

void test_record_of_another_root_refused(void** /*state*/) {
  assert_true(make_file(at("f")));
  auto b = make_test_backend(g_state);
  relabel_ok(*b);
  std::string other = g_state + "/other";
  assert_int_equal(mkdir(other.c_str(), 0755), 0);
  Result<OpenedPath> o = open_resource(other, {});
  assert_true(o.ok());
  TreeRestoreReport rep = restore_tree(*b, o->fd.get(), o->resolved, g_record, {});
  assert_false(rep.ok());
  assert_int_equal(rep.errors[0].code, ErrorCode::kConflict);
  assert_true(exists(g_record));
  Result<TreeRelabelStats> r = relabel_tree(*b, o->fd.get(), o->resolved, kLabel, g_record, {});
  assert_false(r.ok());
  assert_int_equal(r.error().code, ErrorCode::kConflict);
  assert_true(restore(*b).ok());
}

void test_root_must_be_directory(void** /*state*/) {
  assert_true(make_file(at("f")));
  auto b = make_test_backend(g_state);
  Result<OpenedPath> f = open_resource(at("f"), {});
  assert_true(f.ok());
  Result<TreeRelabelStats> r = relabel_tree(*b, f->fd.get(), f->resolved, kLabel, g_record, {});
  assert_false(r.ok());
  assert_int_equal(r.error().code, ErrorCode::kInvalidInput);
  assert_false(xlabel(at("f")).has_value());
}

// ---- Hard links ----

// A hard link planted in the share to a file outside it (a stand-in for a
// system file): relabelling would hand the VM the outside file. Left alone,
// counted, never recorded; a file with two names inside and one outside too.
void test_hard_link_out_of_tree_left_alone(void** /*state*/) {
  std::string outside = g_state + "/shadow";
  std::string outside2 = g_state + "/passwd";
  assert_true(make_file(outside));
  assert_true(make_file(outside2));
  assert_true(set_xlabel(outside, kOrigA));
  assert_int_equal(link(outside.c_str(), at("innocent").c_str()), 0);
  assert_int_equal(mkdir(at("d").c_str(), 0755), 0);
  assert_int_equal(link(outside2.c_str(), at("d/one").c_str()), 0);
  assert_int_equal(link(outside2.c_str(), at("d/two").c_str()), 0);
  assert_true(make_file(at("plain")));
  auto b = make_test_backend(g_state);
  TreeRelabelStats s = relabel_ok(*b);

  assert_int_equal(s.entries, 6);
  assert_int_equal(s.hardlinked, 3);
  assert_int_equal(s.changed, 3);  // the root, d and plain
  assert_int_equal(s.other_names, 0);
  assert_true(xlabel(outside) == std::optional<std::string>(kOrigA));
  assert_false(xlabel(outside2).has_value());
  assert_true(xlabel(at("plain")) == std::optional<std::string>(kLabel));
  std::vector<std::string> sets = calls_of(*b, "set_label");
  assert_int_equal(sets.size(), 3);
  for (const char* rel : {"innocent", "d/one", "d/two"}) assert_false(mentions(sets, at(rel)));
  std::optional<std::string> rec = tree_test::read_text(g_record);
  assert_true(rec.has_value());
  assert_null(strstr(rec->c_str(), "innocent"));
  assert_null(strstr(rec->c_str(), "\nd/one"));
  assert_null(strstr(rec->c_str(), tree_test::identity(outside).c_str()));

  TreeRestoreReport rep = restore(*b);
  assert_true(rep.ok());
  assert_int_equal(rep.restored, 3);
  assert_true(xlabel(outside) == std::optional<std::string>(kOrigA));
  assert_false(xlabel(outside2).has_value());
}

// Two names of one file, both in the tree: labelled once, recorded once,
// restored, also when the name it was recorded under is gone by then.
void test_hard_links_inside_tree(void** /*state*/) {
  assert_int_equal(mkdir(at("a").c_str(), 0755), 0);
  assert_int_equal(mkdir(at("b").c_str(), 0755), 0);
  assert_true(make_file(at("a/f")));
  assert_true(set_xlabel(at("a/f"), kOrigB));
  assert_int_equal(link(at("a/f").c_str(), at("b/g").c_str()), 0);
  assert_int_equal(link(at("a/f").c_str(), at("a/h").c_str()), 0);
  auto b = make_test_backend(g_state);
  TreeRelabelOptions opts;
  opts.threads = 3;
  TreeRelabelStats s = relabel_ok(*b, opts);

  assert_int_equal(s.entries, 6);
  assert_int_equal(s.hardlinked, 0);
  assert_int_equal(s.other_names, 2);
  assert_int_equal(s.changed, 4);  // the root, a, b and the file
  assert_true(xlabel(at("b/g")) == std::optional<std::string>(kLabel));
  std::vector<std::string> sets = calls_of(*b, "set_label");
  assert_int_equal(sets.size(), 4);
  std::optional<std::string> rec = tree_test::read_text(g_record);
  assert_true(rec.has_value());
  assert_int_equal(std::count(rec->begin(), rec->end(), '\n'), 1 + 4);
  std::string id = "\t" + tree_test::identity(at("a/f")) + "\n";
  const char* first = strstr(rec->c_str(), id.c_str());
  assert_non_null(first);
  assert_null(strstr(first + 1, id.c_str()));

  // The guest removes the name the file was recorded under (the first in
  // path order) and one other.
  assert_int_equal(unlink(at("a/f").c_str()), 0);
  assert_int_equal(unlink(at("a/h").c_str()), 0);
  TreeRestoreReport rep = restore(*b, opts);
  assert_true(rep.ok());
  assert_int_equal(rep.entries, 4);
  assert_int_equal(rep.restored, 4);
  assert_true(xlabel(at("b/g")) == std::optional<std::string>(kOrigB));
  assert_false(exists(g_record));
}

// ---- Restore by identity ----

// The guest renames a directory while it runs: its original comes back under
// the new name, and so do those of everything below it.
void test_renamed_subdirectory_restored(void** /*state*/) {
  build_small_tree();
  auto b = make_test_backend(g_state);
  relabel_ok(*b);
  assert_int_equal(mkdir(at("moved").c_str(), 0755), 0);
  assert_int_equal(rename(at("d1").c_str(), at("moved/renamed").c_str()), 0);
  assert_int_equal(rename(at("a.txt").c_str(), at("moved/renamed/d2/a-too").c_str()), 0);
  assert_int_equal(unlink(at("moved/renamed/b.txt").c_str()), 0);  // the guest may delete
  assert_true(xlabel(at("moved/renamed")) == std::optional<std::string>(kLabel));

  TreeRestoreReport rep = restore(*b);
  assert_true(rep.ok());
  assert_int_equal(rep.entries, 7);
  assert_int_equal(rep.restored, 6);
  assert_int_equal(rep.skipped, 1);  // b.txt
  assert_true(xlabel(at("moved/renamed")) == std::optional<std::string>(kOrigB));
  assert_true(xlabel(at("moved/renamed/d2/a-too")) == std::optional<std::string>(kOrigA));
  assert_false(xlabel(at("moved/renamed/d2")).has_value());
  assert_false(xlabel(at("moved/renamed/d2/c.txt")).has_value());
  assert_false(xlabel(g_root).has_value());
  assert_false(backend_label(*b, at("fifo")).has_value());
  // Created by the guest, never recorded: not ours to touch.
  assert_false(mentions(calls_of(*b, "set_label"), at("moved")));
  assert_false(exists(g_record));
}

// The recorded name now holds another file (the guest moved the original
// away and made a new one there). The new file is not the one labelled: it
// is left alone. The original is restored where it went while it is in the
// tree, and skipped once it is outside.
void test_recorded_path_replaced(void** /*state*/) {
  assert_true(make_file(at("a.txt")));
  assert_true(make_file(at("b.txt")));
  assert_true(set_xlabel(at("a.txt"), kOrigA));
  assert_true(set_xlabel(at("b.txt"), kOrigB));
  assert_int_equal(mkdir(at("sub").c_str(), 0755), 0);
  auto b = make_test_backend(g_state);
  relabel_ok(*b);

  std::string gone = g_state + "/b-moved-out";
  assert_int_equal(rename(at("a.txt").c_str(), at("sub/a-moved").c_str()), 0);
  assert_int_equal(rename(at("b.txt").c_str(), gone.c_str()), 0);
  for (const char* rel : {"a.txt", "b.txt"}) {
    assert_true(make_file(at(rel)));
    assert_true(set_xlabel(at(rel), kLabel));  // what a file the VM creates carries
  }
  svirt::test_backend_recorder(b.get())->clear();

  TreeRestoreReport rep = restore(*b);
  assert_true(rep.ok());
  assert_int_equal(rep.entries, 4);
  assert_int_equal(rep.restored, 3);  // the root, sub and a-moved
  assert_int_equal(rep.skipped, 1);   // b.txt, moved out
  assert_true(xlabel(at("sub/a-moved")) == std::optional<std::string>(kOrigA));
  assert_true(xlabel(at("a.txt")) == std::optional<std::string>(kLabel));
  assert_true(xlabel(at("b.txt")) == std::optional<std::string>(kLabel));
  assert_true(xlabel(gone) == std::optional<std::string>(kLabel));
  std::vector<std::string> writes = calls_of(*b, "set_label");
  for (const std::string& c : calls_of(*b, "remove_label")) writes.push_back(c);
  assert_false(mentions(writes, at("a.txt")));
  assert_false(mentions(writes, at("b.txt")));
  assert_false(mentions(writes, gone));
}

// Someone relabelled a file since: the label is theirs. Left as it is,
// reported by path, and the record stays until the next restore succeeds.
void test_label_changed_by_someone_else(void** /*state*/) {
  build_small_tree();
  auto b = make_test_backend(g_state);
  relabel_ok(*b);
  const std::string theirs = "system_u:object_r:samba_share_t:s0";
  assert_true(set_xlabel(at("d1/b.txt"), theirs));

  TreeRestoreReport rep = restore(*b);
  assert_false(rep.ok());
  assert_int_equal(rep.errors.size(), 1);
  assert_int_equal(rep.relabelled, 1);
  assert_int_equal(rep.restored, 6);
  assert_non_null(strstr(rep.errors[0].message.c_str(), ("'" + at("d1/b.txt") + "'").c_str()));
  assert_non_null(strstr(rep.errors[0].message.c_str(), theirs.c_str()));
  assert_true(xlabel(at("d1/b.txt")) == std::optional<std::string>(theirs));
  assert_true(xlabel(at("a.txt")) == std::optional<std::string>(kOrigA));
  assert_true(exists(g_record));

  // Put back what svirt set: the next restore finishes, and what it restored
  // before counts as done.
  assert_true(set_xlabel(at("d1/b.txt"), kLabel));
  TreeRestoreReport again = restore(*b);
  assert_true(again.ok());
  assert_int_equal(again.restored, 1);
  assert_int_equal(again.already, 6);
  assert_false(xlabel(at("d1/b.txt")).has_value());
  assert_false(exists(g_record));
}

// A record written before identities were kept: restored by path, as then.
void write_v1_record(const std::string& lines) {
  OpenedPath root = open_root();
  std::string text = "svirt-tree-record 1\t" + root.resolved + "\t" + kLabel + "\t0\n" + lines;
  FILE* f = fopen(g_record.c_str(), "w");
  assert_non_null(f);
  assert_int_equal(fwrite(text.data(), 1, text.size(), f), text.size());
  assert_int_equal(fclose(f), 0);
}

void test_version1_record_restored(void** /*state*/) {
  build_small_tree();
  for (const char* rel : {".", "a.txt", "d1", "d1/b.txt"}) {
    assert_true(set_xlabel(at(rel), kLabel));
  }
  write_v1_record(std::string(".\t-\na.txt\t") + kOrigA + "\nd1\t" + kOrigB +
                  "\nd1/b.txt\t-\ngone\t-\n");
  auto b = make_test_backend(g_state);
  TreeRestoreReport rep = restore(*b);
  assert_true(rep.ok());
  assert_int_equal(rep.entries, 5);
  assert_int_equal(rep.restored, 4);
  assert_int_equal(rep.skipped, 1);
  assert_true(xlabel(at("a.txt")) == std::optional<std::string>(kOrigA));
  assert_true(xlabel(at("d1")) == std::optional<std::string>(kOrigB));
  assert_false(xlabel(at("d1/b.txt")).has_value());
  assert_false(xlabel(g_root).has_value());
  assert_false(exists(g_record));
}

// A relabel extends a version 1 record it finds: its originals win, an entry
// whose file the relabel meets takes that file's identity, the others stay
// found by path.
void test_version1_record_extended(void** /*state*/) {
  build_small_tree();
  for (const char* rel : {".", "a.txt"}) assert_true(set_xlabel(at(rel), kLabel));
  const std::string stale = "system_u:object_r:svirt_image_t:s0:c1,c2";
  assert_true(set_xlabel(at("d1"), stale));  // an earlier relabel's, never restored
  write_v1_record(std::string(".\t-\na.txt\t") + kOrigA + "\nd1\t" + kOrigB + "\n");
  auto b = make_test_backend(g_state);
  TreeRelabelStats s = relabel_ok(*b);
  assert_int_equal(s.already, 2);
  assert_int_equal(s.changed, 5);  // d1 and the four entries never labelled
  std::optional<std::string> rec = tree_test::read_text(g_record);
  assert_true(rec.has_value());
  assert_true(rec->rfind("svirt-tree-record 2\t", 0) == 0);
  assert_non_null(strstr(rec->c_str(), (std::string("\na.txt\t") + kOrigA + "\t-\n").c_str()));
  assert_non_null(strstr(rec->c_str(), ("\nd1\t" + std::string(kOrigB) + "\t" +
                                        tree_test::identity(at("d1")) + "\n")
                                           .c_str()));
  assert_int_equal(std::count(rec->begin(), rec->end(), '\n'), 1 + 7);

  assert_int_equal(rename(at("d1").c_str(), at("d1-renamed").c_str()), 0);
  TreeRestoreReport rep = restore(*b);
  assert_true(rep.ok());
  assert_int_equal(rep.restored, 7);
  assert_true(xlabel(at("a.txt")) == std::optional<std::string>(kOrigA));
  assert_true(xlabel(at("d1-renamed")) == std::optional<std::string>(kOrigB));
  assert_false(xlabel(at("d1-renamed/d2/c.txt")).has_value());
  assert_false(xlabel(g_root).has_value());
}

// A relabel with a new label over a record never restored fails half way:
// the rollback finds files still carrying the earlier relabel's label, which
// are svirt's to restore too.
void test_rollback_over_unrestored_record(void** /*state*/) {
  build_small_tree();
  auto first = make_test_backend(g_state);
  relabel_ok(*first);
  HookedBackend b(make_test_backend(g_state));
  b.before_set = [](int n) -> Result<void> {
    if (n == 4) return svirt::Error{ErrorCode::kOperationFailed, "injected failure", 0};
    return svirt::ok();
  };
  TreeRelabelOptions one;
  one.threads = 1;
  OpenedPath root = open_root();
  Result<TreeRelabelStats> r = relabel_tree(b, root.fd.get(), root.resolved,
                                            "system_u:object_r:svirt_image_t:s0:c3,c4", g_record,
                                            one);
  assert_false(r.ok());
  assert_non_null(strstr(r.error().message.c_str(), "injected failure"));
  assert_null(strstr(r.error().message.c_str(), "rolling back left"));
  assert_true(xlabel(at("a.txt")) == std::optional<std::string>(kOrigA));
  assert_true(xlabel(at("d1")) == std::optional<std::string>(kOrigB));
  for (const char* rel : {".", "d1/b.txt", "d1/d2", "d1/d2/c.txt"})
    assert_false(xlabel(at(rel)).has_value());
  assert_false(exists(g_record));
}

// After a reboot the root's filesystem may have another device number: the
// same root inode there means the same filesystem, and entries recorded on
// the old number are found on the new one.
void test_root_device_renumbered(void** /*state*/) {
  build_small_tree();
  auto b = make_test_backend(g_state);
  relabel_ok(*b);
  struct stat st;
  assert_int_equal(lstat(g_root.c_str(), &st), 0);
  std::string now = "\t" + std::to_string(st.st_dev) + ":";
  std::string before = "\t" + std::to_string(st.st_dev + 4096) + ":";
  std::optional<std::string> rec = tree_test::read_text(g_record);
  assert_true(rec.has_value());
  std::string text = *rec;
  int replaced = 0;
  for (size_t p = text.find(now); p != std::string::npos; p = text.find(now, p + before.size())) {
    text.replace(p, now.size(), before);
    ++replaced;
  }
  assert_int_equal(replaced, 1 + 7);  // the root's identity in the header, and every entry
  FILE* f = fopen(g_record.c_str(), "w");
  assert_non_null(f);
  assert_int_equal(fwrite(text.data(), 1, text.size(), f), text.size());
  assert_int_equal(fclose(f), 0);

  TreeRestoreReport rep = restore(*b);
  assert_true(rep.ok());
  assert_int_equal(rep.restored, 7);
  assert_true(xlabel(at("a.txt")) == std::optional<std::string>(kOrigA));
  assert_true(xlabel(at("d1")) == std::optional<std::string>(kOrigB));
}

// A tmpfs and a bind mount of a directory on the same filesystem (same
// st_dev: only the mount id tells it apart) below the tree. Needs root; the
// mounts live in a private mount namespace of this test process.
void test_mounts_not_crossed(void** /*state*/) {
  if (unshare(CLONE_NEWNS) != 0) {
    print_message("cannot create a mount namespace (%s): mount test skipped\n", strerror(errno));
    skip();
  }
  if (mount(nullptr, "/", nullptr, MS_REC | MS_PRIVATE, nullptr) != 0) {
    print_message("cannot make mounts private (%s): mount test skipped\n", strerror(errno));
    skip();
  }
  std::string elsewhere = g_state + "/elsewhere";
  assert_int_equal(mkdir(elsewhere.c_str(), 0755), 0);
  assert_true(make_file(elsewhere + "/secret"));
  assert_int_equal(mkdir(at("tmp").c_str(), 0755), 0);
  assert_int_equal(mkdir(at("bind").c_str(), 0755), 0);
  assert_true(make_file(at("plain")));
  // A directory of the tree mounted again inside it: across mounts the walk
  // meets its files twice. y and z are two names of one file.
  assert_int_equal(mkdir(at("inner").c_str(), 0755), 0);
  assert_int_equal(mkdir(at("again").c_str(), 0755), 0);
  assert_true(make_file(at("inner/x")));
  assert_true(make_file(at("inner/y")));
  assert_int_equal(link(at("inner/y").c_str(), at("inner/z").c_str()), 0);
  if (mount("tmpfs", at("tmp").c_str(), "tmpfs", 0, "size=1m") != 0 ||
      mount(elsewhere.c_str(), at("bind").c_str(), nullptr, MS_BIND, nullptr) != 0 ||
      mount(at("inner").c_str(), at("again").c_str(), nullptr, MS_BIND, nullptr) != 0) {
    print_message("cannot mount (%s): mount test skipped\n", strerror(errno));
    skip();
  }
  assert_true(make_file(at("tmp/inside")));
  bool tmpfs_xattr = tree_test::supports_user_xattr(at("tmp"));

  auto b = make_test_backend(g_state);
  TreeRelabelStats s = relabel_ok(*b);
  assert_int_equal(s.changed, 5);  // the root, plain, inner, x and y (also z)
  assert_int_equal(s.other_names, 1);
  assert_int_equal(s.skipped, 3);  // the three mount points
  assert_false(xlabel(elsewhere + "/secret").has_value());
  assert_false(xlabel(elsewhere).has_value());
  assert_false(mentions(svirt::test_backend_recorder(b.get())->calls(), at("tmp/inside")));
  assert_true(restore(*b).ok());

  TreeRelabelOptions cross;
  cross.cross_mounts = true;
  s = relabel_ok(*b, cross);
  assert_int_equal(s.skipped, 0);
  assert_int_equal(s.hardlinked, 0);
  // inner and x met again through "again", y and z twice each: once each.
  assert_int_equal(s.other_names, 5);
  assert_true(xlabel(at("inner/z")) == std::optional<std::string>(kLabel));
  std::optional<std::string> rec = tree_test::read_text(g_record);
  assert_true(rec.has_value());
  for (const char* rel : {"inner", "inner/x", "inner/y"}) {
    std::string id = "\t" + tree_test::identity(at(rel)) + "\n";
    const char* first = strstr(rec->c_str(), id.c_str());
    assert_non_null(first);
    assert_null(strstr(first + 1, id.c_str()));
  }
  assert_true(xlabel(elsewhere + "/secret") == std::optional<std::string>(kLabel));
  if (tmpfs_xattr) {
    assert_true(xlabel(at("tmp/inside")) == std::optional<std::string>(kLabel));
  } else {
    assert_true(s.unsupported >= 1);
  }
  // The record says the walk crossed mounts: restore follows it there without
  // being told.
  TreeRestoreReport rep = restore(*b);
  assert_true(rep.ok());
  assert_false(xlabel(elsewhere + "/secret").has_value());
  assert_false(xlabel(at("tmp/inside")).has_value());
  assert_false(xlabel(at("inner/y")).has_value());
}

}  // namespace

int main() {
  g_base = tree_test::make_xattr_dir();
  if (g_base.empty()) {
    printf(
        "SKIPPED: no filesystem with user extended attributes in $TMPDIR, /var/tmp or the "
        "build directory\n");
    return tree_test::kSkip;
  }
  const struct CMUnitTest tests[] = {
      cmocka_unit_test_setup_teardown(test_labels_tree_but_not_symlinks, setup, teardown),
      cmocka_unit_test_setup_teardown(test_device_nodes_left_alone, setup, teardown),
      cmocka_unit_test_setup_teardown(test_second_run_changes_nothing, setup, teardown),
      cmocka_unit_test_setup_teardown(test_restore_puts_originals_back, setup, teardown),
      cmocka_unit_test_setup_teardown(test_restore_after_crash, setup, teardown),
      cmocka_unit_test_setup_teardown(test_restore_after_crash_mid_relabel, setup, teardown),
      cmocka_unit_test_setup_teardown(test_failed_second_pass_rolls_back, setup, teardown),
      cmocka_unit_test_setup_teardown(test_wide_tree_holding_fds, setup, teardown),
      cmocka_unit_test_setup_teardown(test_wide_tree_looking_up_again, setup, teardown),
      cmocka_unit_test_setup_teardown(test_entry_swapped_between_passes, setup, teardown),
      cmocka_unit_test_setup_teardown(test_record_escapes_names_and_labels, setup, teardown),
      cmocka_unit_test_setup_teardown(test_record_of_another_root_refused, setup, teardown),
      cmocka_unit_test_setup_teardown(test_root_must_be_directory, setup, teardown),
      cmocka_unit_test_setup_teardown(test_hard_link_out_of_tree_left_alone, setup, teardown),
      cmocka_unit_test_setup_teardown(test_hard_links_inside_tree, setup, teardown),
      cmocka_unit_test_setup_teardown(test_renamed_subdirectory_restored, setup, teardown),
      cmocka_unit_test_setup_teardown(test_recorded_path_replaced, setup, teardown),
      cmocka_unit_test_setup_teardown(test_label_changed_by_someone_else, setup, teardown),
      cmocka_unit_test_setup_teardown(test_version1_record_restored, setup, teardown),
      cmocka_unit_test_setup_teardown(test_version1_record_extended, setup, teardown),
      cmocka_unit_test_setup_teardown(test_rollback_over_unrestored_record, setup, teardown),
      cmocka_unit_test_setup_teardown(test_root_device_renumbered, setup, teardown),
      // Last: it moves this process into its own mount namespace.
      cmocka_unit_test_setup_teardown(test_mounts_not_crossed, setup, teardown),
  };
  int failed = cmocka_run_group_tests(tests, nullptr, nullptr);
  tree_test::remove_tree(g_base);
  return failed;
}
