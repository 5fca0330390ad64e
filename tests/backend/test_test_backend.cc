// SPDX-License-Identifier: LGPL-2.1-or-later
// The test backend: labels in user xattrs or the state file, call record,
// config defaults, exec label through the environment.
#include <fcntl.h>
#include <glib.h>
#include <signal.h>
#include <stdio.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <csetjmp>
#include <cstdarg>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <string>
#include <vector>

#include "backend_test_util.h"
#include "core/safe_path.h"
#include "svirt/test_backend.h"
#include "test/test_backend.h"

// cmocka last: its fail() and skip() macros would clash with the standard library.
extern "C" {
#include <cmocka.h>
}

namespace {

using svirt::ErrorCode;
using svirt::LabelBackend;
using svirt::internal::kTestLabelXattr;
using svirt::internal::open_resource;
using svirt::internal::OpenedPath;

constexpr const char* kImage = "system_u:object_r:svirt_image_t:s0:c1,c2";
constexpr const char* kOther = "system_u:object_r:virt_content_t:s0";

std::string g_root;  // xattr-capable directory holding g_dir and g_state
std::string g_dir;   // files under test
std::string g_state;

int setup(void** /*state*/) {
  g_dir = backend_test::make_temp_dir(g_root);
  g_state = backend_test::make_temp_dir(g_root);
  return g_dir.empty() || g_state.empty() ? -1 : 0;
}

int teardown(void** /*state*/) {
  backend_test::remove_tree(g_dir);
  backend_test::remove_tree(g_state);
  return 0;
}

std::optional<std::string> label_of(LabelBackend& b, const OpenedPath& p) {
  svirt::Result<std::optional<std::string>> r = b.get_label(p.fd.get(), p.resolved);
  if (!r.ok()) {
    print_error("get_label(%s): %s\n", p.resolved.c_str(), r.error().message.c_str());
    fail();
  }
  return *r;
}

void expect_label(LabelBackend& b, const OpenedPath& p, const char* want) {
  std::optional<std::string> got = label_of(b, p);
  assert_true(got.has_value());
  assert_string_equal(got->c_str(), want);
}

// Label recorded for `resolved` in the state file, read with GLib directly.
std::optional<std::string> stored_label(const std::string& resolved) {
  GKeyFile* kf = g_key_file_new();
  std::string file = g_state + "/test-labels";
  std::optional<std::string> out;
  if (g_key_file_load_from_file(kf, file.c_str(), G_KEY_FILE_NONE, nullptr)) {
    gchar* v = g_key_file_get_string(kf, resolved.c_str(), "label", nullptr);
    if (v != nullptr) out = v;
    g_free(v);
  }
  g_key_file_free(kf);
  return out;
}

void test_identity(void** /*state*/) {
  std::unique_ptr<LabelBackend> b = svirt::internal::make_test_backend(g_state);
  assert_string_equal(std::string(b->name()).c_str(), "test");
  assert_string_equal(b->model().model.c_str(), "selinux");
  assert_string_equal(b->model().doi.c_str(), "0");
  assert_int_equal(static_cast<int>(b->mode()), static_cast<int>(svirt::EnforcingMode::kEnforcing));
  assert_non_null(svirt::test_backend_recorder(b.get()));
  assert_null(svirt::test_backend_recorder(nullptr));
}

void test_file_round_trip(void** /*state*/) {
  std::unique_ptr<LabelBackend> b = svirt::internal::make_test_backend(g_state);
  std::string file = g_dir + "/disk.img";
  assert_true(backend_test::write_file(file, "x"));
  OpenedPath p = backend_test::open_ok(file);

  assert_false(label_of(*b, p).has_value());
  assert_true(b->set_label(p.fd.get(), p.resolved, kImage).ok());
  expect_label(*b, p, kImage);
  // The label is the xattr on the file itself, not an entry in the state file.
  std::optional<std::string> x = backend_test::read_xattr(file, kTestLabelXattr);
  assert_true(x.has_value());
  assert_string_equal(x->c_str(), kImage);
  assert_false(stored_label(file).has_value());

  assert_true(b->set_label(p.fd.get(), p.resolved, kOther).ok());
  expect_label(*b, p, kOther);
  assert_true(b->remove_label(p.fd.get(), p.resolved).ok());
  assert_false(label_of(*b, p).has_value());
  assert_false(backend_test::read_xattr(file, kTestLabelXattr).has_value());
  // Removing what is not there is no error.
  assert_true(b->remove_label(p.fd.get(), p.resolved).ok());
}

void test_directory_round_trip(void** /*state*/) {
  std::unique_ptr<LabelBackend> b = svirt::internal::make_test_backend(g_state);
  std::string dir = g_dir + "/share";
  assert_int_equal(mkdir(dir.c_str(), 0700), 0);
  OpenedPath p = backend_test::open_ok(dir);
  assert_true(b->set_label(p.fd.get(), p.resolved, kOther).ok());
  expect_label(*b, p, kOther);
  std::optional<std::string> x = backend_test::read_xattr(dir, kTestLabelXattr);
  assert_true(x.has_value());
  assert_string_equal(x->c_str(), kOther);
}

// The label goes to the file that was opened, even after its name was
// given to another file.
void test_label_follows_descriptor(void** /*state*/) {
  std::unique_ptr<LabelBackend> b = svirt::internal::make_test_backend(g_state);
  std::string file = g_dir + "/disk.img";
  std::string moved = g_dir + "/moved.img";
  assert_true(backend_test::write_file(file, "original"));
  OpenedPath p = backend_test::open_ok(file);
  assert_int_equal(rename(file.c_str(), moved.c_str()), 0);
  assert_true(backend_test::write_file(file, "impostor"));

  assert_true(b->set_label(p.fd.get(), file, kImage).ok());
  assert_false(backend_test::read_xattr(file, kTestLabelXattr).has_value());
  std::optional<std::string> x = backend_test::read_xattr(moved, kTestLabelXattr);
  assert_true(x.has_value());
  assert_string_equal(x->c_str(), kImage);
}

int make_socket(const std::string& path) {
  int s = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (s < 0) return -1;
  sockaddr_un addr{};
  addr.sun_family = AF_UNIX;
  if (path.size() >= sizeof addr.sun_path) return -1;
  memcpy(addr.sun_path, path.c_str(), path.size() + 1);
  if (bind(s, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0) {
    close(s);
    return -1;
  }
  return s;
}

void test_socket_label_in_state_file(void** /*state*/) {
  std::unique_ptr<LabelBackend> b = svirt::internal::make_test_backend(g_state);
  std::string sock = g_dir + "/vm.sock";
  int s = make_socket(sock);
  if (s < 0) skip();
  std::string fifo = g_dir + "/vm.fifo";
  assert_int_equal(mkfifo(fifo.c_str(), 0600), 0);

  OpenedPath ps = backend_test::open_ok(sock);
  OpenedPath pf = backend_test::open_ok(fifo);
  assert_true(S_ISSOCK(ps.st.st_mode));
  assert_true(S_ISFIFO(pf.st.st_mode));
  assert_false(label_of(*b, ps).has_value());  // no state file yet

  assert_true(b->set_label(ps.fd.get(), ps.resolved, kImage).ok());
  assert_true(b->set_label(pf.fd.get(), pf.resolved, kOther).ok());
  expect_label(*b, ps, kImage);
  expect_label(*b, pf, kOther);

  std::optional<std::string> stored = stored_label(sock);
  assert_true(stored.has_value());
  assert_string_equal(stored->c_str(), kImage);
  stored = stored_label(fifo);
  assert_true(stored.has_value());
  assert_string_equal(stored->c_str(), kOther);
  struct stat st {};
  assert_int_equal(stat((g_state + "/test-labels").c_str(), &st), 0);
  assert_int_equal(st.st_mode & 0777, 0600);

  // Another backend on the same state directory (another process) sees it.
  std::unique_ptr<LabelBackend> b2 = svirt::internal::make_test_backend(g_state);
  expect_label(*b2, ps, kImage);

  assert_true(b->remove_label(ps.fd.get(), ps.resolved).ok());
  assert_false(label_of(*b, ps).has_value());
  assert_false(stored_label(sock).has_value());
  expect_label(*b, pf, kOther);
  close(s);
}

// Every byte of a label comes back, from the xattr and from the state file
// alike: a trailing NUL (as chcon stores it), an embedded one, bytes that
// are not UTF-8, a newline. A plain label is stored as before.
void test_labels_are_bytes(void** /*state*/) {
  std::unique_ptr<LabelBackend> b = svirt::internal::make_test_backend(g_state);
  std::string file = g_dir + "/disk.img";
  assert_true(backend_test::write_file(file, "x"));
  std::string fifo = g_dir + "/vm.fifo";
  assert_int_equal(mkfifo(fifo.c_str(), 0600), 0);
  const std::string labels[] = {
      std::string("system_u:object_r:virt_image_t:s0\0", 34),
      std::string("system_u:object_r:a\0b_t:s0", 26),
      "system_u:object_r:\xff\xfe_t:s0",
      "system_u:object_r:x_t:s0\nforged",
      kOther,
  };
  for (const std::string& path : {file, fifo}) {
    OpenedPath p = backend_test::open_ok(path);
    for (const std::string& label : labels) {
      assert_true(b->set_label(p.fd.get(), p.resolved, label).ok());
      assert_true(label_of(*b, p) == label);
      // Another backend (another process) reads the same bytes.
      assert_true(label_of(*svirt::internal::make_test_backend(g_state), p) == label);
    }
  }
  assert_true(stored_label(fifo) == std::string(kOther));
}

// Forked writers on one state file: every update survives (no lost update
// between read and rename).
void test_state_file_concurrent_writers(void** /*state*/) {
  constexpr int kChildren = 4;
  constexpr int kFifosEach = 10;
  for (int c = 0; c < kChildren; ++c) {
    for (int i = 0; i < kFifosEach; ++i) {
      std::string f = g_dir + "/f" + std::to_string(c) + "-" + std::to_string(i);
      assert_int_equal(mkfifo(f.c_str(), 0600), 0);
    }
  }
  pid_t pids[kChildren];
  for (int c = 0; c < kChildren; ++c) {
    pids[c] = fork();
    assert_true(pids[c] >= 0);
    if (pids[c] == 0) {
      std::unique_ptr<LabelBackend> b = svirt::internal::make_test_backend(g_state);
      for (int i = 0; i < kFifosEach; ++i) {
        std::string f = g_dir + "/f" + std::to_string(c) + "-" + std::to_string(i);
        svirt::Result<OpenedPath> p = open_resource(f, {});
        if (!p.ok() || !b->set_label(p->fd.get(), p->resolved, kImage).ok()) _exit(1);
      }
      _exit(0);
    }
  }
  for (pid_t pid : pids) {
    int status = 0;
    assert_int_equal(waitpid(pid, &status, 0), pid);
    assert_true(WIFEXITED(status) && WEXITSTATUS(status) == 0);
  }
  for (int c = 0; c < kChildren; ++c) {
    for (int i = 0; i < kFifosEach; ++i) {
      std::string f = g_dir + "/f" + std::to_string(c) + "-" + std::to_string(i);
      std::optional<std::string> stored = stored_label(f);
      if (!stored || *stored != kImage) {
        print_error("label of %s lost\n", f.c_str());
        fail();
      }
    }
  }
}

void test_recorder(void** /*state*/) {
  std::unique_ptr<LabelBackend> b = svirt::internal::make_test_backend(g_state);
  svirt::TestBackendRecorder* rec = svirt::test_backend_recorder(b.get());
  assert_non_null(rec);
  std::string file = g_dir + "/disk.img";
  assert_true(backend_test::write_file(file, "x"));
  std::string link = g_dir + "/link.img";
  assert_int_equal(symlink("disk.img", link.c_str()), 0);
  OpenedPath p = backend_test::open_ok(link);

  (void)b->get_label(p.fd.get(), link);
  (void)b->set_label(p.fd.get(), link, kImage);
  (void)b->remove_label(p.fd.get(), link);
  (void)b->default_label(file, S_IFREG);
  (void)b->set_socket_label("system_u:system_r:svirt_t:s0:c1,c2");
  (void)b->clear_socket_label();
  (void)b->process_label(1);

  // Paths are the files touched: the symlink's target.
  std::vector<std::string> want = {
      "get_label " + file,
      "set_label " + file + " " + kImage,
      "remove_label " + file,
      "default_label " + file,
      "set_socket_label system_u:system_r:svirt_t:s0:c1,c2",
      "clear_socket_label",
      "process_label 1",
  };
  std::vector<std::string> got = rec->calls();
  assert_int_equal(got.size(), want.size());
  for (size_t i = 0; i < want.size(); ++i) assert_string_equal(got[i].c_str(), want[i].c_str());

  rec->clear();
  assert_int_equal(rec->calls().size(), 0);
  (void)b->clear_socket_label();
  assert_int_equal(rec->calls().size(), 1);
}

void test_default_label_is_none(void** /*state*/) {
  std::unique_ptr<LabelBackend> b = svirt::internal::make_test_backend(g_state);
  svirt::Result<std::optional<std::string>> r = b->default_label("/var/lib/x.img", S_IFREG);
  assert_true(r.ok());
  assert_false(r->has_value());
}

void test_config_defaults(void** /*state*/) {
  std::unique_ptr<LabelBackend> b = svirt::internal::make_test_backend(g_state);
  svirt::Result<svirt::HostDefaults> d = b->defaults(svirt::Config{});
  assert_true(d.ok());
  assert_string_equal(d->process_context.c_str(), "system_u:system_r:virtd_t:s0-s0:c0.c1023");
  assert_string_equal(d->domain_context.c_str(), "system_u:system_r:svirt_t:s0");
  assert_true(d->tcg_domain_context.has_value());
  assert_string_equal(d->tcg_domain_context->c_str(), "system_u:system_r:svirt_tcg_t:s0");
  assert_string_equal(d->image_context.c_str(), "system_u:object_r:svirt_image_t:s0");
  assert_string_equal(d->content_context.c_str(), "system_u:object_r:virt_content_t:s0");

  svirt::Config c;
  c.process_context = "staff_u:staff_r:staff_t:s0-s0:c0.c255";
  c.tcg_domain_context = "system_u:system_r:svirt_t:s0";
  c.content_context = "system_u:object_r:virt_image_t:s0";
  d = b->defaults(c);
  assert_true(d.ok());
  assert_string_equal(d->process_context.c_str(), "staff_u:staff_r:staff_t:s0-s0:c0.c255");
  assert_string_equal(d->domain_context.c_str(), "system_u:system_r:svirt_t:s0");
  assert_string_equal(d->tcg_domain_context->c_str(), "system_u:system_r:svirt_t:s0");
  assert_string_equal(d->image_context.c_str(), "system_u:object_r:svirt_image_t:s0");
  assert_string_equal(d->content_context.c_str(), "system_u:object_r:virt_image_t:s0");
}

void test_check_context(void** /*state*/) {
  std::unique_ptr<LabelBackend> b = svirt::internal::make_test_backend(g_state);
  // Any well-formed context, known to a policy or not.
  assert_true(b->check_context("system_u:system_r:svirt_t:s0:c1,c2").ok());
  assert_true(b->check_context("nobody_u:no_r:made_up_t").ok());
  svirt::Result<void> r = b->check_context("system_u:system_r");
  assert_false(r.ok());
  assert_int_equal(static_cast<int>(r.error().code), static_cast<int>(ErrorCode::kInvalidInput));
}

// The plan made in the parent, entered in the child, exec, and
// process_label in the parent.
void test_exec_label_through_environment(void** /*state*/) {
  std::unique_ptr<LabelBackend> b = svirt::internal::make_test_backend(g_state);
  const char* label = "system_u:system_r:svirt_t:s0:c3,c4";
  svirt::Result<svirt::ExecPlan> plan = b->plan_exec_label(label, true);
  assert_true(plan.ok());
  assert_int_equal(plan->writes.size(), 0);
  assert_int_equal(plan->env.size(), 1);
  assert_string_equal(plan->env[0].c_str(), (std::string("SVIRT_LABEL=") + label).c_str());
  std::vector<std::string> calls = svirt::test_backend_recorder(b.get())->calls();
  assert_false(calls.empty());
  assert_string_equal(calls.back().c_str(), (std::string("plan_exec_label ") + label).c_str());

  std::vector<char*> envp{plan->env[0].data(), nullptr};
  int sync[2];
  assert_int_equal(pipe2(sync, O_CLOEXEC), 0);
  pid_t pid = fork();
  assert_true(pid >= 0);
  if (pid == 0) {
    close(sync[0]);
    if (plan->enter() != 0) _exit(2);
    char* argv[] = {const_cast<char*>("sleep"), const_cast<char*>("30"), nullptr};
    execve("/bin/sleep", argv, envp.data());
    _exit(127);
  }
  close(sync[1]);
  char c;
  // EOF: the write end closed at exec (or the child died).
  while (read(sync[0], &c, 1) < 0 && errno == EINTR) {
  }
  close(sync[0]);

  svirt::Result<std::string> got = b->process_label(pid);
  kill(pid, SIGKILL);
  int status = 0;
  waitpid(pid, &status, 0);
  assert_true(WIFSIGNALED(status));
  if (!got.ok()) {
    print_error("process_label: %s\n", got.error().message.c_str());
    fail();
  }
  assert_string_equal(got->c_str(), label);
  // The parent's environment is untouched.
  assert_null(getenv("SVIRT_LABEL"));
}

void test_process_label_errors(void** /*state*/) {
  std::unique_ptr<LabelBackend> b = svirt::internal::make_test_backend(g_state);
  // A process started without SVIRT_LABEL.
  int sync[2];
  assert_int_equal(pipe2(sync, O_CLOEXEC), 0);
  pid_t pid = fork();
  assert_true(pid >= 0);
  if (pid == 0) {
    char* const argv[] = {const_cast<char*>("sleep"), const_cast<char*>("30"), nullptr};
    char* const envp[] = {const_cast<char*>("PATH=/bin:/usr/bin"), nullptr};
    execve("/bin/sleep", argv, envp);
    _exit(127);
  }
  close(sync[1]);
  char c;
  while (read(sync[0], &c, 1) < 0 && errno == EINTR) {
  }
  close(sync[0]);
  svirt::Result<std::string> r = b->process_label(pid);
  kill(pid, SIGKILL);
  waitpid(pid, nullptr, 0);
  assert_false(r.ok());
  assert_int_equal(static_cast<int>(r.error().code), static_cast<int>(ErrorCode::kNotFound));

  // A process that is gone.
  pid_t gone = fork();
  if (gone == 0) _exit(0);
  waitpid(gone, nullptr, 0);
  r = b->process_label(gone);
  assert_false(r.ok());
  assert_int_equal(static_cast<int>(r.error().code), static_cast<int>(ErrorCode::kNotFound));
}

}  // namespace

int main() {
  std::string why;
  g_root = backend_test::make_xattr_dir(&why);
  if (g_root.empty()) {
    printf("SKIPPED: %s\n", why.c_str());
    return backend_test::kSkip;
  }
  const struct CMUnitTest tests[] = {
      cmocka_unit_test_setup_teardown(test_identity, setup, teardown),
      cmocka_unit_test_setup_teardown(test_file_round_trip, setup, teardown),
      cmocka_unit_test_setup_teardown(test_directory_round_trip, setup, teardown),
      cmocka_unit_test_setup_teardown(test_label_follows_descriptor, setup, teardown),
      cmocka_unit_test_setup_teardown(test_socket_label_in_state_file, setup, teardown),
      cmocka_unit_test_setup_teardown(test_labels_are_bytes, setup, teardown),
      cmocka_unit_test_setup_teardown(test_state_file_concurrent_writers, setup, teardown),
      cmocka_unit_test_setup_teardown(test_recorder, setup, teardown),
      cmocka_unit_test_setup_teardown(test_default_label_is_none, setup, teardown),
      cmocka_unit_test_setup_teardown(test_config_defaults, setup, teardown),
      cmocka_unit_test_setup_teardown(test_check_context, setup, teardown),
      cmocka_unit_test_setup_teardown(test_exec_label_through_environment, setup, teardown),
      cmocka_unit_test_setup_teardown(test_process_label_errors, setup, teardown),
  };
  int failed = cmocka_run_group_tests(tests, nullptr, nullptr);
  backend_test::remove_tree(g_root);
  return failed;
}
