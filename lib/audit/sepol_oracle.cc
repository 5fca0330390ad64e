// SPDX-License-Identifier: LGPL-2.1-or-later
//
// PolicyOracle over a compiled policy file, answered by libsepol's service
// functions: the same type enforcement and constraint evaluation the kernel
// does, without a kernel.
//
// Those functions work on ONE process-global policy and SID table, which
// sepol_set_policydb_from_file() replaces. Hence: every libsepol call here
// runs under one process-wide mutex; the global remembers which policy bytes
// it holds and counts loads; an oracle that finds other bytes loaded reloads
// its own, and one that finds a load happened since it made its SIDs forgets
// them (they belonged to the replaced table). Oracles over the same bytes
// share one load: libsepol does not free everything a replaced policy held,
// so reloads are kept to the ones that change the policy.
//
// A libsepol decision costs tens of microseconds (the constraint list is
// evaluated each time), so answers are shared between context pairs that
// differ only by a renaming of categories: MLS constraints compare levels by
// dominance, equality and incomparability, type enforcement and RBAC do not
// look at levels, so no rule can tell such pairs apart. For MCS labels this
// turns "every domain x every domain's labels" into a handful of questions.
#include <endian.h>
#include <fcntl.h>
#include <sepol/policydb/policydb.h>
#include <sepol/policydb/services.h>
#include <sepol/sepol.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <memory>
#include <mutex>
#include <unordered_map>

#include "core/unique_fd.h"
#include "svirt/audit.h"
#include "svirt/context.h"

namespace svirt {
namespace {

std::mutex g_sepol_mutex;
// Guarded by g_sepol_mutex: the policy libsepol holds and how many loads
// there were (SIDs are valid within one load only).
std::shared_ptr<const std::string> g_loaded_image;
uint64_t g_loads = 0;

// What a decision can depend on in one context: everything but the names of
// its categories.
struct Shape {
  std::string prefix;  // "user:role:type:low-sensitivity:high-sensitivity"
  CategorySet low, high;
};

Shape shape_of(const SecurityContext& c) {
  Shape s;
  s.prefix = c.user() + ":" + c.role() + ":" + c.type();
  if (c.range()) {
    s.prefix += ":" + std::to_string(c.range()->low.sensitivity) + ":" +
                std::to_string(c.range()->high.sensitivity);
    s.low = c.range()->low.categories;
    s.high = c.range()->high.categories;
  }
  return s;
}

// Which of the 16 membership patterns (in source low/high, target low/high)
// some category has: every set relation between the four levels follows
// from it, and nothing else about the categories matters.
uint32_t category_patterns(const Shape& s, const Shape& t) {
  uint32_t seen = 0;
  for (const CategorySet* set : {&s.low, &s.high, &t.low, &t.high}) {
    for (int c : set->to_vector()) {
      unsigned pattern = (s.low.contains(c) ? 1u : 0u) | (s.high.contains(c) ? 2u : 0u) |
                         (t.low.contains(c) ? 4u : 0u) | (t.high.contains(c) ? 8u : 0u);
      seen |= 1u << pattern;
    }
  }
  return seen;
}

struct ClassInfo {
  sepol_security_class_t value = 0;
  std::unordered_map<std::string, sepol_access_vector_t> perms;
};

Result<std::string> read_policy(const std::string& path) {
  internal::UniqueFd fd(::open(path.c_str(), O_RDONLY | O_CLOEXEC));
  if (!fd.valid())
    return make_error(errno == ENOENT ? ErrorCode::kNotFound : ErrorCode::kOperationFailed,
                      "policy '" + path + "'", errno);
  std::string data;
  char buf[1 << 16];
  for (;;) {
    ssize_t n = ::read(fd.get(), buf, sizeof buf);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return make_error(ErrorCode::kOperationFailed, "policy '" + path + "'", errno);
    if (n == 0) break;
    data.append(buf, static_cast<size_t>(n));
  }
  // Checked before libsepol sees it: a failed load has already thrown away
  // the policy loaded before (and libsepol leaks part of it).
  uint32_t magic = 0;
  if (data.size() >= sizeof magic) std::memcpy(&magic, data.data(), sizeof magic);
  if (le32toh(magic) != POLICYDB_MAGIC)
    return make_error(ErrorCode::kOperationFailed,
                      "policy '" + path + "': not a compiled SELinux policy");
  return data;
}

class SepolOracle final : public PolicyOracle {
 public:
  SepolOracle(std::string file, std::string image)
      : file_(std::move(file)), image_(std::make_shared<const std::string>(std::move(image))) {}

