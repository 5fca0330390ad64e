// SPDX-License-Identifier: LGPL-2.1-or-later
#include "plan/planner.h"

#include <cstdio>

#include "core/quote.h"
#include "plan/backing_chain.h"

namespace svirt::internal {
namespace {

// The PCI hostdev a device at `a` amounts to (an SR-IOV NIC, an NVMe
// controller driven through VFIO): its IOMMU group node is what QEMU opens.
Hostdev pci_hostdev(const PciAddress& a) {
  Hostdev h;
  h.type = HostdevType::kPci;
  h.pci_domain = a.domain;
  h.pci_bus = a.bus;
  h.pci_slot = a.slot;
  h.pci_function = a.function;
  return h;
}

Error invalid(const std::string& msg) { return make_error(ErrorCode::kInvalidInput, msg); }

const SecLabelDef* find_seclabel(const DomainDef& def, const std::string& model) {
  if (const SecLabelDef* s = def.seclabel(model)) return s;
  return def.seclabel("");
}


Result<SecurityContext> parse_named(const std::string& text, const char* what) {
  auto c = SecurityContext::parse(text);
  if (!c) return c.error().wrap(what);
  return c;
}

// `rel` below the configured directory `dir` ("/" included).
std::string under_dir(const std::string& dir, const std::string& rel) {
  return dir == "/" ? "/" + rel : dir + "/" + rel;
}

const char* kRelabelNo = "relabel='no'";

std::string disk_who(const Disk& d, int depth) {
  std::string who = "disk " + quoted(d.target);
  if (depth > 0) who += ": backingStore " + std::to_string(depth);
  return who;
}

// A device-DAX node (/dev/daxN.M) is a character device; any other nvdimm or
// virtio-pmem backing is a file or a block device (/dev/pmemN).
FileKind memory_kind(const std::string& path) {
  return path.rfind("/dev/dax", 0) == 0 ? FileKind::kCharDevice : FileKind::kRegularOrBlock;
}

// The file kind a host path of this layer must be.
FileKind layer_kind(DiskType type, bool top) {
  switch (type) {
    case DiskType::kFile:
      return top ? FileKind::kRegular : FileKind::kRegularOrBlock;
    case DiskType::kBlock:
      return top ? FileKind::kBlock : FileKind::kRegularOrBlock;
    case DiskType::kDir:
      return FileKind::kDirectory;
    case DiskType::kVhostUser:
      return FileKind::kSocket;
    case DiskType::kVhostVdpa:
    case DiskType::kNvme:
      return FileKind::kCharDevice;
    default:
      return FileKind::kAny;
  }
}

// Why a chardev of a type with no host file is left alone.
const char* chardev_no_file_reason(ChardevType t) {
  switch (t) {
    case ChardevType::kPty:
      return "pty: allocated by QEMU when it starts, no file to label";
    case ChardevType::kNull:
      return "null: no host file";
    case ChardevType::kVc:
      return "vc: a console in QEMU's display, no host file";
    case ChardevType::kStdio:
      return "stdio: QEMU's own standard input and output";
    case ChardevType::kTcp:
      return "tcp: a network socket, no host file";
    case ChardevType::kUdp:
      return "udp: a network socket, no host file";
    case ChardevType::kSpiceVmc:
      return "spicevmc: a SPICE channel, no host file";
    case ChardevType::kSpicePort:
      return "spiceport: a SPICE port, no host file";
    case ChardevType::kQemuVdagent:
      return "qemu-vdagent: inside QEMU, no host file";
    case ChardevType::kDbus:
      return "dbus: a D-Bus display channel, no host file";
    default:
      return nullptr;
  }
}

// Why an interface of a type with no host file is left alone.
const char* interface_no_file_reason(InterfaceType t) {
  switch (t) {
    case InterfaceType::kNetwork:
      return "type 'network': its host side belongs to libvirt's network driver, svirt "
             "labels none of it (a network of host devices: write type 'hostdev' or 'vdpa')";
    case InterfaceType::kBridge:
      return "type 'bridge': a tap device QEMU is handed as a descriptor, no file to label";
    case InterfaceType::kEthernet:
      return "type 'ethernet': a tap device QEMU is handed as a descriptor, no file to label";
    case InterfaceType::kDirect:
      return "type 'direct': a macvtap device QEMU is handed as a descriptor, no file to label";
    case InterfaceType::kUser:
      return "type 'user': networking inside QEMU, no host file";
    case InterfaceType::kServer:
      return "type 'server': a network socket, no host file";
    case InterfaceType::kClient:
      return "type 'client': a network socket, no host file";
    case InterfaceType::kMcast:
      return "type 'mcast': a network socket, no host file";
    case InterfaceType::kUdp:
      return "type 'udp': a network socket, no host file";
    case InterfaceType::kNull:
      return "type 'null': no backend, no host file";
    case InterfaceType::kVds:
      return "type 'vds': a VMware distributed switch port, no host file";
    case InterfaceType::kInternal:
      return "type 'internal': a VirtualBox internal network, no host file";
    default:
      return nullptr;
  }
}

// Collects resources in declaration order; `label` nullopt means untouched.
class Collector {
 public:
  Collector(const std::string& model, const SecurityLabel& label, const HostDefaults& defaults,
            const DeviceRoot& devices)
      : model_(model), label_(label), defaults_(defaults), devices_(devices) {}

