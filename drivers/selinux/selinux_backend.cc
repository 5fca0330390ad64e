// SPDX-License-Identifier: LGPL-2.1-or-later
#include "selinux/selinux_backend.h"

#include <sys/stat.h>

#include <selinux/label.h>
#include <selinux/selinux.h>
#include <sys/statfs.h>
#include <sys/xattr.h>

#include <cerrno>
#include <mutex>
#include <utility>

#include "core/safe_path.h"
#include "svirt/context.h"

namespace svirt::internal {
namespace {

// statfs(2) f_type of NFS; hard-coded so no kernel header is needed.
constexpr long kNfsSuperMagic = 0x6969;

bool is_unsupported(int err) { return err == ENOTSUP || err == EOPNOTSUPP || err == EROFS; }

// Where the kernel keeps a file's SELinux label.
constexpr const char* kXattr = "security.selinux";

// Owns a context string libselinux allocated.
class Con {
 public:
  Con() = default;
  ~Con() { freecon(c_); }
  Con(const Con&) = delete;
  Con& operator=(const Con&) = delete;
  char** out() { return &c_; }
  std::string str() const { return c_ ? std::string(c_) : std::string(); }

 private:
  char* c_ = nullptr;
};

EnforcingMode mode_of(int enforce) {
  switch (enforce) {
    case 1:
      return EnforcingMode::kEnforcing;
    case 0:
      return EnforcingMode::kPermissive;
    default:
      return EnforcingMode::kDisabled;
  }
}

// The host's state, asked afresh each time. Not through the kernel's status
// page (selinux_status_open(3)): Debian's reference policy lets neither
// virtd_t map /sys/fs/selinux/status nor create the netlink socket
// libselinux falls back to, and every VM start would log two denials.
// Reading /sys/fs/selinux/enforce costs one small read per decision. What
// a policy load changes for svirt is the file contexts it looks defaults up
// in, so their file's identity and time stand for the policy's generation.
// SELinux cannot be enabled at run time: a host found without it stays so.
class KernelStatus final : public HostStatus {
 public:
  explicit KernelStatus(std::string file_contexts)
      : enabled_(is_selinux_enabled() == 1), file_contexts_(std::move(file_contexts)) {}

  EnforcingMode mode() override {
    if (!enabled_) return EnforcingMode::kDisabled;
    return mode_of(security_getenforce());
  }

  uint64_t policy_generation() override {
    const char* path =
        file_contexts_.empty() ? selinux_file_context_path() : file_contexts_.c_str();
    struct stat st {};
    if (path == nullptr || ::stat(path, &st) != 0) return 0;
    uint64_t g = static_cast<uint64_t>(st.st_dev) * 1000003u ^ static_cast<uint64_t>(st.st_ino);
    g = g * 1000003u ^ static_cast<uint64_t>(st.st_mtim.tv_sec);
    g = g * 1000003u ^ static_cast<uint64_t>(st.st_mtim.tv_nsec);
    return g * 1000003u ^ static_cast<uint64_t>(st.st_size);
  }

 private:
  const bool enabled_;
  const std::string file_contexts_;
};

class SelinuxBackend final : public LabelBackend {
 public:
  explicit SelinuxBackend(SelinuxBackendOptions options)
      : options_(std::move(options)),
        status_(options_.status ? options_.status
                                : std::make_shared<KernelStatus>(
                                      options_.file_contexts_file.value_or(""))) {}

  ~SelinuxBackend() override {
    if (labels_ != nullptr) selabel_close(labels_);
  }

  std::string_view name() const override { return "selinux"; }
  SecurityModel model() const override { return SecurityModel{"selinux", "0"}; }
  // Read afresh on every call: a daemon outlives setenforce.
  EnforcingMode mode() const override { return status_->mode(); }

