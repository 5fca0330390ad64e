/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The C API, compiled as C and linked against the shared library: a domain
 * with one disk prepared and released through the test driver, errors with
 * codes and messages, NULL arguments refused without crashing.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <sys/xattr.h>
#include <unistd.h>

#include <cmocka.h>

#include "svirt/svirt.h"

#define LABEL_XATTR "user.svirt.label"
#define ORIGINAL "system_u:object_r:virt_image_t:s0"

struct fixture {
  char dir[4096];
  char state[4200];
  char disk[4200];
  pid_t child; /* a launched VM stand-in, killed by teardown if still there */
};

static char *make_xattr_tmpdir(void) {
  const char *bases[] = {getenv("SVIRT_BUILD_ROOT"), "/var/tmp", "/tmp"};
  for (size_t i = 0; i < sizeof bases / sizeof bases[0]; i++) {
    char tmpl[4096], probe[4200];
    FILE *f;
    int ok;
    if (bases[i] == NULL) continue;
    snprintf(tmpl, sizeof tmpl, "%s/svirt-capi-XXXXXX", bases[i]);
    if (mkdtemp(tmpl) == NULL) continue;
    snprintf(probe, sizeof probe, "%s/probe", tmpl);
    f = fopen(probe, "w");
    ok = f != NULL && setxattr(probe, "user.svirt.probe", "1", 1, 0) == 0;
    if (f != NULL) fclose(f);
    unlink(probe);
    if (ok) return strdup(tmpl);
    rmdir(tmpl);
  }
  return NULL;
}

/* The label the test driver keeps on `path`, or "" when there is none. */
static const char *label_of(const char *path) {
  static char buf[512];
  ssize_t n = getxattr(path, LABEL_XATTR, buf, sizeof buf - 1);
  buf[n < 0 ? 0 : n] = '\0';
  return buf;
}

static int setup(void **state) {
  struct fixture *f = calloc(1, sizeof *f);
  char *dir = make_xattr_tmpdir();
  FILE *disk;
  if (dir == NULL) {
    free(f);
    return -1;
  }
  snprintf(f->dir, sizeof f->dir, "%s", dir);
  free(dir);
  snprintf(f->state, sizeof f->state, "%s/state", f->dir);
  snprintf(f->disk, sizeof f->disk, "%s/vm1.img", f->dir);
  disk = fopen(f->disk, "w");
  assert_non_null(disk);
  fputs("data", disk);
  fclose(disk);
  assert_int_equal(setxattr(f->disk, LABEL_XATTR, ORIGINAL, strlen(ORIGINAL), 0), 0);
  *state = f;
  return 0;
}

static int teardown(void **state) {
  struct fixture *f = *state;
  char cmd[4300];
  if (f->child > 0) {
    kill(f->child, SIGKILL);
    waitpid(f->child, NULL, 0);
  }
  snprintf(cmd, sizeof cmd, "rm -rf '%s'", f->dir);
  if (system(cmd) != 0) perror("rm -rf");
  free(f);
  return 0;
}

static svirt_manager *open_test(const struct fixture *f) {
  svirt_manager *mgr = NULL;
  svirt_error *err = NULL;
  int rc = svirt_manager_open("test", NULL, f->state, &mgr, &err);
  if (rc != 0) fprintf(stderr, "open: %s\n", svirt_error_message(err));
  assert_int_equal(rc, 0);
  assert_null(err);
  assert_non_null(mgr);
  return mgr;
}

static svirt_domain *domain_with_disk(const char *name, const char *disk) {
  char xml[8192];
  svirt_domain *dom = NULL;
  svirt_error *err = NULL;
  snprintf(xml, sizeof xml,
           "<domain type='kvm'><name>%s</name><devices>"
           "<disk type='file' device='disk'><source file='%s'/><target dev='vda'/></disk>"
           "</devices></domain>",
           name, disk);
  assert_int_equal(svirt_domain_parse_string(xml, &dom, &err), 0);
  assert_null(err);
  assert_string_equal(svirt_domain_name(dom), name);
  return dom;
}

