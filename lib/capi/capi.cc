// SPDX-License-Identifier: LGPL-2.1-or-later
//
// The C API (svirt/svirt.h) over SecurityManager. Each entry point converts
// its arguments, calls the C++ core and turns Result errors into svirt_error;
// a C caller cannot catch C++ exceptions, so every entry point also catches
// them (in practice std::bad_alloc) and reports them as errors.
#include "svirt/svirt.h"

#include <sys/stat.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <exception>
#include <memory>
#include <new>
#include <string>
#include <utility>
#include <vector>

#include "svirt/domain.h"
#include "svirt/manager.h"
#include "svirt/migration.h"
#include "svirt/result.h"

struct svirt_manager {
  std::unique_ptr<svirt::SecurityManager> mgr;
};

struct svirt_domain {
  svirt::DomainDef def;
};

struct svirt_error {
  int code;
  std::string message;
};

struct svirt_exec_plan {
  svirt::ExecPlan plan;
  std::vector<const char*> env;  // plan.env as a NULL-terminated array
};

namespace svirt::internal {
namespace {

// The C values are fixed by the header; the C++ enum may be reordered.
int c_code(ErrorCode code) {
  switch (code) {
    case ErrorCode::kInvalidInput: return SVIRT_ERR_INVALID_INPUT;
    case ErrorCode::kOperationFailed: return SVIRT_ERR_OPERATION_FAILED;
    case ErrorCode::kConflict: return SVIRT_ERR_CONFLICT;
    case ErrorCode::kExhausted: return SVIRT_ERR_EXHAUSTED;
    case ErrorCode::kNotFound: return SVIRT_ERR_NOT_FOUND;
    case ErrorCode::kUnsupported: return SVIRT_ERR_UNSUPPORTED;
  }
  return SVIRT_ERR_OPERATION_FAILED;
}

int fail(svirt_error** err, int code, std::string message) noexcept {
  if (err != nullptr) {
    try {
      *err = new svirt_error{code, std::move(message)};
    } catch (...) {
      *err = nullptr;  // out of memory: the -1 still says it failed
    }
  }
  return -1;
}

int fail(svirt_error** err, const Error& e) noexcept {
  try {
    return fail(err, c_code(e.code), e.message);
  } catch (...) {
    return fail(err, SVIRT_ERR_OPERATION_FAILED, {});
  }
}

int fail_null(svirt_error** err, const char* function, const char* argument) noexcept {
  try {
    return fail(err, SVIRT_ERR_INVALID_INPUT,
                std::string(function) + ": " + argument + " is NULL");
  } catch (...) {
    return fail(err, SVIRT_ERR_INVALID_INPUT, {});
  }
}

int fail_exception(svirt_error** err) noexcept {
  try {
    throw;
  } catch (const std::bad_alloc&) {
    return fail(err, SVIRT_ERR_OPERATION_FAILED, "out of memory");
  } catch (const std::exception& e) {
    return fail(err, SVIRT_ERR_OPERATION_FAILED, e.what());
  } catch (...) {
    return fail(err, SVIRT_ERR_OPERATION_FAILED, "unexpected internal error");
  }
}

// malloc'd copy for svirt_free(); throws bad_alloc like the rest of the C++ side.
char* dup(const std::string& s) {
  char* p = static_cast<char*>(std::malloc(s.size() + 1));
  if (p == nullptr) throw std::bad_alloc();
  std::memcpy(p, s.c_str(), s.size() + 1);
  return p;
}

// Strings are built first and handed out together, so a failure part-way
// leaves every out-parameter untouched (the header's promise).
struct OutStrings {
  std::vector<std::pair<char**, char*>> items;
  void add(char** out, const std::string& value) {
    if (out == nullptr) return;
    items.reserve(items.size() + 1);
    items.emplace_back(out, dup(value));
  }
  void commit() {
    for (auto& [out, value] : items) *out = value;
    items.clear();
  }
  ~OutStrings() {
    for (auto& item : items) std::free(item.second);
  }
};

// The NULL-terminated malloc'd array for svirt_strv_free(), built whole
// before it is handed out.
class OutStrv {
 public:
  OutStrv(char*** out, const std::vector<std::string>& values) : out_(out) {
    if (out == nullptr) return;
    strv_ = static_cast<char**>(std::calloc(values.size() + 1, sizeof(char*)));
    if (strv_ == nullptr) throw std::bad_alloc();
    for (size_t i = 0; i < values.size(); ++i) {
      try {
        strv_[i] = dup(values[i]);
      } catch (...) {
        svirt_strv_free(std::exchange(strv_, nullptr));
        throw;
      }
    }
  }
  OutStrv(const OutStrv&) = delete;
  OutStrv& operator=(const OutStrv&) = delete;
  ~OutStrv() { svirt_strv_free(strv_); }
  void commit() {
    if (out_ != nullptr) *out_ = std::exchange(strv_, nullptr);
  }

