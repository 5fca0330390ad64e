// SPDX-License-Identifier: LGPL-2.1-or-later
//
// The part of libvirt's domain XML that svirt needs: who the domain is, how it
// wants to be labelled, and every host resource it names.
//
//   auto def = svirt::DomainDef::parse_file("/etc/vms/web.xml");
//   if (!def) { report(def.error()); return; }
//   for (const svirt::Disk& d : def->disks) ...
//   std::string xml = def->format(svirt::FormatMode::kLive);
//
// Parsing follows libvirt's element and attribute names and validation rules
// (each broken rule is its own error naming the element). Elements svirt does
// not model are kept and written back unchanged by format(), so a stack can
// hand svirt its whole domain XML and get the whole XML back.
//
// Hostile input: no DTD is loaded, no entity is expanded or fetched, no network
// access happens; a document with a DTD internal subset or entity declaration
// is refused, as is one over kMaxXmlBytes as written or once formatted (so
// whatever format() returns parses again).
//
// Thread-safety: DomainDef is a value; parse functions are reentrant.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "svirt/export.h"
#include "svirt/result.h"

namespace svirt {

inline constexpr std::size_t kMaxXmlBytes = 4 * 1024 * 1024;
inline constexpr std::size_t kMaxNameBytes = 64;

// <seclabel type=...>
enum class SeclabelType { kDefault, kNone, kStatic, kDynamic };

// Domain-level <seclabel>. One per model at most.
struct SVIRT_EXPORT SecLabelDef {
  std::string model;              // "selinux", "dac", "none", or "" when omitted
  SeclabelType type = SeclabelType::kDynamic;
  bool relabel = true;            // effective value after libvirt's defaults
  bool relabel_explicit = false;  // relabel= attribute was present
  std::optional<std::string> label;       // process label (static, or live dynamic)
  std::optional<std::string> imagelabel;  // image label (live)
  std::optional<std::string> baselabel;   // dynamic: the process type comes from here
};

// Per-source <seclabel> override inside <source> (disks, chardevs).
struct SVIRT_EXPORT SourceSecLabel {
  std::string model;               // "" = applies to every model
  bool relabel = true;
  std::optional<std::string> label;  // exact label to put on the source
};

enum class DiskType { kFile, kBlock, kDir, kNetwork, kVolume, kNvme, kVhostUser, kVhostVdpa };

// A host PCI address, domain:bus:slot.function. Unset numbers are -1.
struct SVIRT_EXPORT PciAddress {
  int domain = -1, bus = -1, slot = -1, function = -1;
};
enum class DiskDevice { kDisk, kCdrom, kFloppy, kLun };

// One layer of a disk: the top image, or a <backingStore> below it.
struct SVIRT_EXPORT DiskSource {
  DiskType type = DiskType::kFile;
  // file=, dev= or dir=; vhostuser: the socket's path=; vhostvdpa: dev=; "" for
  // network, volume and nvme sources and for empty media.
  std::string path;
  std::string format;              // <driver type=> / <format type=>; qcow2, qed: header read
  std::vector<SourceSecLabel> seclabels;
  std::unique_ptr<DiskSource> backing;  // next <backingStore> with a source, or null
  // An empty <backingStore/> below this layer: the chain ends here, and no
  // image header is read to find more (libvirt's meaning of it).
  bool backing_end = false;
  // Found in the header of the layer above rather than written in the XML
  // (docs/backing-chains.md); format() writes it as a <backingStore>.
  bool discovered = false;
  // What names a source that is no host path: network <source protocol= name=>,
  // volume <source pool= volume=>, nvme <source type='pci'><address>.
  std::string protocol, name;
  std::string pool, volume;
  PciAddress nvme;