  Result<HostDefaults> defaults(const Config& config) const override {
    HostDefaults d;
    if (config.process_context) {
      d.process_context = *config.process_context;
    } else {
      if (mode() == EnforcingMode::kDisabled) {
        return Error{ErrorCode::kUnsupported,
                     "SELinux is disabled: no process context to derive labels from; set "
                     "process_context in [selinux]",
                     0};
      }
      Con con;
      if (getcon_raw(con.out()) < 0) {
        return make_error(ErrorCode::kOperationFailed, "cannot read own SELinux context", errno);
      }
      d.process_context = con.str();
    }

    if (!config.domain_context || !config.tcg_domain_context) {
      std::string file =
          options_.domain_context_file.value_or(selinux_virtual_domain_context_path());
      Result<std::vector<std::string>> lines = read_context_lines(file);
      if (!lines && !config.domain_context) {
        return lines.error().wrap("no domain_context in config");
      }
      if (lines && lines->empty() && !config.domain_context) {
        return Error{ErrorCode::kInvalidInput,
                     "no domain_context in config and '" + file + "' names no context", 0};
      }
      // The TCG line is optional (Debian's policy has none): a file that
      // cannot be read only costs it.
      if (lines && lines->size() > 1) d.tcg_domain_context = (*lines)[1];
      if (!config.domain_context) d.domain_context = lines->front();
    }
    if (config.domain_context) d.domain_context = *config.domain_context;
    if (config.tcg_domain_context) d.tcg_domain_context = *config.tcg_domain_context;

    if (!config.image_context || !config.content_context) {
      std::string file = options_.image_context_file.value_or(selinux_virtual_image_context_path());
      Result<std::vector<std::string>> lines = read_context_lines(file);
      if (!lines) {
        return lines.error().wrap(!config.image_context ? "no image_context in config"
                                                        : "no content_context in config");
      }
      if (!config.image_context) {
        if (lines->empty()) {
          return Error{ErrorCode::kInvalidInput,
                       "no image_context in config and '" + file + "' names no context", 0};
        }
        d.image_context = lines->front();
      }
      if (!config.content_context) {
        if (lines->size() < 2) {
          return Error{ErrorCode::kInvalidInput,
                       "no content_context in config and '" + file +
                           "' has no second line (read-only content context)",
                       0};
        }
        d.content_context = (*lines)[1];
      }
    }
    if (config.image_context) d.image_context = *config.image_context;
    if (config.content_context) d.content_context = *config.content_context;
    return d;
  }

  Result<void> check_context(const std::string& context) const override {
    Result<SecurityContext> parsed = SecurityContext::parse(context);
    if (!parsed) return parsed.error();
    if (mode() != EnforcingMode::kDisabled && security_check_context_raw(context.c_str()) < 0) {
      return make_error(ErrorCode::kInvalidInput,
                        "context '" + context + "' is not valid in the loaded policy", errno);
    }
    return ok();
  }

  bool same_label(const std::string& a, const std::string& b) const override {
    if (a == b) return true;
    if (mode() == EnforcingMode::kDisabled) return false;
    auto canonical = [](const std::string& c) -> std::optional<std::string> {
      char* out = nullptr;
      if (security_canonicalize_context_raw(c.c_str(), &out) < 0) return std::nullopt;
      std::string s = out;
      freecon(out);
      return s;
    };
    auto ca = canonical(a), cb = canonical(b);
    return ca && cb && *ca == *cb;
  }

  // The attribute's bytes as stored, trailing NUL and all: getfilecon_raw
  // would cut them at the first NUL, and a restore must write back what was
  // there. getxattr, not lgetxattr: the proc link must be followed to the
  // file, or we would read the link's own label.
  Result<std::optional<std::string>> get_label(int fd, const std::string& path) override {
    std::string proc = proc_fd_path(fd);
    std::string value(256, '\0');
    for (;;) {
      ssize_t n = ::getxattr(proc.c_str(), kXattr, value.data(), value.size());
      if (n >= 0) {
        value.resize(static_cast<size_t>(n));
        return std::optional<std::string>(std::move(value));
      }
      int err = errno;
      if (err == ERANGE) {
        ssize_t need = ::getxattr(proc.c_str(), kXattr, nullptr, 0);
        if (need >= 0) {
          value.resize(static_cast<size_t>(need) + 1);  // one more: it may grow meanwhile
          continue;
        }
        err = errno;
      }
      if (err == ENODATA) return std::optional<std::string>();
      if (is_unsupported(err)) {
        return make_error(ErrorCode::kUnsupported,
                          "cannot read label of '" + path + "': no SELinux labels here", err);
      }
      return make_error(ErrorCode::kOperationFailed, "cannot read label of '" + path + "'", err);
    }
  }

  // Writes `label`'s bytes as they are (setfilecon_raw would add a NUL): an
  // original goes back exactly as get_label read it. The kernel takes a
  // context with or without its trailing NUL.
  Result<void> set_label(int fd, const std::string& path, const std::string& label) override {
    if (::setxattr(proc_fd_path(fd).c_str(), kXattr, label.data(), label.size(), 0) == 0)
      return ok();
    int err = errno;
    if (!is_unsupported(err)) {
      return make_error(ErrorCode::kOperationFailed,
                        "cannot set label '" + label + "' on '" + path + "'", err);
    }
    std::string msg = "cannot set label '" + label + "' on '" + path + "'";
    struct statfs fs {};
    if (err != EROFS && ::fstatfs(fd, &fs) == 0 && fs.f_type == kNfsSuperMagic) {
      msg +=
          ": NFS does not store SELinux labels; to let VMs use NFS files, turn on the "
          "virt_use_nfs boolean instead";
      return Error{ErrorCode::kUnsupported, msg, err};
    }
    return make_error(ErrorCode::kUnsupported, msg, err);
  }

