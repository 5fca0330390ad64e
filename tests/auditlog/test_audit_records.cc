// SPDX-License-Identifier: LGPL-2.1-or-later
//
// Audit records through a capturing sink: what prepare, release, recovery and
// hotplug send, with which success flag, how names and paths are encoded, and
// that neither a failing sink nor `audit_records = false` changes an
// operation's outcome.
#include <unistd.h>

#include <cstring>
#include <string>
#include <vector>

#include "audit_test_util.h"
#include "auditlog/audit_records.h"
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

constexpr const char* kUuid = "6f1c2a4e-93b0-4d5e-8a7f-0123456789ab";

struct Fixture {
  std::string dir;
  std::string state;
  std::shared_ptr<CapturingSink> sink = std::make_shared<CapturingSink>();
  std::unique_ptr<SecurityManager> mgr;
};

int setup(void** st) {
  auto* f = new Fixture;
  f->dir = make_xattr_dir("auditlog");
  if (f->dir.empty()) {
    delete f;
    std::fprintf(stderr, "SKIPPED: no filesystem with user xattrs for test files\n");
    return -1;
  }
  f->state = f->dir + "/state";
  f->mgr = open_manager(f->state, f->sink);
  if (!f->mgr) {
    remove_tree(f->dir);
    delete f;
    return -1;
  }
  *st = f;
  return 0;
}

int teardown(void** st) {
  auto* f = static_cast<Fixture*>(*st);
  f->mgr.reset();
  remove_tree(f->dir);
  delete f;
  return 0;
}

void expect(const SentRecord& r, AuditRecordType type, const std::string& message, bool success) {
  if (r.message != message)
    std::fprintf(stderr, "record:   %s\nexpected: %s\n", r.message.c_str(), message.c_str());
  assert_int_equal(static_cast<int>(r.type), static_cast<int>(type));
  assert_string_equal(r.message.c_str(), message.c_str());
  assert_int_equal(r.success, success);
}

// --- the encoding rule ---------------------------------------------------

void test_encoding_rule(void**) {
  using internal::audit_encode_nv;
  assert_string_equal(audit_encode_nv("vm", "web").c_str(), "vm=\"web\"");
  assert_string_equal(audit_encode_nv("vm", "").c_str(), "vm=\"\"");
  assert_string_equal(audit_encode_nv("new-disk", "?").c_str(), "new-disk=\"?\"");
  // Printable ASCII other than '"' stays readable, '=' and '\'' included.
  assert_string_equal(audit_encode_nv("p", "/a=b'c~!").c_str(), "p=\"/a=b'c~!\"");
  assert_string_equal(audit_encode_nv("vm", "a b").c_str(), "vm=612062");
  assert_string_equal(audit_encode_nv("vm", "a\"b").c_str(), "vm=612262");
  assert_string_equal(audit_encode_nv("vm", "a\tb").c_str(), "vm=610962");
  assert_string_equal(audit_encode_nv("vm", "\x7f").c_str(), "vm=7F");
  assert_string_equal(audit_encode_nv("vm", "caf\xc3\xa9").c_str(), "vm=636166C3A9");
  // One byte that needs encoding is enough to encode the whole value.
  assert_string_equal(audit_encode_nv("vm", "ab cd").c_str(), "vm=6162206364");

  assert_string_equal(internal::audit_bare("kvm").c_str(), "kvm");
  assert_string_equal(internal::audit_bare("").c_str(), "?");
  assert_string_equal(internal::audit_bare("k vm").c_str(), "?");
  assert_string_equal(internal::audit_bare("a\"").c_str(), "?");
}

void test_type_names(void**) {
  assert_string_equal(audit_record_type_name(AuditRecordType::kResource), "VIRT_RESOURCE");
  assert_string_equal(audit_record_type_name(AuditRecordType::kMachineId), "VIRT_MACHINE_ID");
  // The values libaudit and the kernel use, so a sink may pass them on.
  assert_int_equal(static_cast<int>(AuditRecordType::kResource), 2501);
  assert_int_equal(static_cast<int>(AuditRecordType::kMachineId), 2502);
}

// --- what the manager sends ---------------------------------------------

