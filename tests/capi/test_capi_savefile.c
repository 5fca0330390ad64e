/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Save files through the C API with the test driver: svirt_save_label()
 * gives a file the domain's image label and svirt_restore_save_label() (or
 * the domain's release) its original back; unknown domains, symlinks, system
 * paths, directories, missing and relative paths and NULL arguments are
 * refused and change nothing.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "support.h"
#include "svirt/svirt.h"

#define SAVE_CTX "system_u:object_r:virt_var_lib_t:s0"

/* Asserts that `rc` failed with `code` and a message containing `needle`,
 * then frees the error. */
/* Prepares "vm" with the fixture's disk; returns its image label (malloc'd). */
static char *prepare_vm(svirt_manager *mgr, const struct fixture *f) {
  svirt_domain *dom = domain_with_disk("vm", f->disk);
  svirt_error *err = NULL;
  char *imagelabel = NULL;
  assert_int_equal(svirt_prepare(mgr, dom, NULL, NULL, &imagelabel, NULL, &err), 0);
  assert_non_null(strstr(imagelabel, ":svirt_image_t:s0:c"));
  svirt_domain_free(dom);
  return imagelabel;
}

static void test_round_trip(void **state) {
  struct fixture *f = *state;
  svirt_manager *mgr = open_test(f);
  char *imagelabel = prepare_vm(mgr, f);
  svirt_error *err = NULL;
  char *label = NULL, save[4300], bare[4300], left[4300];

  snprintf(save, sizeof save, "%s/vm.save", f->dir);
  make_file(save, SAVE_CTX);
  assert_int_equal(svirt_save_label(mgr, "vm", save, &label, NULL, &err), 0);
  assert_null(err);
  assert_string_equal(label, imagelabel);
  assert_string_equal(label_of(save), imagelabel);

  assert_int_equal(svirt_restore_save_label(mgr, "vm", save, NULL, &err), 0);
  assert_null(err);
  assert_string_equal(label_of(save), SAVE_CTX);
  assert_string_equal(label_of(f->disk), imagelabel); /* the domain's disk is not touched */
  /* Given back and forgotten: a second restore names the mistake. */
  expect_error(svirt_restore_save_label(mgr, "vm", save, NULL, &err), &err, SVIRT_ERR_NOT_FOUND,
               "not labelled for domain 'vm'");
  assert_string_equal(label_of(save), SAVE_CTX);

  /* A file without a label is unlabelled again; label_out may be NULL. */
  snprintf(bare, sizeof bare, "%s/bare.save", f->dir);
  make_file(bare, NULL);
  assert_int_equal(svirt_save_label(mgr, "vm", bare, NULL, NULL, &err), 0);
  assert_string_equal(label_of(bare), imagelabel);
  assert_int_equal(svirt_restore_save_label(mgr, "vm", bare, NULL, &err), 0);
  assert_string_equal(label_of(bare), "");

  /* A save file the caller never gave back: the domain's release does. */
  snprintf(left, sizeof left, "%s/left.save", f->dir);
  make_file(left, SAVE_CTX);
  assert_int_equal(svirt_save_label(mgr, "vm", left, NULL, NULL, &err), 0);
  assert_string_equal(label_of(left), imagelabel);
  assert_int_equal(svirt_release(mgr, "vm", NULL, &err), 0);
  assert_null(err);
  assert_string_equal(label_of(left), SAVE_CTX);
  assert_string_equal(label_of(f->disk), ORIGINAL);

  svirt_free(label);
  svirt_free(imagelabel);
  svirt_manager_free(mgr);
}

static void test_deleted_save_file(void **state) {
  struct fixture *f = *state;
  svirt_manager *mgr = open_test(f);
  char *imagelabel = prepare_vm(mgr, f);
  svirt_error *err = NULL;
  char save[4300];

  snprintf(save, sizeof save, "%s/gone.save", f->dir);
  make_file(save, SAVE_CTX);
  assert_int_equal(svirt_save_label(mgr, "vm", save, NULL, NULL, &err), 0);
  assert_int_equal(unlink(save), 0);
  /* Its record is dropped: success, and the release has nothing left to fail on. */
  assert_int_equal(svirt_restore_save_label(mgr, "vm", save, NULL, &err), 0);
  assert_null(err);
  assert_int_equal(svirt_release(mgr, "vm", NULL, &err), 0);
  assert_null(err);
  assert_string_equal(label_of(f->disk), ORIGINAL);

  svirt_free(imagelabel);
  svirt_manager_free(mgr);
}