  void add(ResourceKind kind, const std::string& path, std::optional<std::string> label,
           std::string device, FileKind expect) {
    if (path.empty()) return;
    out_.push_back(ResourceLabel{kind, path, std::move(label), std::move(device), expect, {}});
  }

  // A resource svirt leaves alone, with the reason; `path` may be empty when
  // there is no host file at all.
  void leave(ResourceKind kind, const std::string& path, std::string device, std::string reason,
             FileKind expect = FileKind::kAny) {
    out_.push_back(
        ResourceLabel{kind, path, std::nullopt, std::move(device), expect, std::move(reason)});
  }

  // A disk layer and everything below it. `top` is the image QEMU writes.
  // Layers the XML leaves out are read from the image headers: a chain
  // prepare() already completed ends in an empty <backingStore/> and is not
  // read again.
  Result<void> add_disk_chain(const Disk& written) {
    Disk disk = written;
    SVIRT_TRY(discover_backing_chain(disk));
    int depth = 0;
    for (const DiskSource* src = &disk.source; src != nullptr; src = src->backing.get(), ++depth) {
      const bool top = depth == 0;
      const ResourceKind kind = top ? ResourceKind::kDisk : ResourceKind::kBacking;
      const SourceSecLabel* o = source_override(src->seclabels, model_);
      // relabel='no' on a layer covers the layers below it too: the user has
      // taken over labeling of that part of the chain.
      if (o != nullptr && !o->relabel) {
        int d = depth;
        for (const DiskSource* b = src; b != nullptr; b = b->backing.get(), ++d)
          leave(d == 0 ? ResourceKind::kDisk : ResourceKind::kBacking, b->path, disk.target,
                b == src ? kRelabelNo : "below a layer with relabel='no'",
                layer_kind(b->type, d == 0));
        return ok();
      }
      SVIRT_TRY(add_disk_layer(disk, *src, o, depth, kind));
    }
    return ok();
  }

  Result<void> add_chardev(const Chardev& c) {
    SVIRT_TRY(add_chardev_source(c));
    // QEMU opens the log itself (libvirt would hand it over from virtlogd,
    // which svirt does not have). It is created when missing, like a file
    // chardev's, so it is labelled once it exists. A source's relabel='no'
    // is about the source, not the log.
    if (!c.log_file.empty())
      add(ResourceKind::kChardev, c.log_file, label_.imagelabel, c.name(), FileKind::kRegular);
    return ok();
  }

