// SPDX-License-Identifier: LGPL-2.1-or-later
//
// The files journal: what a crash leaves at its end is dropped and
// overwritten, damage in its middle is refused by name, each change costs one
// append and one sync, two processes see each other's appends, and it
// compacts itself.
#include <fcntl.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstring>
#include <fstream>
#include <sstream>
#include <string>

#include "../core/test_support.h"
#include "state/files_journal.h"
extern "C" {
#include <cmocka.h>
}

using namespace svirt;
using namespace svirt::internal;
using namespace svirt::testing;

namespace {

using Fixture = Scratch;
int setup(void** st) { return scratch_setup(st, "journal"); }
int teardown(void** st) { return scratch_teardown(st); }

FileRecord record(const std::string& path, const std::string& user, uint64_t ino) {
  FileRecord r;
  r.path = path;
  r.identity = FileIdentity{42, ino};
  r.original = "system_u:object_r:virt_image_t:s0";
  r.label = "system_u:object_r:svirt_image_t:s0:c1,c2";
  r.kind = "disk";
  r.users = {user};
  return r;
}

std::string slurp(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

void spill(const std::string& path, const std::string& bytes) {
  std::ofstream(path, std::ios::binary | std::ios::trunc) << bytes;
}

std::string journal_of(const std::string& dir) { return dir + "/" + FilesJournal::kName; }

// The journal cut at every byte of its last record reads as the record
// before; the next change truncates the torn bytes and is read whole.
void test_torn_tail_at_every_offset(void** st) {
  auto& f = *static_cast<Fixture*>(*st);
  const std::string dir = f.dir + "/whole";
  assert_int_equal(mkdir(dir.c_str(), 0700), 0);
  FileTable one{{"/v/a.img", record("/v/a.img", "vm", 1)}};
  FileTable two = one;
  two["/v/b.img"] = record("/v/b.img", "vm", 2);
  {
    FilesJournal j(dir);
    assert_true(j.save(one).ok());
  }
  const size_t first_end = slurp(journal_of(dir)).size();
  {
    FilesJournal j(dir);
    assert_true(j.save(two).ok());
  }
  const std::string whole = slurp(journal_of(dir));
  assert_true(whole.size() > first_end);
  FileTable three{{"/v/c.img", record("/v/c.img", "other", 3)}};
  for (size_t cut = first_end; cut < whole.size(); ++cut) {
    const std::string d = f.dir + "/cut" + std::to_string(cut);
    assert_int_equal(mkdir(d.c_str(), 0700), 0);
    spill(journal_of(d), whole.substr(0, cut));
    FilesJournal j(d);
    auto t = j.load();
    assert_true(t.ok());
    assert_true(*t == one);
    assert_true(j.save(three).ok());
    FilesJournal fresh(d);
    auto back = fresh.load();
    assert_true(back.ok() && *back == three);
  }
}

// A record whose checksum fails with good records after it is damage, not a
// torn tail: refused with the file and the offset, never misread.
void test_bad_checksum_in_the_middle_refused(void** st) {
  auto& f = *static_cast<Fixture*>(*st);
  FileTable one{{"/v/a.img", record("/v/a.img", "vm", 1)}};
  FileTable two = one;
  two["/v/b.img"] = record("/v/b.img", "vm", 2);
  {
    FilesJournal j(f.dir);
    assert_true(j.save(one).ok());
    assert_true(j.save(two).ok());
  }
  std::string bytes = slurp(journal_of(f.dir));
  size_t at = bytes.find("virt_image_t");  // inside the first record's payload
  assert_true(at != std::string::npos);
  bytes[at] = 'V';
  spill(journal_of(f.dir), bytes);
  FilesJournal j(f.dir);
  auto t = j.load();
  assert_false(t.ok());
  assert_non_null(strstr(t.error().message.c_str(), "files.journal"));
  assert_non_null(strstr(t.error().message.c_str(), "offset 8 fails its checksum"));
  // Nothing is written over the evidence.
  assert_false(j.save(FileTable{}).ok());
  assert_true(slurp(journal_of(f.dir)) == bytes);
}

// One append and one sync per change, none when nothing changed; the file
// grows by the change, not by the table.
void test_one_sync_per_change(void** st) {
  auto& f = *static_cast<Fixture*>(*st);
  FilesJournal j(f.dir);
  FileTable t;
  for (int i = 0; i < 200; ++i) {
    std::string p = "/v/d" + std::to_string(i) + ".img";
    t[p] = record(p, "d" + std::to_string(i), 100 + i);
  }
  assert_true(j.save(t).ok());
  assert_int_equal(j.stats().syncs, 1);
  assert_true(j.save(t).ok());
  assert_int_equal(j.stats().syncs, 1);
  struct stat before {};
  assert_int_equal(stat(journal_of(f.dir).c_str(), &before), 0);
  FileTable more = t;
  more["/v/new.img"] = record("/v/new.img", "new", 7);
  assert_true(j.save(more).ok());
  assert_int_equal(j.stats().appends, 2);
  assert_int_equal(j.stats().syncs, 2);
  struct stat after {};
  assert_int_equal(stat(journal_of(f.dir).c_str(), &after), 0);
  assert_true(after.st_size - before.st_size < 512);
}

// Two journals on one directory (two processes): each sees what the other
// appended, and a deletion by one is a deletion for the other.
void test_two_writers_see_each_other(void** st) {
  auto& f = *static_cast<Fixture*>(*st);
  FilesJournal a(f.dir), b(f.dir);
  FileTable t{{"/v/a.img", record("/v/a.img", "vm", 1)}};
  assert_true(a.save(t).ok());
  auto seen = b.load();
  assert_true(seen.ok() && *seen == t);
  FileTable u = *seen;
  u.erase("/v/a.img");
  u["/v/b.img"] = record("/v/b.img", "other", 2);
  assert_true(b.save(u).ok());
  auto back = a.load();
  assert_true(back.ok() && *back == u);
}

// Churn compacts the journal: it stays near the live size, and what it
// holds is unchanged.
void test_compaction(void** st) {
  auto& f = *static_cast<Fixture*>(*st);
  FilesJournal j(f.dir);
  FileTable keep{{"/v/keep.img", record("/v/keep.img", "keep", 1)}};
  for (int i = 0; i < 600; ++i) {
    FileTable t = keep;
    std::string p = "/v/tmp" + std::to_string(i) + ".img";
    t[p] = record(p, "tmp", 1000 + i);
    assert_true(j.save(t).ok());
    assert_true(j.save(keep).ok());
  }
  assert_true(j.stats().compactions >= 1);
  struct stat sb {};
  assert_int_equal(stat(journal_of(f.dir).c_str(), &sb), 0);
  assert_true(sb.st_size < 128 * 1024);
  FilesJournal fresh(f.dir);
  auto back = fresh.load();
  assert_true(back.ok() && *back == keep);
}

// A files.db of an earlier release is converted on first use and removed.
void test_legacy_files_db_converted(void** st) {
  auto& f = *static_cast<Fixture*>(*st);
  spill(f.dir + "/files.db",
        "[file 0]\npath=/v/old.img\nidentity=42:9\noriginal=system_u:object_r:virt_image_t:s0\n"
        "label=system_u:object_r:svirt_image_t:s0:c1,c2\nkind=disk\nusers=vm;\n");
  FilesJournal j(f.dir);
  auto t = j.load();
  assert_true(t.ok());
  assert_int_equal(t->size(), 1);
  assert_true(t->at("/v/old.img").identity == (FileIdentity{42, 9}));
  assert_int_equal(access((f.dir + "/files.db").c_str(), F_OK), -1);
  FilesJournal again(f.dir);
  auto back = again.load();
  assert_true(back.ok() && *back == *t);
}

}  // namespace

int main() {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test_setup_teardown(test_torn_tail_at_every_offset, setup, teardown),
      cmocka_unit_test_setup_teardown(test_bad_checksum_in_the_middle_refused, setup, teardown),
      cmocka_unit_test_setup_teardown(test_one_sync_per_change, setup, teardown),
      cmocka_unit_test_setup_teardown(test_two_writers_see_each_other, setup, teardown),
      cmocka_unit_test_setup_teardown(test_compaction, setup, teardown),
      cmocka_unit_test_setup_teardown(test_legacy_files_db_converted, setup, teardown),
  };
  return cmocka_run_group_tests(tests, nullptr, nullptr);
}