static void test_prepare_release_disk(void **state) {
  struct fixture *f = *state;
  svirt_manager *mgr = open_test(f);
  svirt_domain *dom = domain_with_disk("vm1", f->disk);
  svirt_domain *live = NULL;
  svirt_error *err = NULL;
  char *xml = NULL, *label = NULL, *imagelabel = NULL, *seen = NULL;
  int enforcing = -1;

  assert_int_equal(svirt_prepare(mgr, dom, &xml, &label, &imagelabel, &err), 0);
  assert_null(err);
  /* A dynamic label: svirt_t / svirt_image_t with the same two categories. */
  assert_non_null(strstr(label, ":svirt_t:s0:c"));
  assert_non_null(strstr(imagelabel, ":svirt_image_t:s0:c"));
  assert_string_equal(strrchr(label, ':'), strrchr(imagelabel, ':'));
  assert_string_equal(label_of(f->disk), imagelabel);
  /* The live XML carries the label, and parses back for set_process_label. */
  assert_non_null(strstr(xml, label));
  assert_int_equal(svirt_domain_parse_string(xml, &live, &err), 0);

  /* Not started yet: dominfo reports the label the domain was given. */
  assert_int_equal(svirt_dominfo(mgr, "vm1", &seen, &enforcing, &err), 0);
  assert_string_equal(seen, label);
  assert_int_equal(enforcing, 1); /* the test driver plays an enforcing host */
  svirt_free(seen);
  seen = NULL;
  enforcing = -1;
  /* An unknown name: an error, and the out-parameters are left alone. */
  assert_int_equal(svirt_dominfo(mgr, "nope", &seen, &enforcing, &err), -1);
  assert_int_equal(svirt_error_code(err), SVIRT_ERR_NOT_FOUND);
  assert_non_null(strstr(svirt_error_message(err), "nope"));
  assert_null(seen);
  assert_int_equal(enforcing, -1);
  svirt_error_free(err);
  err = NULL;

  assert_int_equal(svirt_release(mgr, "vm1", &err), 0);
  assert_null(err);
  assert_string_equal(label_of(f->disk), ORIGINAL);

  svirt_free(xml);
  svirt_free(label);
  svirt_free(imagelabel);
  svirt_domain_free(live);
  svirt_domain_free(dom);
  svirt_manager_free(mgr);
}

static void test_launch_labels_child_and_dominfo(void **state) {
  struct fixture *f = *state;
  svirt_manager *mgr = open_test(f);
  svirt_domain *dom = domain_with_disk("vm2", f->disk);
  svirt_error *err = NULL;
  char *label = NULL, *seen = NULL;
  const char *const argv[] = {"sleep", "30", NULL};
  pid_t pid = 0;
  int status, enforcing = -1;

  assert_int_equal(svirt_prepare(mgr, dom, NULL, &label, NULL, &err), 0);
  assert_int_equal(svirt_launch(mgr, "vm2", argv, &pid, &err), 0);
  assert_null(err);
  assert_true(pid > 0);
  f->child = pid;
  assert_int_equal(svirt_dominfo(mgr, "vm2", &seen, &enforcing, &err), 0);
  assert_string_equal(seen, label);
  assert_int_equal(enforcing, 1);
  /* Running: the name is taken. */
  assert_int_equal(svirt_prepare(mgr, dom, NULL, NULL, NULL, &err), -1);
  assert_int_equal(svirt_error_code(err), SVIRT_ERR_CONFLICT);
  svirt_error_free(err);
  err = NULL;

  kill(pid, SIGKILL);
  assert_int_equal(waitpid(pid, &status, 0), pid);
  f->child = 0;
  /* The process is gone: recovery restores the disk and forgets the domain. */
  assert_int_equal(svirt_recover(mgr, &err), 0);
  assert_string_equal(label_of(f->disk), ORIGINAL);
  assert_int_equal(svirt_release(mgr, "vm2", &err), -1);
  assert_int_equal(svirt_error_code(err), SVIRT_ERR_NOT_FOUND);
  svirt_error_free(err);

  svirt_free(label);
  svirt_free(seen);
  svirt_domain_free(dom);
  svirt_manager_free(mgr);
}

static void test_errors_carry_code_and_message(void **state) {
  struct fixture *f = *state;
  svirt_manager *mgr = NULL;
  svirt_domain *dom = NULL;
  svirt_error *err = NULL;
  char missing[4300];

  assert_int_equal(svirt_domain_parse_string("<domain><name>x</name>", &dom, &err), -1);
  assert_null(dom);
  assert_int_equal(svirt_error_code(err), SVIRT_ERR_INVALID_INPUT);
  assert_true(strlen(svirt_error_message(err)) > 0);
  svirt_error_free(err);
  err = NULL;

  snprintf(missing, sizeof missing, "%s/absent.xml", f->dir);
  assert_int_equal(svirt_domain_parse_file(missing, &dom, &err), -1);
  assert_non_null(strstr(svirt_error_message(err), "absent.xml"));
  svirt_error_free(err);
  err = NULL;

  assert_int_equal(svirt_manager_open("no-such-driver", NULL, f->state, &mgr, &err), -1);
  assert_null(mgr);
  assert_int_equal(svirt_error_code(err), SVIRT_ERR_INVALID_INPUT);
  assert_non_null(strstr(svirt_error_message(err), "no-such-driver"));
  svirt_error_free(err);
  err = NULL;

  /* A disk that does not exist: not found, nothing recorded. */
  mgr = open_test(f);
  dom = domain_with_disk("vm3", missing);
  assert_int_equal(svirt_prepare(mgr, dom, NULL, NULL, NULL, &err), -1);
  assert_int_equal(svirt_error_code(err), SVIRT_ERR_NOT_FOUND);
  assert_non_null(strstr(svirt_error_message(err), "absent.xml"));
  svirt_error_free(err);
  err = NULL;
  assert_int_equal(svirt_release(mgr, "vm3", &err), -1);
  assert_int_equal(svirt_error_code(err), SVIRT_ERR_NOT_FOUND);
  svirt_error_free(err);
  /* Errors may be ignored by passing NULL. */
  assert_int_equal(svirt_release(mgr, "vm3", NULL), -1);

  svirt_domain_free(dom);
  svirt_manager_free(mgr);
}