  DiskSource() = default;
  DiskSource(const DiskSource& o);
  DiskSource& operator=(const DiskSource& o);
  DiskSource(DiskSource&&) noexcept = default;
  DiskSource& operator=(DiskSource&&) noexcept = default;
};

struct SVIRT_EXPORT Disk {
  DiskDevice device = DiskDevice::kDisk;
  std::string target;  // <target dev=>, e.g. "vda"
  bool readonly = false;
  bool shareable = false;
  DiskSource source;
};

enum class ChardevRole { kSerial, kConsole, kChannel, kParallel };
// Every <source> type of libvirt's character devices. kOther is never parsed
// (an unknown type is refused); a definition built in code may use it.
enum class ChardevType {
  kFile,
  kPipe,
  kDev,
  kUnix,
  kPty,
  kOther,
  kNull,
  kVc,
  kStdio,
  kUdp,
  kTcp,
  kSpicePort,
  kSpiceVmc,
  kQemuVdagent,
  kDbus,
  kNmdm
};

struct SVIRT_EXPORT Chardev {
  ChardevRole role = ChardevRole::kSerial;
  ChardevType type = ChardevType::kPty;
  std::string path;     // <source path=>; "" when none
  bool bind = false;    // unix: mode='bind' (svirt/QEMU creates it), else connect
  std::vector<SourceSecLabel> seclabels;
  std::string name() const;  // "serial0", "channel1", ... by position
  int index = 0;             // position among chardevs of this role
  std::string log_file;      // <log file=>: QEMU writes the device's output there too
};

// <hostdev mode='subsystem'> types, then mode='capabilities' ones (storage,
// misc, net). kOther is never parsed (an unknown type is refused).
enum class HostdevType {
  kUsb,
  kPci,
  kScsi,
  kMdev,
  kOther,
  kScsiHost,     // vhost-scsi: <source protocol='vhost' wwpn=>
  kCapsStorage,  // <source><block>: a host block device
  kCapsMisc,     // <source><char>: a host character device
  kCapsNet,      // <source><interface>: a host network interface
};

struct SVIRT_EXPORT Hostdev {
  HostdevType type = HostdevType::kOther;
  // USB: bus/device or vendor/product; PCI: domain/bus/slot/function; SCSI:
  // adapter + bus/target/unit; mdev: uuid. Unset numbers are -1.
  int usb_bus = -1, usb_device = -1, usb_vendor = -1, usb_product = -1;
  int pci_domain = -1, pci_bus = -1, pci_slot = -1, pci_function = -1;
  std::string scsi_adapter;
  int scsi_bus = -1, scsi_target = -1, scsi_unit = -1;
  std::string mdev_uuid;
  bool readonly = false, shareable = false;
  bool scsi_iscsi = false;     // SCSI <source protocol='iscsi'>: a remote LUN
  std::string scsi_host_wwpn;  // scsi_host: the vhost-scsi target's wwpn=
  std::string caps_source;     // storage: <block>; misc: <char>; net: <interface>
};

enum class FilesystemType { kMount, kTemplate, kFile, kBlock, kRam, kBind, kVolume };

struct SVIRT_EXPORT Filesystem {
  std::string source_dir;  // <source dir=> (types mount and bind)
  std::string target;      // <target dir=> (the mount tag)
  bool readonly = false;
  FilesystemType type = FilesystemType::kMount;
  // file: <source file=>; block: <source dev=>; template: <source name=>;
  // volume: <source pool= volume=> as "POOL/VOLUME".
  std::string source;
  std::string socket;  // mount: <source socket=>, an external virtiofsd's
};

// <interface type=...>, each of libvirt's types.
enum class InterfaceType {
  kNetwork,
  kBridge,
  kDirect,
  kHostdev,
  kUser,
  kEthernet,
  kVhostUser,
  kServer,
  kClient,
  kMcast,
  kUdp,
  kVdpa,
  kNull,
  kVds,
  kInternal
};

struct SVIRT_EXPORT Interface {
  InterfaceType type = InterfaceType::kUser;
  int index = 0;        // position among the domain's interfaces ("net0", ...)
  std::string path;     // vhostuser: <source path=>; vdpa: <source dev=>
  bool server = false;  // vhostuser mode='server': QEMU creates the socket
  PciAddress pci;       // hostdev: <source><address type='pci'>
};

struct SVIRT_EXPORT Tpm {
  std::string backend;      // "passthrough", "emulator", ...
  std::string device_path;  // passthrough <device path=>
  // Emulator: "1.2" or "2.0". Without version= parsing fills in libvirt's
  // default (1.2 for tpm-tis on x86, else 2.0); empty counts as 2.0.
  std::string version;
  // Emulator <backend><source type='dir'|'file' path=>: where swtpm keeps its
  // state instead of the per-UUID directory under swtpm_storage_dir.
  std::string state_type;  // "dir", "file", or "" when absent
  std::string state_path;
};

// <memory model='nvdimm'|'virtio-pmem'> backed by a host file.
struct SVIRT_EXPORT MemoryDevice {
  std::string model;
  std::string path;  // <source><path>
};

// <memoryBacking><hugepages><page size= unit= nodeset=>.
struct SVIRT_EXPORT HugePage {
  std::uint64_t size_kib = 0;
  std::string nodeset;  // "" = every NUMA node
};

// <memoryBacking>: how guest RAM is backed on the host.
struct SVIRT_EXPORT MemoryBacking {
  bool hugepages = false;       // <hugepages> present
  std::vector<HugePage> pages;  // its <page> elements; none: the default size
  std::string source_type;      // <source type=>: "file", "anonymous", "memfd", ""
};

struct SVIRT_EXPORT OsDef {
  std::string kernel, initrd, dtb;
  std::string loader;  // firmware image, read-only content
  bool loader_readonly = true;
  std::string nvram;   // per-VM writable variable store
};

enum class FormatMode {
  kInactive,  // what the user wrote, normalized: generated labels left out
  kLive,      // including generated label/imagelabel (imagelabel only with relabel on)
};

class SVIRT_EXPORT DomainDef {
 public:
  std::string type;  // <domain type=>: "kvm", "qemu", "xen", ...
  std::string name;
  std::string uuid;  // "" when absent
  std::vector<SecLabelDef> seclabels;
  OsDef os;
  std::vector<Disk> disks;
  std::vector<Chardev> chardevs;
  std::vector<Hostdev> hostdevs;
  std::vector<Filesystem> filesystems;
  std::vector<Tpm> tpms;
  std::vector<MemoryDevice> memory_devices;
  MemoryBacking memory_backing;
  std::vector<Interface> interfaces;