  Result<std::optional<std::string>> default_label(const std::string& path, mode_t mode) override {
    Con con;
    int rc;
    int err;
    {
      std::lock_guard<std::mutex> lock(labels_mu_);
      // A policy load may bring new file contexts: the handle opened for the
      // previous policy is replaced, in a long-running process too.
      uint64_t generation = status_->policy_generation();
      if (!labels_opened_ || generation != labels_generation_) {
        open_labels();
        labels_opened_ = true;
        labels_generation_ = generation;
      }
      if (labels_ == nullptr)
        return make_error(ErrorCode::kUnsupported, "cannot open file_contexts", labels_errno_);
      rc = selabel_lookup_raw(labels_, con.out(), path.c_str(), static_cast<int>(mode));
      err = errno;
    }
    if (rc < 0) {
      if (err == ENOENT) return std::optional<std::string>();
      return make_error(ErrorCode::kOperationFailed,
                        "cannot look up default label of '" + path + "'", err);
    }
    return std::optional<std::string>(con.str());
  }

  // What setexeccon_raw() does, as a plan for the child: the context and its
  // NUL written to the calling thread's exec attribute. The child of fork()
  // has one thread, so "thread-self" is the process itself.
  Result<ExecPlan> plan_exec_label(const std::string& label, bool required) override {
    if (mode() == EnforcingMode::kDisabled)
      return enter_error("cannot run the next program under '" + label + "'", ENOTSUP);
    ExecPlan plan;
    std::string value = label;
    value.push_back('\0');
    plan.writes.push_back(ExecPlan::AttrWrite{"/proc/thread-self/attr/exec", std::move(value),
                                              required});
    return plan;
  }

  Result<void> set_socket_label(const std::string& label) override {
    if (setsockcreatecon_raw(label.c_str()) == 0) return ok();
    return enter_error("cannot label new sockets '" + label + "'", errno);
  }

  Result<void> clear_socket_label() override {
    // Nothing can have been set on a host without SELinux.
    if (mode() == EnforcingMode::kDisabled) return ok();
    if (setsockcreatecon_raw(nullptr) == 0) return ok();
    return enter_error("cannot reset the socket label", errno);
  }

  Result<std::string> process_label(pid_t pid) override {
    Con con;
    if (getpidcon_raw(pid, con.out()) == 0) return con.str();
    int err = errno;
    if (err == ESRCH || err == ENOENT) {
      return Error{ErrorCode::kNotFound, "no process " + std::to_string(pid), err};
    }
    return enter_error("cannot read the context of process " + std::to_string(pid), err);
  }

 private:
  // Called with labels_mu_ held.
  void open_labels() {
    if (labels_ != nullptr) selabel_close(labels_);
    std::string file = options_.file_contexts_file.value_or("");
    selinux_opt opt{SELABEL_OPT_PATH, file.c_str()};
    errno = 0;
    labels_ = selabel_open(SELABEL_CTX_FILE, file.empty() ? nullptr : &opt, file.empty() ? 0 : 1);
    labels_errno_ = labels_ == nullptr ? (errno != 0 ? errno : ENOENT) : 0;
  }

  // Entering a label needs a running SELinux; say so rather than the errno
  // the proc attribute files give on other hosts.
  Error enter_error(const std::string& what, int err) const {
    if (mode() == EnforcingMode::kDisabled) {
      return Error{ErrorCode::kUnsupported, what + ": SELinux is disabled", err};
    }
    return make_error(ErrorCode::kOperationFailed, what, err);
  }

  const SelinuxBackendOptions options_;
  const std::shared_ptr<HostStatus> status_;
  bool labels_opened_ = false;
  uint64_t labels_generation_ = 0;
  std::mutex labels_mu_;
  selabel_handle* labels_ = nullptr;
  int labels_errno_ = 0;
};

}  // namespace

std::unique_ptr<LabelBackend> make_selinux_backend(SelinuxBackendOptions options) {
  return std::make_unique<SelinuxBackend>(std::move(options));
}

}  // namespace svirt::internal
