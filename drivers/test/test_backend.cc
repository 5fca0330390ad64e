// SPDX-License-Identifier: LGPL-2.1-or-later
#include "test/test_backend.h"

#include <glib.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <sys/xattr.h>
#include <unistd.h>

#include <cerrno>
#include <mutex>
#include <utility>
#include <vector>

#include "core/proc_list.h"
#include "core/safe_path.h"
#include "svirt/context.h"
#include "svirt/test_backend.h"
#include "test/label_store.h"

namespace svirt {

TestBackendRecorder::~TestBackendRecorder() = default;

TestBackendRecorder* test_backend_recorder(LabelBackend* backend) {
  return dynamic_cast<TestBackendRecorder*>(backend);
}

}  // namespace svirt

namespace svirt::internal {
namespace {

// cli.md's defaults for a key the config leaves out.
constexpr const char* kDefaultProcess = "system_u:system_r:virtd_t:s0-s0:c0.c1023";
constexpr const char* kDefaultDomain = "system_u:system_r:svirt_t:s0";
constexpr const char* kDefaultTcg = "system_u:system_r:svirt_tcg_t:s0";
constexpr const char* kDefaultImage = "system_u:object_r:svirt_image_t:s0";
constexpr const char* kDefaultContent = "system_u:object_r:virt_content_t:s0";

constexpr const char* kLabelEnv = "SVIRT_LABEL";
constexpr const char* kHostEnv = "SVIRT_TEST_HOST";

bool is_unsupported(int err) { return err == ENOTSUP || err == EOPNOTSUPP || err == EROFS; }

Error label_error(const std::string& what, const std::string& path, int err) {
  if (is_unsupported(err)) {
    return make_error(ErrorCode::kUnsupported,
                      "cannot " + what + " '" + path + "': no user extended attributes here", err);
  }
  return make_error(ErrorCode::kOperationFailed, "cannot " + what + " '" + path + "'", err);
}

class TestBackend final : public LabelBackend, public TestBackendRecorder {
 public:
  explicit TestBackend(const std::string& state_dir)
      : store_(state_dir + "/" + kTestLabelStoreFile),
        host_(state_dir),
        owner_pid_(::getpid()) {}

  std::string_view name() const override { return "test"; }
  SecurityModel model() const override { return SecurityModel{"selinux", "0"}; }
  // Pretends to be an enforcing host so that every error stays fatal in tests.
  EnforcingMode mode() const override { return EnforcingMode::kEnforcing; }

  Result<HostDefaults> defaults(const Config& config) const override {
    HostDefaults d;
    d.process_context = config.process_context.value_or(kDefaultProcess);
    d.domain_context = config.domain_context.value_or(kDefaultDomain);
    d.tcg_domain_context = config.tcg_domain_context.value_or(kDefaultTcg);
    d.image_context = config.image_context.value_or(kDefaultImage);
    d.content_context = config.content_context.value_or(kDefaultContent);
    return d;
  }

  Result<void> check_context(const std::string& context) const override {
    Result<SecurityContext> parsed = SecurityContext::parse(context);
    if (!parsed) return parsed.error();
    return ok();
  }

  Result<std::optional<std::string>> get_label(int fd, const std::string& path) override {
    Target t = target(fd, path);
    record("get_label " + t.path);
    if (t.err != 0) return label_error("read label of", path, t.err);
    if (!t.xattr) return store_.get(t.path);

    std::string proc = proc_fd_path(fd);
    std::string value(256, '\0');
    for (;;) {
      ssize_t n = ::getxattr(proc.c_str(), kTestLabelXattr, value.data(), value.size());
      if (n >= 0) {
        value.resize(n);
        return std::optional<std::string>(std::move(value));
      }
      if (errno == ENODATA) return std::optional<std::string>();
      if (errno != ERANGE) return label_error("read label of", path, errno);
      ssize_t need = ::getxattr(proc.c_str(), kTestLabelXattr, nullptr, 0);
      if (need < 0) {
        if (errno == ENODATA) return std::optional<std::string>();
        return label_error("read label of", path, errno);
      }
      value.resize(static_cast<size_t>(need) + 1);
    }
  }

  Result<void> set_label(int fd, const std::string& path, const std::string& label) override {
    Target t = target(fd, path);
    record("set_label " + t.path + " " + label);
    if (t.err != 0) return label_error("label", path, t.err);
    if (!t.xattr) return store_.set(t.path, label);
    if (::setxattr(proc_fd_path(fd).c_str(), kTestLabelXattr, label.data(), label.size(), 0) != 0) {
      return label_error("label", path, errno);
    }
    return ok();
  }

  Result<void> remove_label(int fd, const std::string& path) override {
    Target t = target(fd, path);
    record("remove_label " + t.path);
    if (t.err != 0) return label_error("remove label of", path, t.err);
    if (!t.xattr) return store_.remove(t.path);
    if (::removexattr(proc_fd_path(fd).c_str(), kTestLabelXattr) != 0 && errno != ENODATA) {
      return label_error("remove label of", path, errno);
    }
    return ok();
  }