static void test_refused(void **state) {
  struct fixture *f = *state;
  svirt_manager *mgr = open_test(f);
  char *imagelabel = prepare_vm(mgr, f);
  svirt_error *err = NULL;
  char *label = NULL;
  char save[4300], victim[4300], link[4300], passwd_link[4300], missing[4300], dir[4300];
  struct stat st;

  snprintf(save, sizeof save, "%s/vm.save", f->dir);
  make_file(save, SAVE_CTX);

  /* An unknown domain: not found, naming it; nothing written anywhere. */
  expect_error(svirt_save_label(mgr, "nobody", save, &label, NULL, &err), &err, SVIRT_ERR_NOT_FOUND,
               "nobody");
  assert_null(label);
  assert_string_equal(label_of(save), SAVE_CTX);
  expect_error(svirt_restore_save_label(mgr, "nobody", save, NULL, &err), &err, SVIRT_ERR_NOT_FOUND,
               "nobody");

  /* A symlink in the file's place: its target keeps its label. */
  snprintf(victim, sizeof victim, "%s/victim", f->dir);
  snprintf(link, sizeof link, "%s/link.save", f->dir);
  make_file(victim, SAVE_CTX);
  assert_int_equal(symlink(victim, link), 0);
  expect_error(svirt_save_label(mgr, "vm", link, &label, NULL, &err), &err,
               SVIRT_ERR_OPERATION_FAILED, "symlink");
  assert_null(label);
  assert_string_equal(label_of(victim), SAVE_CTX);
  expect_error(svirt_restore_save_label(mgr, "vm", link, NULL, &err), &err,
               SVIRT_ERR_OPERATION_FAILED, "symlink");
  assert_string_equal(label_of(victim), SAVE_CTX);

  /* System paths, directly or through a symlink. */
  snprintf(passwd_link, sizeof passwd_link, "%s/passwd.save", f->dir);
  assert_int_equal(symlink("/etc/passwd", passwd_link), 0);
  expect_error(svirt_save_label(mgr, "vm", passwd_link, NULL, NULL, &err), &err,
               SVIRT_ERR_OPERATION_FAILED, "/etc/passwd");
  expect_error(svirt_save_label(mgr, "vm", "/etc/passwd", NULL, NULL, &err), &err,
               SVIRT_ERR_OPERATION_FAILED, "/etc/passwd");
  assert_string_equal(label_of("/etc/passwd"), "");

  /* A directory, a missing file (not created), a relative path. */
  snprintf(dir, sizeof dir, "%s/savedir", f->dir);
  assert_int_equal(mkdir(dir, 0700), 0);
  expect_error(svirt_save_label(mgr, "vm", dir, NULL, NULL, &err), &err, SVIRT_ERR_OPERATION_FAILED,
               "regular file");
  assert_string_equal(label_of(dir), "");
  snprintf(missing, sizeof missing, "%s/missing.save", f->dir);
  expect_error(svirt_save_label(mgr, "vm", missing, NULL, NULL, &err), &err, SVIRT_ERR_NOT_FOUND,
               "missing.save");
  assert_int_equal(lstat(missing, &st), -1);
  expect_error(svirt_save_label(mgr, "vm", "vm.save", NULL, NULL, &err), &err,
               SVIRT_ERR_INVALID_INPUT, "vm.save");

  /* Restoring what was never labelled for the domain names the mistake. */
  expect_error(svirt_restore_save_label(mgr, "vm", save, NULL, &err), &err, SVIRT_ERR_NOT_FOUND,
               "not labelled for domain 'vm'");
  expect_error(svirt_restore_save_label(mgr, "vm", missing, NULL, &err), &err, SVIRT_ERR_NOT_FOUND,
               "no such file");

  /* Nothing refused was recorded: the release gives back the disk alone. */
  assert_int_equal(svirt_release(mgr, "vm", NULL, &err), 0);
  assert_null(err);
  assert_string_equal(label_of(f->disk), ORIGINAL);
  assert_string_equal(label_of(save), SAVE_CTX);
  assert_string_equal(label_of(victim), SAVE_CTX);

  svirt_free(imagelabel);
  svirt_manager_free(mgr);
}

