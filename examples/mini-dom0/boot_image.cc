// SPDX-License-Identifier: LGPL-2.1-or-later
#include "boot_image.h"

#include <fcntl.h>
#include <unistd.h>

#include <array>
#include <cerrno>
#include <cstdint>
#include <cstring>
#include <vector>

namespace mini_dom0 {
namespace {

constexpr size_t kSector = 512;

// 16-bit real mode, loaded by the BIOS at 0x7c00 with the boot drive in DL:
//   cli; ds = es = ss = 0; sp = 0x7c00; [drive] = dl
//   int 13h ah=02 (read 1 sector, CHS 0/0/2 = LBA 1) to 0x7e00; jc fail
//   print the NUL-terminated text at 0x7e00 on COM1 (port 0x3f8)
//   int 13h ah=03 (write 1 sector, CHS 0/0/3 = LBA 2) from `marker`; jc fail
//   print "disk written"; al = 1; jmp out
//   fail: print "disk error"; al = 2
//   out: outb al, 0xf4 (isa-debug-exit); hlt
// followed by the strings: drive byte at 0x5f, "disk written\r\n" at 0x60,
// "disk error\r\n" at 0x6f, kVmMarker at 0x7c.
constexpr std::array<uint8_t, 141> kBootSector = {
    0xfa, 0x31, 0xc0, 0x8e, 0xd8, 0x8e, 0xc0, 0x8e, 0xd0, 0xbc, 0x00, 0x7c, 0x88, 0x16, 0x5f, 0x7c,
    0xb8, 0x01, 0x02, 0xb9, 0x02, 0x00, 0x30, 0xf6, 0x8a, 0x16, 0x5f, 0x7c, 0xbb, 0x00, 0x7e, 0xcd,
    0x13, 0x72, 0x23, 0xbe, 0x00, 0x7e, 0xe8, 0x2a, 0x00, 0xb8, 0x01, 0x03, 0xb9, 0x03, 0x00, 0x30,
    0xf6, 0x8a, 0x16, 0x5f, 0x7c, 0xbb, 0x7c, 0x7c, 0xcd, 0x13, 0x72, 0x0a, 0xbe, 0x60, 0x7c, 0xe8,
    0x11, 0x00, 0xb0, 0x01, 0xeb, 0x08, 0xbe, 0x6f, 0x7c, 0xe8, 0x07, 0x00, 0xb0, 0x02, 0xba, 0xf4,
    0x00, 0xee, 0xf4, 0xba, 0xf8, 0x03, 0xac, 0x84, 0xc0, 0x74, 0x03, 0xee, 0xeb, 0xf8, 0xc3, 0x00,
    0x64, 0x69, 0x73, 0x6b, 0x20, 0x77, 0x72, 0x69, 0x74, 0x74, 0x65, 0x6e, 0x0d, 0x0a, 0x00, 0x64,
    0x69, 0x73, 0x6b, 0x20, 0x65, 0x72, 0x72, 0x6f, 0x72, 0x0d, 0x0a, 0x00, 0x53, 0x56, 0x49, 0x52,
    0x54, 0x2d, 0x56, 0x4d, 0x2d, 0x57, 0x41, 0x53, 0x2d, 0x48, 0x45, 0x52, 0x45,
};

std::string errno_text(const std::string& what, const std::string& path, int err) {
  return what + " '" + path + "': " + std::strerror(err);
}

}  // namespace

std::string write_boot_image(const std::string& path, std::string_view greeting) {
  if (greeting.size() > kSector - 12) return "greeting for '" + path + "' is too long";
  // Four sectors: boot sector, greeting, the marker the guest writes, spare.
  std::vector<uint8_t> image(4 * kSector, 0);
  std::memcpy(image.data(), kBootSector.data(), kBootSector.size());
  image[510] = 0x55;
  image[511] = 0xaa;
  std::string text = std::string(greeting) + "\r\n";
  std::memcpy(image.data() + kSector, text.data(), text.size());

  int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, 0600);
  if (fd < 0) return errno_text("cannot create", path, errno);
  ssize_t n = ::write(fd, image.data(), image.size());
  int err = errno;
  bool synced = ::fsync(fd) == 0;
  ::close(fd);
  if (n != static_cast<ssize_t>(image.size()) || !synced) {
    ::unlink(path.c_str());
    return errno_text("cannot write", path, n < 0 || !synced ? err : EIO);
  }
  return "";
}

bool image_has_marker(const std::string& path) {
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
  if (fd < 0) return false;
  // A raw image holds it at sector 2; a qcow2 overlay in whichever cluster
  // qemu allocated when the guest wrote, so every sector's start is looked
  // at. Only a sector's start: the boot code itself carries the text
  // (unaligned), in the image and in a cluster copied on write.
  std::string data(1 << 20, '\0');
  ssize_t n = ::pread(fd, data.data(), data.size(), 0);
  ::close(fd);
  for (size_t off = kSector; n > 0 && off + kVmMarker.size() <= static_cast<size_t>(n);
       off += kSector)
    if (std::string_view(data).substr(off, kVmMarker.size()) == kVmMarker) return true;
  return false;
}

}  // namespace mini_dom0