  // A fake host has no file_contexts.
  Result<std::optional<std::string>> default_label(const std::string& path, mode_t) override {
    record("default_label " + path);
    return std::optional<std::string>();
  }

  // The exec'd program gets its label in its environment, where
  // process_label() finds it again.
  Result<ExecPlan> plan_exec_label(const std::string& label, bool) override {
    record("plan_exec_label " + label);
    ExecPlan plan;
    plan.env.push_back(std::string(kLabelEnv) + "=" + label);
    return plan;
  }

  Result<void> set_socket_label(const std::string& label) override {
    record("set_socket_label " + label);
    return ok();
  }

  Result<void> clear_socket_label() override {
    record("clear_socket_label");
    return ok();
  }

  Result<std::string> process_label(pid_t pid) override {
    record("process_label " + std::to_string(pid));
    return environment_value(pid, kLabelEnv);
  }

  // The VMs of this fake host: every process whose environment carries a
  // label and names this backend's state directory as its host
  // (SVIRT_TEST_HOST), so that tests running side by side, each on its own
  // state directory, do not see each other's VMs.
  // (VMs svirt itself started are in its registry and need not name it.)
  // No cgroup configured means no VM is looked for, as on a real host.
  Result<std::vector<RunningProcess>> running_processes(
      const std::vector<std::string>& vm_cgroups) override {
    record("running_processes");
    if (vm_cgroups.empty()) return std::vector<RunningProcess>{};
    auto pids = proc_pids();
    if (!pids) return std::move(pids).error();
    std::vector<RunningProcess> out;
    for (pid_t pid : *pids) {
      auto host = environment_value(pid, kHostEnv);
      if (!host || *host != host_) continue;
      if (auto label = environment_value(pid, kLabelEnv)) out.push_back(RunningProcess{pid, *label});
    }
    return out;
  }

  std::vector<std::string> calls() const override {
    std::lock_guard<std::mutex> lock(mu_);
    return calls_;
  }

  void clear() override {
    std::lock_guard<std::mutex> lock(mu_);
    calls_.clear();
  }

 private:
  static Result<std::string> environment_value(pid_t pid, const char* name) {
    std::string file = "/proc/" + std::to_string(pid) + "/environ";
    gchar* data = nullptr;
    gsize size = 0;
    GError* err = nullptr;
    if (!g_file_get_contents(file.c_str(), &data, &size, &err)) {
      bool gone = g_error_matches(err, G_FILE_ERROR, G_FILE_ERROR_NOENT);
      std::string msg = err->message;
      g_error_free(err);
      if (gone) return Error{ErrorCode::kNotFound, "no process " + std::to_string(pid), 0};
      return Error{ErrorCode::kOperationFailed,
                   "cannot read environment of process " + std::to_string(pid) + ": " + msg, 0};
    }
    std::string env(data, size);
    g_free(data);
    const std::string prefix = std::string(name) + "=";
    size_t pos = 0;
    while (pos < env.size()) {
      size_t end = env.find('\0', pos);
      if (end == std::string::npos) end = env.size();
      if (env.compare(pos, prefix.size(), prefix) == 0) {
        return env.substr(pos + prefix.size(), end - pos - prefix.size());
      }
      pos = end + 1;
    }
    return Error{ErrorCode::kNotFound,
                 "process " + std::to_string(pid) + " has no " + name + " in its environment",
                 0};
  }

  // Where a label of the file behind `fd` lives, and the file's real path.
  struct Target {
    std::string path;
    bool xattr = false;
    int err = 0;
  };

  // User xattrs exist only on regular files and directories; every other
  // kind keeps its label in the store, keyed by the resolved path.
  Target target(int fd, const std::string& path) const {
    Target t;
    Result<std::string> real = fd_path(fd);
    t.path = real ? *real : path;
    struct stat st {};
    if (::fstat(fd, &st) != 0) {
      t.err = errno;
      return t;
    }
    t.xattr = S_ISREG(st.st_mode) || S_ISDIR(st.st_mode);
    if (!t.xattr && !real) t.err = real.error().sys_errno ? real.error().sys_errno : EIO;
    return t;
  }

  // Every call is made in the process that owns the backend: none runs
  // between fork and exec, where the mutex could be held by a lost thread.
  void record(std::string call) {
    std::lock_guard<std::mutex> lock(mu_);
    calls_.push_back(std::move(call));
  }

  LabelStore store_;
  // The fake host's name: its state directory (see running_processes).
  const std::string host_;
  const pid_t owner_pid_;
  mutable std::mutex mu_;
  std::vector<std::string> calls_;
};

}  // namespace

std::unique_ptr<LabelBackend> make_test_backend(const std::string& state_dir) {
  return std::make_unique<TestBackend>(state_dir);
}

}  // namespace svirt::internal
