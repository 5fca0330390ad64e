/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Both ends of a live migration through the C API with the test driver:
 * svirt_prepare_incoming() draws a fresh pair whatever the source's XML
 * carries and leaves files under a shared path alone; svirt_release_migrated()
 * restores local files and forgets shared ones, which keep their label.
 * Shared storage is named by shared paths (the scratch directory must be on
 * a local filesystem: the test skips otherwise).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/vfs.h>
#include <unistd.h>

#include <cmocka.h>

#include "support.h"
#include "svirt/svirt.h"

#define CARRIED_LABEL "system_u:system_r:svirt_t:s0:c1,c2"
#define CARRIED_IMAGE "system_u:object_r:svirt_image_t:s0:c1,c2"

/* The fixture's disk (local) and, under <dir>/nfs (named shared), nfs/shared.img. */
struct paths {
  char shared_dir[4300];
  char shared_img[4400];
};

static void make_shared(const struct fixture *f, struct paths *p, const char *label) {
  snprintf(p->shared_dir, sizeof p->shared_dir, "%s/nfs", f->dir);
  snprintf(p->shared_img, sizeof p->shared_img, "%s/shared.img", p->shared_dir);
  mkdir(p->shared_dir, 0700);
  make_file(p->shared_img, label);
}

/* A domain with the given <seclabel> (may be "") and one disk per path. */
static svirt_domain *domain_xml(const char *name, const char *seclabel, const char *disk1,
                                const char *disk2) {
  char xml[16384];
  int n = snprintf(xml, sizeof xml, "<domain type='kvm'><name>%s</name>%s<devices>", name,
                   seclabel);
  n += snprintf(xml + n, sizeof xml - (size_t)n,
                "<disk type='file' device='disk'><source file='%s'/><target dev='vda'/></disk>",
                disk1);
  if (disk2 != NULL)
    n += snprintf(xml + n, sizeof xml - (size_t)n,
                  "<disk type='file' device='disk'><source file='%s'/>"
                  "<target dev='vdb'/></disk>",
                  disk2);
  snprintf(xml + n, sizeof xml - (size_t)n, "</devices></domain>");
  return parse_domain(xml);
}

/* A dynamic seclabel as the source host filled it in, with pair `pair`. */
static const char *carried(const char *pair) {
  static char buf[512];
  snprintf(buf, sizeof buf,
           "<seclabel type='dynamic' model='selinux' relabel='yes'>"
           "<label>system_u:system_r:svirt_t:s0:%s</label>"
           "<imagelabel>system_u:object_r:svirt_image_t:s0:%s</imagelabel></seclabel>",
           pair, pair);
  return buf;
}

