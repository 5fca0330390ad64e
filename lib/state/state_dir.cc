// SPDX-License-Identifier: LGPL-2.1-or-later
#include "state/state_dir.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <glib.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cstring>
#include <fstream>
#include <memory>
#include <sstream>

#include "core/durable_file.h"
#include "state/files_journal.h"
#include "state/keyfile.h"
#include "state/label_bytes.h"

namespace svirt::internal {
namespace {

constexpr const char* kDomains = "domains";

Error state_error(const std::string& dir, const std::string& what, int err) {
  std::string msg = "state directory '" + dir + "': " + what;
  // Said in words a user acts on, instead of strerror's.
  if (err == ENOSPC || err == EDQUOT)
    return Error{ErrorCode::kOperationFailed, msg + ": the filesystem is full", err};
  if (err == EROFS)
    return Error{ErrorCode::kOperationFailed, msg + ": the filesystem is read-only", err};
  return make_error(ErrorCode::kOperationFailed, msg, err);
}

}  // namespace

std::string FileIdentity::format() const {
  return std::to_string(dev) + ":" + std::to_string(ino);
}

Result<FileIdentity> FileIdentity::parse(const std::string& text) {
  FileIdentity id;
  size_t colon = text.find(':');
  auto number = [](const std::string& s, uint64_t& out) {
    if (s.empty() || s.size() > 20) return false;
    for (char c : s)
      if (c < '0' || c > '9') return false;
    out = g_ascii_strtoull(s.c_str(), nullptr, 10);
    return true;
  };
  if (colon == std::string::npos || !number(text.substr(0, colon), id.dev) ||
      !number(text.substr(colon + 1), id.ino))
    return make_error(ErrorCode::kInvalidInput, "identity '" + text + "' is not DEV:INO");
  return id;
}

size_t records_held_by(const FileTable& files, const std::string& name) {
  size_t n = 0;
  for (const auto& [path, rec] : files)
    if (std::find(rec.users.begin(), rec.users.end(), name) != rec.users.end()) ++n;
  return n;
}

FileRecord* find_record(FileTable& files, const FileIdentity& id, const std::string& path) {
  if (id.known()) {
    for (auto& [key, rec] : files)
      if (rec.identity == id) return &rec;
  }
  auto it = files.find(path);
  if (it != files.end() && !it->second.identity.known()) return &it->second;
  return nullptr;
}

StateDir::StateDir(std::string dir)
    : dir_(std::move(dir)), files_(std::make_shared<FilesJournal>(dir_)) {}

Result<StateDir> StateDir::open(const std::string& dir) {
  if (dir.empty() || dir[0] != '/')
    return make_error(ErrorCode::kInvalidInput,
                      "state directory '" + dir + "': path is not absolute");
  if (g_mkdir_with_parents(dir.c_str(), 0700) != 0) return state_error(dir, "cannot create", errno);
  std::string domains = dir + "/" + kDomains;
  if (mkdir(domains.c_str(), 0700) != 0 && errno != EEXIST)
    return state_error(dir, "cannot create domains/", errno);
  if (access(dir.c_str(), W_OK) != 0) return state_error(dir, "not writable", errno);
  return StateDir(dir);
}

Result<StateLock> StateDir::lock() const {
  std::string p = dir_ + "/lock";
  UniqueFd fd(::open(p.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0600));
  if (!fd.valid()) return state_error(dir_, "cannot open lock file", errno);
  while (flock(fd.get(), LOCK_EX) != 0) {
    if (errno != EINTR) return state_error(dir_, "cannot take lock", errno);
  }
  return StateLock(std::move(fd));
}

Result<void> StateDir::write_atomic(const std::string& name, const std::string& content,
                                    bool durable) const {
  std::string path = dir_ + "/" + name;
  auto r = durable ? write_file_durably(path, content) : write_file_atomically(path, content);
  if (!r) return state_error(dir_, r.error().message + " " + name, r.error().sys_errno);
  return ok();
}

Result<std::optional<std::string>> StateDir::read(const std::string& name) const {
  std::string p = dir_ + "/" + name;
  gchar* data = nullptr;
  gsize len = 0;
  GError* err = nullptr;
  if (!g_file_get_contents(p.c_str(), &data, &len, &err)) {
    bool missing = g_error_matches(err, G_FILE_ERROR, G_FILE_ERROR_NOENT);
    std::string msg = err->message;
    g_error_free(err);
    if (missing) return std::optional<std::string>{};
    return make_error(ErrorCode::kOperationFailed, "state directory '" + dir_ + "': " + msg);
  }
  std::string s(data, len);
  g_free(data);
  return std::optional<std::string>{std::move(s)};
}

Result<FileTable> StateDir::load_files() const { return files_->load(); }

Result<void> StateDir::save_files(const FileTable& files) const { return files_->save(files); }

static std::string domain_file(const std::string& name) {
  return std::string(kDomains) + "/" + name + ".state";
}

static Result<DomainRecord> parse_domain(const std::string& text, const std::string& origin) {
  KeyFile k;
  SVIRT_TRY(parse_keyfile(k, text, origin));
  DomainRecord r;
  r.name = get_string(k.kf, "domain", "name");
  r.state = get_string(k.kf, "domain", "state");
  r.live_xml = get_string(k.kf, "domain", "live_xml");
  r.pid = static_cast<pid_t>(g_key_file_get_int64(k.kf, "domain", "pid", nullptr));
  r.start_time = g_key_file_get_uint64(k.kf, "domain", "start_time", nullptr);
  r.boot_id = get_string(k.kf, "domain", "boot_id");
  r.files = g_key_file_get_uint64(k.kf, "domain", "files", nullptr);
  if (r.name.empty())
    return make_error(ErrorCode::kOperationFailed, origin + " is corrupt: no name");
  // Every record is written whole, with all of these: one without is cut short.
  if (r.state != "preparing" && r.state != "prepared" && r.state != "running")
    return make_error(ErrorCode::kOperationFailed, origin + " is corrupt: no valid state");
  if (r.live_xml.empty())
    return make_error(ErrorCode::kOperationFailed, origin + " is corrupt: no live_xml");
  return r;
}

Result<std::optional<DomainRecord>> StateDir::read_domain(const std::string& name) const {
  auto text = read(domain_file(name));
  if (!text) return std::move(text).error();
  if (!text->has_value()) return std::optional<DomainRecord>{};
  auto rec = parse_domain(**text, dir_ + "/" + domain_file(name));
  if (rec && rec->name != name)
    rec = make_error(
        ErrorCode::kOperationFailed,
        dir_ + "/" + domain_file(name) + " is corrupt: it names domain '" + rec->name + "'");
  if (!rec) {
    // Cut short by a crash of the host: the domain is gone with that boot.
    if (written_before_boot(dir_ + "/" + domain_file(name))) return std::optional<DomainRecord>{};
    return std::move(rec).error();
  }
  return std::optional<DomainRecord>{std::move(*rec)};
}

Result<std::vector<DomainRecord>> StateDir::list_domains(std::vector<DamagedDomain>* damaged) const {
  std::string d = dir_ + "/" + kDomains;
  std::unique_ptr<DIR, int (*)(DIR*)> dir(opendir(d.c_str()), closedir);
  if (!dir) return state_error(dir_, "cannot list domains", errno);
  std::vector<DomainRecord> out;
  while (dirent* e = readdir(dir.get())) {
    std::string n = e->d_name;
    const std::string suffix = ".state";
    if (n.size() <= suffix.size() ||
        n.compare(n.size() - suffix.size(), suffix.size(), suffix) != 0)
      continue;
    std::string name = n.substr(0, n.size() - suffix.size());
    auto rec = read_domain(name);
    if (!rec) {
      if (damaged == nullptr) return std::move(rec).error();
      damaged->push_back(DamagedDomain{name, std::move(rec).error()});
      continue;
    }
    if (rec->has_value()) out.push_back(std::move(**rec));
  }
  std::sort(out.begin(), out.end(),
            [](const DomainRecord& a, const DomainRecord& b) { return a.name < b.name; });
  return out;
}

Result<void> StateDir::write_domain(const DomainRecord& r) const {
  KeyFile k;
  g_key_file_set_string(k.kf, "domain", "name", r.name.c_str());
  g_key_file_set_string(k.kf, "domain", "state", r.state.c_str());
  g_key_file_set_int64(k.kf, "domain", "pid", r.pid);
  g_key_file_set_uint64(k.kf, "domain", "start_time", r.start_time);
  g_key_file_set_string(k.kf, "domain", "boot_id", r.boot_id.c_str());
  if (r.files != 0) g_key_file_set_uint64(k.kf, "domain", "files", r.files);
  g_key_file_set_string(k.kf, "domain", "live_xml", r.live_xml.c_str());
  return write_atomic(domain_file(r.name), keyfile_text(k), /*durable=*/false);
}

Result<std::string> StateDir::set_aside(const std::string& name) const {
  std::string to = name + ".damaged-" + std::to_string(g_get_real_time() / G_USEC_PER_SEC);
  if (::rename((dir_ + "/" + name).c_str(), (dir_ + "/" + to).c_str()) != 0)
    return state_error(dir_, "cannot move " + name + " aside", errno);
  return to;
}

Result<void> StateDir::remove_domain(const std::string& name) const {
  std::string p = dir_ + "/" + domain_file(name);
  if (unlink(p.c_str()) != 0 && errno != ENOENT)
    return state_error(dir_, "cannot remove " + domain_file(name), errno);
  return ok();
}

std::string current_boot_id() {
  // Fixed for the life of the process: read once (thread-safe static init).
  static const std::string id = [] {
    std::ifstream f("/proc/sys/kernel/random/boot_id");
    std::string line;
    std::getline(f, line);
    return line;
  }();
  return id;
}

std::optional<uint64_t> process_start_time(pid_t pid, bool include_zombie) {
  if (pid <= 0) return std::nullopt;
  std::ifstream f("/proc/" + std::to_string(pid) + "/stat");
  std::string line;
  if (!std::getline(f, line)) return std::nullopt;
  // comm may contain spaces and parentheses: fields resume after the last ')'.
  size_t close = line.rfind(')');
  if (close == std::string::npos) return std::nullopt;
  std::istringstream rest(line.substr(close + 2));
  std::string state;
  rest >> state;
  if (state == "X" || (state == "Z" && !include_zombie)) return std::nullopt;
  std::string field;
  // Fields 4..21 then 22 = starttime; we consumed field 3 (state).
  for (int i = 4; i <= 21; ++i) rest >> field;
  uint64_t start = 0;
  if (!(rest >> start)) return std::nullopt;
  return start;
}

bool record_alive(const DomainRecord& rec) {
  if (rec.pid <= 0) return false;
  if (!rec.boot_id.empty() && rec.boot_id != current_boot_id()) return false;
  auto st = process_start_time(rec.pid);
  return st.has_value() && *st == rec.start_time;
}

}  // namespace svirt::internal
