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
#include <condition_variable>
#include <functional>
#include <iterator>
#include <memory>
#include <mutex>
#include <optional>
#include <string_view>
#include <system_error>
#include <thread>
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

constexpr std::string_view kMagic = "svirt-tree-record 1";
// Entries per work item: enough to make the queue lock rare, few enough that
// a large directory spreads over every thread.
constexpr size_t kBatch = 128;
// Entries a second-pass or restore thread claims at once.
constexpr size_t kChunk = 64;

// ---- Files as the walk sees them ----

// What the walk needs to know of an entry, from one statx on its descriptor.
struct Node {
  mode_t mode = 0;
  uint64_t ino = 0;
  uint64_t dev = 0;
  uint64_t mnt = 0;  // mount id; 0 when the kernel reports none (before 5.8)
};

int stat_node(int fd, Node* n) {
  struct statx sx {};
  if (::statx(fd, "", AT_EMPTY_PATH | AT_SYMLINK_NOFOLLOW, STATX_TYPE | STATX_INO | STATX_MNT_ID,
              &sx) != 0) {
    return errno;
  }
  n->mode = sx.stx_mode;
  n->ino = sx.stx_ino;
  n->dev = makedev(sx.stx_dev_major, sx.stx_dev_minor);
  n->mnt = (sx.stx_mask & STATX_MNT_ID) != 0 ? sx.stx_mnt_id : 0;
  return 0;
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
};

struct Record {
  std::string root;
  std::string label;
  bool cross_mounts = false;
  std::vector<RecordEntry> entries;
};

void append_entry(std::string& out, const std::string& rel,
                  const std::optional<std::string>& original) {
  out += escape(rel);
  out += '\t';
  out += original ? escape(*original) : std::string("-");
  out += '\n';
}

std::string record_header(const std::string& root, const std::string& label, bool cross) {
  std::string out(kMagic);
  out += '\t' + escape(root) + '\t' + escape(label) + '\t' + (cross ? "1" : "0") + '\n';
  return out;
}

Result<Record> parse_record(const std::string& path, std::string_view text) {
  auto bad = [&](size_t line, const std::string& why) {
    return Error{ErrorCode::kInvalidInput,
                 "record '" + path + "' line " + std::to_string(line) + ": " + why, 0};
  };
  Record rec;
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
      if (f.size() != 4 || f[0] != kMagic || (f[3] != "0" && f[3] != "1")) {
        return bad(line_no, "not a tree record");
      }
      std::optional<std::string> root = unescape(f[1]);
      std::optional<std::string> label = unescape(f[2]);
      if (!root || !label) return bad(line_no, "bad escape");
      rec.root = std::move(*root);
      rec.label = std::move(*label);
      rec.cross_mounts = f[3] == "1";
      continue;
    }
    if (f.size() != 2 || f[0].empty()) return bad(line_no, "expected path and label");
    RecordEntry e;
    std::optional<std::string> rel = unescape(f[0]);
    if (!rel) return bad(line_no, "bad escape");
    e.rel = std::move(*rel);
    if (f[1] != "-") {
      std::optional<std::string> orig = unescape(f[1]);
      if (!orig) return bad(line_no, "bad escape");
      e.original = std::move(*orig);
    }
    rec.entries.push_back(std::move(e));
  }
  if (line_no == 0) return bad(1, "empty");
  return rec;
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

// ---- First pass: walk and read ----

// An entry whose label must change, as the first pass found it.
struct Change {
  std::string rel;
  std::optional<std::string> original;
  Node node;
  UniqueFd fd;  // still open from the first pass, or invalid: look it up again
};

// A directory being walked; alive while batches of its entries are queued.
struct Dir {
  Dir(DIR* s, std::string r) : stream(s), rel(std::move(r)) {}
  ~Dir() { ::closedir(stream); }
  Dir(const Dir&) = delete;
  Dir& operator=(const Dir&) = delete;
  int fd() const { return ::dirfd(stream); }

