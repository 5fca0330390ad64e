// SPDX-License-Identifier: LGPL-2.1-or-later
//
// Data-driven domain XML tests: every tests/data/xml/NAME.xml has either
// NAME.out.xml, the expected normalized inactive output, or NAME.err, a
// substring the parse error must contain.

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "svirt/domain.h"

// cmocka last: its macros (fail, ...) clash with <ios> names; 1.1.5 has no
// C linkage guards of its own.
// clang-format off
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
extern "C" {
#include <cmocka.h>
}
// clang-format on

namespace {

namespace fs = std::filesystem;

struct Case {
  std::string name;
  fs::path input;
  fs::path expected_out;  // empty when an error is expected
  fs::path expected_err;
};

std::string read_all(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  std::ostringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

std::string first_line(const std::string& s) {
  std::string line = s.substr(0, s.find('\n'));
  return line;
}

void run_case(void** state) {
  const Case& c = *static_cast<const Case*>(*state);
  const std::string xml = read_all(c.input);
  svirt::Result<svirt::DomainDef> def = svirt::DomainDef::parse(xml);
  if (!c.expected_err.empty()) {
    const std::string want = first_line(read_all(c.expected_err));
    if (def)
      fail_msg("%s: parsed, expected an error containing \"%s\"", c.name.c_str(), want.c_str());
    const svirt::Error& err = def.error();
    assert_int_equal(static_cast<int>(err.code), static_cast<int>(svirt::ErrorCode::kInvalidInput));
    if (err.message.find(want) == std::string::npos) {
      fail_msg("%s: error \"%s\" does not contain \"%s\"", c.name.c_str(), err.message.c_str(),
               want.c_str());
    }
    if (err.message.find('\n') != std::string::npos) {
      fail_msg("%s: error message spans several lines", c.name.c_str());
    }
    // parse_file reports the same rule.
    svirt::Result<svirt::DomainDef> from_file = svirt::DomainDef::parse_file(c.input.string());
    assert_false(from_file.ok());
    assert_non_null(strstr(from_file.error().message.c_str(), want.c_str()));
    return;
  }
  if (!def) fail_msg("%s: %s", c.name.c_str(), def.error().message.c_str());
  const std::string want = read_all(c.expected_out);
  const std::string got = def->format(svirt::FormatMode::kInactive);
  if (got != want) {
    fail_msg("%s: output differs\n--- expected\n%s--- got\n%s", c.name.c_str(), want.c_str(),
             got.c_str());
  }
  // The expected output is itself a fixed point of parse + format.
  svirt::Result<svirt::DomainDef> again = svirt::DomainDef::parse(got);
  if (!again)
    fail_msg("%s: output does not parse: %s", c.name.c_str(), again.error().message.c_str());
  assert_string_equal(again->format(svirt::FormatMode::kInactive).c_str(), got.c_str());
}

std::vector<Case> collect_cases(const fs::path& dir) {
  std::vector<Case> cases;
  for (const fs::directory_entry& e : fs::directory_iterator(dir)) {
    const std::string file = e.path().filename().string();
    const std::string suffix = ".xml";
    if (file.size() <= suffix.size() || file.ends_with(".out.xml") || !file.ends_with(suffix)) {
      continue;
    }
    Case c;
    c.name = file.substr(0, file.size() - suffix.size());
    c.input = e.path();
    fs::path out = dir / (c.name + ".out.xml");
    fs::path err = dir / (c.name + ".err");
    if (fs::exists(out)) c.expected_out = out;
    if (fs::exists(err)) c.expected_err = err;
    cases.push_back(std::move(c));
  }
  std::sort(cases.begin(), cases.end(),
            [](const Case& a, const Case& b) { return a.name < b.name; });
  return cases;
}

}  // namespace

int main() {
  const char* root = std::getenv("SVIRT_SOURCE_ROOT");
  if (root == nullptr) {
    std::fprintf(stderr, "SVIRT_SOURCE_ROOT is not set\n");
    return 1;
  }
  const fs::path dir = fs::path(root) / "tests" / "data" / "xml";
  std::vector<Case> cases = collect_cases(dir);
  int bad = 0;
  for (const Case& c : cases) {
    if (c.expected_out.empty() == c.expected_err.empty()) {
      std::fprintf(stderr, "%s: needs exactly one of .out.xml and .err\n", c.name.c_str());
      ++bad;
    }
  }
  if (bad != 0 || cases.size() < 40) {
    std::fprintf(stderr, "test data in %s is incomplete (%zu cases)\n", dir.c_str(), cases.size());
    return 1;
  }
  std::vector<CMUnitTest> tests;
  for (Case& c : cases) {
    CMUnitTest t{};
    t.name = c.name.c_str();
    t.test_func = run_case;
    t.initial_state = &c;
    tests.push_back(t);
  }
  return _cmocka_run_group_tests("domain_xml", tests.data(), tests.size(), nullptr, nullptr);
}
