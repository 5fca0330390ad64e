// SPDX-License-Identifier: LGPL-2.1-or-later
//
// The libaudit sink (builds with -Daudit=enabled): svirt's encoding agrees
// with libaudit's audit_encode_nv_string(); records go through the real
// audit_open()/audit_log_user_message() with the right message types and
// result; and whatever the audit socket does (refuses, is absent, or is the
// host's own), the VM operations succeed.
#include <fcntl.h>
#include <libaudit.h>
#include <unistd.h>

#include <cstdlib>
#include <cstring>
#include <string>
#include <vector>

#include "audit_test_util.h"
#include "auditlog/audit_records.h"
#include "auditlog/libaudit_sink.h"
#include "fake_audit_kernel.h"
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

constexpr const char* kUuid = "0e2a4c1d-5b7f-4e10-9c3a-abcdef012345";

struct Fixture {
  std::string dir;
  std::string a, b;
};

int setup(void** st) {
  auto* f = new Fixture;
  f->dir = make_xattr_dir("libaudit");
  if (f->dir.empty()) {
    delete f;
    std::fprintf(stderr, "SKIPPED: no filesystem with user xattrs for test files\n");
    return -1;
  }
  f->a = f->dir + "/a.img";
  f->b = f->dir + "/b.img";
  write_file(f->a);
  write_file(f->b);
  fake_audit_clear();
  *st = f;
  return 0;
}

int teardown(void** st) {
  auto* f = static_cast<Fixture*>(*st);
  fake_audit_set_mode(FAKE_AUDIT_OFF);
  remove_tree(f->dir);
  delete f;
  return 0;
}

// A manager with the default sink (ManagerOptions::audit_sink unset).
std::unique_ptr<SecurityManager> open_default(const Fixture& f) {
  auto m = open_manager(f.dir + "/state", nullptr);
  assert_non_null(m.get());
  return m;
}

DomainDef two_disks(const Fixture& f, const std::string& name = "web") {
  auto d = parse_domain(domain_xml(name, kUuid, file_disk(f.a, "vda") + file_disk(f.b, "vdb")));
  assert_true(d.has_value());
  return std::move(*d);
}

bool ends_with(const std::string& s, const std::string& tail) {
  return s.size() >= tail.size() && s.compare(s.size() - tail.size(), tail.size(), tail) == 0;
}

// --- encoding against libaudit -------------------------------------------

std::string libaudit_encode(const char* name, const std::string& value) {
  char* s = audit_encode_nv_string(name, value.c_str(), 0);
  assert_non_null(s);
  std::string out(s);
  std::free(s);
  return out;
}

void test_encoding_matches_libaudit(void**) {
  for (int c = 1; c < 256; ++c) {
    std::string v(1, static_cast<char>(c));
    std::string mine = internal::audit_encode_nv("vm", v);
    std::string theirs = libaudit_encode("vm", v);
    if (mine != theirs)
      std::fprintf(stderr, "byte 0x%02x: %s vs %s\n", c, mine.c_str(), theirs.c_str());
    assert_string_equal(mine.c_str(), theirs.c_str());
  }
  const char* values[] = {"", "?", "web", "my vm \"prod\"", "/var/lib/images/a b.qcow2",
                          "caf\xc3\xa9", "tab\there", "a=b", "'single'", "back\\slash"};
  for (const char* v : values)
    assert_string_equal(internal::audit_encode_nv("new-disk", v).c_str(),
                        libaudit_encode("new-disk", v).c_str());
}

// --- through libaudit to a stand-in kernel -------------------------------

