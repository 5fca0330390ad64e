// SPDX-License-Identifier: LGPL-2.1-or-later
#include "core/shared_fs.h"

#include <stdlib.h>
#include <sys/statfs.h>

#include <fstream>
#include <memory>
#include <sstream>

namespace svirt::internal {
namespace {

// statfs(2) magic numbers, hard-coded so no kernel header is needed.
struct Magic {
  uint32_t f_type;
  const char* name;
};
// clang-format off
constexpr Magic kSharedMagics[] = {
    {0x6969, "nfs"},
    {0x517B, "smb"},
    {0xFF534D42, "cifs"},
    {0xFE534D42, "smb2"},
    {0x01161970, "gfs2"},
    {0x7461636F, "ocfs2"},
    {0x00C36400, "ceph"},
    {0x5346414F, "afs"},
    {0x6B414653, "afs"},
    {0x47504653, "gpfs"},
    {0x0BD00BD0, "lustre"},
    {0x19830326, "beegfs"},
    {0x01021997, "9p"},
};
// clang-format on
constexpr uint32_t kFuseMagic = 0x65735546;

std::string read_all(const std::string& path) {
  std::ifstream in(path);
  std::ostringstream s;
  s << in.rdbuf();
  return s.str();
}

// "mnt_id:" of /proc/self/fdinfo/FD.
std::optional<long> mount_id_of(int fd) {
  std::istringstream in(read_all("/proc/self/fdinfo/" + std::to_string(fd)));
  std::string key;
  while (in >> key) {
    if (key == "mnt_id:") {
      long id = -1;
      if (in >> id) return id;
      return std::nullopt;
    }
    std::string rest;
    std::getline(in, rest);
  }
  return std::nullopt;
}

bool at_or_below(const std::string& path, const std::string& tree) {
  if (tree == "/") return true;
  return path == tree || (path.size() > tree.size() && path.compare(0, tree.size(), tree) == 0 &&
                          path[tree.size()] == '/');
}

}  // namespace

const char* shared_fs_magic_name(uint32_t f_type) {
  for (const Magic& m : kSharedMagics)
    if (m.f_type == f_type) return m.name;
  return nullptr;
}

bool fuse_type_is_shared(std::string_view fstype) {
  return fstype == "fuse.glusterfs" || fstype == "fuse.ceph-fuse" || fstype == "fuse.quobyte";
}

std::optional<std::string> mountinfo_fstype(std::string_view mountinfo, long mnt_id) {
  // "36 35 98:0 /root /mnt rw,noatime master:1 - ext3 /dev/root rw": the
  // optional fields end at " - ", which is followed by the type.
  size_t pos = 0;
  while (pos < mountinfo.size()) {
    size_t eol = mountinfo.find('\n', pos);
    if (eol == std::string_view::npos) eol = mountinfo.size();
    std::string line(mountinfo.substr(pos, eol - pos));
    pos = eol + 1;
    std::istringstream fields(line);
    long id = -1;
    if (!(fields >> id) || id != mnt_id) continue;
    size_t sep = line.find(" - ");
    if (sep == std::string::npos) return std::nullopt;
    std::istringstream tail(line.substr(sep + 3));
    std::string type;
    if (!(tail >> type)) return std::nullopt;
    return type;
  }
  return std::nullopt;
}

std::optional<std::string> shared_fs_type(int fd) {
  struct statfs fs {};
  if (::fstatfs(fd, &fs) != 0) return std::nullopt;
  auto magic = static_cast<uint32_t>(fs.f_type);
  if (const char* name = shared_fs_magic_name(magic)) return std::string(name);
  if (magic != kFuseMagic) return std::nullopt;
  auto id = mount_id_of(fd);
  if (!id) return std::nullopt;
  auto type = mountinfo_fstype(read_all("/proc/self/mountinfo"), *id);
  if (type && fuse_type_is_shared(*type)) return type;
  return std::nullopt;
}

SharedStorageTest::SharedStorageTest(const SharedStorage& shared) : probe_(shared.probe) {
  for (const std::string& p : shared.paths) {
    std::unique_ptr<char, decltype(&free)> r(realpath(p.c_str(), nullptr), &free);
    std::string tree = r ? std::string(r.get()) : p;
    while (tree.size() > 1 && tree.back() == '/') tree.pop_back();
    trees_.push_back(std::move(tree));
  }
}

bool SharedStorageTest::operator()(int fd, const std::string& resolved) const {
  for (const std::string& t : trees_)
    if (at_or_below(resolved, t)) return true;
  if (probe_) return probe_(fd, resolved);
  return shared_fs_type(fd).has_value();
}

}  // namespace svirt::internal
