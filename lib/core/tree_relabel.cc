// SPDX-License-Identifier: LGPL-2.1-or-later
#include "core/tree_relabel.h"

#include "core/durable_file.h"

#include <dirent.h>
#include <fcntl.h>
#include <glib.h>
#include <linux/openat2.h>
#include <sched.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <charconv>
#include <condition_variable>
#include <functional>
#include <iterator>
#include <memory>
#include <mutex>
#include <optional>
#include <string_view>
#include <system_error>
#include <thread>
#include <unordered_map>
#include <unordered_set>
#include <utility>
#include <vector>

#include "core/unique_fd.h"
#include "state/label_bytes.h"

#ifndef STATX_MNT_ID
#define STATX_MNT_ID 0x00001000U
#endif

namespace svirt::internal {
namespace {

constexpr std::string_view kMagic1 = "svirt-tree-record 1";
constexpr std::string_view kMagic2 = "svirt-tree-record 2";
// Entries per work item: enough to make the queue lock rare, few enough that
// a large directory spreads over every thread.
constexpr size_t kBatch = 128;
// Entries a second-pass or restore thread claims at once.
constexpr size_t kChunk = 64;

// ---- Files as the walk sees them ----

// What the walk needs to know of an entry, from one statx on its descriptor.
struct Node {
  mode_t mode = 0;
  uint32_t nlink = 0;
  uint64_t ino = 0;
  uint64_t dev = 0;
  uint64_t mnt = 0;  // mount id; 0 when the kernel reports none (before 5.8)
};

int stat_node(int fd, Node* n) {
  struct statx sx {};
  if (::statx(fd, "", AT_EMPTY_PATH | AT_SYMLINK_NOFOLLOW,
              STATX_TYPE | STATX_NLINK | STATX_INO | STATX_MNT_ID, &sx) != 0) {
    return errno;
  }
  n->mode = sx.stx_mode;
  n->nlink = sx.stx_nlink;
  n->ino = sx.stx_ino;
  n->dev = makedev(sx.stx_dev_major, sx.stx_dev_minor);
  n->mnt = (sx.stx_mask & STATX_MNT_ID) != 0 ? sx.stx_mnt_id : 0;
  return 0;
}

// A file as the record knows it. The mount is not part of it: the same file
// reached through two mounts is one file, and mount ids do not survive a
// reboot.
struct FileId {
  uint64_t dev = 0;
  uint64_t ino = 0;
  bool operator==(const FileId&) const = default;
};

struct FileIdHash {
  size_t operator()(const FileId& f) const noexcept {
    return std::hash<uint64_t>()((f.ino * 0x9e3779b97f4a7c15ULL) ^ f.dev);
  }
};

FileId id_of(const Node& n) { return FileId{n.dev, n.ino}; }

void append_id(std::string& out, const FileId& f) {
  // Two 64-bit numbers in decimal take at most 20 digits each.
  char dev[24], ino[24];
  char* dev_end = std::to_chars(dev, dev + sizeof dev, f.dev).ptr;
  char* ino_end = std::to_chars(ino, ino + sizeof ino, f.ino).ptr;
  out.append(dev, dev_end).append(1, ':').append(ino, ino_end);
}

std::optional<FileId> parse_id(std::string_view s) {
  size_t colon = s.find(':');
  if (colon == std::string_view::npos) return std::nullopt;
  FileId f;
  const char* end = s.data() + s.size();
  auto a = std::from_chars(s.data(), s.data() + colon, f.dev);
  auto b = std::from_chars(s.data() + colon + 1, end, f.ino);
  if (a.ec != std::errc() || a.ptr != s.data() + colon || b.ec != std::errc() || b.ptr != end ||
      colon == 0 || colon + 1 == s.size()) {
    return std::nullopt;
  }
  return f;
}

// The mount id tells a bind mount of the same filesystem apart; st_dev is
// the fallback on kernels that do not report one.
bool same_mount(const Node& a, const Node& b) {
  if (a.mnt != 0 && b.mnt != 0) return a.mnt == b.mnt;
  return a.dev == b.dev;
}

bool same_file(const Node& a, const Node& b) {
  return a.ino == b.ino && a.dev == b.dev && same_mount(a, b);
}

// Symlinks are never labelled (their targets are not ours to judge), device
// nodes neither: a device node labelled for the VM would hand it the device.
bool never_labelled(mode_t mode) { return S_ISLNK(mode) || S_ISCHR(mode) || S_ISBLK(mode); }

// An entry that disappeared or changed kind under us, or sits on another
// mount: nothing to do there, not a failure.
bool is_gone(int err) { return err == ENOENT || err == ENOTDIR || err == ELOOP || err == EXDEV; }

std::string join_rel(const std::string& parent, std::string_view name) {
  if (parent == ".") return std::string(name);
  std::string rel;
  rel.reserve(parent.size() + 1 + name.size());
  rel.append(parent).append(1, '/').append(name);
  return rel;
}

std::string abs_path(const std::string& root, const std::string& rel) {
  if (rel == ".") return root;
  return root == "/" ? "/" + rel : root + "/" + rel;
}

// Opens `rel` below `root_fd` as O_PATH without following any symlink,
// leaving the tree, or (unless `cross`) entering another mount. Returns 0 or
// an errno; EXDEV for another mount.
int open_beneath(int root_fd, const std::string& rel, bool cross, const Node& root, UniqueFd* out) {
  if (rel == ".") {
    out->reset(::openat(root_fd, ".", O_PATH | O_DIRECTORY | O_CLOEXEC));
    return out->valid() ? 0 : errno;
  }
  struct open_how how {};
  how.flags = O_PATH | O_NOFOLLOW | O_CLOEXEC;
  how.resolve = RESOLVE_BENEATH | RESOLVE_NO_SYMLINKS | RESOLVE_NO_MAGICLINKS;
  if (!cross) how.resolve |= RESOLVE_NO_XDEV;
  for (int attempt = 0; attempt < 4; ++attempt) {
    long fd = ::syscall(SYS_openat2, root_fd, rel.c_str(), &how, sizeof how);
    if (fd >= 0) {
      out->reset(static_cast<int>(fd));
      return 0;
    }
    // EAGAIN: a rename elsewhere raced the lookup; the kernel asks for a retry.
    if (errno == EAGAIN || errno == EINTR) continue;
    // Older kernels, seccomp filters, and paths beyond PATH_MAX take the
    // walk below; anything else is the answer.
    if (errno != ENOSYS && errno != EPERM && errno != ENAMETOOLONG && errno != E2BIG) return errno;
    break;
  }

  // One component at a time, each relative to a directory already held.
  UniqueFd cur(::openat(root_fd, ".", O_PATH | O_DIRECTORY | O_CLOEXEC));
  if (!cur.valid()) return errno;
  size_t pos = 0;
  for (;;) {
    size_t slash = rel.find('/', pos);
    bool last = slash == std::string::npos;
    std::string name = rel.substr(pos, last ? std::string::npos : slash - pos);
    if (name.empty() || name == "." || name == "..") return EINVAL;
    int flags = O_PATH | O_NOFOLLOW | O_CLOEXEC | (last ? 0 : O_DIRECTORY);
    UniqueFd next(::openat(cur.get(), name.c_str(), flags));
    if (!next.valid()) return errno;
    if (!cross) {
      Node n;
      if (int err = stat_node(next.get(), &n)) return err;
      if (!last && S_ISLNK(n.mode)) return ELOOP;
      if (!same_mount(n, root)) return EXDEV;
    }
    cur = std::move(next);
    if (last) break;
    pos = slash + 1;
  }
  *out = std::move(cur);
  return 0;
}

// ---- The record ----

std::string escape(std::string_view s) {
  if (s == "-") return "\\x2d";
  std::string out;
  out.reserve(s.size());
  for (char c : s) {
    switch (c) {
      case '\\':
        out += "\\\\";
        break;
      case '\t':
        out += "\\t";
        break;
      case '\n':
        out += "\\n";
        break;
      default:
        out += c;
    }
  }
  return out;
}

std::optional<std::string> unescape(std::string_view s) {
  std::string out;
  out.reserve(s.size());
  for (size_t i = 0; i < s.size(); ++i) {
    if (s[i] != '\\') {
      out += s[i];
      continue;
    }
    if (++i == s.size()) return std::nullopt;
    switch (s[i]) {
      case '\\':
        out += '\\';
        break;
      case 't':
        out += '\t';
        break;
      case 'n':
        out += '\n';
        break;
      case 'x': {
        int hi = i + 1 < s.size() ? g_ascii_xdigit_value(s[i + 1]) : -1;
        int lo = i + 2 < s.size() ? g_ascii_xdigit_value(s[i + 2]) : -1;
        if (hi < 0 || lo < 0) return std::nullopt;
        out += static_cast<char>(hi * 16 + lo);
        i += 2;
        break;
      }
      default:
        return std::nullopt;
    }
  }
  return out;
}

std::vector<std::string_view> split_tabs(std::string_view line) {
  std::vector<std::string_view> fields;
  size_t pos = 0;
  for (;;) {
    size_t tab = line.find('\t', pos);
    fields.push_back(line.substr(pos, tab == std::string_view::npos ? tab : tab - pos));
    if (tab == std::string_view::npos) return fields;
    pos = tab + 1;
  }
}

struct RecordEntry {
  std::string rel;
  std::optional<std::string> original;
  std::optional<FileId> id;  // none: written by version 1, found by path
};

struct Record {
  std::string root;
  std::string label;
  std::vector<std::string> earlier;  // labels an earlier relabel set, still possible
  bool cross_mounts = false;
  std::optional<FileId> root_id;  // none in version 1
  std::vector<RecordEntry> entries;
};

void append_entry(std::string& out, const std::string& rel,
                  const std::optional<std::string>& original, const std::optional<FileId>& id) {
  out += escape(rel);
  out += '\t';
  out += original ? escape(*original) : std::string("-");
  out += '\t';
  if (id) {
    append_id(out, *id);
  } else {
    out += '-';
  }
  out += '\n';
}

std::string record_header(const std::string& root, const std::string& label, bool cross,
                          const FileId& root_id, const std::vector<std::string>& earlier) {
  std::string out(kMagic2);
  out += '\t' + escape(root) + '\t' + escape(label) + '\t' + (cross ? "1" : "0") + '\t';
  append_id(out, root_id);
  for (const std::string& l : earlier) out += '\t' + escape(l);
  out += '\n';
  return out;
}

Result<Record> parse_record(const std::string& path, std::string_view text) {
  auto bad = [&](size_t line, const std::string& why) {
    return Error{ErrorCode::kInvalidInput,
                 "record '" + path + "' line " + std::to_string(line) + ": " + why, 0};
  };
  Record rec;
  int version = 0;
  size_t pos = 0;
  size_t line_no = 0;
  while (pos < text.size()) {
    size_t nl = text.find('\n', pos);
    if (nl == std::string_view::npos) return bad(line_no + 1, "truncated");
    std::string_view line = text.substr(pos, nl - pos);
    pos = nl + 1;
    ++line_no;
    std::vector<std::string_view> f = split_tabs(line);
    if (line_no == 1) {
      if (!f.empty() && f[0] == kMagic1 && f.size() == 4) {
        version = 1;
      } else if (!f.empty() && f[0] == kMagic2 && f.size() >= 5) {
        version = 2;
      }
      if (version == 0 || (f[3] != "0" && f[3] != "1")) return bad(line_no, "not a tree record");
      std::optional<std::string> root = unescape(f[1]);
      std::optional<std::string> label = unescape(f[2]);
      if (!root || !label) return bad(line_no, "bad escape");
      rec.root = std::move(*root);
      rec.label = std::move(*label);
      rec.cross_mounts = f[3] == "1";
      if (version == 2) {
        rec.root_id = parse_id(f[4]);
        if (!rec.root_id) return bad(line_no, "bad root identity");
        for (size_t i = 5; i < f.size(); ++i) {
          std::optional<std::string> l = unescape(f[i]);
          if (!l) return bad(line_no, "bad escape");
          rec.earlier.push_back(std::move(*l));
        }
      }
      continue;
    }
    if (f.size() != (version == 1 ? 2u : 3u) || f[0].empty()) {
      return bad(line_no, version == 1 ? "expected path and label" : "expected path, label and identity");
    }
    RecordEntry e;
    std::optional<std::string> rel = unescape(f[0]);
    if (!rel) return bad(line_no, "bad escape");
    e.rel = std::move(*rel);
    if (f[1] != "-") {
      std::optional<std::string> orig = unescape(f[1]);
      if (!orig) return bad(line_no, "bad escape");
      e.original = std::move(*orig);
    }
    if (version == 2 && f[2] != "-") {
      e.id = parse_id(f[2]);
      if (!e.id) return bad(line_no, "bad identity");
    }
    rec.entries.push_back(std::move(e));
  }
  if (line_no == 0) return bad(1, "empty");
  return rec;
}

// The root's filesystem may come back under another device number (after a
// reboot, device-mapper numbers devices in the order it activates them). The
// root being the same inode there says it is the same filesystem.
void follow_root_device(Record& rec, const Node& root) {
  if (!rec.root_id || rec.root_id->ino != root.ino || rec.root_id->dev == root.dev) return;
  const uint64_t from = rec.root_id->dev;
  for (RecordEntry& e : rec.entries) {
    if (e.id && e.id->dev == from) e.id->dev = root.dev;
  }
  rec.root_id->dev = root.dev;
}

// Contents of `path`; nullopt when there is no such file.
Result<std::optional<std::string>> read_file(const std::string& path) {
  UniqueFd fd(::open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NOFOLLOW));
  if (!fd.valid()) {
    if (errno == ENOENT) return std::optional<std::string>();
    return make_error(ErrorCode::kOperationFailed, "cannot open record '" + path + "'", errno);
  }
  std::string text;
  char buf[65536];
  for (;;) {
    ssize_t n = ::read(fd.get(), buf, sizeof buf);
    if (n == 0) break;
    if (n < 0) {
      if (errno == EINTR) continue;
      return make_error(ErrorCode::kOperationFailed, "cannot read record '" + path + "'", errno);
    }
    text.append(buf, static_cast<size_t>(n));
  }
  return std::optional<std::string>(std::move(text));
}

Result<std::optional<Record>> load_record(const std::string& path) {
  Result<std::optional<std::string>> text = read_file(path);
  if (!text) return text.error();
  if (!*text) return std::optional<Record>();
  Result<Record> rec = parse_record(path, **text);
  if (!rec) return rec.error();
  return std::optional<Record>(std::move(*rec));
}

Result<void> write_durably(const std::string& path, const std::string& content) {
  auto r = write_file_durably(path, content);
  if (!r)
    return make_error(ErrorCode::kOperationFailed,
                      r.error().message + " record '" + path + "'", r.error().sys_errno);
  return ok();
}

// ---- Threads ----

unsigned thread_count(const TreeRelabelOptions& opts) {
  if (opts.threads > 0) return opts.threads;
  cpu_set_t set;
  CPU_ZERO(&set);
  if (::sched_getaffinity(0, sizeof set, &set) == 0 && CPU_COUNT(&set) > 0) {
    return static_cast<unsigned>(CPU_COUNT(&set));
  }
  return std::max(1u, std::thread::hardware_concurrency());
}

// Runs fn(0..n-1), fn(0) on the calling thread. Threads the system refuses
// to start only mean fewer workers: every worker drains the same queue.
void run_parallel(unsigned n, const std::function<void(unsigned)>& fn) {
  std::vector<std::thread> threads;
  for (unsigned i = 1; i < n; ++i) {
    try {
      threads.emplace_back(fn, i);
    } catch (const std::system_error&) {
      break;
    }
  }
  fn(0);
  for (std::thread& t : threads) t.join();
}

void add_stats(TreeRelabelStats& into, const TreeRelabelStats& s) {
  into.entries += s.entries;
  into.changed += s.changed;
  into.already += s.already;
  into.unsupported += s.unsupported;
  into.skipped += s.skipped;
  into.hardlinked += s.hardlinked;
  into.other_names += s.other_names;
}

// Descriptors to keep between the passes when the caller leaves it to us:
// half of what the limit leaves free, so the rest of the process still has
// room while the walk runs.
long auto_fd_budget() {
  struct rlimit rl {};
  if (::getrlimit(RLIMIT_NOFILE, &rl) != 0) return 0;
  long limit = rl.rlim_cur == RLIM_INFINITY ? (1L << 20) : static_cast<long>(rl.rlim_cur);
  long open = 0;
  if (DIR* d = ::opendir("/proc/self/fd")) {
    while (const dirent* e = ::readdir(d)) {
      if (e->d_name[0] != '.') ++open;
    }
    ::closedir(d);
  } else {
    return 0;
  }
  return std::max(0L, (limit - open) / 2 - 64);
}

// ---- The walk ----

// A directory being walked; alive while batches of its entries are queued.
struct Dir {
  Dir(DIR* s, std::string r, const FileId& i) : stream(s), rel(std::move(r)), id(i) {}
  ~Dir() { ::closedir(stream); }
  Dir(const Dir&) = delete;
  Dir& operator=(const Dir&) = delete;
  int fd() const { return ::dirfd(stream); }