 private:
  char*** out_;
  char** strv_ = nullptr;
};

// The C list of shared trees (NULL-terminated; NULL for none). Relative
// entries are refused rather than resolved against the working directory,
// which in a daemon is rarely what the caller meant.
int shared_storage(const char* function, const char* const* paths, SharedStorage* shared,
                   svirt_error** err) {
  for (const char* const* p = paths; p != nullptr && *p != nullptr; ++p) {
    if ((*p)[0] != '/')
      return fail(err, SVIRT_ERR_INVALID_INPUT,
                  std::string(function) + ": shared path '" + *p + "' is not absolute");
    shared->paths.emplace_back(*p);
  }
  return 0;
}

int prepared(const Result<PreparedDomain>& p, char** live_xml_out, char** label_out,
             char** imagelabel_out, char*** warnings_out, svirt_error** err) {
  if (!p) return fail(err, p.error());
  OutStrings out;
  out.add(live_xml_out, p->live.format(FormatMode::kLive));
  out.add(label_out, p->label.label);
  out.add(imagelabel_out, p->label.imagelabel);
  OutStrv warnings(warnings_out, p->warnings);
  out.commit();
  warnings.commit();
  return 0;
}

int released(const Result<ReleaseReport>& r, char*** warnings_out, svirt_error** err) {
  if (!r) return fail(err, r.error());
  if (!r->restore.ok()) return fail(err, r->restore.summary());
  OutStrv(warnings_out, r->warnings).commit();
  return 0;
}

int parse(Result<DomainDef> def, svirt_domain** out, svirt_error** err) {
  if (!def) return fail(err, def.error());
  *out = new svirt_domain{std::move(*def)};
  return 0;
}

}  // namespace
}  // namespace svirt::internal

using namespace svirt::internal;  // NOLINT: the C entry points live outside any namespace

