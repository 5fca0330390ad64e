// SPDX-License-Identifier: LGPL-2.1-or-later
//
// Walking a disk's chain through its image headers. The files are opened
// through open_resource() (no symlink race between the check and the read)
// and read through that descriptor, so the header parsed is the header of
// the file the driver will label.
#include "plan/backing_chain.h"

#include <fcntl.h>
#include <sys/stat.h>

#include <cerrno>
#include <map>
#include <utility>

#include "core/quote.h"
#include "core/safe_path.h"
#include "plan/image_header.h"

namespace svirt::internal {
namespace {

Error invalid(const std::string& msg) { return make_error(ErrorCode::kInvalidInput, msg); }

// `name` as QEMU finds it from the overlay at `overlay`.
std::string resolve_backing(const std::string& overlay, const std::string& name) {
  if (name.front() == '/') return name;
  std::size_t slash = overlay.rfind('/');
  return slash == std::string::npos ? name : overlay.substr(0, slash + 1) + name;
}

// The layer's file opened for reading, when it is a regular file or a block
// device that exists; nullopt otherwise (the driver reports those).
std::optional<OpenedPath> open_image(const std::string& path) {
  auto opened = open_resource(path, PathPolicy{});
  if (!opened) return std::nullopt;
  if (!S_ISREG(opened->st.st_mode) && !S_ISBLK(opened->st.st_mode)) return std::nullopt;
  int fd = ::open(proc_fd_path(opened->fd.get()).c_str(),
                  O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
  if (fd < 0) return std::nullopt;
  opened->fd.reset(fd);
  return std::move(*opened);
}

}  // namespace

bool is_network_backing(std::string_view name) {
  std::size_t colon = name.find(':');
  return colon != std::string_view::npos && name.substr(0, colon).find('/') == std::string::npos;
}

Result<void> discover_backing_chain(Disk& disk) {
  const std::string who = "disk " + quoted(disk.target);
  DiskSource* layer = &disk.source;
  int layers = 1;
  for (; layer->backing; layer = layer->backing.get()) ++layers;
  // (device, inode) of each layer read, and the name it was read under.
  std::map<std::pair<dev_t, ino_t>, std::string> seen;
  while (!layer->backing_end && !layer->path.empty() &&
         (layer->type == DiskType::kFile || layer->type == DiskType::kBlock) &&
         has_backing_header(layer->format)) {
    std::optional<OpenedPath> image = open_image(layer->path);
    if (!image) return ok();
    auto [at, fresh] = seen.emplace(std::make_pair(image->st.st_dev, image->st.st_ino), layer->path);
    if (!fresh)
      return invalid(who + ": backing chain of " + quoted(disk.source.path) + " loops: " +
                     quoted(layer->path) + " is " + quoted(at->second) + " again");
    auto header = read_image_header(image->fd.get(), layer->format, quoted(layer->path));
    if (!header) return std::move(header).error().wrap(who);
    // Not of its declared format: QEMU will refuse it with its own error.
    if (!header->matches) return ok();
    if (header->backing.empty()) {
      layer->backing_end = true;
      return ok();
    }
    if (++layers > kMaxChainLayers)
      return invalid(who + ": backing chain of " + quoted(disk.source.path) + " is deeper than " +
                     std::to_string(kMaxChainLayers) + " layers at " + quoted(layer->path));
    auto next = std::make_unique<DiskSource>();
    next->discovered = true;
    if (is_network_backing(header->backing)) {
      next->type = DiskType::kNetwork;
      next->protocol = header->backing.substr(0, header->backing.find(':'));
      next->name = header->backing;
      next->format = header->backing_format;
      layer->backing = std::move(next);
      return ok();
    }
    const std::string path = resolve_backing(layer->path, header->backing);
    if (header->backing_format.empty())
      return invalid(who + ": backing file " + quoted(path) + " of " + quoted(layer->path) +
                     " has no recorded format, and svirt does not guess one: record it with "
                     "qemu-img rebase -u -f " + layer->format + " -F FORMAT -b " +
                     quoted(header->backing) + " " + quoted(layer->path) +
                     ", or write the layer as a <backingStore> with its <format>");
    // libvirt writes a block device layer as type 'block'.
    auto kind = open_resource(path, PathPolicy{});
    next->type = kind && S_ISBLK(kind->st.st_mode) ? DiskType::kBlock : DiskType::kFile;
    next->path = path;
    next->format = header->backing_format;
    // A raw image has no backing file: its bytes are the guest's.
    next->backing_end = next->format == "raw";
    layer->backing = std::move(next);
    layer = layer->backing.get();
  }
  return ok();
}

Result<void> discover_backing_chains(DomainDef& def) {
  for (Disk& d : def.disks) SVIRT_TRY(discover_backing_chain(d));
  return ok();
}

}  // namespace svirt::internal
