/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Without _GNU_SOURCE, <sys/socket.h> declares plain struct sockaddr
 * pointers (not glibc's transparent union), which the definitions below use. */
#undef _GNU_SOURCE
#define _DEFAULT_SOURCE 1
#include "fake_audit_kernel.h"

#include <errno.h>
#include <linux/netlink.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <unistd.h>

enum { kMaxRequests = 64, kMaxText = 9000 };

static enum fake_audit_mode mode = FAKE_AUDIT_OFF;
static int fake_fd = -1, peer_fd = -1;
static int reply_pending;
static unsigned reply_seq;
static int types[kMaxRequests];
static char texts[kMaxRequests][kMaxText];
static int count;

void fake_audit_set_mode(enum fake_audit_mode m) {
  /* A real socket may get the old descriptor's number: forget it. */
  if (peer_fd >= 0) close(peer_fd);
  fake_fd = peer_fd = -1;
  reply_pending = 0;
  mode = m;
}
int fake_audit_count(void) { return count; }
int fake_audit_type(int i) { return i < count ? types[i] : -1; }
const char* fake_audit_text(int i) { return i < count ? texts[i] : ""; }
void fake_audit_clear(void) { count = 0; }
int fake_audit_fd(void) { return fake_fd; }

/* Everything that is not the fake socket goes straight to the kernel. */
int socket(int domain, int type, int protocol) {
  if (domain == AF_NETLINK && protocol == NETLINK_AUDIT && mode != FAKE_AUDIT_OFF) {
    if (mode == FAKE_AUDIT_ABSENT) {
      errno = EPROTONOSUPPORT;
      return -1;
    }
    int sv[2];
    if (socketpair(AF_UNIX, SOCK_DGRAM, 0, sv) < 0) return -1;
    /* A datagram waiting on the other end keeps poll() from sleeping. */
    if (write(sv[1], "x", 1) != 1) return -1;
    if (peer_fd >= 0) close(peer_fd);
    fake_fd = sv[0];
    peer_fd = sv[1];
    reply_pending = 0;
    return sv[0];
  }
  return (int)syscall(SYS_socket, domain, type, protocol);
}

ssize_t sendto(int fd, const void* buf, size_t n, int flags, const struct sockaddr* addr,
               socklen_t alen) {
  if (fd >= 0 && fd == fake_fd) {
    if (mode == FAKE_AUDIT_REFUSED) {
      errno = ECONNREFUSED;
      return -1;
    }
    const struct nlmsghdr* h = (const struct nlmsghdr*)buf;
    if (n < NLMSG_HDRLEN || h->nlmsg_len > n) {
      errno = EINVAL;
      return -1;
    }
    if (count < kMaxRequests) {
      size_t len = h->nlmsg_len - NLMSG_HDRLEN;
      if (len >= kMaxText) len = kMaxText - 1;
      types[count] = h->nlmsg_type;
      memcpy(texts[count], NLMSG_DATA(h), len);
      texts[count][len] = '\0';
      ++count;
    }
    reply_pending = 1;
    reply_seq = h->nlmsg_seq;
    return (ssize_t)n;
  }
  return syscall(SYS_sendto, fd, buf, n, flags, addr, alen);
}

ssize_t recvfrom(int fd, void* buf, size_t n, int flags, struct sockaddr* addr,
                 socklen_t* alen) {
  if (fd >= 0 && fd == fake_fd) {
    if (!reply_pending) {
      errno = EAGAIN;
      return -1;
    }
    struct {
      struct nlmsghdr h;
      struct nlmsgerr e;
    } ack;
    memset(&ack, 0, sizeof ack);
    ack.h.nlmsg_len = NLMSG_LENGTH(sizeof ack.e);
    ack.h.nlmsg_type = NLMSG_ERROR;
    ack.h.nlmsg_seq = reply_seq;
    ack.e.error = mode == FAKE_AUDIT_EPERM ? -EPERM : 0;
    size_t len = n < ack.h.nlmsg_len ? n : ack.h.nlmsg_len;
    memcpy(buf, &ack, len);
    if (addr != NULL && alen != NULL && *alen >= sizeof(struct sockaddr_nl)) {
      struct sockaddr_nl kernel;
      memset(&kernel, 0, sizeof kernel);
      kernel.nl_family = AF_NETLINK;
      memcpy(addr, &kernel, sizeof kernel);
      *alen = sizeof kernel;
    }
    if (!(flags & MSG_PEEK)) reply_pending = 0;
    return (ssize_t)len;
  }
  return syscall(SYS_recvfrom, fd, buf, n, flags, addr, alen);
}