extern "C" {

int svirt_manager_open(const char* driver, const char* config_file, const char* state_dir,
                       svirt_manager** out, svirt_error** err) {
  if (out == nullptr) return fail_null(err, "svirt_manager_open", "out");
  try {
    svirt::ManagerOptions options;
    if (driver != nullptr) options.driver = driver;
    if (config_file != nullptr) options.config_file = config_file;
    if (state_dir != nullptr) options.state_dir = state_dir;
    auto m = svirt::SecurityManager::open(options);
    if (!m) return fail(err, m.error());
    *out = new svirt_manager{std::move(*m)};
    return 0;
  } catch (...) {
    return fail_exception(err);
  }
}

void svirt_manager_free(svirt_manager* mgr) { delete mgr; }

int svirt_domain_parse_file(const char* path, svirt_domain** out, svirt_error** err) {
  if (path == nullptr) return fail_null(err, "svirt_domain_parse_file", "path");
  if (out == nullptr) return fail_null(err, "svirt_domain_parse_file", "out");
  try {
    return parse(svirt::DomainDef::parse_file(path), out, err);
  } catch (...) {
    return fail_exception(err);
  }
}

int svirt_domain_parse_string(const char* xml, svirt_domain** out, svirt_error** err) {
  if (xml == nullptr) return fail_null(err, "svirt_domain_parse_string", "xml");
  if (out == nullptr) return fail_null(err, "svirt_domain_parse_string", "out");
  try {
    return parse(svirt::DomainDef::parse(xml), out, err);
  } catch (...) {
    return fail_exception(err);
  }
}

const char* svirt_domain_name(const svirt_domain* dom) {
  return dom == nullptr ? nullptr : dom->def.name.c_str();
}

void svirt_domain_free(svirt_domain* dom) { delete dom; }

int svirt_prepare(svirt_manager* mgr, const svirt_domain* dom, char** live_xml_out,
                  char** label_out, char** imagelabel_out, char*** warnings_out,
                  svirt_error** err) {
  if (mgr == nullptr) return fail_null(err, "svirt_prepare", "mgr");
  if (dom == nullptr) return fail_null(err, "svirt_prepare", "dom");
  try {
    return prepared(mgr->mgr->prepare(dom->def), live_xml_out, label_out, imagelabel_out,
                    warnings_out, err);
  } catch (...) {
    return fail_exception(err);
  }
}

int svirt_prepare_incoming(svirt_manager* mgr, const svirt_domain* dom,
                           const char* const shared_paths[], char** live_xml_out, char** label_out,
                           char** imagelabel_out, char*** warnings_out, svirt_error** err) {
  if (mgr == nullptr) return fail_null(err, "svirt_prepare_incoming", "mgr");
  if (dom == nullptr) return fail_null(err, "svirt_prepare_incoming", "dom");
  try {
    svirt::PrepareOptions options;
    options.incoming = true;
    if (shared_storage("svirt_prepare_incoming", shared_paths, &options.shared, err) < 0) return -1;
    return prepared(mgr->mgr->prepare(dom->def, options), live_xml_out, label_out, imagelabel_out,
                    warnings_out, err);
  } catch (...) {
    return fail_exception(err);
  }
}

int svirt_release(svirt_manager* mgr, const char* name, char*** warnings_out,
                  svirt_error** err) {
  if (mgr == nullptr) return fail_null(err, "svirt_release", "mgr");
  if (name == nullptr) return fail_null(err, "svirt_release", "name");
  try {
    return released(mgr->mgr->release(name), warnings_out, err);
  } catch (...) {
    return fail_exception(err);
  }
}

int svirt_release_migrated(svirt_manager* mgr, const char* name, const char* const shared_paths[],
                           char*** warnings_out, svirt_error** err) {
  if (mgr == nullptr) return fail_null(err, "svirt_release_migrated", "mgr");
  if (name == nullptr) return fail_null(err, "svirt_release_migrated", "name");
  try {
    svirt::ReleaseOptions options;
    options.migrated = true;
    if (shared_storage("svirt_release_migrated", shared_paths, &options.shared, err) < 0) return -1;
    return released(mgr->mgr->release(name, options), warnings_out, err);
  } catch (...) {
    return fail_exception(err);
  }
}

int svirt_launch(svirt_manager* mgr, const char* name, const char* const argv[],
                 pid_t* pid_out, svirt_error** err) {
  if (mgr == nullptr) return fail_null(err, "svirt_launch", "mgr");
  if (name == nullptr) return fail_null(err, "svirt_launch", "name");
  if (argv == nullptr || argv[0] == nullptr) return fail_null(err, "svirt_launch", "argv[0]");
  try {
    std::vector<std::string> args;
    for (const char* const* a = argv; *a != nullptr; ++a) args.emplace_back(*a);
    auto pid = mgr->mgr->launch(name, args, std::vector<std::string>{});
    if (!pid) return fail(err, pid.error());
    if (pid_out != nullptr) *pid_out = *pid;
    return 0;
  } catch (...) {
    return fail_exception(err);
  }
}

int svirt_exec_plan_new(svirt_manager* mgr, const char* name, svirt_exec_plan** out,
                        svirt_error** err) {
  if (mgr == nullptr) return fail_null(err, "svirt_exec_plan_new", "mgr");
  if (name == nullptr) return fail_null(err, "svirt_exec_plan_new", "name");
  if (out == nullptr) return fail_null(err, "svirt_exec_plan_new", "out");
  try {
    auto plan = mgr->mgr->exec_plan(name);
    if (!plan) return fail(err, plan.error());
    auto p = std::make_unique<svirt_exec_plan>();
    p->plan = std::move(*plan);
    for (const std::string& kv : p->plan.env) p->env.push_back(kv.c_str());
    p->env.push_back(nullptr);
    *out = p.release();
    return 0;
  } catch (...) {
    return fail_exception(err);
  }
}

int svirt_exec_plan_enter(const svirt_exec_plan* plan) {
  if (plan == nullptr) {
    errno = EINVAL;
    return -1;
  }
  int e = plan->plan.enter();
  if (e == 0) return 0;
  errno = e;
  return -1;
}

const char* const* svirt_exec_plan_env(const svirt_exec_plan* plan) {
  static const char* const kNone[] = {nullptr};
  return plan == nullptr ? kNone : plan->env.data();
}

void svirt_exec_plan_free(svirt_exec_plan* plan) { delete plan; }

int svirt_mark_running(svirt_manager* mgr, const char* name, pid_t pid, svirt_error** err) {
  if (mgr == nullptr) return fail_null(err, "svirt_mark_running", "mgr");
  if (name == nullptr) return fail_null(err, "svirt_mark_running", "name");
  try {
    auto r = mgr->mgr->mark_running(name, pid);
    if (!r) return fail(err, r.error());
    return 0;
  } catch (...) {
    return fail_exception(err);
  }
}

int svirt_dominfo(svirt_manager* mgr, const char* name, char** label, int* enforcing,
                  svirt_error** err) {
  if (mgr == nullptr) return fail_null(err, "svirt_dominfo", "mgr");
  if (name == nullptr) return fail_null(err, "svirt_dominfo", "name");
  try {
    auto l = mgr->mgr->process_label(name);
    if (!l) return fail(err, l.error());
    OutStrings out;
    out.add(label, l->label);
    out.commit();
    if (enforcing != nullptr) *enforcing = l->mode == svirt::EnforcingMode::kEnforcing ? 1 : 0;
    return 0;
  } catch (...) {
    return fail_exception(err);
  }
}

int svirt_save_label(svirt_manager* mgr, const char* name, const char* path, char** label_out,
                     char*** warnings_out, svirt_error** err) {
  if (mgr == nullptr) return fail_null(err, "svirt_save_label", "mgr");
  if (name == nullptr) return fail_null(err, "svirt_save_label", "name");
  if (path == nullptr) return fail_null(err, "svirt_save_label", "path");
  try {
    auto a = mgr->mgr->save_label(name, path);
    if (!a) return fail(err, a.error());
    OutStrings out;
    out.add(label_out, a->items.empty() ? std::string()
                                        : a->items.front().resource.label.value_or(""));
    OutStrv warnings(warnings_out, a->warnings);
    out.commit();
    warnings.commit();
    return 0;
  } catch (...) {
    return fail_exception(err);
  }
}

int svirt_restore_save_label(svirt_manager* mgr, const char* name, const char* path,
                             char*** warnings_out, svirt_error** err) {
  if (mgr == nullptr) return fail_null(err, "svirt_restore_save_label", "mgr");
  if (name == nullptr) return fail_null(err, "svirt_restore_save_label", "name");
  if (path == nullptr) return fail_null(err, "svirt_restore_save_label", "path");
  try {
    auto r = mgr->mgr->restore_save_label(name, path);
    if (!r) return fail(err, r.error());
    if (!r->ok()) return fail(err, r->summary());
    if (!r->items.empty()) {
      OutStrv(warnings_out, r->warnings).commit();
      return 0;
    }
    // Nothing given back: right for a domain whose files are never
    // relabelled, a wrong path otherwise (the core reports it as nothing to do).
    auto s = mgr->mgr->status(name);
    if (!s) return fail(err, s.error());
    if (s->label.imagelabel.empty()) {
      OutStrv(warnings_out, r->warnings).commit();
      return 0;
    }
    struct stat st {};
    bool exists = ::lstat(path, &st) == 0;
    return fail(err, SVIRT_ERR_NOT_FOUND,
                std::string("save file '") + path + "': " +
                    (exists ? std::string("not labelled for domain '") + name + "'"
                            : std::string("no such file")));
  } catch (...) {
    return fail_exception(err);
  }
}

int svirt_forget(svirt_manager* mgr, const char* name, const char* const* paths,
                 char*** warnings_out, svirt_error** err) {
  if (mgr == nullptr) return fail_null(err, "svirt_forget", "mgr");
  if (name == nullptr) return fail_null(err, "svirt_forget", "name");
  if (paths == nullptr) return fail_null(err, "svirt_forget", "paths");
  try {
    std::vector<std::string> list;
    for (const char* const* p = paths; *p != nullptr; ++p) list.emplace_back(*p);
    auto r = mgr->mgr->forget(name, list);
    if (!r) return fail(err, r.error());
    if (!r->ok()) return fail(err, r->summary());
    OutStrv(warnings_out, r->warnings).commit();
    return 0;
  } catch (...) {
    return fail_exception(err);
  }
}

int svirt_recover(svirt_manager* mgr, char*** warnings_out, svirt_error** err) {
  if (mgr == nullptr) return fail_null(err, "svirt_recover", "mgr");
  try {
    auto r = mgr->mgr->recover();
    if (!r) return fail(err, r.error());
    if (!r->errors.empty()) {
      svirt::Error first = r->errors.front();
      if (r->errors.size() > 1)
        first.message += " (and " + std::to_string(r->errors.size() - 1) + " more)";
      return fail(err, first);
    }
    OutStrv(warnings_out, r->warnings).commit();
    return 0;
  } catch (...) {
    return fail_exception(err);
  }
}

int svirt_model(svirt_manager* mgr, char** model, char** doi) {
  if (mgr == nullptr) return -1;
  try {
    svirt::SecurityModel m = mgr->mgr->model();
    OutStrings out;
    out.add(model, m.model);
    out.add(doi, m.doi);
    out.commit();
    return 0;
  } catch (...) {
    return -1;
  }
}

const char* svirt_error_message(const svirt_error* err) {
  return err == nullptr ? "no error information" : err->message.c_str();
}

int svirt_error_code(const svirt_error* err) {
  return err == nullptr ? SVIRT_ERR_OPERATION_FAILED : err->code;
}

void svirt_error_free(svirt_error* err) { delete err; }

void svirt_free(void* ptr) { std::free(ptr); }

void svirt_strv_free(char** strv) {
  if (strv == nullptr) return;
  for (char** s = strv; *s != nullptr; ++s) std::free(*s);
  std::free(strv);
}

}  // extern "C"
