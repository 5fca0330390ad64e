// SPDX-License-Identifier: LGPL-2.1-or-later
//
// Parsers for the device elements svirt models. Each validates its element
// fully; per-source seclabels are checked against the domain's seclabels.
#pragma once

#include <libxml/tree.h>

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "svirt/domain.h"
#include "svirt/result.h"

namespace svirt::internal {

Result<Disk> parse_disk(const xmlNode* node, const std::vector<SecLabelDef>& domain_labels);

// The role of a <serial>/<console>/<channel>/<parallel> element, or nullopt.
std::optional<ChardevRole> chardev_role(const xmlNode* node);
const char* chardev_role_name(ChardevRole role);
// libvirt's name of a chardev type ("file", "pty", ...); "other" for kOther.
const char* chardev_type_name(ChardevType type);

// `index` is the position among chardevs of the same role.
Result<Chardev> parse_chardev(const xmlNode* node, ChardevRole role, int index,
                              const std::vector<SecLabelDef>& domain_labels);

Result<Hostdev> parse_hostdev(const xmlNode* node);

// A PCI <address domain= bus= slot= function=> (null: missing); `who` names
// its owner in errors.
Result<PciAddress> parse_pci_address(const xmlNode* address, const std::string& who);

Result<Filesystem> parse_filesystem(const xmlNode* node);
const char* filesystem_type_name(FilesystemType type);

// `index` is the position among the domain's interfaces.
Result<Interface> parse_interface(const xmlNode* node, int index);
const char* interface_type_name(InterfaceType type);

// `arch` is the domain's <os><type arch=> (host_arch() when absent): the
// default TPM version depends on it.
Result<Tpm> parse_tpm(const xmlNode* node, std::string_view arch);
// The architecture libvirt assumes when <os><type> names none: the host's.
std::string host_arch();

// Memory devices other than nvdimm/virtio-pmem name no host file: nullopt.
Result<std::optional<MemoryDevice>> parse_memory_device(const xmlNode* node);

// <memoryBacking> (null: none): hugepages and the memory source type.
Result<MemoryBacking> parse_memory_backing(const xmlNode* node);

}  // namespace svirt::internal
