// SPDX-License-Identifier: LGPL-2.1-or-later
//
// A minimal JSON writer for the command's --json output: one document,
// built as a tree and serialized once, so output is never half-written.
#pragma once

#include <map>
#include <memory>
#include <optional>
#include <string>
#include <variant>
#include <vector>

namespace svirt::cli {

class Json {
 public:
  using Object = std::vector<std::pair<std::string, Json>>;  // keeps key order
  using Array = std::vector<Json>;

  Json() : v_(nullptr) {}
  Json(std::nullptr_t) : v_(nullptr) {}
  Json(bool b) : v_(b) {}
  Json(int i) : v_(static_cast<long long>(i)) {}
  Json(long i) : v_(static_cast<long long>(i)) {}
  Json(long long i) : v_(i) {}
  Json(const char* s) : v_(std::string(s)) {}
  Json(std::string s) : v_(std::move(s)) {}
  Json(const std::optional<std::string>& s) : v_(nullptr) {
    if (s) v_ = *s;
  }
  static Json object() { Json j; j.v_ = Object{}; return j; }
  static Json array() { Json j; j.v_ = Array{}; return j; }

  // Object: appends key (keys are written in insertion order).
  Json& set(std::string key, Json value);
  // Array: appends.
  Json& push(Json value);

  std::string dump() const;

 private:
  void write(std::string& out) const;
  std::variant<std::nullptr_t, bool, long long, std::string, Object, Array> v_;
};

}  // namespace svirt::cli
