// SPDX-License-Identifier: LGPL-2.1-or-later
//
// <filesystem>, <tpm> and <memory> devices: the host paths each one names.
#include <string>

#include "xml/device_parse.h"
#include "xml/xml_node.h"

namespace svirt::internal {

namespace {

struct FsTypeName {
  FilesystemType type;
  const char* name;
};

constexpr FsTypeName kFsTypes[] = {
    {FilesystemType::kMount, "mount"},   {FilesystemType::kTemplate, "template"},
    {FilesystemType::kFile, "file"},     {FilesystemType::kBlock, "block"},
    {FilesystemType::kRam, "ram"},       {FilesystemType::kBind, "bind"},
    {FilesystemType::kVolume, "volume"},
};

}  // namespace

const char* filesystem_type_name(FilesystemType type) {
  for (const FsTypeName& t : kFsTypes)
    if (t.type == type) return t.name;
  return "mount";
}

Result<Filesystem> parse_filesystem(const xmlNode* node) {
  Filesystem fs;
  if (const xmlNode* target = first_child(node, "target")) {
    fs.target = attr(target, "dir").value_or("");
  }
  const std::string who =
      "filesystem" + (fs.target.empty() ? std::string() : " " + quoted(fs.target));
  // libvirt's default filesystem type is mount.
  std::string type = attr(node, "type").value_or("mount");
  bool known = false;
  for (const FsTypeName& t : kFsTypes) {
    if (type != t.name) continue;
    fs.type = t.type;
    known = true;
  }
  if (!known) return make_error(ErrorCode::kInvalidInput, who + ": unknown type " + quoted(type));
  fs.readonly = first_child(node, "readonly") != nullptr;
  const xmlNode* source = first_child(node, "source");
  auto source_attr = [&](const char* name) { return attr(source, name).value_or(""); };
  auto required = [&](const std::string& value, const char* what) -> Result<void> {
    if (value.empty())
      return make_error(ErrorCode::kInvalidInput,
                        who + ": type " + quoted(type) + " needs <source " + what + "=>");
    return ok();
  };
  switch (fs.type) {
    case FilesystemType::kMount:
      // A virtiofs filesystem may name only the socket of an external daemon.
      fs.source_dir = source_attr("dir");
      fs.socket = source_attr("socket");
      if (!fs.source_dir.empty()) SVIRT_TRY(require_absolute(fs.source_dir, who + ": source"));
      if (!fs.socket.empty()) SVIRT_TRY(require_absolute(fs.socket, who + ": source socket"));
      break;
    case FilesystemType::kBind:
      fs.source_dir = source_attr("dir");  // a directory of the guest's own
      break;
    case FilesystemType::kFile:
      fs.source = source_attr("file");
      SVIRT_TRY(required(fs.source, "file"));
      SVIRT_TRY(require_absolute(fs.source, who + ": source"));
      break;
    case FilesystemType::kBlock:
      fs.source = source_attr("dev");
      SVIRT_TRY(required(fs.source, "dev"));
      SVIRT_TRY(require_absolute(fs.source, who + ": source"));
      break;
    case FilesystemType::kTemplate:
      fs.source = source_attr("name");
      SVIRT_TRY(required(fs.source, "name"));
      break;
    case FilesystemType::kVolume: {
      std::string pool = source_attr("pool"), volume = source_attr("volume");
      SVIRT_TRY(required(pool, "pool"));
      SVIRT_TRY(required(volume, "volume"));
      fs.source = pool + "/" + volume;
      break;
    }
    case FilesystemType::kRam:
      break;
  }
  return fs;
}

namespace {

bool is_x86(std::string_view arch) {
  return arch == "x86_64" || arch == "i686" || arch == "i586" || arch == "i486" || arch == "i386";
}

// libvirt's post-parse default: tpm-tis (also what an absent model means,
// except on ppc64) keeps its historical TPM 1.2 on x86; everything else gets
// a TPM 2.0. The version picks the state directory, so it must match.
std::string default_tpm_version(std::string_view model, std::string_view arch) {
  bool tis = model == "tpm-tis" || (model.empty() && arch.rfind("ppc64", 0) != 0);
  return (tis && is_x86(arch)) ? "1.2" : "2.0";
}

Result<void> parse_tpm_emulator(const xmlNode* node, const xmlNode* backend, std::string_view arch,
                                Tpm* t) {
  if (std::optional<std::string> v = attr(backend, "version")) {
    if (*v != "1.2" && *v != "2.0") {
      return make_error(ErrorCode::kInvalidInput,
                        "tpm: <backend version=" + quoted(*v) + ">: must be '1.2' or '2.0'");
    }
    t->version = *v;
  } else {
    t->version = default_tpm_version(attr(node, "model").value_or(""), arch);
  }
  const xmlNode* source = first_child(backend, "source");
  if (source == nullptr) return ok();
  t->state_type = attr(source, "type").value_or("");
  if (t->state_type != "dir" && t->state_type != "file") {
    return make_error(
        ErrorCode::kInvalidInput,
        "tpm: <backend><source type=" + quoted(t->state_type) + ">: must be 'dir' or 'file'");
  }
  t->state_path = attr(source, "path").value_or("");
  if (t->state_path.empty()) {
    return make_error(ErrorCode::kInvalidInput, "tpm: <backend><source>: missing path=");
  }
  return require_absolute(t->state_path, "tpm: <backend><source>");
}

}  // namespace

std::string host_arch() {
#if defined(__x86_64__)
  return "x86_64";
#elif defined(__i386__)
  return "i686";
#elif defined(__aarch64__)
  return "aarch64";
#elif defined(__powerpc64__) && __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
  return "ppc64le";
#elif defined(__powerpc64__)
  return "ppc64";
#elif defined(__s390x__)
  return "s390x";
#else
  return "";
#endif
}

Result<Tpm> parse_tpm(const xmlNode* node, std::string_view arch) {
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
  if (t.backend == "emulator") SVIRT_TRY(parse_tpm_emulator(node, backend, arch, &t));
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