void test_prepare_and_release(void** st) {
  auto& f = *static_cast<Fixture*>(*st);
  std::string a = f.dir + "/a.img", b = f.dir + "/b.img";
  write_file(a);
  write_file(b);
  auto def = parse_domain(domain_xml("web", kUuid, file_disk(a, "vda") + file_disk(b, "vdb")));
  assert_true(def.has_value());
  auto p = f.mgr->prepare(*def);
  assert_true(p.ok());
  assert_true(p->warnings.empty());
  assert_false(p->label.label.empty());
  assert_false(p->label.imagelabel.empty());

  auto sent = f.sink->take();
  assert_int_equal(sent.size(), 3);
  std::string vm = std::string("vm=\"web\" uuid=") + kUuid;
  expect(sent[0], AuditRecordType::kMachineId,
         "virt=kvm " + vm + " vm-ctx=" + p->label.label + " img-ctx=" + p->label.imagelabel +
             " model=selinux",
         true);
  expect(sent[1], AuditRecordType::kResource,
         "virt=kvm resrc=disk reason=start " + vm + " old-disk=\"?\" new-disk=\"" + a + "\"", true);
  expect(sent[2], AuditRecordType::kResource,
         "virt=kvm resrc=disk reason=start " + vm + " old-disk=\"?\" new-disk=\"" + b + "\"", true);

  auto r = f.mgr->release("web");
  assert_true(r.ok());
  assert_true(r->restore.ok());
  assert_true(r->warnings.empty());
  sent = f.sink->take();
  assert_int_equal(sent.size(), 2);
  expect(sent[0], AuditRecordType::kResource,
         "virt=kvm resrc=disk reason=stop " + vm + " old-disk=\"" + a + "\" new-disk=\"?\"", true);
  expect(sent[1], AuditRecordType::kResource,
         "virt=kvm resrc=disk reason=stop " + vm + " old-disk=\"" + b + "\" new-disk=\"?\"", true);
}

void test_attach_detach(void** st) {
  auto& f = *static_cast<Fixture*>(*st);
  std::string a = f.dir + "/a.img", hot = f.dir + "/hot.img";
  write_file(a);
  write_file(hot);
  auto def = parse_domain(domain_xml("vm2", kUuid, file_disk(a, "vda"), "qemu"));
  assert_true(def.has_value());
  assert_true(f.mgr->prepare(*def).ok());
  (void)f.sink->take();

  auto dev = DeviceDef::parse(file_disk(hot, "vdb"), *def);
  assert_true(dev.ok());
  assert_true(f.mgr->attach("vm2", *dev).ok());
  auto sent = f.sink->take();
  std::string vm = std::string("vm=\"vm2\" uuid=") + kUuid;
  assert_int_equal(sent.size(), 1);
  expect(sent[0], AuditRecordType::kResource,
         "virt=qemu resrc=disk reason=attach " + vm + " old-disk=\"?\" new-disk=\"" + hot + "\"",
         true);

  auto d = f.mgr->detach("vm2", *dev);
  assert_true(d.ok() && d->ok());
  sent = f.sink->take();
  assert_int_equal(sent.size(), 1);
  expect(sent[0], AuditRecordType::kResource,
         "virt=qemu resrc=disk reason=detach " + vm + " old-disk=\"" + hot + "\" new-disk=\"?\"",
         true);

  // A disk that cannot be attached leaves a failure record.
  std::string gone = f.dir + "/gone.img";
  auto missing = DeviceDef::parse(file_disk(gone, "vdc"), *def);
  assert_true(missing.ok());
  assert_false(f.mgr->attach("vm2", *missing).ok());
  sent = f.sink->take();
  assert_int_equal(sent.size(), 1);
  expect(sent[0], AuditRecordType::kResource,
         "virt=qemu resrc=disk reason=attach " + vm + " old-disk=\"?\" new-disk=\"" + gone + "\"",
         false);

  // No record for a domain that is not prepared: nothing was attempted.
  assert_false(f.mgr->attach("nobody", *dev).ok());
  assert_int_equal(f.sink->take().size(), 0);
}

void test_failed_prepare_sends_failure_records(void** st) {
  auto& f = *static_cast<Fixture*>(*st);
  std::string a = f.dir + "/present.img", gone = f.dir + "/absent.img";
  write_file(a);
  auto def =
      parse_domain(domain_xml("broken", kUuid, file_disk(a, "vda") + file_disk(gone, "vdb")));
  assert_true(def.has_value());
  auto p = f.mgr->prepare(*def);
  assert_false(p.ok());
  auto sent = f.sink->take();
  assert_int_equal(sent.size(), 3);
  assert_int_equal(static_cast<int>(sent[0].type), static_cast<int>(AuditRecordType::kMachineId));
  assert_non_null(std::strstr(sent[0].message.c_str(), "vm=\"broken\""));
  for (const auto& r : sent) assert_false(r.success);
  std::string vm = std::string("vm=\"broken\" uuid=") + kUuid;
  expect(sent[2], AuditRecordType::kResource,
         "virt=kvm resrc=disk reason=start " + vm + " old-disk=\"?\" new-disk=\"" + gone + "\"",
         false);

  // Preparing a domain that is already prepared is refused before anything
  // is attempted: no records.
  auto ok_def = parse_domain(domain_xml("fine", kUuid, file_disk(a, "vda")));
  assert_true(f.mgr->prepare(*ok_def).ok());
  (void)f.sink->take();
  assert_false(f.mgr->prepare(*ok_def).ok());
  assert_int_equal(f.sink->take().size(), 0);
}

