// SPDX-License-Identifier: LGPL-2.1-or-later
//
// A manager embedded in a multi-threaded daemon:
//  - the child launch() forks allocates nothing between fork and exec (this
//    executable replaces malloc, calloc and realloc with versions that end
//    a forked child on the spot, exit status 99, before it execs);
//  - launches from a parent whose other threads allocate in a tight loop
//    never hang (a watchdog fails the test instead of letting it wait for
//    the harness's timeout);
//  - prepare, launch and release of eight domains from eight threads of one
//    process at once all succeed, each report holds its own domain's files
//    and warnings, and every file is back to its original afterwards.
#include <pthread.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <cstddef>
#include <cstdlib>
#include <cstring>
#include <string>
#include <thread>
#include <vector>
extern "C" {
#include <cmocka.h>
}

#include "test_support.h"

using namespace svirt;
using namespace svirt::testing;

// ---- the allocation trap ---------------------------------------------------

#if defined(__SANITIZE_ADDRESS__)
#define SVIRT_ALLOCATION_TRAP 0
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define SVIRT_ALLOCATION_TRAP 0
#endif
#endif
#ifndef SVIRT_ALLOCATION_TRAP
#define SVIRT_ALLOCATION_TRAP 1
#endif

namespace {
// Set in every forked child, by the atfork handler; never in the parent.
volatile sig_atomic_t g_forked_child = 0;
constexpr int kAllocatedAfterFork = 99;

void mark_forked_child() { g_forked_child = 1; }

[[noreturn]] void allocated_after_fork() {
  const char msg[] = "test_threads: a forked child allocated before exec\n";
  ssize_t n = write(2, msg, sizeof msg - 1);
  (void)n;
  _exit(kAllocatedAfterFork);
}
}  // namespace

#if SVIRT_ALLOCATION_TRAP
// The sanitizers bring their own allocator; elsewhere glibc's stays behind
// these, and only a forked child is stopped.
extern "C" void* __libc_malloc(size_t);
extern "C" void* __libc_calloc(size_t, size_t);
extern "C" void* __libc_realloc(void*, size_t);

extern "C" void* malloc(size_t n) {
  if (g_forked_child) allocated_after_fork();
  return __libc_malloc(n);
}
extern "C" void* calloc(size_t n, size_t size) {
  if (g_forked_child) allocated_after_fork();
  return __libc_calloc(n, size);
}
extern "C" void* realloc(void* p, size_t n) {
  if (g_forked_child) allocated_after_fork();
  return __libc_realloc(p, n);
}
#endif