  DIR* stream;
  std::string rel;
  FileId id;
};

struct Entry {
  std::string name;
  unsigned char type;
};

struct Task {
  std::shared_ptr<Dir> dir;
  std::vector<Entry> entries;
};

// Last in, first out: a directory's entries are finished soon after it is
// read, which keeps the number of directories held open near the tree's depth
// instead of its width.
class TaskStack {
 public:
  void push(Task t) {
    {
      std::lock_guard<std::mutex> lock(mu_);
      tasks_.push_back(std::move(t));
    }
    cv_.notify_one();
  }

  // The next task, or nullopt when all work is done or the walk was aborted.
  std::optional<Task> pop() {
    std::unique_lock<std::mutex> lock(mu_);
    cv_.wait(lock, [&] { return aborted_ || !tasks_.empty() || active_ == 0; });
    if (aborted_ || tasks_.empty()) return std::nullopt;
    Task t = std::move(tasks_.back());
    tasks_.pop_back();
    ++active_;
    return t;
  }

  void done() {
    std::lock_guard<std::mutex> lock(mu_);
    if (--active_ == 0 && tasks_.empty()) cv_.notify_all();
  }

  void abort() {
    {
      std::lock_guard<std::mutex> lock(mu_);
      aborted_ = true;
      tasks_.clear();
    }
    cv_.notify_all();
  }

