// SPDX-License-Identifier: LGPL-2.1-or-later
//
// Value semantics of the domain model.
#include <string>

#include "svirt/domain.h"
#include "xml/device_parse.h"
#include "xml/xml_node.h"

namespace svirt {

namespace {

// One layer's own fields, everything but the chain below it.
void copy_layer(const DiskSource& from, DiskSource* to) {
  to->type = from.type;
  to->path = from.path;
  to->format = from.format;
  to->seclabels = from.seclabels;
  to->protocol = from.protocol;
  to->name = from.name;
  to->pool = from.pool;
  to->volume = from.volume;
  to->nvme = from.nvme;
  to->backing_end = from.backing_end;
  to->discovered = from.discovered;
}

}  // namespace

DiskSource::DiskSource(const DiskSource& o) {
  copy_layer(o, this);
  // Copy the chain iteratively: a chain built in code has no depth bound.
  DiskSource* tail = this;
  for (const DiskSource* from = o.backing.get(); from != nullptr; from = from->backing.get()) {
    auto layer = std::make_unique<DiskSource>();
    copy_layer(*from, layer.get());
    tail->backing = std::move(layer);
    tail = tail->backing.get();
  }
}

DiskSource& DiskSource::operator=(const DiskSource& o) {
  if (this != &o) *this = DiskSource(o);
  return *this;
}

std::string Chardev::name() const {
  return std::string(internal::chardev_role_name(role)) + std::to_string(index);
}

DomainDef::DomainDef() = default;
DomainDef::~DomainDef() = default;
DomainDef::DomainDef(const DomainDef&) = default;
DomainDef& DomainDef::operator=(const DomainDef&) = default;
DomainDef::DomainDef(DomainDef&&) noexcept = default;
DomainDef& DomainDef::operator=(DomainDef&&) noexcept = default;

const SecLabelDef* DomainDef::seclabel(std::string_view model) const {
  for (const SecLabelDef& l : seclabels) {
    if (l.model == model) return &l;
  }
  return nullptr;
}

SecLabelDef* DomainDef::seclabel(std::string_view model) {
  for (SecLabelDef& l : seclabels) {
    if (l.model == model) return &l;
  }
  return nullptr;
}

Result<void> validate_domain_name(std::string_view name) {
  if (name.empty()) return make_error(ErrorCode::kInvalidInput, "domain name is empty");
  if (name.size() > kMaxNameBytes) {
    return make_error(ErrorCode::kInvalidInput, "domain name " + internal::quoted(name) + " is " +
                                                    std::to_string(name.size()) +
                                                    " bytes, more than " +
                                                    std::to_string(kMaxNameBytes));
  }
  if (name.find('/') != std::string_view::npos) {
    return make_error(ErrorCode::kInvalidInput,
                      "domain name " + internal::quoted(name) + " contains '/'");
  }
  for (char c : name) {
    auto u = static_cast<unsigned char>(c);
    if (u < 0x20 || u == 0x7f) {
      return make_error(ErrorCode::kInvalidInput,
                        "domain name " + internal::quoted(name) + " contains a control character");
    }
  }
  return ok();
}

}  // namespace svirt