  DIR* stream;
  std::string rel;
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

struct WorkerResult {
  TreeRelabelStats stats;
  std::vector<Change> changes;
  std::optional<Error> error;
};

class Walker {
 public:
  Walker(LabelBackend& backend, int root_fd, const std::string& root_path, const std::string& label,
         bool cross, const Node& root, long fd_budget)
      : backend_(backend),
        root_fd_(root_fd),
        root_path_(root_path),
        label_(label),
        cross_(cross),
        root_(root),
        fd_budget_(fd_budget) {}

  // The root itself: labelled like any directory, but its descriptor is the
  // caller's.
  void visit_root(WorkerResult& w) {
    check_label(w, root_fd_, nullptr, root_, ".");
    read_dir(w, root_fd_, ".");
  }

  void work(WorkerResult& w) {
    while (std::optional<Task> t = tasks_.pop()) {
      for (const Entry& e : t->entries) {
        if (tasks_.aborted()) break;
        visit(w, *t->dir, e);
      }
      if (w.error) tasks_.abort();
      t.reset();
      tasks_.done();
    }
  }

 private:
  void fail(WorkerResult& w, Error e) {
    if (!w.error) w.error = std::move(e);
    tasks_.abort();
  }

  void visit(WorkerResult& w, const Dir& dir, const Entry& e) {
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
      fail(w, make_error(ErrorCode::kOperationFailed,
                         "cannot open '" + abs_path(root_path_, rel) + "'", errno));
      return;
    }
    Node n;
    if (int err = stat_node(fd.get(), &n)) {
      fail(w, make_error(ErrorCode::kOperationFailed,
                         "cannot stat '" + abs_path(root_path_, rel) + "'", err));
      return;
    }
    // The type is checked on what was opened, not on readdir's word: the
    // entry may have been swapped for a symlink in between.
    if (never_labelled(n.mode) || (!cross_ && !same_mount(n, root_))) {
      ++w.stats.skipped;
      return;
    }
    if (S_ISDIR(n.mode) && !read_dir(w, fd.get(), rel)) return;
    check_label(w, fd.get(), &fd, n, std::move(rel));
  }