static void test_domain_not_relabelled(void **state) {
  struct fixture *f = *state;
  svirt_manager *mgr = open_test(f);
  char xml[8192], save[4300];
  char *label = NULL;
  svirt_error *err = NULL;
  svirt_domain *dom;

  snprintf(xml, sizeof xml,
           "<domain type='kvm'><name>plain</name><seclabel type='none'/><devices>"
           "<disk type='file' device='disk'><source file='%s'/><target dev='vda'/></disk>"
           "</devices></domain>",
           f->disk);
  dom = parse_domain(xml);
  assert_int_equal(svirt_prepare(mgr, dom, NULL, NULL, NULL, NULL, &err), 0);
  snprintf(save, sizeof save, "%s/plain.save", f->dir);
  make_file(save, SAVE_CTX);
  assert_int_equal(svirt_save_label(mgr, "plain", save, &label, NULL, &err), 0);
  assert_null(err);
  assert_string_equal(label, "");
  assert_string_equal(label_of(save), SAVE_CTX);
  /* Nothing to give back, and that is no mistake here. */
  assert_int_equal(svirt_restore_save_label(mgr, "plain", save, NULL, &err), 0);
  assert_null(err);
  assert_string_equal(label_of(save), SAVE_CTX);
  assert_int_equal(svirt_release(mgr, "plain", NULL, &err), 0);

  svirt_free(label);
  svirt_domain_free(dom);
  svirt_manager_free(mgr);
}

static void test_null_arguments(void **state) {
  struct fixture *f = *state;
  svirt_manager *mgr = open_test(f);
  char *imagelabel = prepare_vm(mgr, f);
  svirt_error *err = NULL;
  char *label = NULL;

  expect_error(svirt_save_label(NULL, "vm", f->disk, &label, NULL, &err), &err,
               SVIRT_ERR_INVALID_INPUT, "mgr is NULL");
  expect_error(svirt_save_label(mgr, NULL, f->disk, &label, NULL, &err), &err,
               SVIRT_ERR_INVALID_INPUT, "name is NULL");
  expect_error(svirt_save_label(mgr, "vm", NULL, &label, NULL, &err), &err, SVIRT_ERR_INVALID_INPUT,
               "path is NULL");
  assert_null(label);
  expect_error(svirt_restore_save_label(NULL, "vm", f->disk, NULL, &err), &err,
               SVIRT_ERR_INVALID_INPUT, "mgr is NULL");
  expect_error(svirt_restore_save_label(mgr, NULL, f->disk, NULL, &err), &err,
               SVIRT_ERR_INVALID_INPUT, "name is NULL");
  expect_error(svirt_restore_save_label(mgr, "vm", NULL, NULL, &err), &err, SVIRT_ERR_INVALID_INPUT,
               "path is NULL");
  /* Errors may be dropped by passing NULL. */
  assert_int_equal(svirt_save_label(mgr, "vm", NULL, NULL, NULL, NULL), -1);
  assert_int_equal(svirt_restore_save_label(mgr, "nobody", f->disk, NULL, NULL), -1);

  assert_int_equal(svirt_release(mgr, "vm", NULL, &err), 0);
  assert_string_equal(label_of(f->disk), ORIGINAL);
  svirt_free(imagelabel);
  svirt_manager_free(mgr);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      CAPI_TEST(test_round_trip),
      CAPI_TEST(test_deleted_save_file),
      CAPI_TEST(test_refused),
      CAPI_TEST(test_domain_not_relabelled),
      CAPI_TEST(test_null_arguments),
  };
  skip_without_xattrs();
  return cmocka_run_group_tests(tests, NULL, NULL);
}