  bool aborted() const { return aborted_.load(std::memory_order_relaxed); }

 private:
  std::mutex mu_;
  std::condition_variable cv_;
  std::vector<Task> tasks_;
  int active_ = 0;
  std::atomic<bool> aborted_{false};
};

// An entry the walk found that may carry a label: not a symlink, not a device
// node, on the root's mount unless mounts are crossed.
struct Found {
  int fd;           // O_PATH
  UniqueFd* owned;  // `fd`, for a handler that keeps it; null for the root
  const Node& node;
  std::string& rel;  // the walk is done with it: a handler may take it
  FileId parent;  // the directory holding the name (the root's own for the root)
  std::string_view name;
};

struct WalkState {
  TreeRelabelStats stats;  // entries and skipped: what the walk itself saw
  std::vector<Error> errors;
};

// Walks the tree below `root_fd` on several threads, handing every entry that
// may carry a label to a handler, directories after their entries are queued.
// Relabel stops at the first failure (`keep_going` false): nothing is
// changed yet and the call fails. Restore goes on and reports each.
class Walker {
 public:
  using Handler = std::function<void(unsigned worker, Found& found)>;

  Walker(int root_fd, const std::string& root_path, bool cross, const Node& root, bool keep_going,
         unsigned workers)
      : root_fd_(root_fd),
        root_path_(root_path),
        cross_(cross),
        root_(root),
        keep_going_(keep_going),
        states_(workers) {}