  std::string description() const override { return file_; }

  Result<void> load() {
    std::lock_guard<std::mutex> hold(g_sepol_mutex);
    return load_locked();
  }

  Result<void> validate_context(const std::string& context) override {
    std::lock_guard<std::mutex> hold(g_sepol_mutex);
    SVIRT_TRY(load_locked());
    auto sid = sid_locked(context);
    if (!sid) return std::move(sid).error();
    return ok();
  }

  Result<AccessDecision> check(const std::string& scon, const std::string& tcon,
                               const std::string& tclass,
                               const std::vector<std::string>& permissions) override {
    std::lock_guard<std::mutex> hold(g_sepol_mutex);
    SVIRT_TRY(load_locked());
    auto ssid = sid_locked(scon);
    if (!ssid) return std::move(ssid).error();
    auto tsid = sid_locked(tcon);
    if (!tsid) return std::move(tsid).error();
    std::string key = shape_key_locked(scon, tcon) + "|" + tclass;
    for (const std::string& p : permissions) key += "," + p;
    if (auto hit = answers_.find(key); hit != answers_.end()) return hit->second;
    auto cls = class_locked(tclass);
    if (!cls) return std::move(cls).error();
    std::vector<sepol_access_vector_t> bits;
    sepol_access_vector_t requested = 0;
    for (const std::string& p : permissions) {
      auto it = (*cls)->perms.find(p);
      if (it == (*cls)->perms.end()) {
        sepol_access_vector_t av = 0;
        if (sepol_string_to_av_perm((*cls)->value, p.c_str(), &av) != 0 || av == 0)
          return make_error(ErrorCode::kInvalidInput, "policy '" + file_ + "': class '" + tclass +
                                                          "' has no permission '" + p + "'");
        it = (*cls)->perms.emplace(p, av).first;
      }
      bits.push_back(it->second);
      requested |= it->second;
    }
    AccessDecision out;
    if (permissions.empty()) return out;
    struct sepol_av_decision avd {};
    unsigned reason = 0;
    if (sepol_compute_av_reason(*ssid, *tsid, (*cls)->value, requested, &avd, &reason) < 0)
      return make_error(ErrorCode::kOperationFailed,
                        "policy '" + file_ + "': cannot compute access of " + scon + " to " + tcon);
    // One call explains every refusal when a single mechanism refused; with
    // several, each refused permission is asked alone to name its own.
    bool mixed = (reason & (reason - 1)) != 0;
    for (size_t i = 0; i < permissions.size(); ++i) {
      PermissionDecision d;
      d.permission = permissions[i];
      d.allowed = (avd.allowed & bits[i]) == bits[i];
      if (!d.allowed) {
        d.denied_by = reason;
        if (mixed) {
          struct sepol_av_decision one {};
          unsigned why = 0;
          if (sepol_compute_av_reason(*ssid, *tsid, (*cls)->value, bits[i], &one, &why) == 0)
            d.denied_by = why;
        }
      }
      out.permissions.push_back(std::move(d));
    }
    answers_.emplace(std::move(key), out);
    return out;
  }

  std::optional<bool> type_has_attribute(const std::string& type,
                                         const std::string& attribute) override {
    std::lock_guard<std::mutex> hold(g_sepol_mutex);
    if (!types_read_) read_types_locked();
    auto t = type_attrs_.find(type);
    auto a = attr_values_.find(attribute);
    if (t == type_attrs_.end() || a == attr_values_.end()) return std::nullopt;
    return std::binary_search(t->second.begin(), t->second.end(), a->second);
  }

 private:
  Result<void> load_locked() {
    bool same =
        g_loaded_image != nullptr && (g_loaded_image == image_ || *g_loaded_image == *image_);
    if (!same) {
      g_loaded_image.reset();
      ++g_loads;
      sepol_debug(0);  // the library must not print; errors come back as Results
      // "r" never writes through the buffer.
      FILE* f = fmemopen(const_cast<char*>(image_->data()), image_->size(), "r");
      if (f == nullptr)
        return make_error(ErrorCode::kOperationFailed, "policy '" + file_ + "'", errno);
      int rc = sepol_set_policydb_from_file(f);
      std::fclose(f);
      if (rc != 0)
        return make_error(ErrorCode::kOperationFailed,
                          "policy '" + file_ + "': not a compiled policy libsepol can read");
      g_loaded_image = image_;
    }
    if (sids_load_ != g_loads) {
      sids_.clear();
      shapes_.clear();
      classes_.clear();
      sids_load_ = g_loads;
    }
    return ok();
  }

