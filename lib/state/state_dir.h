// SPDX-License-Identifier: LGPL-2.1-or-later
//
// The state directory: everything svirt must not forget, shared by every
// process on the host.
//
//   lock            flock()ed for the length of each lifecycle operation
//   files.journal   one record per relabelled file: its path, device and
//                   inode, original label, label set, domains using it, kept
//                   as an append-only journal (state/files_journal.h). Each
//                   change is appended and made durable BEFORE any label in it
//                   is changed, so after a crash every file a domain may have
//                   touched is listed with the label to put back. (files.db,
//                   the key file earlier releases rewrote whole, is converted.)
//   mcs.db          category pairs in use, by domain (dynamic and static), and
//                   the boot they belong to
//   domains/NAME.state   live XML, state, pid + start time + boot id
//
// The others are GLib key files, replaced atomically (temporary file, rename).
// Only the files journal is made durable (one fdatasync per change):
// it is the one record a crash of the host must not lose, since the labels it
// protects are on disk. Pairs and domain records describe processes, and no
// process survives a reboot: they are written without fsync, which the page
// cache makes safe against a crash of svirt itself, and after a crash of the
// host whatever they hold (old, new, empty or cut short) belongs to an earlier
// boot. Such leftovers are read as absent: recovery then finds every file of
// the journal whose users have no domain record and restores it.
// Callers hold the lock (StateLock) around every read-modify-write sequence.
#pragma once

#include <sys/stat.h>
#include <sys/types.h>

#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "core/unique_fd.h"
#include "svirt/result.h"

namespace svirt::internal {

// The file a record is about: a path is only a name, which can be moved onto
// another file while a VM runs; device and inode say which file was labelled.
struct FileIdentity {
  uint64_t dev = 0;
  uint64_t ino = 0;
  // Records written before identities were kept have none: restored by path.
  bool known() const { return dev != 0 || ino != 0; }
  bool operator==(const FileIdentity&) const = default;
  std::string format() const;  // "DEV:INO" in decimal, as stat(1) prints %d:%i
  static Result<FileIdentity> parse(const std::string& text);
  // The identity of the file `st` describes.
  static FileIdentity of(const struct stat& st) {
    return FileIdentity{static_cast<uint64_t>(st.st_dev), static_cast<uint64_t>(st.st_ino)};
  }
};

struct FileRecord {
  std::string path;                     // resolved path the file was first reached by
  std::vector<std::string> aliases;     // other resolved names domains reached it by
  FileIdentity identity;
  std::optional<std::string> original;  // nullopt: the file had no label
  std::string label;                    // label svirt set
  std::vector<std::string> users;       // domains holding it, in order of arrival
  std::string kind;                     // resource kind name, for reports
  bool operator==(const FileRecord&) const = default;
};
using FileTable = std::map<std::string, FileRecord>;  // by resolved path

// The record of the file with `id` (by identity, whatever name it was
// reached by), else the record at `path` when it has no identity; null
// when there is none.
FileRecord* find_record(FileTable& files, const FileIdentity& id, const std::string& path);

struct DomainRecord {
  std::string name;
  std::string state;  // "preparing", "prepared", "running"
  std::string live_xml;
  pid_t pid = 0;
  uint64_t start_time = 0;  // /proc/PID/stat field 22, to tell a recycled pid apart
  std::string boot_id;      // a record from an earlier boot has no live process
  // How many file records held the domain when it was prepared: release
  // finding none although there were some means the records were lost.
  uint64_t files = 0;
};

// How many records of `files` the domain `name` holds.
size_t records_held_by(const FileTable& files, const std::string& name);

// pair "cA,cB" -> domain name
using McsRegistry = std::map<std::string, std::string>;

class StateLock {
 public:
  StateLock() = default;
  explicit StateLock(UniqueFd fd) : fd_(std::move(fd)) {}
  bool held() const { return fd_.valid(); }

 private:
  UniqueFd fd_;  // closing it releases the flock
};

class FilesJournal;

class StateDir {
 public:
  // Creates the directory (0700) if needed and checks it is writable.
  static Result<StateDir> open(const std::string& dir);

  const std::string& path() const { return dir_; }

  // Blocks until this process holds the host-wide lock.
  Result<StateLock> lock() const;

  Result<FileTable> load_files() const;
  Result<void> save_files(const FileTable& files) const;

  Result<McsRegistry> load_registry() const;
  Result<void> save_registry(const McsRegistry& reg) const;

  Result<std::optional<DomainRecord>> read_domain(const std::string& name) const;
  // Every readable domain record. A record that cannot be read (damaged)
  // stops only that domain: it is left out, and named in `damaged` with
  // why, so the other domains keep working.
  struct DamagedDomain {
    std::string name;
    Error error;
  };
  Result<std::vector<DomainRecord>> list_domains(std::vector<DamagedDomain>* damaged) const;
  // Moves a damaged state file aside (NAME.damaged-TIMESTAMP), keeping it
  // for inspection; returns the new name.
  Result<std::string> set_aside(const std::string& name) const;
  Result<void> write_domain(const DomainRecord& rec) const;
  Result<void> remove_domain(const std::string& name) const;

  // Writes `content` to dir/name atomically (tmp, rename) and, when
  // `durable`, survives a crash of the host (fsync of the file and directory).
  Result<void> write_atomic(const std::string& name, const std::string& content,
                            bool durable) const;
  // Contents of dir/name, nullopt if missing.
  Result<std::optional<std::string>> read(const std::string& name) const;

 private:
  explicit StateDir(std::string dir);
  std::string dir_;
  // Shared by copies: the table it caches is the journal's, whoever reads it.
  std::shared_ptr<FilesJournal> files_;
};

// This boot's id (/proc/sys/kernel/random/boot_id).
std::string current_boot_id();
// Start time of `pid` in clock ticks since boot, nullopt when the process is
// gone, or a zombie unless `include_zombie` (an exited VM counts as gone before
// it is reaped, but its parent may still want to record when it started).
std::optional<uint64_t> process_start_time(pid_t pid, bool include_zombie = false);
// True when the recorded process is still the one running.
bool record_alive(const DomainRecord& rec);

}  // namespace svirt::internal