static void test_incoming_draws_a_fresh_pair(void **state) {
  struct fixture *f = *state;
  svirt_manager *mgr = open_test(f);
  svirt_domain *dom = domain_xml("vm", carried("c1,c2"), f->disk, NULL);
  svirt_domain *here = NULL, *taken = NULL;
  svirt_error *err = NULL;
  char *xml = NULL, *label = NULL, *image = NULL, *here_label = NULL, *got = NULL;
  char other[4300], pair[64];

  assert_int_equal(svirt_prepare_incoming(mgr, dom, NULL, &xml, &label, &image, NULL, &err), 0);
  assert_null(err);
  assert_non_null(strstr(label, ":svirt_t:s0:c"));
  assert_string_not_equal(pair_of(label), "c1,c2");
  assert_string_equal(pair_of(image), pair_of(label));
  assert_string_equal(label_of(f->disk), image);
  /* The live XML carries this host's pair, not the source's. */
  assert_non_null(strstr(xml, label));
  assert_null(strstr(xml, CARRIED_LABEL));
  assert_null(strstr(xml, CARRIED_IMAGE));
  /* What svirt_dominfo reports for the recorded domain is this host's label. */
  {
    char *seen = NULL;
    assert_int_equal(svirt_dominfo(mgr, "vm", &seen, NULL, &err), 0);
    assert_string_equal(seen, label);
    svirt_free(seen);
  }
  assert_int_equal(svirt_release(mgr, "vm", NULL, &err), 0);
  assert_string_equal(label_of(f->disk), ORIGINAL);

  /* The carried pair is held by a domain here: yet another pair is drawn. */
  snprintf(other, sizeof other, "%s/other.img", f->dir);
  make_file(other, ORIGINAL);
  here = domain_with_disk("here", other);
  assert_int_equal(svirt_prepare(mgr, here, NULL, &here_label, NULL, NULL, &err), 0);
  snprintf(pair, sizeof pair, "%s", pair_of(here_label));
  taken = domain_xml("vm", carried(pair), f->disk, NULL);
  assert_int_equal(svirt_prepare_incoming(mgr, taken, NULL, NULL, &got, NULL, NULL, &err), 0);
  assert_null(err);
  assert_string_not_equal(pair_of(got), pair);
  /* The local domain keeps its own. */
  assert_non_null(strstr(label_of(other), ":svirt_image_t:s0:c"));
  assert_string_equal(pair_of(label_of(other)), pair);
  assert_int_equal(svirt_release(mgr, "vm", NULL, &err), 0);
  assert_int_equal(svirt_release(mgr, "here", NULL, &err), 0);
  assert_string_equal(label_of(other), ORIGINAL);

  svirt_free(xml);
  svirt_free(label);
  svirt_free(image);
  svirt_free(here_label);
  svirt_free(got);
  svirt_domain_free(dom);
  svirt_domain_free(here);
  svirt_domain_free(taken);
  svirt_manager_free(mgr);
}

static void test_incoming_leaves_shared_storage(void **state) {
  struct fixture *f = *state;
  svirt_manager *mgr = open_test(f);
  struct paths p;
  svirt_domain *dom;
  svirt_error *err = NULL;
  char *image = NULL;
  const char *shared[2];

  make_shared(f, &p, CARRIED_IMAGE);
  shared[0] = p.shared_dir;
  shared[1] = NULL;
  dom = domain_xml("vm", carried("c1,c2"), f->disk, p.shared_img);
  assert_int_equal(svirt_prepare_incoming(mgr, dom, shared, NULL, NULL, &image, NULL, &err), 0);
  assert_null(err);
  assert_string_not_equal(pair_of(image), "c1,c2");
  assert_string_equal(label_of(f->disk), image);        /* local: relabelled */
  assert_string_equal(label_of(p.shared_img), CARRIED_IMAGE); /* shared: the source's */

  /* The shared file was never recorded here: the release leaves it alone. */
  assert_int_equal(svirt_release(mgr, "vm", NULL, &err), 0);
  assert_null(err);
  assert_string_equal(label_of(f->disk), ORIGINAL);
  assert_string_equal(label_of(p.shared_img), CARRIED_IMAGE);

  svirt_free(image);
  svirt_domain_free(dom);
  svirt_manager_free(mgr);
}

static void test_release_migrated(void **state) {
  struct fixture *f = *state;
  svirt_manager *mgr = open_test(f);
  struct paths p;
  svirt_domain *dom, *again;
  svirt_error *err = NULL;
  char *image = NULL, *again_image = NULL, link[4300];
  const char *shared[2];

  make_shared(f, &p, ORIGINAL);
  /* Named through a symlink to the tree: resolved by the call. */
  snprintf(link, sizeof link, "%s/nfs-link", f->dir);
  assert_int_equal(symlink(p.shared_dir, link), 0);
  shared[0] = link;
  shared[1] = NULL;
  dom = domain_xml("vm", "", f->disk, p.shared_img);
  assert_int_equal(svirt_prepare(mgr, dom, NULL, NULL, &image, NULL, &err), 0);
  assert_string_equal(label_of(f->disk), image);
  assert_string_equal(label_of(p.shared_img), image);

  assert_int_equal(svirt_release_migrated(mgr, "vm", shared, NULL, &err), 0);
  assert_null(err);
  assert_string_equal(label_of(f->disk), ORIGINAL);      /* local: restored */
  assert_string_equal(label_of(p.shared_img), image);    /* shared: left to the destination */
  /* The domain is gone. */
  expect_error(svirt_release(mgr, "vm", NULL, &err), &err, SVIRT_ERR_NOT_FOUND, "vm");

  /* The shared file's record went too: another domain here may take it, and
   * gives back the label it found there. */
  again = domain_with_disk("again", p.shared_img);
  assert_int_equal(svirt_prepare(mgr, again, NULL, NULL, &again_image, NULL, &err), 0);
  assert_null(err);
  assert_string_equal(label_of(p.shared_img), again_image);
  assert_int_equal(svirt_release(mgr, "again", NULL, &err), 0);
  assert_string_equal(label_of(p.shared_img), image);

  svirt_free(image);
  svirt_free(again_image);
  svirt_domain_free(dom);
  svirt_domain_free(again);
  svirt_manager_free(mgr);
}