  // Queues the entries of the directory behind `path_fd`. False when there is
  // nothing more to do with it: it failed, or it vanished.
  bool read_dir(WorkerResult& w, int path_fd, const std::string& rel) {
    int fd = ::openat(path_fd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (fd < 0 && errno == ENOENT) {
      // Removed since it was opened: nothing left to label.
      ++w.stats.skipped;
      return false;
    }
    if (fd < 0) {
      fail(w, make_error(ErrorCode::kOperationFailed,
                         "cannot read directory '" + abs_path(root_path_, rel) + "'", errno));
      return false;
    }
    DIR* stream = ::fdopendir(fd);
    if (stream == nullptr) {
      int err = errno;
      ::close(fd);
      fail(w, make_error(ErrorCode::kOperationFailed,
                         "cannot read directory '" + abs_path(root_path_, rel) + "'", err));
      return false;
    }
    auto dir = std::make_shared<Dir>(stream, rel);
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
    if (errno != 0) {
      fail(w, make_error(ErrorCode::kOperationFailed,
                         "cannot read directory '" + abs_path(root_path_, rel) + "'", errno));
      return false;
    }
    if (!batch.empty()) tasks_.push(Task{dir, std::move(batch)});
    return true;
  }

  // Reads the label of the entry behind `fd`; an entry that needs changing is
  // kept for the second pass, with its descriptor (`owned`) while the budget
  // lasts.
  void check_label(WorkerResult& w, int fd, UniqueFd* owned, const Node& n, std::string rel) {
    Result<std::optional<std::string>> cur = backend_.get_label(fd, abs_path(root_path_, rel));
    if (!cur) {
      if (cur.error().code == ErrorCode::kUnsupported) {
        ++w.stats.unsupported;
        return;
      }
      fail(w, std::move(cur).error());
      return;
    }
    if (*cur && label_text(**cur) == label_) {
      ++w.stats.already;
      return;
    }
    Change c{std::move(rel), std::move(*cur), n, UniqueFd()};
    if (owned != nullptr && fd_budget_.fetch_sub(1, std::memory_order_relaxed) > 0) {
      c.fd = std::move(*owned);
    }
    w.changes.push_back(std::move(c));
  }

  LabelBackend& backend_;
  const int root_fd_;
  const std::string& root_path_;
  const std::string& label_;
  const bool cross_;
  const Node root_;
  std::atomic<long> fd_budget_;
  TaskStack tasks_;
};

// ---- Restore ----

struct RestoreResult {
  uint64_t restored = 0, already = 0, skipped = 0;
  std::vector<Error> errors;
};

void restore_entry(LabelBackend& backend, int root_fd, const std::string& root_path,
                   const Node& root, bool cross, const RecordEntry& e, RestoreResult& r) {
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
  Result<std::optional<std::string>> cur = backend.get_label(fd.get(), path);
  if (!cur) {
    if (cur.error().code == ErrorCode::kUnsupported) {
      ++r.skipped;
    } else {
      r.errors.push_back(std::move(cur).error());
    }
    return;
  }
  if (*cur == e.original) {
    ++r.already;
    return;
  }
  Result<void> put = e.original ? backend.set_label(fd.get(), path, *e.original)
                                : backend.remove_label(fd.get(), path);
  if (!put && !e.original && put.error().code == ErrorCode::kUnsupported) {
    // SELinux cannot take a label away: the host's default is the closest
    // thing to "unlabelled".
    Result<std::optional<std::string>> def = backend.default_label(path, n.mode);
    if (!def) {
      put = def.error();
    } else if (!*def) {
      put = Error{ErrorCode::kUnsupported,
                  "cannot restore '" + path +
                      "': it had no label, labels cannot be removed here and the host has no "
                      "default for it",
                  0};
    } else {
      put = backend.set_label(fd.get(), path, **def);
    }
  }
  if (!put) {
    r.errors.push_back(std::move(put).error());
    return;
  }
  ++r.restored;
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
  long budget = opts.max_held_fds < 0 ? auto_fd_budget() : opts.max_held_fds;
  Walker walker(backend, root_fd, root_path, label, cross, root, budget);
  std::vector<WorkerResult> results(n_threads);
  results[0].stats.entries = 1;  // the root
  walker.visit_root(results[0]);
  if (!results[0].error) {
    run_parallel(n_threads, [&](unsigned i) { walker.work(results[i]); });
  }
  TreeRelabelStats stats;
  std::vector<Change> changes;
  for (WorkerResult& w : results) {
    if (w.error) return *w.error;
    add_stats(stats, w.stats);
  }
  for (WorkerResult& w : results) {
    if (changes.empty()) {
      changes = std::move(w.changes);
    } else {
      std::move(w.changes.begin(), w.changes.end(), std::back_inserter(changes));
    }
  }
  if (changes.empty()) return stats;

  // The record, complete and on disk before the first label changes.
  // Restore must reach whatever any relabel recorded, here or before.
  std::string text = record_header(root_path, label, cross || (*old && (*old)->cross_mounts));
  text.reserve(changes.size() * 64);
  std::unordered_set<std::string_view> recorded;
  if (*old) {
    for (const RecordEntry& e : (*old)->entries) {
      append_entry(text, e.rel, e.original);
      recorded.insert(e.rel);
    }
  }
  for (const Change& c : changes) {
    if (!recorded.count(c.rel)) append_entry(text, c.rel, c.original);
  }
  SVIRT_TRY(write_durably(record_path, text));

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
  const Record& rec = **loaded;
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
  const bool cross = rec.cross_mounts || opts.cross_mounts;
  report.entries = rec.entries.size();

  const unsigned n_threads =
      std::max(1u, std::min<unsigned>(thread_count(opts),
                                      static_cast<unsigned>(rec.entries.size() / kChunk + 1)));
  std::vector<RestoreResult> results(n_threads);
  std::atomic<size_t> next{0};
  run_parallel(n_threads, [&](unsigned t) {
    for (;;) {
      size_t begin = next.fetch_add(kChunk);
      if (begin >= rec.entries.size()) return;
      size_t end = std::min(rec.entries.size(), begin + kChunk);
      for (size_t i = begin; i < end; ++i) {
        restore_entry(backend, root_fd, root_path, root, cross, rec.entries[i], results[t]);
      }
    }
  });
  for (RestoreResult& r : results) {
    report.restored += r.restored;
    report.already += r.already;
    report.skipped += r.skipped;
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
