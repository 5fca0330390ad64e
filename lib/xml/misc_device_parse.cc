// SPDX-License-Identifier: LGPL-2.1-or-later
//
// <filesystem>, <tpm> and <memory> devices: one host path each.
#include <string>

#include "xml/device_parse.h"
#include "xml/xml_node.h"

namespace svirt::internal {

Result<std::optional<Filesystem>> parse_filesystem(const xmlNode* node) {
  // libvirt's default filesystem type is mount.
  if (attr(node, "type").value_or("mount") != "mount") return std::optional<Filesystem>();
  Filesystem fs;
  if (const xmlNode* target = first_child(node, "target")) {
    fs.target = attr(target, "dir").value_or("");
  }
  const std::string who =
      "filesystem" + (fs.target.empty() ? std::string() : " " + quoted(fs.target));
  // A virtiofs filesystem may name only a socket of an external daemon.
  if (const xmlNode* source = first_child(node, "source")) {
    fs.source_dir = attr(source, "dir").value_or("");
  }
  if (!fs.source_dir.empty()) SVIRT_TRY(require_absolute(fs.source_dir, who + ": source"));
  fs.readonly = first_child(node, "readonly") != nullptr;
  return std::optional<Filesystem>(std::move(fs));
}

Result<Tpm> parse_tpm(const xmlNode* node) {
  Tpm t;
  const xmlNode* backend = first_child(node, "backend");
  if (backend == nullptr) return make_error(ErrorCode::kInvalidInput, "tpm: missing <backend>");
  t.backend = attr(backend, "type").value_or("");
  if (t.backend.empty()) {
    return make_error(ErrorCode::kInvalidInput, "tpm: <backend> missing type=");
  }
  if (const xmlNode* device = first_child(backend, "device")) {
    t.device_path = attr(device, "path").value_or("");
  }
  if (t.backend == "passthrough" && t.device_path.empty()) {
    t.device_path = "/dev/tpm0";  // libvirt's default for passthrough
  }
  if (!t.device_path.empty()) SVIRT_TRY(require_absolute(t.device_path, "tpm: <device>"));
  return t;
}

Result<std::optional<MemoryDevice>> parse_memory_device(const xmlNode* node) {
  std::string model = attr(node, "model").value_or("");
  if (model != "nvdimm" && model != "virtio-pmem") return std::optional<MemoryDevice>();
  MemoryDevice m;
  m.model = model;
  const std::string who = "memory " + quoted(model);
  const xmlNode* path = first_child(first_child(node, "source"), "path");
  if (path == nullptr) {
    return make_error(ErrorCode::kInvalidInput, who + ": missing <source><path>");
  }
  m.path = text_of(path);
  SVIRT_TRY(require_absolute(m.path, who + ": source"));
  return std::optional<MemoryDevice>(std::move(m));
}

}  // namespace svirt::internal
