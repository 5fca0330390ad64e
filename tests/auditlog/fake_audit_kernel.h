/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * A stand-in for the kernel's audit netlink socket, so the real libaudit code
 * (audit_open, audit_log_user_message) runs in tests without root, without
 * an audit-enabled kernel, and without writing to the host's audit log.
 *
 * The test executable defines socket(), sendto() and recvfrom(); libaudit's
 * calls bind to these before libc's. Outside FAKE_AUDIT_OFF, socket() for
 * NETLINK_AUDIT returns one end of a datagram socketpair; sendto() on it keeps
 * the request and recvfrom() answers with the netlink acknowledgement the
 * mode asks for. Every other descriptor goes to libc.
 */
#ifndef SVIRT_TESTS_FAKE_AUDIT_KERNEL_H
#define SVIRT_TESTS_FAKE_AUDIT_KERNEL_H

#ifdef __cplusplus
extern "C" {
#endif

enum fake_audit_mode {
  FAKE_AUDIT_OFF,      /* everything goes to the real kernel */
  FAKE_AUDIT_ACK,      /* requests are acknowledged (error 0) */
  FAKE_AUDIT_EPERM,    /* acknowledged with -EPERM (no CAP_AUDIT_WRITE) */
  FAKE_AUDIT_REFUSED,  /* sendto fails with ECONNREFUSED (audit in another namespace) */
  FAKE_AUDIT_ABSENT,   /* socket() fails with EPROTONOSUPPORT (kernel without audit) */
};

void fake_audit_set_mode(enum fake_audit_mode mode);
/* Requests received since the last clear, oldest first. */
int fake_audit_count(void);
int fake_audit_type(int i);
const char* fake_audit_text(int i);
void fake_audit_clear(void);
/* The descriptor last handed out for NETLINK_AUDIT, or -1. */
int fake_audit_fd(void);

#ifdef __cplusplus
}
#endif

#endif