static void test_release_migrated_without_shared_storage(void **state) {
  struct fixture *f = *state;
  svirt_manager *mgr = open_test(f);
  svirt_domain *dom = domain_with_disk("vm", f->disk);
  svirt_error *err = NULL;
  const char *none[] = {NULL};

  assert_int_equal(svirt_prepare(mgr, dom, NULL, NULL, NULL, NULL, &err), 0);
  assert_string_not_equal(label_of(f->disk), ORIGINAL);
  assert_int_equal(svirt_release_migrated(mgr, "vm", none, NULL, &err), 0);
  assert_null(err);
  assert_string_equal(label_of(f->disk), ORIGINAL);

  assert_int_equal(svirt_prepare(mgr, dom, NULL, NULL, NULL, NULL, &err), 0);
  assert_int_equal(svirt_release_migrated(mgr, "vm", NULL, NULL, &err), 0);
  assert_string_equal(label_of(f->disk), ORIGINAL);

  svirt_domain_free(dom);
  svirt_manager_free(mgr);
}

static void test_errors(void **state) {
  struct fixture *f = *state;
  svirt_manager *mgr = open_test(f);
  struct paths p;
  svirt_domain *dom, *stat_vm, *stat_other;
  svirt_error *err = NULL;
  char *label = NULL, second[4300];
  const char *relative[] = {"nfs", NULL};
  const char *shared[2];
  const char *static_label =
      "<seclabel type='static' model='selinux' relabel='yes'>"
      "<label>system_u:system_r:svirt_t:s0:c5,c6</label></seclabel>";

  make_shared(f, &p, ORIGINAL);
  shared[0] = p.shared_dir;
  shared[1] = NULL;
  dom = domain_xml("vm", carried("c1,c2"), f->disk, p.shared_img);

  /* Relative shared paths: refused, naming the path; nothing labelled. */
  expect_error(svirt_prepare_incoming(mgr, dom, relative, NULL, &label, NULL, NULL, &err), &err,
               SVIRT_ERR_INVALID_INPUT, "'nfs' is not absolute");
  assert_null(label);
  assert_string_equal(label_of(f->disk), ORIGINAL);
  expect_error(svirt_release(mgr, "vm", NULL, &err), &err, SVIRT_ERR_NOT_FOUND, "vm");

  assert_int_equal(svirt_prepare_incoming(mgr, dom, shared, NULL, &label, NULL, NULL, &err), 0);
  expect_error(svirt_release_migrated(mgr, "vm", relative, NULL, &err), &err, SVIRT_ERR_INVALID_INPUT,
               "'nfs' is not absolute");
  assert_string_not_equal(label_of(f->disk), ORIGINAL); /* still prepared */

  /* Unknown domains. */
  expect_error(svirt_release_migrated(mgr, "nobody", shared, NULL, &err), &err, SVIRT_ERR_NOT_FOUND,
               "nobody");
  /* The name is taken, as for svirt_prepare(). */
  expect_error(svirt_prepare_incoming(mgr, dom, shared, NULL, NULL, NULL, NULL, &err), &err,
               SVIRT_ERR_CONFLICT, "vm");
  assert_int_equal(svirt_release_migrated(mgr, "vm", shared, NULL, &err), 0);
  assert_string_equal(label_of(f->disk), ORIGINAL);

  /* A static pair a domain here holds: a conflict naming both, nothing changed. */
  snprintf(second, sizeof second, "%s/second.img", f->dir);
  make_file(second, ORIGINAL);
  stat_vm = domain_xml("vm", static_label, f->disk, NULL);
  stat_other = domain_xml("other", static_label, second, NULL);
  assert_int_equal(svirt_prepare_incoming(mgr, stat_vm, NULL, NULL, NULL, NULL, NULL, &err), 0);
  assert_string_equal(label_of(f->disk), "system_u:object_r:svirt_image_t:s0:c5,c6");
  expect_error(svirt_prepare_incoming(mgr, stat_other, NULL, NULL, NULL, NULL, NULL, &err), &err,
               SVIRT_ERR_CONFLICT, "'other'");
  assert_string_equal(label_of(second), ORIGINAL);
  assert_int_equal(svirt_release(mgr, "vm", NULL, &err), 0);
  expect_error(svirt_release(mgr, "other", NULL, &err), &err, SVIRT_ERR_NOT_FOUND, "other");

  /* NULL arguments: refused, out-parameters untouched. */
  svirt_free(label);
  label = NULL;
  expect_error(svirt_prepare_incoming(NULL, dom, shared, NULL, &label, NULL, NULL, &err), &err,
               SVIRT_ERR_INVALID_INPUT, "mgr is NULL");
  expect_error(svirt_prepare_incoming(mgr, NULL, shared, NULL, &label, NULL, NULL, &err), &err,
               SVIRT_ERR_INVALID_INPUT, "dom is NULL");
  assert_null(label);
  expect_error(svirt_release_migrated(NULL, "vm", shared, NULL, &err), &err, SVIRT_ERR_INVALID_INPUT,
               "mgr is NULL");
  expect_error(svirt_release_migrated(mgr, NULL, shared, NULL, &err), &err, SVIRT_ERR_INVALID_INPUT,
               "name is NULL");
  assert_int_equal(svirt_release_migrated(mgr, NULL, NULL, NULL, NULL), -1);
  assert_string_equal(label_of(f->disk), ORIGINAL);

  svirt_domain_free(dom);
  svirt_domain_free(stat_vm);
  svirt_domain_free(stat_other);
  svirt_manager_free(mgr);
}