  Result<void> add_chardev_source(const Chardev& c) {
    if (const char* why = chardev_no_file_reason(c.type)) {
      leave(ResourceKind::kChardev, "", c.name(), why);
      return ok();
    }
    FileKind expect;
    switch (c.type) {
      case ChardevType::kFile:
        expect = FileKind::kRegular;
        break;
      case ChardevType::kPipe:
        expect = FileKind::kFifo;
        break;
      case ChardevType::kDev:
        expect = FileKind::kCharDevice;
        break;
      case ChardevType::kUnix:
        expect = FileKind::kSocket;
        break;
      case ChardevType::kNmdm:
        return invalid(c.name() +
                       ": type 'nmdm' is bhyve's null-modem device pair on FreeBSD, which has "
                       "no SELinux: write type 'pty' or 'unix'");
      default:
        return invalid(c.name() + ": a chardev type svirt does not know");
    }
    const SourceSecLabel* o = source_override(c.seclabels, model_);
    if (o != nullptr && !o->relabel) {
      leave(ResourceKind::kChardev, c.path, c.name(), kRelabelNo, expect);
      return ok();
    }
    // A bind-mode socket does not exist before QEMU creates it: QEMU's own
    // domain labels it then. It is labelled only when it is there already
    // (the driver finds that out when it opens the path).
    if (c.path.empty()) {
      leave(ResourceKind::kChardev, "", c.name(),
            "a listening socket with no path: QEMU creates it under its own label");
      return ok();
    }
    std::optional<std::string> want = label_.imagelabel;
    if (o != nullptr && o->label) want = *o->label;
    if (c.type == ChardevType::kPipe) {
      // QEMU opens PATH.in and PATH.out when both exist.
      for (const std::string& p : pipe_chardev_paths(c.path, devices_))
        add(ResourceKind::kChardev, p, want, c.name(), expect);
      return ok();
    }
    add(ResourceKind::kChardev, c.path, want, c.name(), expect);
    return ok();
  }

  Result<void> add_hostdev(const Hostdev& h) {
    if (h.type == HostdevType::kScsi && h.scsi_iscsi) {
      leave(ResourceKind::kHostdev, "", "hostdev", "iSCSI hostdev: a remote LUN, no host file");
      return ok();
    }
    if (h.type == HostdevType::kCapsNet) {
      leave(ResourceKind::kHostdev, "", "hostdev",
            "capabilities net: the host interface " + quoted(h.caps_source) +
                " moves into the guest, no file to label");
      return ok();
    }
    if (h.type == HostdevType::kOther) return invalid("hostdev: a type svirt does not know");
    FileKind expect =
        h.type == HostdevType::kCapsStorage ? FileKind::kBlock : FileKind::kCharDevice;
    return add_device_nodes(h, "hostdev", h.shareable, h.readonly, expect, std::nullopt);
  }

  Result<void> add_filesystem(const Filesystem& fs) {
    std::string want = fs.readonly ? defaults_.content_context : label_.imagelabel;
    const std::string who =
        "filesystem" + (fs.target.empty() ? std::string() : " " + quoted(fs.target));
    switch (fs.type) {
      case FilesystemType::kMount:
        if (fs.source_dir.empty() && fs.socket.empty()) {
          leave(ResourceKind::kFilesystem, "", fs.target, "no source directory or socket");
          return ok();
        }
        // Passthrough shares: the whole tree, read-only ones as content.
        add(ResourceKind::kFilesystem, fs.source_dir, want, fs.target, FileKind::kDirectory);
        // An external virtiofsd's socket, which QEMU connects to; labelled
        // once the daemon has created it.
        add(ResourceKind::kChardev, fs.socket, label_.imagelabel, fs.target, FileKind::kSocket);
        return ok();
      case FilesystemType::kFile:
        add(ResourceKind::kDisk, fs.source, want, fs.target, FileKind::kRegular);
        return ok();
      case FilesystemType::kBlock:
        add(ResourceKind::kDisk, fs.source, want, fs.target, FileKind::kBlock);
        return ok();
      case FilesystemType::kRam:
        leave(ResourceKind::kFilesystem, "", fs.target, "ram: the guest's memory, no host file");
        return ok();
      case FilesystemType::kBind:
        leave(ResourceKind::kFilesystem, "", fs.target,
              "bind: a directory inside the guest, no host file");
        return ok();
      case FilesystemType::kTemplate:
        return invalid(who + ": type 'template' names an OpenVZ template " + quoted(fs.source) +
                       ", which svirt cannot resolve: write the unpacked tree as "
                       "<filesystem type='mount'><source dir=...>");
      case FilesystemType::kVolume:
        return invalid(who + ": type 'volume' names " + quoted(fs.source) +
                       " of a libvirt storage pool, which svirt cannot resolve: write the "
                       "volume's directory as <filesystem type='mount'><source dir=...>");
    }
    return ok();
  }