  void run(const Handler& handler) {
    handler_ = &handler;
    states_[0].stats.entries = 1;  // the root
    std::string rel = ".";  // the handler may take it
    Found root{root_fd_, nullptr, root_, rel, id_of(root_), "."};
    handler(0, root);
    if (!tasks_.aborted()) read_dir(0, root_fd_, ".", id_of(root_));
    if (!tasks_.aborted()) {
      run_parallel(static_cast<unsigned>(states_.size()), [&](unsigned i) { work(i); });
    }
  }

  void fail(unsigned worker, Error e) {
    std::vector<Error>& errors = states_[worker].errors;
    if (keep_going_) {
      errors.push_back(std::move(e));
      return;
    }
    if (errors.empty()) errors.push_back(std::move(e));
    tasks_.abort();
  }

  std::vector<WalkState>& states() { return states_; }

 private:
  void work(unsigned worker) {
    while (std::optional<Task> t = tasks_.pop()) {
      for (const Entry& e : t->entries) {
        if (tasks_.aborted()) break;
        visit(worker, *t->dir, e);
      }
      t.reset();
      tasks_.done();
    }
  }

  void visit(unsigned worker, const Dir& dir, const Entry& e) {
    WalkState& w = states_[worker];
    // readdir already said so: no system call for a symlink.
    if (e.type == DT_LNK) {
      ++w.stats.skipped;
      return;
    }
    std::string rel = join_rel(dir.rel, e.name);
    UniqueFd fd(::openat(dir.fd(), e.name.c_str(), O_PATH | O_NOFOLLOW | O_CLOEXEC));
    if (!fd.valid()) {
      if (errno == ENOENT) {
        ++w.stats.skipped;
        return;
      }
      fail(worker, make_error(ErrorCode::kOperationFailed,
                              "cannot open '" + abs_path(root_path_, rel) + "'", errno));
      return;
    }
    Node n;
    if (int err = stat_node(fd.get(), &n)) {
      fail(worker, make_error(ErrorCode::kOperationFailed,
                              "cannot stat '" + abs_path(root_path_, rel) + "'", err));
      return;
    }
    // The type is checked on what was opened, not on readdir's word: the
    // entry may have been swapped for a symlink in between.
    if (never_labelled(n.mode) || (!cross_ && !same_mount(n, root_))) {
      ++w.stats.skipped;
      return;
    }
    // Queued before the handler runs: it may keep the descriptor.
    if (S_ISDIR(n.mode) && !read_dir(worker, fd.get(), rel, id_of(n))) return;
    Found f{fd.get(), &fd, n, rel, dir.id, e.name};
    (*handler_)(worker, f);
  }

