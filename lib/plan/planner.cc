// SPDX-License-Identifier: LGPL-2.1-or-later
#include "plan/planner.h"

#include <cstdio>

namespace svirt::internal {
namespace {

Error invalid(const std::string& msg) { return make_error(ErrorCode::kInvalidInput, msg); }

const SecLabelDef* find_seclabel(const DomainDef& def, const std::string& model) {
  if (const SecLabelDef* s = def.seclabel(model)) return s;
  return def.seclabel("");
}

// The per-source override that applies to `model`, if any.
const SourceSecLabel* source_override(const std::vector<SourceSecLabel>& labels,
                                      const std::string& model) {
  for (const SourceSecLabel& s : labels)
    if (s.model == model) return &s;
  for (const SourceSecLabel& s : labels)
    if (s.model.empty()) return &s;
  return nullptr;
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

// Collects resources in declaration order; `label` nullopt means untouched.
class Collector {
 public:
  Collector(const std::string& model, const SecurityLabel& label, const HostDefaults& defaults,
            const DeviceRoot& devices)
      : model_(model), label_(label), defaults_(defaults), devices_(devices) {}

  void add(ResourceKind kind, const std::string& path, std::optional<std::string> label,
           std::string device) {
    if (path.empty()) return;
    out_.push_back(ResourceLabel{kind, path, std::move(label), std::move(device)});
  }

  // A disk layer and everything below it. `top` is the image QEMU writes.
  void add_disk_chain(const Disk& disk) {
    bool top = true;
    for (const DiskSource* src = &disk.source; src != nullptr; src = src->backing.get()) {
      bool host_path = src->type == DiskType::kFile || src->type == DiskType::kBlock ||
                       src->type == DiskType::kDir;
      const SourceSecLabel* o = source_override(src->seclabels, model_);
      // relabel='no' on a layer covers the layers below it too: the user has
      // taken over labeling of that part of the chain.
      if (o != nullptr && !o->relabel) {
        if (host_path) add(top ? ResourceKind::kDisk : ResourceKind::kBacking, src->path,
                           std::nullopt, disk.target);
        for (const DiskSource* b = src->backing.get(); b != nullptr; b = b->backing.get())
          if (b->type == DiskType::kFile || b->type == DiskType::kBlock ||
              b->type == DiskType::kDir)
            add(ResourceKind::kBacking, b->path, std::nullopt, disk.target);
        return;
      }
      if (host_path) {
        std::string want;
        if (o != nullptr && o->label) {
          want = *o->label;
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
        add(top ? ResourceKind::kDisk : ResourceKind::kBacking, src->path, want, disk.target);
      }
      top = false;
    }
  }

  void add_chardev(const Chardev& c) {
    switch (c.type) {
      case ChardevType::kFile:
      case ChardevType::kPipe:
      case ChardevType::kDev:
      case ChardevType::kUnix:
        break;
      default:
        return;  // ptys are allocated at runtime and labelled by QEMU's own domain
    }
    // A bind-mode socket does not exist before QEMU creates it: QEMU's own
    // domain labels it then. Label it only when it is there already; the
    // driver learns that when it opens the path, so mark it optional.
    const SourceSecLabel* o = source_override(c.seclabels, model_);
    std::optional<std::string> want = label_.imagelabel;
    if (o != nullptr && !o->relabel) want.reset();
    else if (o != nullptr && o->label) want = *o->label;
    if (c.type == ChardevType::kPipe) {
      // QEMU opens PATH.in and PATH.out when both exist.
      for (const std::string& p : pipe_chardev_paths(c.path, devices_))
        add(ResourceKind::kChardev, p, want, c.name());
      return;
    }
    add(ResourceKind::kChardev, c.path, want, c.name());
  }

  Result<void> add_hostdev(const Hostdev& h) {
    auto paths = hostdev_paths(h, devices_);
    if (!paths) return std::move(paths).error();
    for (const DevicePath& p : *paths) {
      // The VFIO container node is every VFIO user's; the kernel checks the
      // group nodes, which is where confinement happens.
      if (p.path == "/dev/vfio/vfio") continue;
      std::string want;
      if (p.sharing == DevicePath::Sharing::kGroup || h.shareable) {
        // An IOMMU group node may serve devices of several domains: no categories.
        want = defaults_.image_context;
      } else if (h.readonly) {
        want = defaults_.content_context;
      } else {
        want = label_.imagelabel;
      }
      add(ResourceKind::kHostdev, p.path, want, "hostdev");
    }
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
    add(ResourceKind::kTpmState, state, label_.imagelabel, "tpm");
    add(ResourceKind::kTpmLog, under_dir(config.swtpm_log_dir, def.name + "-swtpm.log"),
        label_.imagelabel, "tpm");
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
            label_.imagelabel, "hugepages");
    if (mb.source_type == "file")
      add(ResourceKind::kMemoryBacking, under_dir(config.memory_backing_dir, def.name),
          label_.imagelabel, "memory-backing");
    return ok();
  }

  std::vector<ResourceLabel> take() { return std::move(out_); }

 private:
  const std::string& model_;
  const SecurityLabel& label_;
  const HostDefaults& defaults_;
  const DeviceRoot& devices_;
  std::vector<ResourceLabel> out_;
};

}  // namespace

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
  if (label.type == LabelType::kNone || !label.relabel) return std::vector<ResourceLabel>{};
  Collector c(model, label, defaults, devices);
  for (const Disk& d : def.disks) c.add_disk_chain(d);
  c.add(ResourceKind::kKernel, def.os.kernel, defaults.content_context, "kernel");
  c.add(ResourceKind::kInitrd, def.os.initrd, defaults.content_context, "initrd");
  c.add(ResourceKind::kDtb, def.os.dtb, defaults.content_context, "dtb");
  c.add(ResourceKind::kLoader, def.os.loader, defaults.content_context, "loader");
  c.add(ResourceKind::kNvram, def.os.nvram, label.imagelabel, "nvram");
  for (const Chardev& ch : def.chardevs) c.add_chardev(ch);
  for (const Hostdev& h : def.hostdevs) SVIRT_TRY(c.add_hostdev(h));
  // Passthrough shares: the whole tree, read-only ones as content.
  for (const Filesystem& fs : def.filesystems)
    c.add(ResourceKind::kFilesystem, fs.source_dir,
          fs.readonly ? defaults.content_context : label.imagelabel, fs.target);
  for (const Tpm& t : def.tpms) {
    if (t.backend == "passthrough")
      c.add(ResourceKind::kTpm, t.device_path, label.imagelabel, "tpm");
    if (t.backend == "emulator") SVIRT_TRY(c.add_tpm_emulator(def, t, config));
  }
  for (const MemoryDevice& m : def.memory_devices)
    c.add(ResourceKind::kMemory, m.path, label.imagelabel, "memory");
  SVIRT_TRY(c.add_memory_backing(def, config));
  return c.take();
}

Result<std::vector<ResourceLabel>> plan_device_resources(const DomainDef& /*def*/,
                                                         const DeviceDef& dev,
                                                         const std::string& model,
                                                         const SecurityLabel& label,
                                                         const HostDefaults& defaults,
                                                         const DeviceRoot& devices) {
  if (label.type == LabelType::kNone || !label.relabel) return std::vector<ResourceLabel>{};
  Collector c(model, label, defaults, devices);
  for (const Disk& d : dev.disks) c.add_disk_chain(d);
  for (const Chardev& ch : dev.chardevs) c.add_chardev(ch);
  for (const Hostdev& h : dev.hostdevs) SVIRT_TRY(c.add_hostdev(h));
  for (const Filesystem& fs : dev.filesystems)
    c.add(ResourceKind::kFilesystem, fs.source_dir,
          fs.readonly ? defaults.content_context : label.imagelabel, fs.target);
  return c.take();
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
