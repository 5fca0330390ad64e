// SPDX-License-Identifier: LGPL-2.1-or-later
//
// svirt audit [--policy FILE] [--domain NAME ...] [--json] [PATH ...]
//
// What each recorded domain could reach if its process were compromised,
// from the compiled policy and the labels files carry now. Exit status 3 when
// some domain can write outside its own set.
#include <glib.h>

#include <cstdio>
#include <cstring>

#include "cli.h"
#include "svirt/audit.h"

namespace svirt::cli {
namespace {

constexpr int kExitWritesOutside = 3;

struct AuditArgs {
  std::optional<std::string> policy;
  std::vector<std::string> domains;
  std::vector<std::string> paths;
  bool json = false;
};

Result<AuditArgs> parse_audit_args(const std::vector<std::string>& args) {
  gchar* policy = nullptr;
  gchar** domains = nullptr;
  gboolean json = FALSE;
  GOptionEntry entries[] = {
      {"policy", 0, 0, G_OPTION_ARG_FILENAME, &policy,
       "Compiled policy (default: the newest policy.N of the host's policy)", "FILE"},
      {"domain", 0, 0, G_OPTION_ARG_STRING_ARRAY, &domains,
       "Report on this domain (repeatable; default: every recorded domain)", "NAME"},
      {"json", 0, 0, G_OPTION_ARG_NONE, &json, "Machine-readable output (as the global --json)",
       nullptr},
      {nullptr, 0, 0, G_OPTION_ARG_NONE, nullptr, nullptr, nullptr}};
  GOptionContext* ctx = g_option_context_new("[PATH...]");
  g_option_context_set_summary(
      ctx,
      "What each recorded domain could reach if its process were compromised, computed "
      "from the compiled policy. PATHs are walked (default: every file svirt recorded and "
      "the directories holding them). Exit status 3: a domain can write outside its own "
      "set.");
  g_option_context_add_main_entries(ctx, entries, nullptr);

  std::vector<std::string> copies;
  copies.reserve(args.size() + 1);
  copies.emplace_back("svirt audit");
  for (const std::string& a : args) copies.push_back(a);
  std::vector<char*> argv;
  for (std::string& c : copies) argv.push_back(c.data());
  argv.push_back(nullptr);
  int argc = static_cast<int>(copies.size());
  char** av = argv.data();
  GError* err = nullptr;
  bool parsed = g_option_context_parse(ctx, &argc, &av, &err);
  g_option_context_free(ctx);
  AuditArgs out;
  if (!parsed) {
    std::string msg = std::string("audit: ") + err->message;
    g_error_free(err);
    g_free(policy);
    g_strfreev(domains);
    return make_error(ErrorCode::kInvalidInput, msg);
  }
  if (policy) out.policy = std::string(policy);
  for (gchar** d = domains; d != nullptr && *d != nullptr; ++d) out.domains.emplace_back(*d);
  out.json = json;
  g_free(policy);
  g_strfreev(domains);
  bool dashes_seen = false;
  for (int i = 1; i < argc; ++i) {
    if (!dashes_seen && std::strcmp(av[i], "--") == 0) {
      dashes_seen = true;
      continue;
    }
    out.paths.emplace_back(av[i]);
  }
  return out;
}

Json strings_json(const std::vector<std::string>& v) {
  Json arr = Json::array();
  for (const std::string& s : v) arr.push(s);
  return arr;
}

Json report_json(const AuditReport& r) {
  Json domains = Json::array();
  for (const DomainAudit& d : r.domains) {
    Json outside = Json::array();
    for (const AuditAccess& a : d.outside)
      outside.push(Json::object()
                       .set("path", a.path)
                       .set("label", a.label)
                       .set("class", a.tclass)
                       .set("permissions", strings_json(a.permissions))
                       .set("read", a.read)
                       .set("write", a.write)
                       .set("execute", a.execute)
                       .set("belongs_to", strings_json(a.belongs_to))
                       .set("cross_domain", a.cross_domain));
    domains.push(
        Json::object()
            .set("name", d.subject.name)
            .set("label", d.subject.process_label.empty() ? Json() : Json(d.subject.process_label))
            .set("imagelabel", d.subject.image_label.empty() ? Json() : Json(d.subject.image_label))
            .set("verdict", audit_verdict_name(d.verdict))
            .set("own", static_cast<long long>(d.own))
            .set("own_reachable", static_cast<long long>(d.own_reachable))
            .set("reads_outside", static_cast<long long>(d.reads_outside))
            .set("writes_outside", static_cast<long long>(d.writes_outside))
            .set("cross_domain", static_cast<long long>(d.cross_domain))
            .set("outside", outside));
  }
  Json findings = Json::array();
  for (const AuditFinding& f : r.findings)
    findings.push(Json::object()
                      .set("id", f.id)
                      .set("domain", f.domain.empty() ? Json() : Json(f.domain))
                      .set("path", f.path.empty() ? Json() : Json(f.path))
                      .set("message", f.message));
  return Json::object()
      .set("policy", r.policy)
      .set("objects", static_cast<long long>(r.objects))
      .set("unlabelled", static_cast<long long>(r.unlabelled))
      .set("labels", static_cast<long long>(r.labels))
      .set("queries", static_cast<long long>(r.queries))
      .set("domains", domains)
      .set("findings", findings)
      .set("warnings", strings_json(r.warnings))
      .set("writes_outside_own", r.writes_outside_own());
}

std::string access_verbs(const AuditAccess& a) {
  std::string s;
  if (a.read) s += "r";
  if (a.write) s += "w";
  if (a.execute) s += "x";
  return s;
}

void print_report(const AuditReport& r) {
  std::printf(
      "policy:  %s\nobjects: %zu (%zu unlabelled), %zu distinct labels, %zu policy "
      "queries\n\n",
      printable(r.policy).c_str(), r.objects, r.unlabelled, r.labels, r.queries);
  std::printf("%-20s %-14s %9s %8s %9s %6s  %s\n", "DOMAIN", "VERDICT", "OWN", "READ-OUT",
              "WRITE-OUT", "CROSS", "LABEL");
  for (const DomainAudit& d : r.domains) {
    std::string own = std::to_string(d.own_reachable) + "/" + std::to_string(d.own);
    std::printf("%-20s %-14s %9s %8zu %9zu %6zu  %s\n", printable(d.subject.name).c_str(),
                audit_verdict_name(d.verdict), own.c_str(), d.reads_outside, d.writes_outside,
                d.cross_domain,
                d.subject.process_label.empty() ? "-" : printable(d.subject.process_label).c_str());
  }
  for (const DomainAudit& d : r.domains) {
    if (d.outside.empty()) continue;
    std::printf("\n%s can reach outside its own set:\n", printable(d.subject.name).c_str());
    for (const AuditAccess& a : d.outside) {
      std::string owners;
      for (const std::string& b : a.belongs_to) owners += (owners.empty() ? "" : ",") + b;
      std::printf("  %-3s %s  %s%s%s\n", access_verbs(a).c_str(), printable(a.path).c_str(),
                  printable(a.label).c_str(), owners.empty() ? "" : "  belongs to ",
                  printable(owners).c_str());
    }
  }
  if (!r.findings.empty()) {
    std::printf("\nfindings:\n");
    for (const AuditFinding& f : r.findings)
      std::printf("  %-23s %s\n", f.id.c_str(), printable(f.message).c_str());
  }
  std::printf("\n%s\n", r.writes_outside_own()
                            ? "verdict: a domain can write outside its own set"
                            : "verdict: no domain can write outside its own set");
}

}  // namespace

CommandResult cmd_audit(const Options& o, const std::vector<std::string>& args) {
  auto parsed = parse_audit_args(args);
  if (!parsed) return Failure{parsed.error(), 1};
  bool json = o.json || parsed->json;
  // Read-only: no recovery on open, so auditing never restores or releases.
  auto m = open_manager(o, /*recover=*/false);
  if (!m) return fail(m.error());
  AuditOptions opts;
  opts.policy_file = parsed->policy;
  opts.domains = parsed->domains;
  opts.paths = parsed->paths;
  debug(o, "audit: " + std::to_string(opts.paths.size()) + " path(s), " +
               std::to_string(opts.domains.size()) + " domain(s) named");
  auto report = audit_manager(**m, opts);
  if (!report) {
    if (json && !o.json) {  // main() prints the JSON error only for the global flag
      print_json(Json::object().set("error", Json::object()
                                                 .set("code", error_code_name(report.error().code))
                                                 .set("exit", exit_status_for(report.error().code))
                                                 .set("message", report.error().message)));
    }
    return fail(report.error());
  }
  print_warnings(report->warnings);
  if (json)
    print_json(report_json(*report));
  else
    print_report(*report);
  return report->writes_outside_own() ? kExitWritesOutside : 0;
}

}  // namespace svirt::cli
