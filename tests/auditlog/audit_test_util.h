// SPDX-License-Identifier: LGPL-2.1-or-later
//
// Shared by the audit record tests: a sink that keeps what it is sent, a
// scratch directory for the test driver, and domain documents.
#pragma once

#include <cstdio>
#include <fstream>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "../common/xattr_dir.h"
#include "svirt/audit_log.h"
#include "svirt/manager.h"

namespace svirt::testing {

struct SentRecord {
  AuditRecordType type;
  std::string message;
  bool success;
};

class CapturingSink : public AuditSink {
 public:
  Result<void> send(AuditRecordType type, const std::string& message, bool success) override {
    std::lock_guard<std::mutex> hold(mu_);
    records_.push_back({type, message, success});
    if (fail_) return make_error(ErrorCode::kOperationFailed, "sink refuses records");
    return ok();
  }
  std::vector<SentRecord> take() {
    std::lock_guard<std::mutex> hold(mu_);
    return std::exchange(records_, {});
  }
  void set_fail(bool fail) {
    std::lock_guard<std::mutex> hold(mu_);
    fail_ = fail;
  }

 private:
  std::mutex mu_;
  std::vector<SentRecord> records_;
  bool fail_ = false;
};

// Upper-case hex of every byte, written out here rather than taken from the
// code under test.
inline std::string hex_of(const std::string& s) {
  std::string out;
  char b[3];
  for (unsigned char c : s) {
    std::snprintf(b, sizeof b, "%02X", c);
    out += b;
  }
  return out;
}

inline void write_file(const std::string& path) { std::ofstream(path) << "data"; }

inline std::string file_disk(const std::string& path, const std::string& dev) {
  return "<disk type='file' device='disk'><source file='" + path + "'/><target dev='" + dev +
         "'/></disk>";
}

inline std::string domain_xml(const std::string& name, const std::string& uuid,
                              const std::string& devices, const std::string& type = "kvm") {
  std::string u = uuid.empty() ? "" : "<uuid>" + uuid + "</uuid>";
  return "<domain type='" + type + "'><name>" + name + "</name>" + u + "<devices>" + devices +
         "</devices></domain>";
}

inline std::optional<DomainDef> parse_domain(const std::string& xml) {
  auto d = DomainDef::parse(xml);
  if (!d) {
    std::fprintf(stderr, "parse: %s\n", d.error().message.c_str());
    return std::nullopt;
  }
  return std::move(*d);
}

inline std::unique_ptr<SecurityManager> open_manager(const std::string& state,
                                                     std::shared_ptr<AuditSink> sink,
                                                     std::optional<Config> config = {}) {
  ManagerOptions o;
  o.driver = "test";
  o.state_dir = state;
  o.config = std::move(config);
  o.audit_sink = std::move(sink);
  auto m = SecurityManager::open(o);
  if (!m) {
    std::fprintf(stderr, "open: %s\n", m.error().message.c_str());
    return nullptr;
  }
  return std::move(*m);
}

inline bool has_warning(const std::vector<std::string>& warnings, const std::string& part) {
  for (const auto& w : warnings)
    if (w.find(part) != std::string::npos) return true;
  return false;
}

}  // namespace svirt::testing