  // Also records the context's shape, which every valid context has.
  Result<sepol_security_id_t> sid_locked(const std::string& context) {
    auto it = sids_.find(context);
    if (it != sids_.end()) return it->second;
    auto parsed = SecurityContext::parse(context);
    if (!parsed)
      return make_error(ErrorCode::kInvalidInput, "'" + context + "' is not a security context");
    sepol_security_id_t sid = 0;
    if (sepol_context_to_sid(context.c_str(), context.size(), &sid) != 0)
      return make_error(ErrorCode::kNotFound,
                        "context '" + context + "' is not defined by policy '" + file_ + "'");
    sids_.emplace(context, sid);
    shapes_.emplace(context, shape_of(*parsed));
    return sid;
  }

  // Both contexts must have passed sid_locked().
  std::string shape_key_locked(const std::string& scon, const std::string& tcon) {
    const Shape& s = shapes_.at(scon);
    const Shape& t = shapes_.at(tcon);
    return s.prefix + "|" + t.prefix + "|" + std::to_string(category_patterns(s, t));
  }

  Result<ClassInfo*> class_locked(const std::string& name) {
    auto it = classes_.find(name);
    if (it != classes_.end()) return &it->second;
    ClassInfo info;
    if (sepol_string_to_security_class(name.c_str(), &info.value) != 0)
      return make_error(ErrorCode::kInvalidInput,
                        "policy '" + file_ + "' has no object class '" + name + "'");
    return &classes_.emplace(name, std::move(info)).first->second;
  }

  // Type-to-attribute data is not reachable through the service functions'
  // policy, so a second, private copy is read once and reduced to a table.
  void read_types_locked() {
    types_read_ = true;
    sepol_policydb_t* db = nullptr;
    sepol_policy_file_t* pf = nullptr;
    if (sepol_policydb_create(&db) != 0) return;
    if (sepol_policy_file_create(&pf) != 0) {
      sepol_policydb_free(db);
      return;
    }
    sepol_policy_file_set_mem(pf, const_cast<char*>(image_->data()), image_->size());
    if (sepol_policydb_read(db, pf) == 0) {
      const policydb_t& p = db->p;
      for (uint32_t i = 0; i < p.p_types.nprim; ++i) {
        const char* name = p.p_type_val_to_name[i];
        const type_datum_t* datum = p.type_val_to_struct[i];
        if (name == nullptr || datum == nullptr) continue;
        if (datum->flavor == TYPE_ATTRIB) {
          attr_values_.emplace(name, i);
          continue;
        }
        std::vector<uint32_t>& attrs = type_attrs_[name];
        if (p.type_attr_map == nullptr) continue;
        ebitmap_node_t* node = nullptr;
        unsigned int bit = 0;
        ebitmap_for_each_positive_bit(&p.type_attr_map[i], node, bit) {
          if (bit != i) attrs.push_back(bit);
        }
        std::sort(attrs.begin(), attrs.end());
      }
    }
    sepol_policy_file_free(pf);
    sepol_policydb_free(db);
  }

  std::string file_;
  // The policy as read at open: reloads see the same policy.
  std::shared_ptr<const std::string> image_;
  uint64_t sids_load_ = 0;  // the load sids_, shapes_ and classes_ belong to
  std::unordered_map<std::string, sepol_security_id_t> sids_;
  std::unordered_map<std::string, Shape> shapes_;  // of the contexts in sids_
  std::unordered_map<std::string, ClassInfo> classes_;
  // Decisions by shape key, class and permissions: they hold across reloads
  // of the same policy bytes.
  std::unordered_map<std::string, AccessDecision> answers_;
  bool types_read_ = false;
  std::unordered_map<std::string, std::vector<uint32_t>> type_attrs_;  // type -> attribute values
  std::unordered_map<std::string, uint32_t> attr_values_;
};

}  // namespace

Result<std::unique_ptr<PolicyOracle>> open_policy(const std::string& policy_file) {
  auto image = read_policy(policy_file);
  if (!image) return std::move(image).error();
  auto oracle = std::make_unique<SepolOracle>(policy_file, std::move(*image));
  SVIRT_TRY(oracle->load());
  return std::unique_ptr<PolicyOracle>(std::move(oracle));
}

}  // namespace svirt
