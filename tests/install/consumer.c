/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * An out-of-tree C program built only from the installed svirt/svirt.h,
 * library and svirt.pc: opens a manager with driver "none" and prints its model.
 */
#include <stdio.h>

#include <svirt/svirt.h>

int main(int argc, char **argv) {
  svirt_manager *mgr = NULL;
  svirt_error *err = NULL;
  char *model = NULL, *doi = NULL;
  if (argc != 2) {
    fprintf(stderr, "usage: consumer STATE_DIR\n");
    return 2;
  }
  if (svirt_manager_open("none", NULL, argv[1], &mgr, &err) < 0) {
    fprintf(stderr, "%s\n", svirt_error_message(err));
    svirt_error_free(err);
    return 1;
  }
  if (svirt_model(mgr, &model, &doi) < 0) {
    svirt_manager_free(mgr);
    return 1;
  }
  printf("model=%s doi=%s\n", model, doi);
  svirt_free(model);
  svirt_free(doi);
  svirt_manager_free(mgr);
  return 0;
}
