/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Built with -std=c99 -pedantic -Werror: the C header stays plain C99. */
#include "svirt/svirt.h"

int main(void) {
  /* Calling through pointers makes the declarations resolve at link time. */
  void (*free_fn)(void *) = svirt_free;
  const char *(*message_fn)(const svirt_error *) = svirt_error_message;
  free_fn(0);
  return message_fn(0)[0] == '\0';
}