  Result<void> add_interface(const Interface& n) {
    const std::string device = "net" + std::to_string(n.index);
    switch (n.type) {
      case InterfaceType::kVhostUser:
        // QEMU connects to the switch's socket (mode='client') or creates it
        // (mode='server'): labelled when it exists, as a unix chardev is.
        add(ResourceKind::kChardev, n.path, label_.imagelabel, device, FileKind::kSocket);
        return ok();
      case InterfaceType::kVdpa:
        add(ResourceKind::kHostdev, n.path, label_.imagelabel, device, FileKind::kCharDevice);
        return ok();
      case InterfaceType::kHostdev: {
        // An SR-IOV function assigned as a NIC: a PCI hostdev in all but name.
        return add_device_nodes(pci_hostdev(n.pci), device, false, false, FileKind::kCharDevice,
                                std::nullopt);
      }
      default:
        break;
    }
    const char* why = interface_no_file_reason(n.type);
    // Interfaces have no kind of their own in reports: a NIC is a host device.
    leave(ResourceKind::kHostdev, "", device, why != nullptr ? why : "no host file");
    return ok();
  }

  // swtpm's state (the whole directory, or the one file of type='file') and
  // its log: swtpm runs under the VM's label and QEMU talks to it.
  Result<void> add_tpm_emulator(const DomainDef& def, const Tpm& t, const Config& config) {
    std::string state = t.state_path;
    if (state.empty()) {
      if (def.uuid.empty())
        return invalid(
            "tpm emulator: its state directory is named by the domain's <uuid>, "
            "which is missing (or give <backend><source type='dir' path=...>)");
      state = under_dir(config.swtpm_storage_dir,
                        def.uuid + (t.version == "1.2" ? "/tpm1.2" : "/tpm2"));
    }
    add(ResourceKind::kTpmState, state, label_.imagelabel, "tpm",
        t.state_type == "file" ? FileKind::kRegular : FileKind::kDirectory);
    add(ResourceKind::kTpmLog, under_dir(config.swtpm_log_dir, def.name + "-swtpm.log"),
        label_.imagelabel, "tpm", FileKind::kRegular);
    return ok();
  }

  // The per-domain directories QEMU maps guest RAM from. libvirt names them
  // by "<id>-<name>"; svirt knows no domain id and uses the name alone.
  Result<void> add_memory_backing(const DomainDef& def, const Config& config) {
    const MemoryBacking& mb = def.memory_backing;
    if (!mb.hugepages && mb.source_type != "file") return ok();
    // "." or ".." would name the parent: a tree relabel of someone else's files.
    if (def.name == "." || def.name == "..")
      return invalid("domain '" + def.name +
                     "': the name cannot name a per-domain memory directory");
    if (mb.hugepages)
      for (const std::string& mount : config.hugetlbfs_mounts)
        add(ResourceKind::kHugepages, under_dir(mount, "libvirt/qemu/" + def.name),
            label_.imagelabel, "hugepages", FileKind::kDirectory);
    if (mb.source_type == "file")
      add(ResourceKind::kMemoryBacking, under_dir(config.memory_backing_dir, def.name),
          label_.imagelabel, "memory-backing", FileKind::kDirectory);
    return ok();
  }

  std::vector<ResourceLabel> take() { return std::move(out_); }

