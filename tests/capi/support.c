/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "support.h"

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

char *make_xattr_tmpdir(void) {
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

const char *label_of(const char *path) {
  static char buf[512];
  ssize_t n = getxattr(path, LABEL_XATTR, buf, sizeof buf - 1);
  buf[n < 0 ? 0 : n] = '\0';
  return buf;
}

void make_file(const char *path, const char *label) {
  FILE *f = fopen(path, "w");
  assert_non_null(f);
  fputs("data", f);
  fclose(f);
  if (label != NULL)
    assert_int_equal(setxattr(path, LABEL_XATTR, label, strlen(label), 0), 0);
}

int fixture_setup(void **state) {
  struct fixture *f = calloc(1, sizeof *f);
  char *dir = make_xattr_tmpdir();
  if (f == NULL || dir == NULL) {
    free(f);
    free(dir);
    return -1;
  }
  snprintf(f->dir, sizeof f->dir, "%s", dir);
  free(dir);
  snprintf(f->state, sizeof f->state, "%s/state", f->dir);
  snprintf(f->disk, sizeof f->disk, "%s/vm1.img", f->dir);
  make_file(f->disk, ORIGINAL);
  *state = f;
  return 0;
}

int fixture_teardown(void **state) {
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

svirt_manager *open_test(const struct fixture *f) {
  svirt_manager *mgr = NULL;
  svirt_error *err = NULL;
  int rc = svirt_manager_open("test", NULL, f->state, &mgr, &err);
  if (rc != 0) fprintf(stderr, "open: %s\n", svirt_error_message(err));
  assert_int_equal(rc, 0);
  assert_null(err);
  assert_non_null(mgr);
  return mgr;
}

svirt_domain *parse_domain(const char *xml) {
  svirt_domain *dom = NULL;
  svirt_error *err = NULL;
  int rc = svirt_domain_parse_string(xml, &dom, &err);
  if (rc != 0) fprintf(stderr, "parse: %s\n", svirt_error_message(err));
  assert_int_equal(rc, 0);
  assert_null(err);
  return dom;
}

svirt_domain *domain_with_disk(const char *name, const char *disk) {
  char xml[8192];
  svirt_domain *dom;
  snprintf(xml, sizeof xml,
           "<domain type='kvm'><name>%s</name><devices>"
           "<disk type='file' device='disk'><source file='%s'/><target dev='vda'/></disk>"
           "</devices></domain>",
           name, disk);
  dom = parse_domain(xml);
  assert_string_equal(svirt_domain_name(dom), name);
  return dom;
}

const char *pair_of(const char *label) {
  const char *colon = strrchr(label, ':');
  return colon == NULL ? "" : colon + 1;
}

void skip_without_xattrs(void) {
  char *probe = make_xattr_tmpdir();
  if (probe == NULL) {
    fprintf(stderr, "SKIPPED: no filesystem with user xattrs for test files\n");
    exit(77);
  }
  rmdir(probe);
  free(probe);
}

void expect_error(int rc, svirt_error **err, int code, const char *needle) {
  assert_int_equal(rc, -1);
  assert_non_null(*err);
  if (strstr(svirt_error_message(*err), needle) == NULL)
    fail_msg("error '%s' does not name '%s'", svirt_error_message(*err), needle);
  assert_int_equal(svirt_error_code(*err), code);
  svirt_error_free(*err);
  *err = NULL;
}