/* Whether `dir` is on a filesystem svirt counts as shared (network and
 * cluster filesystems; any FUSE one, to be safe). */
static int on_shared_storage(const char *dir) {
  static const unsigned long shared[] = {
      0x6969,     0x517B,     0xFF534D42, 0xFE534D42, 0x01161970, 0x7461636F, 0x00C36400,
      0x5346414F, 0x6B414653, 0x47504653, 0x0BD00BD0, 0x19830326, 0x01021997, 0x65735546,
  };
  struct statfs fs;
  if (statfs(dir, &fs) != 0) return 0;
  for (size_t i = 0; i < sizeof shared / sizeof shared[0]; i++)
    if ((unsigned long)(unsigned int)fs.f_type == shared[i]) return 1;
  return 0;
}

int main(void) {
  const struct CMUnitTest tests[] = {
      CAPI_TEST(test_incoming_draws_a_fresh_pair),
      CAPI_TEST(test_incoming_leaves_shared_storage),
      CAPI_TEST(test_release_migrated),
      CAPI_TEST(test_release_migrated_without_shared_storage),
      CAPI_TEST(test_errors),
  };
  char *dir;
  int shared;
  skip_without_xattrs();
  dir = make_xattr_tmpdir();
  shared = dir != NULL && on_shared_storage(dir);
  if (dir != NULL) rmdir(dir);
  free(dir);
  if (shared) {
    fprintf(stderr, "SKIPPED: the scratch directory is on shared storage\n");
    return 77;
  }
  return cmocka_run_group_tests(tests, NULL, NULL);
}
