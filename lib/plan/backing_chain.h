// SPDX-License-Identifier: LGPL-2.1-or-later
//
// The backing chain of a disk that the XML does not spell out, read from the
// image headers (docs/backing-chains.md).
//
// A <disk> that names only its top qcow2 image still makes QEMU open every
// image below it; each of those needs the read-only content label, or QEMU
// fails to start. The rules follow libvirt's, and never guess a format:
//  - a layer's header is read only when its format is declared (<driver
//    type=> of the disk, <format type=> of a <backingStore>, or the backing
//    format the overlay's header records) and is one svirt parses (qcow2,
//    qed); a raw image is never parsed, whatever its bytes hold;
//  - an empty <backingStore/> ends the chain: nothing below it is read;
//  - a backing file whose format the overlay does not record is refused,
//    as libvirt refuses it;
//  - a relative backing name is relative to the directory of the overlay;
//  - a name with a protocol prefix (nbd:, json:, ...) is a network layer,
//    with no host file, and ends the chain;
//  - a loop (one file twice) or more than kMaxChainLayers layers is refused.
//
// Thread-safety: free functions without shared state.
#pragma once

#include "svirt/domain.h"
#include "svirt/result.h"

namespace svirt::internal {

// Layers in one chain, top included. Real chains have a handful; the bound
// caps what a chain of crafted images costs (one header read per layer).
inline constexpr int kMaxChainLayers = 64;

// Appends to `disk` the layers the headers name below the last layer its
// XML wrote, each marked `discovered`. Files that cannot be opened end the
// walk quietly: labelling reports them with the driver's own errors. Errors
// are one line naming the disk and the file at fault.
[[nodiscard]] Result<void> discover_backing_chain(Disk& disk);

// The same for every disk of `def`.
[[nodiscard]] Result<void> discover_backing_chains(DomainDef& def);

// Whether a backing name is a network location ("nbd://...", "json:{...}"):
// a protocol prefix before any '/', as QEMU reads it.
[[nodiscard]] bool is_network_backing(std::string_view name);

}  // namespace svirt::internal