namespace {

// ---- the watchdog -----------------------------------------------------------

// A hang is a failure with a message, not a harness timeout.
void on_watchdog(int) {
  const char msg[] = "test_threads: watchdog: a launch hung\n";
  ssize_t n = write(2, msg, sizeof msg - 1);
  (void)n;
  _exit(1);
}

struct Watchdog {
  explicit Watchdog(unsigned seconds) {
    signal(SIGALRM, on_watchdog);
    alarm(seconds);
  }
  ~Watchdog() { alarm(0); }
};

// ---- fixture ----------------------------------------------------------------

struct Fixture {
  Scratch s;
};

int setup(void** state) {
  auto* f = new Fixture;
  if (!make_scratch(&f->s, "threads")) {
    delete f;
    return -1;
  }
  *state = f;
  return 0;
}

int teardown(void** state) {
  auto* f = static_cast<Fixture*>(*state);
  std::string cmd = "rm -rf '" + f->s.dir + "'";
  if (std::system(cmd.c_str()) != 0) return -1;
  delete f;
  return 0;
}

// Runs `argv` for `name` and returns its exit status (-1 when it did not
// exit normally).
int launch_and_wait(SecurityManager& m, const std::string& name,
                    const std::vector<std::string>& argv, const LaunchOptions& options) {
  auto pid = m.launch(name, argv, options);
  if (!pid) {
    std::fprintf(stderr, "launch %s: %s\n", name.c_str(), pid.error().message.c_str());
    return -1;
  }
  int status = 0;
  while (waitpid(*pid, &status, 0) < 0 && errno == EINTR) {
  }
  return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

// ---- tests ------------------------------------------------------------------

// The child gets the label, its environment entries and its descriptors
// without a single allocation: with the trap armed, an allocation ends it
// with status 99 instead of the program's own.
void test_child_allocates_nothing(void** st) {
  if (!SVIRT_ALLOCATION_TRAP) {
    std::printf("SKIPPED: the allocation trap cannot run under a sanitizer's allocator\n");
    skip();
  }
  auto& f = *static_cast<Fixture*>(*st);
  std::string a = f.s.dir + "/a.img", b = f.s.dir + "/b.img";
  write_file(a);
  write_file(b);
  auto m = open_test_manager(f.s.state);
  auto p = m->prepare(test_domain("vm", disk_xml(a) + disk_xml(b, "<readonly/>", "vdb")));
  assert_true(p.ok());
  LaunchOptions o;
  o.pass_fds = true;
  o.extra_env = {"SVIRT_TEST_ONE=1", "PATH=/usr/bin:/bin"};
  // The program checks what it was given: its label, both descriptors, the
  // extra environment entry.
  std::string check =
      "[ \"$SVIRT_LABEL\" = '" + p->label.label +
      "' ] && [ \"$SVIRT_TEST_ONE\" = 1 ] && [ -e /proc/self/fd/3 ] && [ -e /proc/self/fd/4 ] "
      "&& case \"$SVIRT_FDS\" in 3:rw:*,4:ro:*) exit 0;; esac; exit 3";
  for (int i = 0; i < 20; ++i)
    assert_int_equal(launch_and_wait(*m, "vm", {"sh", "-c", check}, o), 0);
  assert_true(m->release("vm").ok());
}

// Other threads allocate (and so take the allocator's locks) all the time
// while the main thread launches again and again.
void test_launch_while_threads_allocate(void** st) {
  auto& f = *static_cast<Fixture*>(*st);
  std::string a = f.s.dir + "/a.img";
  write_file(a);
  auto m = open_test_manager(f.s.state);
  assert_true(m->prepare(test_domain("vm", disk_xml(a))).ok());
  std::atomic<bool> stop{false};
  std::vector<std::thread> busy;
  for (int t = 0; t < 4; ++t) {
    busy.emplace_back([&stop, t] {
      std::vector<std::string> keep;
      while (!stop.load(std::memory_order_relaxed)) {
        keep.emplace_back(64 + t * 17, 'x');
        if (keep.size() > 256) keep.clear();
        void* p = std::malloc(4096);
        std::free(p);
      }
    });
  }
  {
    Watchdog dog(60);
    for (int i = 0; i < 100; ++i) assert_int_equal(launch_and_wait(*m, "vm", {"true"}, {}), 0);
  }
  stop = true;
  for (auto& t : busy) t.join();
  assert_true(m->release("vm").ok());
  assert_false(label_of(a).has_value());
}

// One manager, eight threads, each with its own domain: prepare, launch,
// release, over and over, all at once.
void test_eight_threads_lifecycle(void** st) {
  auto& f = *static_cast<Fixture*>(*st);
  auto m = open_test_manager(f.s.state);
  constexpr int kThreads = 8, kRounds = 4;
  std::vector<std::string> disks;
  for (int t = 0; t < kThreads; ++t) {
    disks.push_back(f.s.dir + "/t" + std::to_string(t) + ".img");
    write_file(disks.back());
    set_label(disks.back(), "system_u:object_r:virt_image_t:s0");
  }
  std::atomic<int> failures{0};
  std::vector<std::thread> threads;
  {
    Watchdog dog(50);
    for (int t = 0; t < kThreads; ++t) {
      threads.emplace_back([&, t] {
        std::string name = "vm" + std::to_string(t);
        // A log that does not exist yet: every prepare warns about it, and
        // only its own prepare.
        std::string log = f.s.dir + "/t" + std::to_string(t) + ".log";
        std::string serial =
            "<serial type='file'><source path='" + log + "'/><target port='0'/></serial>";
        for (int r = 0; r < kRounds; ++r) {
          auto p = m->prepare(test_domain(name, disk_xml(disks[t]) + serial));
          if (!p) {
            std::fprintf(stderr, "prepare %s: %s\n", name.c_str(), p.error().message.c_str());
            ++failures;
            return;
          }
          bool own = p->resources.size() == 1 && p->resources[0].resource.path == disks[t] &&
                     p->warnings.size() == 1 && p->warnings[0].find(log) != std::string::npos;
          if (!own) {
            std::fprintf(stderr, "prepare %s: report is not its own\n", name.c_str());
            ++failures;
          }
          if (launch_and_wait(*m, name, {"true"}, {}) != 0) ++failures;
          auto rel = m->release(name);
          if (!rel || !rel->restore.ok() || !rel->warnings.empty()) {
            std::fprintf(stderr, "release %s failed or warned\n", name.c_str());
            ++failures;
          }
        }
      });
    }
    for (auto& th : threads) th.join();
  }
  assert_int_equal(failures.load(), 0);
  for (const std::string& d : disks)
    assert_string_equal(label_of(d)->c_str(), "system_u:object_r:virt_image_t:s0");
  auto left = m->list();
  assert_true(left.ok());
  assert_true(left->empty());
}

// A warning of one call never shows up in the next one's report, on this
// thread or another: attach met a missing chardev, the detach after it and a
// save-file label on another thread report only their own.
void test_warnings_do_not_cross_calls(void** st) {
  auto& f = *static_cast<Fixture*>(*st);
  std::string a = f.s.dir + "/a.img", save = f.s.dir + "/vm.save";
  write_file(a);
  write_file(save);
  auto m = open_test_manager(f.s.state);
  assert_true(m->prepare(test_domain("vm", disk_xml(a))).ok());
  auto live = m->live_definition("vm");
  assert_true(live.ok());
  std::string missing = f.s.dir + "/not-yet.sock";
  auto dev = DeviceDef::parse(
      "<serial type='unix'><source mode='bind' path='" + missing + "'/><target port='1'/></serial>",
      *live);
  assert_true(dev.ok());
  auto at = m->attach("vm", *dev);
  assert_true(at.ok());
  assert_int_equal(at->warnings.size(), 1);
  assert_non_null(std::strstr(at->warnings[0].c_str(), "not-yet.sock"));
  std::thread other([&] {
    auto s = m->save_label("vm", save);
    assert_true(s.ok());
    assert_true(s->warnings.empty());
  });
  other.join();
  auto de = m->detach("vm", *dev);
  assert_true(de.ok());
  assert_true(de->warnings.empty());
  auto rel = m->release("vm");
  assert_true(rel.ok());
  assert_true(rel->warnings.empty());
}

}  // namespace

int main() {
  pthread_atfork(nullptr, nullptr, mark_forked_child);
  const struct CMUnitTest tests[] = {
      cmocka_unit_test_setup_teardown(test_child_allocates_nothing, setup, teardown),
      cmocka_unit_test_setup_teardown(test_launch_while_threads_allocate, setup, teardown),
      cmocka_unit_test_setup_teardown(test_eight_threads_lifecycle, setup, teardown),
      cmocka_unit_test_setup_teardown(test_warnings_do_not_cross_calls, setup, teardown),
  };
  return cmocka_run_group_tests_name("threads", tests, nullptr, nullptr);
}
