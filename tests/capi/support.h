/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * What the C API tests share: a scratch directory on a filesystem with user
 * xattrs (where the test driver keeps labels), a state directory and one
 * disk image in it, and a manager over the test driver.
 */
#ifndef SVIRT_TESTS_CAPI_SUPPORT_H
#define SVIRT_TESTS_CAPI_SUPPORT_H

#include <sys/types.h>

#include "svirt/svirt.h"

#define LABEL_XATTR "user.svirt.label"
#define ORIGINAL "system_u:object_r:virt_image_t:s0"

struct fixture {
  char dir[4096];
  char state[4200];
  char disk[4200];
  pid_t child; /* a launched VM stand-in, killed by teardown if still there */
};

/* A new directory whose files take user xattrs, malloc'd; NULL when none. */
char *make_xattr_tmpdir(void);

/* The label the test driver keeps on `path`, or "" when there is none; a
 * static buffer, overwritten by the next call. */
const char *label_of(const char *path);

/* Creates (or truncates) `path` with some data and, unless `label` is NULL,
 * gives it `label`. */
void make_file(const char *path, const char *label);

/* cmocka setup/teardown: a fixture with `disk` labelled ORIGINAL. */
int fixture_setup(void **state);
int fixture_teardown(void **state);
#define CAPI_TEST(fn) cmocka_unit_test_setup_teardown(fn, fixture_setup, fixture_teardown)

/* A manager over the test driver and the fixture's state directory. */
svirt_manager *open_test(const struct fixture *f);

/* A domain `name` with one disk, `disk`; fails the test if it does not parse. */
svirt_domain *domain_with_disk(const char *name, const char *disk);

/* Parses `xml`; fails the test if it does not. */
svirt_domain *parse_domain(const char *xml);

/* Asserts that a call returned -1 with an error of `code` whose message
 * names `needle`, then frees the error and clears *err. */
void expect_error(int rc, svirt_error **err, int code, const char *needle);

/* The MCS pair of a label ("c1,c2" of "...:s0:c1,c2"). */
const char *pair_of(const char *label);

/* main() of a test file: exit 77 (skip) when there is no filesystem with
 * user xattrs for the test files. */
void skip_without_xattrs(void);

#endif /* SVIRT_TESTS_CAPI_SUPPORT_H */