void test_records_reach_the_audit_socket(void** st) {
  auto& f = *static_cast<Fixture*>(*st);
  fake_audit_set_mode(FAKE_AUDIT_ACK);
  auto m = open_default(f);
  assert_true(fake_audit_fd() >= 0);
  // The socket must not leak into VM processes launched later.
  assert_true(fcntl(fake_audit_fd(), F_GETFD) & FD_CLOEXEC);

  auto p = m->prepare(two_disks(f));
  assert_true(p.ok());
  assert_true(p->warnings.empty());
  assert_int_equal(fake_audit_count(), 3);
  assert_int_equal(fake_audit_type(0), AUDIT_VIRT_MACHINE_ID);
  assert_int_equal(fake_audit_type(1), AUDIT_VIRT_RESOURCE);
  assert_int_equal(fake_audit_type(2), AUDIT_VIRT_RESOURCE);
  // libaudit sends svirt's text first and appends who sent it and the result.
  std::string id = fake_audit_text(0);
  std::string expected_id = std::string("virt=kvm vm=\"web\" uuid=") + kUuid +
                            " vm-ctx=" + p->label.label + " img-ctx=" + p->label.imagelabel +
                            " model=selinux";
  assert_int_equal(id.compare(0, expected_id.size(), expected_id), 0);
  assert_non_null(std::strstr(id.c_str(), "exe="));
  assert_true(ends_with(id, "res=success") || ends_with(id, "res=success)"));
  std::string disk = fake_audit_text(2);
  std::string expected_disk = std::string("virt=kvm resrc=disk reason=start vm=\"web\" uuid=") +
                              kUuid + " old-disk=\"?\" new-disk=\"" + f.b + "\"";
  assert_int_equal(disk.compare(0, expected_disk.size(), expected_disk), 0);

  fake_audit_clear();
  auto r = m->release("web");
  assert_true(r.ok() && r->restore.ok());
  assert_true(r->warnings.empty());
  assert_int_equal(fake_audit_count(), 2);
  assert_non_null(std::strstr(fake_audit_text(0), "reason=stop"));

  // A failed prepare: the kernel hears res=failed.
  fake_audit_clear();
  auto bad = parse_domain(domain_xml("bad", kUuid, file_disk(f.dir + "/absent.img", "vda")));
  assert_false(m->prepare(*bad).ok());
  assert_int_equal(fake_audit_count(), 2);
  for (int i = 0; i < 2; ++i) {
    std::string t = fake_audit_text(i);
    assert_true(ends_with(t, "res=failed") || ends_with(t, "res=failed)"));
  }
}

void test_kernel_refuses_records(void** st) {
  auto& f = *static_cast<Fixture*>(*st);
  fake_audit_set_mode(FAKE_AUDIT_EPERM);
  auto m = open_default(f);
  auto p = m->prepare(two_disks(f));
  assert_true(p.ok());
  assert_int_equal(fake_audit_count(), 3);  // each record was tried
  if (getuid() == 0) {
    // For root libaudit reports the refusal: one warning for the call.
    assert_int_equal(p->warnings.size(), 1);
    assert_true(has_warning(p->warnings, "audit: 3 records not sent"));
    assert_true(has_warning(p->warnings, std::strerror(EPERM)));
  } else {
    // For anyone else libaudit takes it as "audit is not for you".
    assert_true(p->warnings.empty());
  }
  auto r = m->release("web");
  assert_true(r.ok() && r->restore.ok());
}

void test_audit_in_another_namespace(void** st) {
  auto& f = *static_cast<Fixture*>(*st);
  // What a container sees: the socket opens, sending is refused.
  fake_audit_set_mode(FAKE_AUDIT_REFUSED);
  auto m = open_default(f);
  auto p = m->prepare(two_disks(f));
  assert_true(p.ok());
  assert_true(p->warnings.empty());
  assert_true(m->release("web").ok());
}

void test_kernel_without_audit(void** st) {
  auto& f = *static_cast<Fixture*>(*st);
  fake_audit_set_mode(FAKE_AUDIT_ABSENT);
  auto sink = internal::LibauditSink::open();
  assert_false(sink.ok());
  assert_int_equal(sink.error().code, ErrorCode::kUnsupported);
  assert_null(internal::default_audit_sink().get());

  auto m = open_default(f);
  auto p = m->prepare(two_disks(f));
  assert_true(p.ok());
  assert_true(p->warnings.empty());
  assert_true(m->release("web").ok());
  assert_int_equal(fake_audit_count(), 0);
}

// --- the host's own audit socket -----------------------------------------

void test_host_audit_never_fails_the_operation(void** st) {
  auto& f = *static_cast<Fixture*>(*st);
  fake_audit_set_mode(FAKE_AUDIT_OFF);
  // Whatever this host does with audit (absent, refused, EPERM, or
  // recorded), prepare and release succeed; a problem is a warning at most.
  auto m = open_default(f);
  auto p = m->prepare(two_disks(f, "svirt-libaudit-test"));
  assert_true(p.ok());
  for (const auto& w : p->warnings) assert_int_equal(w.rfind("audit: ", 0), 0);
  auto r = m->release("svirt-libaudit-test");
  assert_true(r.ok() && r->restore.ok());
  assert_int_equal(fake_audit_count(), 0);  // nothing went to the stand-in
}

}  // namespace

int main() {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_encoding_matches_libaudit),
      cmocka_unit_test_setup_teardown(test_records_reach_the_audit_socket, setup, teardown),
      cmocka_unit_test_setup_teardown(test_kernel_refuses_records, setup, teardown),
      cmocka_unit_test_setup_teardown(test_audit_in_another_namespace, setup, teardown),
      cmocka_unit_test_setup_teardown(test_kernel_without_audit, setup, teardown),
      cmocka_unit_test_setup_teardown(test_host_audit_never_fails_the_operation, setup, teardown),
  };
  return cmocka_run_group_tests_name("libaudit_sink", tests, nullptr, nullptr);
}