  // Queues the entries of the directory behind `path_fd`. False when nothing
  // more is to be done with it: it vanished, or the walk stops at a failure.
  // A directory restore cannot read still gets its own label back.
  bool read_dir(unsigned worker, int path_fd, const std::string& rel, const FileId& id) {
    WalkState& w = states_[worker];
    int fd = ::openat(path_fd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (fd < 0 && errno == ENOENT) {
      // Removed since it was opened: nothing left to label.
      ++w.stats.skipped;
      return false;
    }
    auto failed = [&](int err) {
      fail(worker, make_error(ErrorCode::kOperationFailed,
                              "cannot read directory '" + abs_path(root_path_, rel) + "'", err));
      return keep_going_;
    };
    if (fd < 0) return failed(errno);
    DIR* stream = ::fdopendir(fd);
    if (stream == nullptr) {
      int err = errno;
      ::close(fd);
      return failed(err);
    }
    auto dir = std::make_shared<Dir>(stream, rel, id);
    std::vector<Entry> batch;
    for (;;) {
      errno = 0;
      const dirent* de = ::readdir(stream);
      if (de == nullptr) break;
      const char* name = de->d_name;
      if (name[0] == '.' && (name[1] == '\0' || (name[1] == '.' && name[2] == '\0'))) continue;
      ++w.stats.entries;
      batch.push_back(Entry{name, de->d_type});
      if (batch.size() == kBatch) {
        tasks_.push(Task{dir, std::move(batch)});
        batch.clear();
      }
    }
    if (errno != 0) return failed(errno);
    if (!batch.empty()) tasks_.push(Task{dir, std::move(batch)});
    return true;
  }

  const int root_fd_;
  const std::string& root_path_;
  const bool cross_;
  const Node root_;
  const bool keep_going_;
  std::vector<WalkState> states_;
  const Handler* handler_ = nullptr;
  TaskStack tasks_;
};

// ---- First pass ----

// An entry whose label must change, as the first pass found it.
struct Change {
  std::string rel;
  std::optional<std::string> original;
  Node node;
  UniqueFd fd;  // still open from the first pass, or invalid: look it up again
};

enum class Seen { kAlready, kUnsupported, kChange };

// One name of a file with several: whether it is labelled waits until every
// name in the tree has been counted.
struct LinkedName {
  FileId id;
  uint32_t nlink;
  FileId parent;
  std::string name;
  Seen seen;
  Change change;  // the entry itself; its original when `seen` is kChange
};

struct Pass1 {
  uint64_t already = 0;
  uint64_t unsupported = 0;
  std::vector<Change> changes;
  std::vector<LinkedName> linked;
};

// Reads the label of the entry behind `fd`; kChange when it must change, with
// its original in `*original`.
Result<Seen> read_label(LabelBackend& backend, int fd, const std::string& path,
                        const std::string& label, std::optional<std::string>* original) {
  Result<std::optional<std::string>> cur = backend.get_label(fd, path);
  if (!cur) {
    if (cur.error().code == ErrorCode::kUnsupported) return Seen::kUnsupported;
    return std::move(cur).error();
  }
  if (*cur && label_text(**cur) == label) return Seen::kAlready;
  *original = std::move(*cur);
  return Seen::kChange;
}

// Decides the files met under several names: labelled once, under the first
// name in path order, when all of their names are in the tree; else left
// alone.
void settle_links(std::vector<LinkedName>& linked, TreeRelabelStats& stats,
                  std::vector<Change>& changes) {
  std::sort(linked.begin(), linked.end(), [](const LinkedName& a, const LinkedName& b) {
    if (a.id.dev != b.id.dev) return a.id.dev < b.id.dev;
    if (a.id.ino != b.id.ino) return a.id.ino < b.id.ino;
    return a.change.rel < b.change.rel;
  });
  std::vector<const LinkedName*> names;
  for (size_t i = 0; i < linked.size();) {
    size_t j = i;
    uint32_t nlink = 0;
    names.clear();
    for (; j < linked.size() && linked[j].id == linked[i].id; ++j) {
      nlink = std::max(nlink, linked[j].nlink);
      names.push_back(&linked[j]);
    }
    // A directory reached twice (a bind mount, with cross_mounts) shows the
    // same names twice: count each once.
    auto by_name = [](const LinkedName* a, const LinkedName* b) {
      if (a->parent.dev != b->parent.dev) return a->parent.dev < b->parent.dev;
      if (a->parent.ino != b->parent.ino) return a->parent.ino < b->parent.ino;
      return a->name < b->name;
    };
    auto same_name = [](const LinkedName* a, const LinkedName* b) {
      return a->parent == b->parent && a->name == b->name;
    };
    std::sort(names.begin(), names.end(), by_name);
    size_t distinct = static_cast<size_t>(
        std::distance(names.begin(), std::unique(names.begin(), names.end(), same_name)));
    const uint64_t met = j - i;
    if (distinct < nlink) {
      stats.hardlinked += met;
    } else {
      stats.other_names += met - 1;
      LinkedName& first = linked[i];
      if (first.seen == Seen::kAlready) {
        ++stats.already;
      } else if (first.seen == Seen::kUnsupported) {
        ++stats.unsupported;
      } else {
        changes.push_back(std::move(first.change));
      }
    }
    i = j;
  }
}

// Across mounts the walk may reach one file twice (a bind mount of a
// directory of the tree below it): it is labelled and recorded once. Within
// one mount a file with a single name is met once.
void drop_duplicates(std::vector<Change>& changes, TreeRelabelStats& stats) {
  std::unordered_set<FileId, FileIdHash> seen;
  seen.reserve(changes.size());
  auto last = std::remove_if(changes.begin(), changes.end(),
                             [&](const Change& c) { return !seen.insert(id_of(c.node)).second; });
  stats.other_names += static_cast<uint64_t>(std::distance(last, changes.end()));
  changes.erase(last, changes.end());
}

// ---- Restore ----

struct RestoreResult {
  uint64_t restored = 0, already = 0, skipped = 0, relabelled = 0;
  std::vector<Error> errors;
};

// The labels the record's relabels set: a file carrying one of them is
// svirt's to restore.
bool set_by_us(LabelBackend& backend, const Record& rec, const std::string& text) {
  if (backend.same_label(text, rec.label)) return true;
  return std::any_of(rec.earlier.begin(), rec.earlier.end(),
                     [&](const std::string& l) { return backend.same_label(text, l); });
}

// Puts the original of `e` back on the file behind `fd`, found at `path`,
// when it still carries a label svirt set.
void restore_at(LabelBackend& backend, const Record& rec, int fd, mode_t mode,
                const std::string& path, const RecordEntry& e, RestoreResult& r) {
  Result<std::optional<std::string>> cur = backend.get_label(fd, path);
  if (!cur) {
    if (cur.error().code == ErrorCode::kUnsupported) {
      ++r.skipped;
    } else {
      r.errors.push_back(std::move(cur).error());
    }
    return;
  }
  if (*cur == e.original || (*cur && e.original && label_text(**cur) == label_text(*e.original))) {
    ++r.already;
    return;
  }
  if (!*cur || !set_by_us(backend, rec, std::string(label_text(**cur)))) {
    // A file that had no label may carry the host's default: what an earlier
    // restore gave it where labels cannot be removed.
    if (*cur && !e.original) {
      Result<std::optional<std::string>> def = backend.default_label(path, mode);
      if (def && *def && label_text(**cur) == label_text(**def)) {
        ++r.already;
        return;
      }
    }
    ++r.relabelled;
    std::string now = *cur ? "'" + std::string(label_text(**cur)) + "'" : "no label";
    r.errors.push_back(Error{ErrorCode::kOperationFailed,
                             "'" + path + "' carries " + now +
                                 ", neither the label svirt set nor its original: relabelled "
                                 "since, left as it is",
                             0});
    return;
  }
  Result<void> put = e.original ? backend.set_label(fd, path, *e.original)
                                : backend.remove_label(fd, path);
  if (!put && !e.original && put.error().code == ErrorCode::kUnsupported) {
    // SELinux cannot take a label away: the host's default is the closest
    // thing to "unlabelled".
    Result<std::optional<std::string>> def = backend.default_label(path, mode);
    if (!def) {
      put = def.error();
    } else if (!*def) {
      put = Error{ErrorCode::kUnsupported,
                  "cannot restore '" + path +
                      "': it had no label, labels cannot be removed here and the host has no "
                      "default for it",
                  0};
    } else {
      put = backend.set_label(fd, path, **def);
    }
  }
  if (!put) {
    r.errors.push_back(std::move(put).error());
    return;
  }
  ++r.restored;
}

// A version 1 entry, found by the path it was recorded under.
void restore_by_path(LabelBackend& backend, const Record& rec, int root_fd,
                     const std::string& root_path, const Node& root, bool cross,
                     const RecordEntry& e, RestoreResult& r) {
  std::string path = abs_path(root_path, e.rel);
  UniqueFd fd;
  if (int err = open_beneath(root_fd, e.rel, cross, root, &fd)) {
    if (is_gone(err)) {
      ++r.skipped;
      return;
    }
    r.errors.push_back(make_error(ErrorCode::kOperationFailed, "cannot open '" + path + "'", err));
    return;
  }
  Node n;
  if (int err = stat_node(fd.get(), &n)) {
    r.errors.push_back(make_error(ErrorCode::kOperationFailed, "cannot stat '" + path + "'", err));
    return;
  }
  if (never_labelled(n.mode)) {
    ++r.skipped;
    return;
  }
  restore_at(backend, rec, fd.get(), n.mode, path, e, r);
}

}  // namespace

Result<TreeRelabelStats> relabel_tree(LabelBackend& backend, int root_fd,
                                      const std::string& root_path, const std::string& label,
                                      const std::string& record_path,
                                      const TreeRelabelOptions& opts) {
  Node root;
  if (int err = stat_node(root_fd, &root)) {
    return make_error(ErrorCode::kOperationFailed, "cannot stat '" + root_path + "'", err);
  }
  if (!S_ISDIR(root.mode)) {
    return Error{ErrorCode::kInvalidInput, "'" + root_path + "' is not a directory", 0};
  }
  Result<std::optional<Record>> old = load_record(record_path);
  if (!old) return old.error();
  if (*old && (*old)->root != root_path) {
    return Error{
        ErrorCode::kConflict,
        "record '" + record_path + "' belongs to '" + (*old)->root + "', not '" + root_path + "'",
        0};
  }
  const bool cross = opts.cross_mounts;

  // Pass 1: walk and read every label, changing nothing.
  const unsigned n_threads = thread_count(opts);
  std::atomic<long> budget{opts.max_held_fds < 0 ? auto_fd_budget() : opts.max_held_fds};
  Walker walker(root_fd, root_path, cross, root, /*keep_going=*/false, n_threads);
  std::vector<Pass1> pass1(n_threads);
  walker.run([&](unsigned t, Found& f) {
    Pass1& p = pass1[t];
    std::optional<std::string> original;
    Result<Seen> seen = read_label(backend, f.fd, abs_path(root_path, f.rel), label, &original);
    if (!seen) {
      walker.fail(t, std::move(seen).error());
      return;
    }
    const bool linked = !S_ISDIR(f.node.mode) && f.node.nlink > 1;
    if (!linked && *seen != Seen::kChange) {
      ++(*seen == Seen::kAlready ? p.already : p.unsupported);
      return;
    }
    Change c{std::move(f.rel), std::move(original), f.node, UniqueFd()};
    if (f.owned != nullptr && (*seen == Seen::kChange) &&
        budget.fetch_sub(1, std::memory_order_relaxed) > 0) {
      c.fd = std::move(*f.owned);
    }
    if (!linked) {
      p.changes.push_back(std::move(c));
      return;
    }
    p.linked.push_back(LinkedName{id_of(f.node), f.node.nlink, f.parent, std::string(f.name),
                                  *seen, std::move(c)});
  });
  TreeRelabelStats stats;
  for (WalkState& w : walker.states()) {
    if (!w.errors.empty()) return w.errors.front();
    add_stats(stats, w.stats);
  }
  std::vector<Change> changes;
  std::vector<LinkedName> linked;
  for (Pass1& p : pass1) {
    stats.already += p.already;
    stats.unsupported += p.unsupported;
    if (changes.empty()) {
      changes = std::move(p.changes);
    } else {
      std::move(p.changes.begin(), p.changes.end(), std::back_inserter(changes));
    }
    std::move(p.linked.begin(), p.linked.end(), std::back_inserter(linked));
  }
  pass1.clear();
  settle_links(linked, stats, changes);
  linked.clear();
  if (cross) drop_duplicates(changes, stats);
  if (changes.empty()) return stats;

  // The record, complete and on disk before the first label changes.
  // Restore must reach whatever any relabel recorded, here or before: the
  // old entries come first, and a file they hold keeps its old original.
  std::vector<std::string> earlier;
  std::vector<bool> recorded(changes.size(), false);
  if (*old) {
    Record& o = **old;
    follow_root_device(o, root);
    earlier = o.earlier;
    if (o.label != label) earlier.push_back(o.label);
    earlier.erase(std::remove(earlier.begin(), earlier.end(), label), earlier.end());
    std::unordered_set<FileId, FileIdHash> ids;
    std::unordered_map<std::string_view, RecordEntry*> by_path;
    for (RecordEntry& e : o.entries) {
      if (e.id) {
        ids.insert(*e.id);
      } else {
        by_path.emplace(e.rel, &e);
      }
    }
    for (size_t i = 0; i < changes.size(); ++i) {
      FileId id = id_of(changes[i].node);
      if (ids.count(id)) {
        recorded[i] = true;
        continue;
      }
      // An entry of a version 1 record: the file now at its path is the one
      // restoring it by path would reach, so it takes that file's identity.
      auto it = by_path.find(changes[i].rel);
      if (it != by_path.end()) {
        it->second->id = id;
        ids.insert(id);
        by_path.erase(it);
        recorded[i] = true;
      }
    }
  }
  std::string text = record_header(root_path, label, cross || (*old && (*old)->cross_mounts),
                                   id_of(root), earlier);
  text.reserve(changes.size() * 80);
  if (*old) {
    for (const RecordEntry& e : (*old)->entries) append_entry(text, e.rel, e.original, e.id);
  }
  for (size_t i = 0; i < changes.size(); ++i) {
    if (!recorded[i]) {
      append_entry(text, changes[i].rel, changes[i].original, id_of(changes[i].node));
    }
  }
  SVIRT_TRY(write_durably(record_path, text));
  text = std::string();

  // Pass 2: write the labels.
  const unsigned n_set =
      std::min<unsigned>(n_threads, static_cast<unsigned>(changes.size() / kChunk + 1));
  std::atomic<size_t> next{0};
  std::atomic<bool> failed{false};
  std::vector<TreeRelabelStats> pass2(n_set);
  std::vector<std::optional<Error>> errors(n_set);
  run_parallel(n_set, [&](unsigned t) {
    TreeRelabelStats& s = pass2[t];
    for (;;) {
      size_t begin = next.fetch_add(kChunk);
      if (begin >= changes.size()) return;
      size_t end = std::min(changes.size(), begin + kChunk);
      for (size_t i = begin; i < end; ++i) {
        if (failed.load(std::memory_order_relaxed)) return;
        Change& c = changes[i];
        std::string path = abs_path(root_path, c.rel);
        int fd = c.fd.get();
        UniqueFd again;
        if (c.rel == ".") {
          fd = root_fd;
        } else if (fd < 0) {
          // Looked up again: it must still be the very file the first pass
          // read and recorded.
          Node n;
          int err = open_beneath(root_fd, c.rel, cross, root, &again);
          if (err == 0) err = stat_node(again.get(), &n);
          if (err == 0 && (!same_file(n, c.node) || never_labelled(n.mode))) err = ENOENT;
          if (err != 0) {
            if (is_gone(err)) {
              ++s.skipped;
              continue;
            }
            errors[t] = make_error(ErrorCode::kOperationFailed, "cannot open '" + path + "'", err);
            failed = true;
            return;
          }
          fd = again.get();
        }
        Result<void> set = backend.set_label(fd, path, label);
        c.fd.reset();
        if (set) {
          ++s.changed;
        } else if (set.error().code == ErrorCode::kUnsupported) {
          ++s.unsupported;
        } else {
          errors[t] = std::move(set).error();
          failed = true;
          return;
        }
      }
    }
  });
  changes.clear();
  for (const TreeRelabelStats& s : pass2) add_stats(stats, s);
  for (std::optional<Error>& e : errors) {
    if (!e) continue;
    TreeRestoreReport undo = restore_tree(backend, root_fd, root_path, record_path, opts);
    if (!undo.ok()) {
      e->message += "; rolling back left " + std::to_string(undo.errors.size()) +
                    " entries unrestored (record kept in '" + record_path +
                    "'): " + undo.errors.front().message;
    }
    return *e;
  }
  return stats;
}

TreeRestoreReport restore_tree(LabelBackend& backend, int root_fd, const std::string& root_path,
                               const std::string& record_path, const TreeRelabelOptions& opts) {
  TreeRestoreReport report;
  Result<std::optional<Record>> loaded = load_record(record_path);
  if (!loaded) {
    report.errors.push_back(loaded.error());
    return report;
  }
  // No record: the relabel never reached its second pass, so nothing changed.
  if (!*loaded) {
    ::unlink((record_path + ".tmp").c_str());
    return report;
  }
  Record& rec = **loaded;
  if (rec.root != root_path) {
    report.errors.push_back(Error{
        ErrorCode::kConflict,
        "record '" + record_path + "' belongs to '" + rec.root + "', not '" + root_path + "'", 0});
    return report;
  }
  Node root;
  if (int err = stat_node(root_fd, &root)) {
    report.errors.push_back(
        make_error(ErrorCode::kOperationFailed, "cannot stat '" + root_path + "'", err));
    return report;
  }
  follow_root_device(rec, root);
  const bool cross = rec.cross_mounts || opts.cross_mounts;

  // Files by identity; a file recorded twice is one file, restored once.
  std::unordered_map<FileId, size_t, FileIdHash> by_id;
  std::vector<size_t> by_path;
  by_id.reserve(rec.entries.size());
  for (size_t i = 0; i < rec.entries.size(); ++i) {
    const RecordEntry& e = rec.entries[i];
    if (!e.id) {
      by_path.push_back(i);
    } else {
      by_id.emplace(*e.id, i);
    }
  }
  report.entries = by_id.size() + by_path.size();
  const unsigned n_threads = thread_count(opts);
  std::vector<RestoreResult> results(n_threads);

  if (!by_id.empty()) {
    // Each file is claimed by the first of its names the walk meets.
    std::vector<std::atomic<bool>> claimed(rec.entries.size());
    Walker walker(root_fd, root_path, cross, root, /*keep_going=*/true, n_threads);
    walker.run([&](unsigned t, Found& f) {
      auto it = by_id.find(id_of(f.node));
      if (it == by_id.end() || claimed[it->second].exchange(true)) return;
      restore_at(backend, rec, f.fd, f.node.mode, abs_path(root_path, f.rel),
                 rec.entries[it->second], results[t]);
    });
    for (WalkState& w : walker.states()) {
      std::move(w.errors.begin(), w.errors.end(), std::back_inserter(report.errors));
    }
    for (const auto& [id, i] : by_id) {
      if (!claimed[i].load(std::memory_order_relaxed)) ++report.skipped;
    }
  }

  if (!by_path.empty()) {
    const unsigned n_path = std::max(
        1u, std::min<unsigned>(n_threads, static_cast<unsigned>(by_path.size() / kChunk + 1)));
    std::atomic<size_t> next{0};
    run_parallel(n_path, [&](unsigned t) {
      for (;;) {
        size_t begin = next.fetch_add(kChunk);
        if (begin >= by_path.size()) return;
        size_t end = std::min(by_path.size(), begin + kChunk);
        for (size_t i = begin; i < end; ++i) {
          restore_by_path(backend, rec, root_fd, root_path, root, cross, rec.entries[by_path[i]],
                          results[t]);
        }
      }
    });
  }

  for (RestoreResult& r : results) {
    report.restored += r.restored;
    report.already += r.already;
    report.skipped += r.skipped;
    report.relabelled += r.relabelled;
    std::move(r.errors.begin(), r.errors.end(), std::back_inserter(report.errors));
  }
  if (report.ok()) {
    if (::unlink(record_path.c_str()) != 0 && errno != ENOENT) {
      report.errors.push_back(make_error(ErrorCode::kOperationFailed,
                                         "cannot remove record '" + record_path + "'", errno));
    } else {
      sync_parent_dir(record_path);
    }
  }
  return report;
}

}  // namespace svirt::internal
