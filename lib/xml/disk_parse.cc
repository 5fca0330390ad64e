// SPDX-License-Identifier: LGPL-2.1-or-later
#include <memory>
#include <string>

#include "xml/device_parse.h"
#include "xml/seclabel_parse.h"
#include "xml/xml_node.h"

namespace svirt::internal {
namespace {

// Far deeper than any real chain; bounds the work a hostile document causes.
constexpr int kMaxBackingDepth = 200;

Error invalid(std::string message) {
  return make_error(ErrorCode::kInvalidInput, std::move(message));
}

Result<DiskType> parse_disk_type(std::string_view text, const std::string& who) {
  if (text == "file") return DiskType::kFile;
  if (text == "block") return DiskType::kBlock;
  if (text == "dir") return DiskType::kDir;
  if (text == "network") return DiskType::kNetwork;
  if (text == "volume") return DiskType::kVolume;
  if (text == "nvme") return DiskType::kNvme;
  if (text == "vhostuser") return DiskType::kVhostUser;
  if (text == "vhostvdpa") return DiskType::kVhostVdpa;
  return invalid(who + ": unknown type " + quoted(text));
}

Result<DiskDevice> parse_disk_device(std::string_view text, const std::string& who) {
  if (text == "disk") return DiskDevice::kDisk;
  if (text == "cdrom") return DiskDevice::kCdrom;
  if (text == "floppy") return DiskDevice::kFloppy;
  if (text == "lun") return DiskDevice::kLun;
  return invalid(who + ": unknown device " + quoted(text));
}

// The <source> attribute naming a host path for each disk type.
const char* path_attr_for(DiskType type) {
  switch (type) {
    case DiskType::kFile:
      return "file";
    case DiskType::kBlock:
      return "dev";
    case DiskType::kDir:
      return "dir";
    case DiskType::kVhostUser:
      return "path";
    case DiskType::kVhostVdpa:
      return "dev";
    case DiskType::kNetwork:
    case DiskType::kVolume:
    case DiskType::kNvme:
      return nullptr;
  }
  return nullptr;
}

// Types whose source is a host path; every one of them requires it.
bool is_local(DiskType type) {
  return type == DiskType::kFile || type == DiskType::kBlock || type == DiskType::kDir ||
         type == DiskType::kVhostUser || type == DiskType::kVhostVdpa;
}

// The source of a network, volume or nvme layer: what names it instead of
// a host path. libvirt requires each of these attributes.
Result<void> parse_named_source(const xmlNode* source, const std::string& where,
                                DiskSource* layer) {
  switch (layer->type) {
    case DiskType::kNetwork:
      layer->protocol = attr(source, "protocol").value_or("");
      if (layer->protocol.empty()) return invalid(where + ": network source needs protocol=");
      layer->name = attr(source, "name").value_or("");
      return ok();
    case DiskType::kVolume:
      layer->pool = attr(source, "pool").value_or("");
      layer->volume = attr(source, "volume").value_or("");
      if (layer->pool.empty() || layer->volume.empty())
        return invalid(where + ": volume source needs pool= and volume=");
      return ok();
    case DiskType::kNvme: {
      std::string type = attr(source, "type").value_or("");
      if (type != "pci")
        return invalid(where + ": nvme source type " + quoted(type) + " is not 'pci'");
      Result<PciAddress> a = parse_pci_address(first_child(source, "address"), where);
      if (!a) return a.error();
      layer->nvme = *a;
      return ok();
    }
    default:
      return ok();
  }
}

// Fills one layer from its <source> element (which may be null).
Result<void> parse_layer(const xmlNode* source, const std::string& who,
                         const std::vector<SecLabelDef>& domain_labels, DiskSource* layer) {
  if (source == nullptr) return ok();
  if (const char* a = path_attr_for(layer->type)) layer->path = attr(source, a).value_or("");
  std::string where = who + ": source";
  if (!layer->path.empty()) {
    SVIRT_TRY(require_absolute(layer->path, where));
    where += " " + quoted(layer->path);
  }
  SVIRT_TRY(parse_named_source(source, where, layer));
  Result<std::vector<SourceSecLabel>> labels = parse_source_seclabels(source, domain_labels);
  if (!labels) return labels.error().wrap(where);
  layer->seclabels = std::move(labels).value();
  return ok();
}

// A drive that may be empty still needs what names its source once it has one.
Result<void> require_source(const xmlNode* source, const DiskSource& layer, const std::string& who,
                            bool may_be_empty) {
  if (is_local(layer.type)) {
    if (layer.path.empty() && !may_be_empty)
      return invalid(who + ": <source " + path_attr_for(layer.type) + "=> is required" +
                     (may_be_empty ? std::string() : " (only cdrom and floppy may be empty)"));
    return ok();
  }
  if (source == nullptr && !may_be_empty) return invalid(who + ": <source> is required");
  return ok();
}

// An empty <backingStore/> says "no backing"; so does a missing one.
bool is_terminator(const xmlNode* bs) { return !attr(bs, "type") && child_elements(bs).empty(); }

}  // namespace

Result<Disk> parse_disk(const xmlNode* node, const std::vector<SecLabelDef>& domain_labels) {
  Disk d;
  const xmlNode* target = first_child(node, "target");
  std::optional<std::string> dev = target != nullptr ? attr(target, "dev") : std::nullopt;
  if (!dev || dev->empty()) return invalid("disk: missing <target dev=>");
  d.target = *dev;
  const std::string who = "disk " + quoted(d.target);

  Result<DiskType> type = parse_disk_type(attr(node, "type").value_or("file"), who);
  if (!type) return type.error();
  d.source.type = *type;
  Result<DiskDevice> device = parse_disk_device(attr(node, "device").value_or("disk"), who);
  if (!device) return device.error();
  d.device = *device;
  d.readonly = first_child(node, "readonly") != nullptr;
  d.shareable = first_child(node, "shareable") != nullptr;
  if (const xmlNode* driver = first_child(node, "driver")) {
    d.source.format = attr(driver, "type").value_or("");
  }

  const xmlNode* source = first_child(node, "source");
  SVIRT_TRY(parse_layer(source, who, domain_labels, &d.source));
  bool removable = d.device == DiskDevice::kCdrom || d.device == DiskDevice::kFloppy;
  SVIRT_TRY(require_source(source, d.source, who, removable));

  DiskSource* tail = &d.source;
  int depth = 0;
  const xmlNode* bs = first_child(node, "backingStore");
  for (; bs != nullptr && !is_terminator(bs); bs = first_child(bs, "backingStore")) {
    if (++depth > kMaxBackingDepth) {
      return invalid(who + ": backing chain deeper than " + std::to_string(kMaxBackingDepth));
    }
    const std::string layer_who = who + ": backingStore " + std::to_string(depth);
    std::optional<std::string> bs_type = attr(bs, "type");
    if (!bs_type) return invalid(layer_who + ": missing type=");
    auto layer = std::make_unique<DiskSource>();
    Result<DiskType> lt = parse_disk_type(*bs_type, layer_who);
    if (!lt) return lt.error();
    layer->type = *lt;
    if (const xmlNode* fmt = first_child(bs, "format")) {
      layer->format = attr(fmt, "type").value_or("");
    }
    const xmlNode* bs_source = first_child(bs, "source");
    SVIRT_TRY(parse_layer(bs_source, layer_who, domain_labels, layer.get()));
    SVIRT_TRY(require_source(bs_source, *layer, layer_who, /*may_be_empty=*/false));
    tail->backing = std::move(layer);
    tail = tail->backing.get();
  }
  tail->backing_end = bs != nullptr;
  return d;
}

}  // namespace svirt::internal