  // Parses and validates a whole <domain> document.
  static Result<DomainDef> parse(std::string_view xml);
  static Result<DomainDef> parse_file(const std::string& path);

  // The seclabel of `model`, or null.
  const SecLabelDef* seclabel(std::string_view model) const;
  SecLabelDef* seclabel(std::string_view model);

  // Writes the domain back as XML, indented, with the seclabels from the
  // fields above and every element svirt does not model kept as it was.
  // format(m) parsed again and formatted again gives the same text.
  std::string format(FormatMode mode = FormatMode::kInactive) const;

  DomainDef();
  ~DomainDef();
  DomainDef(const DomainDef&);
  DomainDef& operator=(const DomainDef&);
  DomainDef(DomainDef&&) noexcept;
  DomainDef& operator=(DomainDef&&) noexcept;

 private:
  friend struct DomainDefAccess;
  std::string original_xml_;  // the parsed document, for what svirt does not model
};

// A single device document (<disk>, <hostdev>, <serial>, ...), for hotplug.
// Exactly one of the vectors holds one element after parsing.
struct SVIRT_EXPORT DeviceDef {
  std::vector<Disk> disks;
  std::vector<Chardev> chardevs;
  std::vector<Hostdev> hostdevs;
  std::vector<Filesystem> filesystems;

  // Validates with the same rules as a domain's devices; `domain` supplies
  // the domain-level seclabels the per-source rules refer to.
  static Result<DeviceDef> parse(std::string_view xml, const DomainDef& domain);
};

// Rules on names (cli.md): non-empty, at most kMaxNameBytes, no '/', no
// control characters. Returns the error naming the rule.
SVIRT_EXPORT Result<void> validate_domain_name(std::string_view name);

}  // namespace svirt