static void test_null_arguments(void **state) {
  struct fixture *f = *state;
  svirt_manager *mgr = open_test(f);
  svirt_domain *dom = NULL;
  svirt_error *err = NULL;
  char *s = NULL;
  const char *const no_args[] = {NULL};

  assert_int_equal(svirt_manager_open("test", NULL, f->state, NULL, &err), -1);
  assert_int_equal(svirt_error_code(err), SVIRT_ERR_INVALID_INPUT);
  svirt_error_free(err);
  err = NULL;
  assert_int_equal(svirt_domain_parse_string(NULL, &dom, &err), -1);
  assert_non_null(strstr(svirt_error_message(err), "xml is NULL"));
  svirt_error_free(err);
  err = NULL;
  assert_int_equal(svirt_domain_parse_file(NULL, &dom, NULL), -1);
  assert_int_equal(svirt_prepare(NULL, NULL, &s, NULL, NULL, &err), -1);
  assert_int_equal(svirt_error_code(err), SVIRT_ERR_INVALID_INPUT);
  svirt_error_free(err);
  err = NULL;
  assert_int_equal(svirt_prepare(mgr, NULL, &s, NULL, NULL, NULL), -1);
  assert_int_equal(svirt_release(mgr, NULL, NULL), -1);
  assert_int_equal(svirt_release(NULL, "x", NULL), -1);
  assert_int_equal(svirt_launch(mgr, "x", NULL, NULL, NULL), -1);
  assert_int_equal(svirt_launch(mgr, "x", no_args, NULL, NULL), -1);
  assert_int_equal(svirt_set_process_label(mgr, NULL, NULL), -1);
  assert_int_equal(svirt_dominfo(NULL, "x", &s, NULL, NULL), -1);
  assert_int_equal(svirt_recover(NULL, NULL), -1);
  assert_int_equal(svirt_model(NULL, &s, NULL), -1);
  assert_null(s);
  assert_null(dom);
  assert_null(svirt_domain_name(NULL));
  assert_int_equal(svirt_error_code(NULL), SVIRT_ERR_OPERATION_FAILED);
  assert_non_null(svirt_error_message(NULL));
  svirt_error_free(NULL);
  svirt_domain_free(NULL);
  svirt_manager_free(NULL);
  svirt_free(NULL);
  svirt_manager_free(mgr);
}

static void test_model(void **state) {
  struct fixture *f = *state;
  svirt_manager *mgr = NULL;
  char *model = NULL, *doi = NULL;
  assert_int_equal(svirt_manager_open("none", NULL, f->state, &mgr, NULL), 0);
  assert_int_equal(svirt_model(mgr, &model, &doi), 0);
  assert_string_equal(model, "none");
  svirt_free(model);
  svirt_free(doi);
  svirt_manager_free(mgr);
  mgr = open_test(f);
  assert_int_equal(svirt_model(mgr, &model, NULL), 0);
  assert_string_equal(model, "selinux"); /* the test driver plays SELinux */
  svirt_free(model);
  svirt_manager_free(mgr);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test_setup_teardown(test_prepare_release_disk, setup, teardown),
      cmocka_unit_test_setup_teardown(test_launch_labels_child_and_dominfo, setup, teardown),
      cmocka_unit_test_setup_teardown(test_errors_carry_code_and_message, setup, teardown),
      cmocka_unit_test_setup_teardown(test_null_arguments, setup, teardown),
      cmocka_unit_test_setup_teardown(test_model, setup, teardown),
  };
  char *probe = make_xattr_tmpdir();
  if (probe == NULL) {
    fprintf(stderr, "SKIPPED: no filesystem with user xattrs for test files\n");
    return 77;
  }
  rmdir(probe);
  free(probe);
  return cmocka_run_group_tests(tests, NULL, NULL);
}
