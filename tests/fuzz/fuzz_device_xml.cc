// SPDX-License-Identifier: LGPL-2.1-or-later
//
// Hotplug device XML (DeviceDef::parse) under libFuzzer.
//
// Each input is parsed against a few small domains whose seclabels differ,
// since per-source overrides are checked against the domain's labels.
// Properties, for any device a domain accepts:
//   - exactly one device is modelled;
//   - the same element placed in that domain's <devices> is accepted by
//     DomainDef::parse and modelled identically: hotplug and a domain's own
//     devices follow one set of rules;
//   - libxml2 never prints anything by itself.
#include <libxml/parser.h>
#include <libxml/tree.h>

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "fuzz_check.h"
#include "libxml_output.h"
#include "model_text.h"
#include "svirt/domain.h"

namespace {

using svirt::DeviceDef;
using svirt::DomainDef;
using svirt::fuzz::check;
using svirt::fuzz::fail;

// Domains differ in what a per-source <seclabel> may override: nothing
// declared, a relabelled SELinux label, a SELinux label with relabel='no',
// and a relabelled SELinux label next to a DAC label that is not relabelled.
// Each already has a serial port, so a hotplugged one is serial1.
constexpr const char* kDomains[] = {
    "<domain type='kvm'><name>plain</name><devices><serial type='pty'/></devices></domain>",
    "<domain type='kvm'><name>dynamic</name><devices><serial type='pty'/></devices>"
    "<seclabel type='dynamic' model='selinux'/></domain>",
    "<domain type='kvm'><name>static-norelabel</name><devices><serial type='pty'/></devices>"
    "<seclabel type='static' model='selinux' relabel='no'>"
    "<label>system_u:system_r:svirt_t:s0:c1,c2</label></seclabel></domain>",
    "<domain type='kvm'><name>two-models</name><devices><serial type='pty'/></devices>"
    "<seclabel type='dynamic' model='selinux'/>"
    "<seclabel type='static' model='dac' relabel='no'><label>+107:+107</label></seclabel>"
    "</domain>",
};

struct XmlDocFree {
  void operator()(xmlDoc* doc) const { xmlFreeDoc(doc); }
};
using DocPtr = std::unique_ptr<xmlDoc, XmlDocFree>;

DocPtr read_doc(std::string_view text) {
  // The input already passed DeviceDef::parse, which refuses DTDs and
  // entities; these options only keep libxml2 quiet and offline.
  return DocPtr(xmlReadMemory(
      text.data(), static_cast<int>(text.size()), nullptr, nullptr,
      XML_PARSE_NONET | XML_PARSE_NOBLANKS | XML_PARSE_NOERROR | XML_PARSE_NOWARNING));
}

// The domain text with the device's root element appended to <devices>.
std::string embed(std::string_view domain_xml, std::string_view device_xml) {
  DocPtr domain = read_doc(domain_xml);
  DocPtr device = read_doc(device_xml);
  if (!domain || !device) fail("libxml2 cannot read a document svirt accepted", device_xml);
  xmlNode* devices = xmlDocGetRootElement(domain.get())->children;
  while (devices != nullptr &&
         xmlStrcmp(devices->name, reinterpret_cast<const xmlChar*>("devices")) != 0) {
    devices = devices->next;
  }
  xmlNode* copy = xmlDocCopyNode(xmlDocGetRootElement(device.get()), domain.get(), 1);
  if (devices == nullptr || copy == nullptr) fail("cannot build the embedding domain", device_xml);
  xmlAddChild(devices, copy);
  xmlChar* buf = nullptr;
  int len = 0;
  xmlDocDumpMemory(domain.get(), &buf, &len);
  std::string out(reinterpret_cast<const char*>(buf), static_cast<std::size_t>(len));
  xmlFree(buf);
  return out;
}

const std::vector<DomainDef>& domains() {
  static const std::vector<DomainDef> parsed = [] {
    std::vector<DomainDef> out;
    for (const char* xml : kDomains) {
      svirt::Result<DomainDef> d = DomainDef::parse(xml);
      if (!d) fail("a harness domain does not parse: " + d.error().message, xml);
      out.push_back(std::move(d).value());
    }
    return out;
  }();
  return parsed;
}

std::string device_text(const DeviceDef& dev) {
  std::string out;
  for (const svirt::Disk& d : dev.disks) out += svirt::fuzz::disk_text(d);
  for (const svirt::Chardev& c : dev.chardevs) out += svirt::fuzz::chardev_text(c);
  for (const svirt::Hostdev& h : dev.hostdevs) out += svirt::fuzz::hostdev_text(h);
  for (const svirt::Filesystem& f : dev.filesystems) out += svirt::fuzz::filesystem_text(f);
  return out;
}

// The same kind of device, last in `def` (where embed() put it), as text.
std::string last_of_kind(const DomainDef& def, const DeviceDef& dev) {
  if (!dev.disks.empty() && !def.disks.empty()) return svirt::fuzz::disk_text(def.disks.back());
  if (!dev.chardevs.empty() && !def.chardevs.empty()) {
    return svirt::fuzz::chardev_text(def.chardevs.back());
  }
  if (!dev.hostdevs.empty() && !def.hostdevs.empty()) {
    return svirt::fuzz::hostdev_text(def.hostdevs.back());
  }
  if (!dev.filesystems.empty() && !def.filesystems.empty()) {
    return svirt::fuzz::filesystem_text(def.filesystems.back());
  }
  return "(no device of that kind in the domain)";
}

}  // namespace

extern "C" int LLVMFuzzerInitialize(int*, char***) {
  svirt::fuzz::forbid_libxml2_output();
  return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view input(reinterpret_cast<const char*>(data), size);
  for (std::size_t i = 0; i < domains().size(); ++i) {
    const DomainDef& domain = domains()[i];
    svirt::Result<DeviceDef> dev = DeviceDef::parse(input, domain);
    if (!dev) {
      check(dev.error().message.find_first_of("\n\r") == std::string::npos,
            "error message spans several lines", dev.error().message);
      continue;
    }
    const std::size_t count =
        dev->disks.size() + dev->chardevs.size() + dev->hostdevs.size() + dev->filesystems.size();
    check(count == 1, "DeviceDef::parse modelled " + std::to_string(count) + " devices", input);

    const std::string whole = embed(kDomains[i], input);
    svirt::Result<DomainDef> with = DomainDef::parse(whole);
    if (!with) {
      fail("domain '" + domain.name +
               "' accepts the device by hotplug but not in its XML: " + with.error().message,
           whole);
    }
    const std::string hotplugged = device_text(*dev);
    const std::string in_domain = last_of_kind(*with, *dev);
    check(hotplugged == in_domain,
          "domain '" + domain.name + "': hotplug and domain XML model the device differently",
          hotplugged, in_domain);
  }
  return 0;
}
