// SPDX-License-Identifier: LGPL-2.1-or-later
#include "state/files_journal.h"

#include <errno.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstring>

#include "core/durable_file.h"
#include "core/fault.h"
#include "core/unique_fd.h"
#include "state/crc32c.h"
#include "state/keyfile.h"
#include "state/label_bytes.h"

namespace svirt::internal {
namespace {

constexpr char kMagic[8] = {'S', 'V', 'I', 'R', 'T', 'F', 'J', '1'};
constexpr size_t kFrame = 8;                  // length + checksum
constexpr uint32_t kMaxPayload = 256u << 20;  // far above any real table
constexpr uint64_t kCompactFloor = 64 * 1024;

Error journal_error(const std::string& path, const std::string& what, int err = 0) {
  std::string msg = "'" + path + "': " + what;
  if (err == ENOSPC || err == EDQUOT)
    return Error{ErrorCode::kOperationFailed, msg + ": the filesystem is full", err};
  if (err == EROFS)
    return Error{ErrorCode::kOperationFailed, msg + ": the filesystem is read-only", err};
  return make_error(ErrorCode::kOperationFailed, msg, err);
}

void put_u32(std::string& out, uint32_t v) {
  for (int i = 0; i < 4; ++i) out.push_back(static_cast<char>((v >> (8 * i)) & 0xff));
}
uint32_t get_u32(const unsigned char* p) {
  return uint32_t(p[0]) | uint32_t(p[1]) << 8 | uint32_t(p[2]) << 16 | uint32_t(p[3]) << 24;
}

std::string frame(const std::string& payload) {
  std::string out;
  out.reserve(kFrame + payload.size());
  put_u32(out, static_cast<uint32_t>(payload.size()));
  put_u32(out, crc32c(payload.data(), payload.size()));
  out += payload;
  return out;
}

void set_record_group(GKeyFile* kf, const std::string& g, const FileRecord& r) {
  set_key_bytes(kf, g.c_str(), "path", r.path);
  if (r.identity.known())
    g_key_file_set_string(kf, g.c_str(), "identity", r.identity.format().c_str());
  for (size_t a = 0; a < r.aliases.size(); ++a)
    set_key_bytes(kf, g.c_str(), "alias" + std::to_string(a), r.aliases[a]);
  // The exact bytes: a restore writes back what the file held.
  if (r.original) set_key_bytes(kf, g.c_str(), "original", *r.original);
  g_key_file_set_string(kf, g.c_str(), "label", r.label.c_str());
  if (!r.kind.empty()) g_key_file_set_string(kf, g.c_str(), "kind", r.kind.c_str());
  std::vector<const gchar*> users;
  for (const std::string& u : r.users) users.push_back(u.c_str());
  g_key_file_set_string_list(kf, g.c_str(), "users", users.data(), users.size());
}

Result<FileRecord> parse_record_group(GKeyFile* kf, const char* g) {
  FileRecord r;
  // Paths are bytes too: a disk named in Latin-1 must keep its record.
  auto path = get_key_bytes(kf, g, "path");
  if (!path) return std::move(path).error();
  r.path = path->value_or("");
  auto original = get_key_bytes(kf, g, "original");
  if (!original) return std::move(original).error();
  r.original = std::move(*original);
  std::string id = get_string(kf, g, "identity");
  if (!id.empty()) {
    auto parsed = FileIdentity::parse(id);
    if (!parsed) return std::move(parsed).error();
    r.identity = *parsed;
  }
  for (size_t a = 0;; ++a) {
    auto alias = get_key_bytes(kf, g, "alias" + std::to_string(a));
    if (!alias) return std::move(alias).error();
    if (!alias->has_value()) break;
    r.aliases.push_back(std::move(**alias));
  }
  r.label = get_string(kf, g, "label");
  r.kind = get_string(kf, g, "kind");
  gsize nu = 0;
  gchar** users = g_key_file_get_string_list(kf, g, "users", &nu, nullptr);
  for (gsize u = 0; u < nu; ++u) r.users.emplace_back(users[u]);
  g_strfreev(users);
  return r;
}

struct Groups {
  gchar** names = nullptr;
  gsize n = 0;
  ~Groups() { g_strfreev(names); }
};

}  // namespace

std::string encode_file_changes(const FileTable& before, const FileTable& after) {
  KeyFile k;
  size_t i = 0;
  for (const auto& [path, rec] : before) {
    if (after.count(path) != 0) continue;
    std::string g = "del " + std::to_string(i++);
    set_key_bytes(k.kf, g.c_str(), "path", path);
  }
  for (const auto& [path, rec] : after) {
    auto was = before.find(path);
    if (was != before.end() && was->second == rec) continue;
    set_record_group(k.kf, "put " + std::to_string(i++), rec);
  }
  return i == 0 ? std::string() : keyfile_text(k);
}

Result<void> apply_file_changes(const std::string& payload, FileTable& table,
                                const std::string& origin) {
  KeyFile k;
  SVIRT_TRY(parse_keyfile(k, payload, origin));
  Groups gs;
  gs.names = g_key_file_get_groups(k.kf, &gs.n);
  for (gsize i = 0; i < gs.n; ++i) {
    const char* g = gs.names[i];
    if (std::strncmp(g, "del ", 4) == 0) {
      auto path = get_key_bytes(k.kf, g, "path");
      if (!path || !path->has_value())
        return make_error(ErrorCode::kOperationFailed,
                          origin + " is corrupt: a deletion without a path");
      table.erase(**path);
    } else if (std::strncmp(g, "put ", 4) == 0) {
      auto rec = parse_record_group(k.kf, g);
      if (!rec)
        return make_error(ErrorCode::kOperationFailed,
                          origin + " is corrupt: " + rec.error().message);
      if (!rec->path.empty()) table[rec->path] = std::move(*rec);
    } else {
      return make_error(ErrorCode::kOperationFailed,
                        origin + " is corrupt: unknown group [" + std::string(g) + "]");
    }
  }
  return ok();
}

Result<FileTable> parse_legacy_files(const std::string& text, const std::string& origin) {
  KeyFile k;
  SVIRT_TRY(parse_keyfile(k, text, origin));
  FileTable table;
  Groups gs;
  gs.names = g_key_file_get_groups(k.kf, &gs.n);
  for (gsize i = 0; i < gs.n; ++i) {
    auto rec = parse_record_group(k.kf, gs.names[i]);
    if (!rec)
      return make_error(ErrorCode::kOperationFailed,
                        origin + " is corrupt: " + rec.error().message);
    if (!rec->path.empty()) table.emplace(rec->path, std::move(*rec));
  }
  return table;
}

FilesJournal::Stats FilesJournal::stats() const {
  std::lock_guard<std::mutex> g(mu_);
  return stats_;
}

Result<void> FilesJournal::replay_locked(int fd, uint64_t from, uint64_t size) {
  std::string data(size - from, '\0');
  size_t got = 0;
  while (got < data.size()) {
    ssize_t n = ::pread(fd, data.data() + got, data.size() - got, static_cast<off_t>(from + got));
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return journal_error(path(), "cannot read", errno);
    if (n == 0) break;
    got += static_cast<size_t>(n);
  }
  data.resize(got);
  size_t off = 0;
  if (from == 0) {
    if (data.size() < sizeof kMagic) {  // created, then cut before its magic was durable
      end_ = 0;
      return ok();
    }
    if (std::memcmp(data.data(), kMagic, sizeof kMagic) != 0)
      return journal_error(path(), "is not a svirt files journal (bad magic)");
    off = sizeof kMagic;
  }
  while (off < data.size()) {
    const auto* p = reinterpret_cast<const unsigned char*>(data.data() + off);
    size_t left = data.size() - off;
    if (left < kFrame) break;  // a torn frame: the tail a crash left
    uint32_t len = get_u32(p), crc = get_u32(p + 4);
    if (len > kMaxPayload || len > left - kFrame) break;  // torn: the tail
    std::string payload(data.data() + off + kFrame, len);
    if (crc32c(payload.data(), payload.size()) != crc) {
      if (off + kFrame + len == data.size()) break;  // the last record, torn
      return journal_error(path(), "record at offset " + std::to_string(from + off) +
                                       " fails its checksum and is not the last: the journal is "
                                       "damaged; keep a copy of it before anything else");
    }
    SVIRT_TRY(apply_file_changes(payload, table_,
                                 "'" + path() + "' at offset " + std::to_string(from + off)));
    off += kFrame + len;
  }
  end_ = from + off;
  return ok();
}

Result<void> FilesJournal::convert_legacy_locked() {
  const std::string legacy = dir_ + "/" + kLegacyName;
  gchar* data = nullptr;
  gsize len = 0;
  GError* err = nullptr;
  if (!g_file_get_contents(legacy.c_str(), &data, &len, &err)) {
    bool missing = g_error_matches(err, G_FILE_ERROR, G_FILE_ERROR_NOENT);
    std::string msg = err->message;
    g_error_free(err);
    if (missing) return ok();
    return journal_error(legacy, msg);
  }
  std::string text(data, len);
  g_free(data);
  auto table = parse_legacy_files(text, legacy);
  if (!table) return std::move(table).error();
  std::string content(kMagic, sizeof kMagic);
  std::string payload = encode_file_changes({}, *table);
  if (!payload.empty()) content += frame(payload);
  auto w = write_file_durably(path(), content);
  if (!w) return journal_error(path(), w.error().message, w.error().sys_errno);
  // The journal holds everything now; a crash before this unlink leaves both,
  // and the journal wins (files.db is then removed on the next open).
  ::unlink(legacy.c_str());
  sync_parent_dir(legacy);
  return ok();
}

Result<void> FilesJournal::refresh_locked() {
  UniqueFd fd(::open(path().c_str(), O_RDONLY | O_CLOEXEC | O_NOFOLLOW));
  if (!fd.valid() && errno == ENOENT) {
    SVIRT_TRY(convert_legacy_locked());
    fd = UniqueFd(::open(path().c_str(), O_RDONLY | O_CLOEXEC | O_NOFOLLOW));
  }
  if (!fd.valid()) {
    if (errno != ENOENT) return journal_error(path(), "cannot open", errno);
    cached_ = true;
    dev_ = ino_ = 0;
    end_ = live_bytes_ = 0;
    table_.clear();
    return ok();
  }
  // A files.db left by a conversion a crash interrupted is stale.
  ::unlink((dir_ + "/" + kLegacyName).c_str());
  struct stat st {};
  if (::fstat(fd.get(), &st) != 0) return journal_error(path(), "cannot stat", errno);
  uint64_t size = static_cast<uint64_t>(st.st_size);
  bool same = cached_ && dev_ == st.st_dev && ino_ == st.st_ino && size >= end_ && end_ > 0;
  if (!same) {
    table_.clear();
    end_ = 0;
  }
  dev_ = st.st_dev;
  ino_ = st.st_ino;
  auto r = replay_locked(fd.get(), same ? end_ : 0, size);
  if (!r) {
    cached_ = false;
    table_.clear();
    return r;
  }
  if (!same) live_bytes_ = encode_file_changes({}, table_).size();
  cached_ = true;
  return ok();
}

Result<FileTable> FilesJournal::load() {
  std::lock_guard<std::mutex> g(mu_);
  SVIRT_TRY(refresh_locked());
  return table_;
}

Result<void> FilesJournal::compact_locked() {
  std::string content(kMagic, sizeof kMagic);
  std::string payload = encode_file_changes({}, table_);
  if (!payload.empty()) content += frame(payload);
  fault_point("journal:compacting");
  auto w = write_file_durably(path(), content);
  if (!w) return journal_error(path(), w.error().message, w.error().sys_errno);
  struct stat st {};
  if (::stat(path().c_str(), &st) == 0) {
    dev_ = st.st_dev;
    ino_ = st.st_ino;
  }
  end_ = content.size();
  live_bytes_ = payload.size();
  ++stats_.compactions;
  return ok();
}

Result<void> FilesJournal::save(const FileTable& table) {
  std::lock_guard<std::mutex> g(mu_);
  SVIRT_TRY(refresh_locked());
  std::string payload = encode_file_changes(table_, table);
  if (payload.empty()) return ok();
  bool created = false;
  UniqueFd fd(::open(path().c_str(), O_WRONLY | O_CLOEXEC | O_NOFOLLOW));
  if (!fd.valid() && errno == ENOENT) {
    fd = UniqueFd(
        ::open(path().c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, 0600));
    created = fd.valid();
  }
  if (!fd.valid()) return journal_error(path(), "cannot open for writing", errno);
  std::string bytes = frame(payload);
  if (created || end_ == 0) {
    bytes.insert(0, kMagic, sizeof kMagic);
    end_ = 0;
  }
  // Whatever follows the last whole record is a torn tail: the new record
  // takes its place.
  if (::ftruncate(fd.get(), static_cast<off_t>(end_)) != 0)
    return journal_error(path(), "cannot truncate a torn tail", errno);
  const char* p = bytes.data();
  size_t left = bytes.size();
  uint64_t at = end_;
  while (left > 0) {
    ssize_t n = ::pwrite(fd.get(), p, left, static_cast<off_t>(at));
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) {
      int e = errno;
      (void)::ftruncate(fd.get(), static_cast<off_t>(end_));
      return journal_error(path(), "cannot append", e);
    }
    p += n;
    at += static_cast<uint64_t>(n);
    left -= static_cast<size_t>(n);
  }
  ++stats_.appends;
  fault_point("journal:appended");
  if (::fdatasync(fd.get()) != 0) return journal_error(path(), "cannot sync", errno);
  ++stats_.syncs;
  if (created) sync_parent_dir(path());
  struct stat st {};
  if (::fstat(fd.get(), &st) == 0) {
    dev_ = st.st_dev;
    ino_ = st.st_ino;
  }
  end_ = at;
  table_ = table;
  cached_ = true;
  // live_bytes_ is the live size when last measured: measuring again only
  // once the file has outgrown four times that keeps the check amortized O(1).
  const uint64_t overhead = kFrame + sizeof kMagic;
  if (end_ > kCompactFloor && end_ > 4 * (live_bytes_ + overhead)) {
    live_bytes_ = encode_file_changes({}, table_).size();
    if (end_ > 4 * (live_bytes_ + overhead)) SVIRT_TRY(compact_locked());
  }
  return ok();
}

}  // namespace svirt::internal
