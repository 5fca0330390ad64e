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
#include <unistd.h>
#include <fcntl.h>
#include <errno.h>

#include <cmocka.h>

#include "svirt/svirt.h"
#include "support.h"

static void test_prepare_release_disk(void **state) {
  struct fixture *f = *state;
  svirt_manager *mgr = open_test(f);
  svirt_domain *dom = domain_with_disk("vm1", f->disk);
  svirt_domain *live = NULL;
  svirt_error *err = NULL;
  char *xml = NULL, *label = NULL, *imagelabel = NULL, *seen = NULL;
  int enforcing = -1;

  assert_int_equal(svirt_prepare(mgr, dom, &xml, &label, &imagelabel, NULL, &err), 0);
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

  assert_int_equal(svirt_release(mgr, "vm1", NULL, &err), 0);
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

  assert_int_equal(svirt_prepare(mgr, dom, NULL, &label, NULL, NULL, &err), 0);
  assert_int_equal(svirt_launch(mgr, "vm2", argv, &pid, &err), 0);
  assert_null(err);
  assert_true(pid > 0);
  f->child = pid;
  assert_int_equal(svirt_dominfo(mgr, "vm2", &seen, &enforcing, &err), 0);
  assert_string_equal(seen, label);
  assert_int_equal(enforcing, 1);
  /* Running: the name is taken. */
  assert_int_equal(svirt_prepare(mgr, dom, NULL, NULL, NULL, NULL, &err), -1);
  assert_int_equal(svirt_error_code(err), SVIRT_ERR_CONFLICT);
  svirt_error_free(err);
  err = NULL;

  kill(pid, SIGKILL);
  assert_int_equal(waitpid(pid, &status, 0), pid);
  f->child = 0;
  /* The process is gone: recovery restores the disk and forgets the domain. */
  assert_int_equal(svirt_recover(mgr, NULL, &err), 0);
  assert_string_equal(label_of(f->disk), ORIGINAL);
  assert_int_equal(svirt_release(mgr, "vm2", NULL, &err), -1);
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
  assert_int_equal(svirt_prepare(mgr, dom, NULL, NULL, NULL, NULL, &err), -1);
  assert_int_equal(svirt_error_code(err), SVIRT_ERR_NOT_FOUND);
  assert_non_null(strstr(svirt_error_message(err), "absent.xml"));
  svirt_error_free(err);
  err = NULL;
  assert_int_equal(svirt_release(mgr, "vm3", NULL, &err), -1);
  assert_int_equal(svirt_error_code(err), SVIRT_ERR_NOT_FOUND);
  svirt_error_free(err);
  /* Errors may be ignored by passing NULL. */
  assert_int_equal(svirt_release(mgr, "vm3", NULL, NULL), -1);

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
  assert_int_equal(svirt_prepare(NULL, NULL, &s, NULL, NULL, NULL, &err), -1);
  assert_int_equal(svirt_error_code(err), SVIRT_ERR_INVALID_INPUT);
  svirt_error_free(err);
  err = NULL;
  assert_int_equal(svirt_prepare(mgr, NULL, &s, NULL, NULL, NULL, NULL), -1);
  assert_int_equal(svirt_release(mgr, NULL, NULL, NULL), -1);
  assert_int_equal(svirt_release(NULL, "x", NULL, NULL), -1);
  assert_int_equal(svirt_launch(mgr, "x", NULL, NULL, NULL), -1);
  assert_int_equal(svirt_launch(mgr, "x", no_args, NULL, NULL), -1);
  assert_int_equal(svirt_exec_plan_new(mgr, NULL, NULL, NULL), -1);
  assert_int_equal(svirt_exec_plan_enter(NULL), -1);
  assert_null(svirt_exec_plan_env(NULL)[0]);
  svirt_exec_plan_free(NULL);
  svirt_strv_free(NULL);
  assert_int_equal(svirt_dominfo(NULL, "x", &s, NULL, NULL), -1);
  assert_int_equal(svirt_recover(NULL, NULL, NULL), -1);
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

/* Each call hands back its own warnings: a serial log that does not exist
 * yet is a warning of the prepare that met it, and of no later call. */
static void test_warnings_are_per_call(void **state) {
  struct fixture *f = *state;
  svirt_manager *mgr = open_test(f);
  char xml[16384], log[4300];
  char **warnings = NULL;
  svirt_error *err = NULL;
  snprintf(log, sizeof log, "%s/later.log", f->dir);
  snprintf(xml, sizeof xml,
           "<domain type='kvm'><name>vmw</name><devices>"
           "<disk type='file' device='disk'><source file='%s'/><target dev='vda'/></disk>"
           "<serial type='file'><source path='%s'/><target port='0'/></serial>"
           "</devices></domain>",
           f->disk, log);
  svirt_domain *dom = parse_domain(xml);
  assert_int_equal(svirt_prepare(mgr, dom, NULL, NULL, NULL, &warnings, &err), 0);
  assert_non_null(warnings);
  assert_non_null(warnings[0]);
  assert_non_null(strstr(warnings[0], "later.log"));
  assert_null(warnings[1]);
  svirt_strv_free(warnings);
  warnings = NULL;
  assert_int_equal(svirt_release(mgr, "vmw", &warnings, &err), 0);
  assert_non_null(warnings);
  assert_null(warnings[0]);
  svirt_strv_free(warnings);
  svirt_domain_free(dom);
  svirt_manager_free(mgr);
}

/* A stack that forks itself: the plan is made before fork, entered in the
 * child, and the program runs under the domain's label. */
static void test_exec_plan_for_own_fork(void **state) {
  struct fixture *f = *state;
  svirt_manager *mgr = open_test(f);
  svirt_domain *dom = domain_with_disk("vmx", f->disk);
  svirt_exec_plan *plan = NULL;
  svirt_error *err = NULL;
  char *label = NULL, *seen = NULL;
  int status;
  assert_int_equal(svirt_prepare(mgr, dom, NULL, &label, NULL, NULL, &err), 0);
  assert_int_equal(svirt_exec_plan_new(mgr, "vmx", &plan, &err), 0);
  const char *const *env = svirt_exec_plan_env(plan);
  assert_non_null(env[0]);
  int sync[2];
  assert_int_equal(pipe2(sync, O_CLOEXEC), 0);
  pid_t pid = fork();
  assert_true(pid >= 0);
  if (pid == 0) {
    char *argv[] = {"sleep", "30", NULL};
    close(sync[0]);
    if (svirt_exec_plan_enter(plan) != 0) _exit(2);
    execve("/bin/sleep", argv, (char *const *)env);
    _exit(127);
  }
  f->child = pid;
  close(sync[1]);
  char c;
  while (read(sync[0], &c, 1) < 0 && errno == EINTR) {
  } /* EOF: the child has exec'd (the pipe is close-on-exec) */
  close(sync[0]);
  svirt_exec_plan_free(plan);
  assert_int_equal(svirt_mark_running(mgr, "vmx", pid, &err), 0);
  assert_int_equal(svirt_dominfo(mgr, "vmx", &seen, NULL, &err), 0);
  assert_string_equal(seen, label);
  kill(pid, SIGKILL);
  assert_int_equal(waitpid(pid, &status, 0), pid);
  f->child = 0;
  assert_int_equal(svirt_release(mgr, "vmx", NULL, &err), 0);
  svirt_free(seen);
  svirt_free(label);
  svirt_domain_free(dom);
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
      CAPI_TEST(test_prepare_release_disk),
      CAPI_TEST(test_launch_labels_child_and_dominfo),
      CAPI_TEST(test_errors_carry_code_and_message),
      CAPI_TEST(test_null_arguments),
      CAPI_TEST(test_model),
      CAPI_TEST(test_warnings_are_per_call),
      CAPI_TEST(test_exec_plan_for_own_fork),
  };
  skip_without_xattrs();
  return cmocka_run_group_tests(tests, NULL, NULL);
}
