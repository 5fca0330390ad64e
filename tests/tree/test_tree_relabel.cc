// SPDX-License-Identifier: LGPL-2.1-or-later
// relabel_tree / restore_tree with the test backend: what is labelled and what
// is left alone (symlinks, device nodes, other mounts), skipping what is
// already right, restoring every original, the record surviving a crash, and
// rollback when the second pass fails.
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

  // The record lists the seven originals.
  std::optional<std::string> rec = tree_test::read_text(g_record);
  assert_true(rec.has_value());
  assert_int_equal(std::count(rec->begin(), rec->end(), '\n'), 1 + 7);
  assert_non_null(strstr(rec->c_str(), (std::string("\na.txt\t") + kOrigA + "\n").c_str()));
  assert_non_null(strstr(rec->c_str(), (std::string("\nd1\t") + kOrigB + "\n").c_str()));
  assert_non_null(strstr(rec->c_str(), "\nd1/d2/c.txt\t-\n"));
  assert_non_null(strstr(rec->c_str(), "\n.\t-\n"));
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
  if (mount("tmpfs", at("tmp").c_str(), "tmpfs", 0, "size=1m") != 0 ||
      mount(elsewhere.c_str(), at("bind").c_str(), nullptr, MS_BIND, nullptr) != 0) {
    print_message("cannot mount (%s): mount test skipped\n", strerror(errno));
    skip();
  }
  assert_true(make_file(at("tmp/inside")));
  bool tmpfs_xattr = tree_test::supports_user_xattr(at("tmp"));

  auto b = make_test_backend(g_state);
  TreeRelabelStats s = relabel_ok(*b);
  assert_int_equal(s.changed, 2);  // the root and "plain"
  assert_int_equal(s.skipped, 2);  // the two mount points
  assert_false(xlabel(elsewhere + "/secret").has_value());
  assert_false(xlabel(elsewhere).has_value());
  assert_false(mentions(svirt::test_backend_recorder(b.get())->calls(), at("tmp/inside")));
  assert_true(restore(*b).ok());

  TreeRelabelOptions cross;
  cross.cross_mounts = true;
  s = relabel_ok(*b, cross);
  assert_int_equal(s.skipped, 0);
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
      // Last: it moves this process into its own mount namespace.
      cmocka_unit_test_setup_teardown(test_mounts_not_crossed, setup, teardown),
  };
  int failed = cmocka_run_group_tests(tests, nullptr, nullptr);
  tree_test::remove_tree(g_base);
  return failed;
}