void test_names_and_paths_are_encoded(void** st) {
  auto& f = *static_cast<Fixture*>(*st);
  std::string name = "my vm \"prod\"";
  std::string spaced = f.dir + "/my disk.img";
  write_file(spaced);
  // Without <uuid>: the field is "?".
  auto def = parse_domain(domain_xml(name, "", file_disk(spaced, "vda")));
  assert_true(def.has_value());
  auto p = f.mgr->prepare(*def);
  assert_true(p.ok());
  auto sent = f.sink->take();
  assert_int_equal(sent.size(), 2);
  std::string vm = "vm=" + hex_of(name) + " uuid=?";
  assert_non_null(std::strstr(sent[0].message.c_str(), (" " + vm + " ").c_str()));
  expect(sent[1], AuditRecordType::kResource,
         "virt=kvm resrc=disk reason=start " + vm + " old-disk=\"?\" new-disk=" + hex_of(spaced),
         true);
  // Every field is one key=value with no space inside: a name cannot forge
  // a field of its own.
  for (const auto& r : sent) assert_null(std::strstr(r.message.c_str(), "prod"));
}

void test_only_local_disks_have_records(void** st) {
  auto& f = *static_cast<Fixture*>(*st);
  std::string a = f.dir + "/a.img";
  write_file(a);
  std::string devices =
      file_disk(a, "vda") +
      "<disk type='network' device='disk'><source protocol='nbd' name='export'>"
      "<host name='storage.example' port='10809'/></source><target dev='vdb'/></disk>"
      "<disk type='file' device='cdrom'><target dev='hdc'/><readonly/></disk>";
  auto def = parse_domain(domain_xml("mixed", kUuid, devices));
  assert_true(def.has_value());
  assert_true(f.mgr->prepare(*def).ok());
  auto sent = f.sink->take();
  assert_int_equal(sent.size(), 2);  // machine id + the file disk
  assert_non_null(std::strstr(sent[1].message.c_str(), ("new-disk=\"" + a + "\"").c_str()));
}

void test_recovery_release_sends_stop(void** st) {
  auto& f = *static_cast<Fixture*>(*st);
  std::string a = f.dir + "/a.img";
  write_file(a);
  auto def = parse_domain(domain_xml("orphan", kUuid, file_disk(a, "vda")));
  assert_true(f.mgr->prepare(*def).ok());
  (void)f.sink->take();
  // recover() releases a prepared domain that was never started.
  auto r = f.mgr->recover();
  assert_true(r.ok());
  assert_int_equal(r->released.size(), 1);
  auto sent = f.sink->take();
  assert_int_equal(sent.size(), 1);
  expect(sent[0], AuditRecordType::kResource,
         std::string("virt=kvm resrc=disk reason=stop vm=\"orphan\" uuid=") + kUuid +
             " old-disk=\"" + a + "\" new-disk=\"?\"",
         true);
}

void test_failing_sink_is_a_warning(void** st) {
  auto& f = *static_cast<Fixture*>(*st);
  std::string a = f.dir + "/a.img", b = f.dir + "/b.img";
  write_file(a);
  write_file(b);
  f.sink->set_fail(true);
  auto def = parse_domain(domain_xml("web", kUuid, file_disk(a, "vda") + file_disk(b, "vdb")));
  auto p = f.mgr->prepare(*def);
  assert_true(p.ok());
  assert_int_equal(f.sink->take().size(), 3);  // every record was still tried
  assert_int_equal(p->warnings.size(), 1);
  assert_true(has_warning(p->warnings, "audit: 3 records not sent: sink refuses records"));
  auto r = f.mgr->release("web");
  assert_true(r.ok() && r->restore.ok());
  assert_true(has_warning(r->warnings, "audit: 2 records not sent"));
}

void test_config_turns_records_off(void** st) {
  auto& f = *static_cast<Fixture*>(*st);
  auto config = Config::parse("[security]\naudit_records = false\n");
  assert_true(config.ok());
  assert_false(config->audit_records);
  assert_true(Config::parse("").value().audit_records);
  assert_false(Config::parse("[security]\naudit_records = maybe\n").ok());

  auto sink = std::make_shared<CapturingSink>();
  auto m = open_manager(f.dir + "/state-off", sink, *config);
  assert_non_null(m.get());
  std::string a = f.dir + "/a.img";
  write_file(a);
  auto def = parse_domain(domain_xml("quiet", kUuid, file_disk(a, "vda")));
  assert_true(m->prepare(*def).ok());
  assert_true(m->release("quiet").ok());
  assert_int_equal(sink->take().size(), 0);
}

}  // namespace

int main() {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_encoding_rule),
      cmocka_unit_test(test_type_names),
      cmocka_unit_test_setup_teardown(test_prepare_and_release, setup, teardown),
      cmocka_unit_test_setup_teardown(test_attach_detach, setup, teardown),
      cmocka_unit_test_setup_teardown(test_failed_prepare_sends_failure_records, setup, teardown),
      cmocka_unit_test_setup_teardown(test_names_and_paths_are_encoded, setup, teardown),
      cmocka_unit_test_setup_teardown(test_only_local_disks_have_records, setup, teardown),
      cmocka_unit_test_setup_teardown(test_recovery_release_sends_stop, setup, teardown),
      cmocka_unit_test_setup_teardown(test_failing_sink_is_a_warning, setup, teardown),
      cmocka_unit_test_setup_teardown(test_config_turns_records_off, setup, teardown),
  };
  return cmocka_run_group_tests_name("audit_records", tests, nullptr, nullptr);
}
