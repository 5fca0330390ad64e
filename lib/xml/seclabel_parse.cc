// SPDX-License-Identifier: LGPL-2.1-or-later
#include "xml/seclabel_parse.h"

#include <optional>

#include "svirt/context.h"
#include "xml/xml_node.h"

namespace svirt::internal {
namespace {

// libvirt's bound on label text.
constexpr std::size_t kMaxLabelBytes = 4096;

Error invalid(std::string message) {
  return make_error(ErrorCode::kInvalidInput, std::move(message));
}

Result<SeclabelType> parse_type(const std::optional<std::string>& text) {
  // libvirt: a seclabel without type= is dynamic.
  if (!text || *text == "dynamic") return SeclabelType::kDynamic;
  if (*text == "static") return SeclabelType::kStatic;
  if (*text == "none") return SeclabelType::kNone;
  if (*text == "default") return SeclabelType::kDefault;
  return invalid("unknown type " + quoted(*text) + " (expected dynamic, static, none or default)");
}

bool valid_dac_part(std::string_view part) {
  if (part.empty()) return false;
  for (char c : part) {
    unsigned char u = static_cast<unsigned char>(c);
    if (u <= 0x20 || u == 0x7f || c == ':') return false;
  }
  return true;
}

// Reads the text of the first child `name`; absent -> nullopt.
std::optional<std::string> child_text(const xmlNode* node, std::string_view name) {
  const xmlNode* c = first_child(node, name);
  if (c == nullptr) return std::nullopt;
  return text_of(c);
}

Result<void> check_label(std::string_view model, std::string_view element,
                         const std::optional<std::string>& text) {
  if (!text) return ok();
  Result<void> r = validate_label_text(model, *text);
  if (!r) return r.error().wrap(seclabel_name(model) + ": <" + std::string(element) + ">");
  return ok();
}

Result<void> validate_one(const SecLabelDef& l) {
  const std::string who = seclabel_name(l.model);
  if (l.model == "none" && l.type != SeclabelType::kNone) {
    return invalid(who + ": model 'none' requires type 'none', not " +
                   quoted(seclabel_type_name(l.type)));
  }
  switch (l.type) {
    case SeclabelType::kDynamic:
      if (!l.relabel) {
        return invalid(who + ": type 'dynamic' requires relabel='yes'");
      }
      break;
    case SeclabelType::kNone:
      if (l.relabel) {
        return invalid(who + ": relabel='yes' is not allowed with type 'none'");
      }
      break;
    case SeclabelType::kStatic:
      if (!l.label) return invalid(who + ": type 'static' requires a <label>");
      break;
    case SeclabelType::kDefault:
      break;
  }
  SVIRT_TRY(check_label(l.model, "label", l.label));
  SVIRT_TRY(check_label(l.model, "imagelabel", l.imagelabel));
  SVIRT_TRY(check_label(l.model, "baselabel", l.baselabel));
  return ok();
}

}  // namespace

std::string seclabel_name(std::string_view model) {
  if (model.empty()) return "seclabel";
  return "seclabel model " + quoted(model);
}

const char* seclabel_type_name(SeclabelType type) {
  switch (type) {
    case SeclabelType::kDefault:
      return "default";
    case SeclabelType::kNone:
      return "none";
    case SeclabelType::kStatic:
      return "static";
    case SeclabelType::kDynamic:
      return "dynamic";
  }
  return "dynamic";
}

Result<void> validate_label_text(std::string_view model, std::string_view text) {
  if (text.size() > kMaxLabelBytes) {
    return invalid("label is " + std::to_string(text.size()) + " bytes, more than " +
                   std::to_string(kMaxLabelBytes));
  }
  if (model.empty() || model == "selinux") {
    Result<SecurityContext> c = SecurityContext::parse(text);
    if (!c) return c.error();
    return ok();
  }
  if (model == "dac") {
    // DAC labels are owner:group, each a name or +number.
    std::size_t colon = text.find(':');
    if (colon == std::string_view::npos || !valid_dac_part(text.substr(0, colon)) ||
        !valid_dac_part(text.substr(colon + 1))) {
      return invalid("invalid DAC label " + quoted(text) + ": expected user:group");
    }
    return ok();
  }
  if (text.empty()) return invalid("label is empty");
  return ok();
}

Result<std::vector<SecLabelDef>> parse_domain_seclabels(const xmlNode* domain) {
  std::vector<SecLabelDef> out;
  for (const xmlNode* node : children_named(domain, "seclabel")) {
    SecLabelDef l;
    l.model = attr(node, "model").value_or("");
    Result<SeclabelType> type = parse_type(attr(node, "type"));
    if (!type) return type.error().wrap(seclabel_name(l.model));
    l.type = *type;
    std::optional<std::string> relabel = attr(node, "relabel");
    if (relabel) {
      Result<bool> r = parse_yes_no(*relabel, seclabel_name(l.model) + ": relabel");
      if (!r) return r.error();
      l.relabel = *r;
      l.relabel_explicit = true;
    } else {
      // libvirt's defaults: relabel for dynamic labels only.
      l.relabel = l.type == SeclabelType::kDynamic || l.type == SeclabelType::kDefault;
    }
    // As libvirt: a 'none' label has no labels, baselabel only means
    // something for generated labels, imagelabel only when relabelling.
    if (l.type != SeclabelType::kNone) {
      l.label = child_text(node, "label");
      if (l.relabel) l.imagelabel = child_text(node, "imagelabel");
      if (l.type != SeclabelType::kStatic) l.baselabel = child_text(node, "baselabel");
    }
    out.push_back(std::move(l));
  }
  SVIRT_TRY(validate_domain_seclabels(out));
  return out;
}

Result<void> validate_domain_seclabels(const std::vector<SecLabelDef>& labels) {
  for (const SecLabelDef& l : labels) SVIRT_TRY(validate_one(l));
  if (labels.size() > 1) {
    for (const SecLabelDef& l : labels) {
      if (l.model.empty()) {
        return invalid("seclabel: model= is required when the domain has several seclabels");
      }
    }
  }
  for (std::size_t i = 0; i < labels.size(); ++i) {
    for (std::size_t j = i + 1; j < labels.size(); ++j) {
      if (labels[i].model == labels[j].model) {
        return invalid(seclabel_name(labels[i].model) + ": defined more than once");
      }
    }
  }
  return ok();
}

Result<std::vector<SourceSecLabel>> parse_source_seclabels(
    const xmlNode* source, const std::vector<SecLabelDef>& domain_labels) {
  std::vector<SourceSecLabel> out;
  if (source == nullptr) return out;
  for (const xmlNode* node : children_named(source, "seclabel")) {
    SourceSecLabel s;
    s.model = attr(node, "model").value_or("");
    const std::string who = seclabel_name(s.model);
    std::optional<std::string> relabel = attr(node, "relabel");
    if (relabel) {
      Result<bool> r = parse_yes_no(*relabel, who + ": relabel");
      if (!r) return r.error();
      s.relabel = *r;
    }
    s.label = child_text(node, "label");
    if (s.label && !s.relabel) {
      return invalid(who + ": a <label> is not allowed with relabel='no'");
    }
    SVIRT_TRY(check_label(s.model, "label", s.label));
    // libvirt refuses device overrides for a model the domain does not
    // relabel: there is nothing to override.
    for (const SecLabelDef& d : domain_labels) {
      if ((s.model.empty() || s.model == d.model) && !d.relabel) {
        return invalid(who + ": per-source override not allowed because the domain's " +
                       seclabel_name(d.model) + " has relabel='no'");
      }
    }
    out.push_back(std::move(s));
  }
  return out;
}

}  // namespace svirt::internal