 private:
  Result<void> add_disk_layer(const Disk& disk, const DiskSource& src, const SourceSecLabel* o,
                              int depth, ResourceKind kind) {
    const bool top = depth == 0;
    const FileKind expect = layer_kind(src.type, top);
    const std::optional<std::string> own =
        o != nullptr && o->label ? o->label : std::optional<std::string>();
    switch (src.type) {
      case DiskType::kFile:
      case DiskType::kBlock:
      case DiskType::kDir: {
        if (src.path.empty()) {
          leave(kind, "", disk.target, "no medium");
          return ok();
        }
        std::string want;
        if (own) {
          want = *own;
        } else if (!top) {
          want = defaults_.content_context;  // QEMU only reads backing layers
        } else if (disk.shareable) {
          // Several VMs write it: no categories, so every VM dominates it.
          want = defaults_.image_context;
        } else if (disk.readonly) {
          want = defaults_.content_context;
        } else {
          want = label_.imagelabel;
        }
        add(kind, src.path, want, disk.target, expect);
        return ok();
      }
      case DiskType::kNetwork:
        if (src.discovered) {
          leave(kind, "", disk.target,
                "network backing " + quoted(src.name) + ": no host file, not labelled");
          return ok();
        }
        if (src.protocol.empty()) {
          leave(kind, "", disk.target, "no medium");
          return ok();
        }
        leave(kind, "", disk.target, "network disk (" + src.protocol + "): no host file");
        return ok();
      case DiskType::kVolume:
        if (src.pool.empty()) {
          leave(kind, "", disk.target, "no medium");
          return ok();
        }
        return invalid(disk_who(disk, depth) + ": type 'volume' names " +
                       quoted(src.pool + "/" + src.volume) +
                       " of a libvirt storage pool, which svirt cannot resolve: write the "
                       "volume's path as <disk type='file'> or <disk type='block'>");
      case DiskType::kNvme: {
        if (src.nvme.bus < 0) {
          leave(kind, "", disk.target, "no medium");
          return ok();
        }
        // QEMU drives the controller through VFIO, as libvirt does: the
        // controller's IOMMU group node is what it opens.
        Result<void> r = add_device_nodes(pci_hostdev(src.nvme), disk.target, disk.shareable,
                                          false, expect, own, kind);
        if (!r) return std::move(r).error().wrap(disk_who(disk, depth));
        return ok();
      }
      case DiskType::kVhostUser:
      case DiskType::kVhostVdpa: {
        if (src.path.empty()) {
          leave(kind, "", disk.target, "no medium");
          return ok();
        }
        // A socket QEMU connects to, or a vDPA device node it opens: written
        // to even for a read-only drive, so never the read-only content label.
        std::string want = own              ? *own
                           : disk.shareable ? defaults_.image_context
                                            : label_.imagelabel;
        add(kind, src.path, want, disk.target, expect);
        return ok();
      }
    }
    return ok();
  }

  // The host device nodes of a hostdev (or of what is one underneath).
  Result<void> add_device_nodes(const Hostdev& h, const std::string& device, bool shareable,
                                bool readonly, FileKind expect, std::optional<std::string> own,
                                ResourceKind kind = ResourceKind::kHostdev) {
    auto paths = hostdev_paths(h, devices_);
    if (!paths) return std::move(paths).error();
    for (const DevicePath& p : *paths) {
      // The VFIO container node is every VFIO user's; the kernel checks the
      // group nodes, which is where confinement happens.
      if (p.path == "/dev/vfio/vfio") continue;
      std::string want;
      if (own) {
        want = *own;
      } else if (p.sharing == DevicePath::Sharing::kGroup || shareable) {
        // A node that may serve devices of several domains: no categories.
        want = defaults_.image_context;
      } else if (readonly) {
        want = defaults_.content_context;
      } else {
        want = label_.imagelabel;
      }
      add(kind, p.path, want, device, expect);
    }
    return ok();
  }

  const std::string& model_;
  const SecurityLabel& label_;
  const HostDefaults& defaults_;
  const DeviceRoot& devices_;
  std::vector<ResourceLabel> out_;
};

}  // namespace

const SourceSecLabel* source_override(const std::vector<SourceSecLabel>& labels,
                                      const std::string& model) {
  for (const SourceSecLabel& s : labels)
    if (s.model == model) return &s;
  for (const SourceSecLabel& s : labels)
    if (s.model.empty()) return &s;
  return nullptr;
}

Result<CategorySet> category_pool(const SecurityContext& process_context) {
  if (!process_context.range() || process_context.range()->high.categories.empty())
    return CategorySet::span(0, CategorySet::kMaxCategories - 1);
  const CategorySet& cats = process_context.range()->high.categories;
  if (cats.size() < 8)
    return invalid("process context '" + process_context.format() + "' has " +
                   std::to_string(cats.size()) +
                   " categories: at least 8 are needed to hand out unique pairs");
  return cats;
}

Result<LabelIntent> plan_intent(const DomainDef& def, const std::string& model,
                                const HostDefaults& defaults, const Config& config) {
  SVIRT_TRY(check_source_seclabel_models(def.disks, def.chardevs));
  const SecLabelDef* sl = find_seclabel(def, model);
  LabelIntent intent;
  if (sl == nullptr) {
    bool none_model = def.seclabel("none") != nullptr;
    intent.type = (!none_model && config.default_confined) ? LabelType::kDynamic : LabelType::kNone;
  } else {
    switch (sl->type) {
      case SeclabelType::kDefault:
        intent.type = config.default_confined ? LabelType::kDynamic : LabelType::kNone;
        break;
      case SeclabelType::kNone: intent.type = LabelType::kNone; break;
      case SeclabelType::kStatic: intent.type = LabelType::kStatic; break;
      case SeclabelType::kDynamic: intent.type = LabelType::kDynamic; break;
    }
  }
  if (intent.type == LabelType::kNone) {
    if (config.require_confined)
      return invalid("seclabel type none refused: require_confined is set");
    return intent;
  }

  auto proc = parse_named(defaults.process_context, "process context");
  if (!proc) return std::move(proc).error();
  auto image = parse_named(defaults.image_context, "image context");
  if (!image) return std::move(image).error();

  if (intent.type == LabelType::kStatic) {
    auto label = parse_named(*sl->label, "seclabel label");
    if (!label) return std::move(label).error();
    intent.relabel = sl->relabel;
    intent.base = *label;
    intent.image_base = SecurityContext(label->user(), "object_r", image->type());
    return intent;
  }

  // Dynamic: user and role of the caller, type from baselabel or the host's
  // domain context (the TCG one for emulated domains, when there is one).
  std::string type;
  if (sl != nullptr && sl->baselabel) {
    auto base = parse_named(*sl->baselabel, "seclabel baselabel");
    if (!base) return std::move(base).error();
    type = base->type();
  } else if (def.type == "qemu" && defaults.tcg_domain_context) {
    auto tcg = parse_named(*defaults.tcg_domain_context, "TCG domain context");
    if (!tcg) return std::move(tcg).error();
    type = tcg->type();
  } else {
    auto dom = parse_named(defaults.domain_context, "domain context");
    if (!dom) return std::move(dom).error();
    type = dom->type();
    intent.tcg_without_tcg_type = def.type == "qemu";
  }
  auto pool = category_pool(*proc);
  if (!pool) return std::move(pool).error();
  intent.pool = *pool;
  intent.sensitivity = proc->range() ? proc->range()->low.sensitivity : 0;
  intent.relabel = true;
  intent.base = SecurityContext(proc->user(), proc->role(), type);
  intent.image_base = SecurityContext(proc->user(), "object_r", image->type());
  return intent;
}

SecurityLabel make_dynamic_label(const LabelIntent& intent, const std::string& model, int c1,
                                 int c2) {
  MlsLevel level;
  level.sensitivity = intent.sensitivity;
  level.categories.add(c1);
  level.categories.add(c2);
  SecurityLabel l;
  l.model = model;
  l.type = LabelType::kDynamic;
  l.relabel = true;
  l.label = intent.base->with_range(MlsRange::single(level)).format();
  l.imagelabel = intent.image_base->with_range(MlsRange::single(level)).format();
  return l;
}

Result<SecurityLabel> make_static_label(const LabelIntent& intent, const std::string& model) {
  SecurityLabel l;
  l.model = model;
  l.type = LabelType::kStatic;
  l.relabel = intent.relabel;
  l.label = intent.base->format();
  if (intent.relabel) l.imagelabel = intent.image_base->with_range(intent.base->range()).format();
  return l;
}

Result<std::vector<ResourceLabel>> plan_resources(const DomainDef& def, const std::string& model,
                                                  const SecurityLabel& label,
                                                  const HostDefaults& defaults,
                                                  const Config& config, const DeviceRoot& devices) {
  SVIRT_TRY(check_source_seclabel_models(def.disks, def.chardevs));
  if (label.type == LabelType::kNone || !label.relabel) return std::vector<ResourceLabel>{};
  Collector c(model, label, defaults, devices);
  for (const Disk& d : def.disks) SVIRT_TRY(c.add_disk_chain(d));
  c.add(ResourceKind::kKernel, def.os.kernel, defaults.content_context, "kernel",
        FileKind::kRegular);
  c.add(ResourceKind::kInitrd, def.os.initrd, defaults.content_context, "initrd",
        FileKind::kRegular);
  c.add(ResourceKind::kDtb, def.os.dtb, defaults.content_context, "dtb", FileKind::kRegular);
  c.add(ResourceKind::kLoader, def.os.loader, defaults.content_context, "loader",
        FileKind::kRegular);
  c.add(ResourceKind::kNvram, def.os.nvram, label.imagelabel, "nvram", FileKind::kRegular);
  for (const Chardev& ch : def.chardevs) SVIRT_TRY(c.add_chardev(ch));
  for (const Hostdev& h : def.hostdevs) SVIRT_TRY(c.add_hostdev(h));
  for (const Filesystem& fs : def.filesystems) SVIRT_TRY(c.add_filesystem(fs));
  for (const Interface& n : def.interfaces) SVIRT_TRY(c.add_interface(n));
  for (const Tpm& t : def.tpms) {
    if (t.backend == "passthrough")
      c.add(ResourceKind::kTpm, t.device_path, label.imagelabel, "tpm", FileKind::kCharDevice);
    if (t.backend == "emulator") SVIRT_TRY(c.add_tpm_emulator(def, t, config));
  }
  for (const MemoryDevice& m : def.memory_devices)
    c.add(ResourceKind::kMemory, m.path, label.imagelabel, "memory", memory_kind(m.path));
  SVIRT_TRY(c.add_memory_backing(def, config));
  return c.take();
}

Result<std::vector<ResourceLabel>> plan_device_resources(const DomainDef& /*def*/,
                                                         const DeviceDef& dev,
                                                         const std::string& model,
                                                         const SecurityLabel& label,
                                                         const HostDefaults& defaults,
                                                         const DeviceRoot& devices) {
  SVIRT_TRY(check_source_seclabel_models(dev.disks, dev.chardevs));
  if (label.type == LabelType::kNone || !label.relabel) return std::vector<ResourceLabel>{};
  Collector c(model, label, defaults, devices);
  for (const Disk& d : dev.disks) SVIRT_TRY(c.add_disk_chain(d));
  for (const Chardev& ch : dev.chardevs) SVIRT_TRY(c.add_chardev(ch));
  for (const Hostdev& h : dev.hostdevs) SVIRT_TRY(c.add_hostdev(h));
  for (const Filesystem& fs : dev.filesystems) SVIRT_TRY(c.add_filesystem(fs));
  return c.take();
}

Result<void> check_source_seclabel_models(const std::vector<Disk>& disks,
                                          const std::vector<Chardev>& chardevs) {
  auto check = [](const std::vector<SourceSecLabel>& labels,
                  const std::string& who) -> Result<void> {
    for (const SourceSecLabel& s : labels) {
      if (s.model.empty() || s.model == "selinux" || s.model == "dac" || s.model == "none")
        continue;
      return invalid(who + ": source seclabel model " + quoted(s.model) +
                     " has no security driver here (known: selinux, dac, none)");
    }
    return ok();
  };
  for (const Disk& d : disks) {
    int depth = 0;
    for (const DiskSource* src = &d.source; src != nullptr; src = src->backing.get(), ++depth)
      SVIRT_TRY(check(src->seclabels, disk_who(d, depth)));
  }
  for (const Chardev& c : chardevs) SVIRT_TRY(check(c.seclabels, c.name()));
  return ok();
}

CategorySet label_categories(const std::string& label) {
  auto c = SecurityContext::parse(label);
  if (!c || !c->range()) return {};
  return c->range()->high.categories;
}

}  // namespace svirt::internal

namespace svirt::internal {

SecurityLabel domain_label(const DomainDef& def, const std::string& model, EnforcingMode mode) {
  SecurityLabel l;
  l.model = model;
  l.mode = mode;
  const SecLabelDef* s = def.seclabel(model);
  if (s == nullptr) s = def.seclabel("");
  if (s == nullptr || s->type == SeclabelType::kNone || !s->label) {
    l.type = LabelType::kNone;
    return l;
  }
  l.type = s->type == SeclabelType::kStatic ? LabelType::kStatic : LabelType::kDynamic;
  l.relabel = s->relabel;
  l.label = *s->label;
  if (s->relabel && s->imagelabel) l.imagelabel = *s->imagelabel;
  return l;
}

}  // namespace svirt::internal
