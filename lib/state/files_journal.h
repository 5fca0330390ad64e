// SPDX-License-Identifier: LGPL-2.1-or-later
//
// files.journal: the durable record of every file svirt relabelled (its
// identity, original label, the label set and the domains using it), as an
// append-only journal.
//
//   "SVIRTFJ1"                      8-byte magic, once
//   { u32 length, u32 crc32c, payload }...   little-endian, one per change
//
// A payload is a GLib key file whose groups say what changed: "put N" holds a
// whole record (as files.db held it), "del N" the path of one that is gone. A
// change is one write(2) and one fdatasync(2): no rename, no directory sync
// except when the file is created or compacted: the bytes written and synced
// do not grow with the number of records already there (the table is still
// compared in memory, which costs microseconds per thousand records).
//
// A record a crash of the host cut short is the last one and fails its
// length or checksum: it is dropped, and the next append truncates it away.
// Nothing is lost by that: the record is made durable before any label it
// describes is changed, so a torn record's labels were never written. A bad
// record followed by good ones is damage no crash makes: the journal is
// refused with an error naming it and the offset, never misread.
//
// When the journal holds four times the bytes its live records need (and at
// least 64 KiB), it is rewritten with only those (temporary file, fsync,
// rename, directory fsync). A files.db written by an earlier release is
// converted on first use and then removed.
//
// Thread-safety: one FilesJournal may be shared by threads (a mutex guards
// the cached table); processes are serialized by the state lock, which
// callers hold around load() ... save().
#pragma once

#include <cstdint>
#include <mutex>
#include <string>

#include "state/state_dir.h"

namespace svirt::internal {

class FilesJournal {
 public:
  explicit FilesJournal(std::string dir) : dir_(std::move(dir)) {}

  // The table the journal holds now. Reads only what was appended since this
  // object last read the same file; replays it whole otherwise.
  Result<FileTable> load();
  // Makes `table` the journal's content: one record with what differs from
  // the journal's current table. Nothing differs: nothing is written.
  Result<void> save(const FileTable& table);

  // Byte and sync counts of this object's appends, for tests and benchmarks.
  struct Stats {
    uint64_t appends = 0;
    uint64_t syncs = 0;
    uint64_t compactions = 0;
  };
  Stats stats() const;

  static constexpr const char* kName = "files.journal";
  static constexpr const char* kLegacyName = "files.db";

 private:
  Result<void> refresh_locked();
  Result<void> replay_locked(int fd, uint64_t from, uint64_t size);
  Result<void> convert_legacy_locked();
  Result<void> compact_locked();
  std::string path() const { return dir_ + "/" + kName; }

  std::string dir_;
  mutable std::mutex mu_;
  // What the journal file held when last read or written by this object.
  bool cached_ = false;
  uint64_t dev_ = 0, ino_ = 0;
  uint64_t end_ = 0;         // offset after the last whole record
  uint64_t live_bytes_ = 0;  // size of the table written as one record
  FileTable table_;
  Stats stats_;
};

// The key-file payloads, shared with the files.db converter.
std::string encode_file_changes(const FileTable& before, const FileTable& after);
Result<void> apply_file_changes(const std::string& payload, FileTable& table,
                                const std::string& origin);
Result<FileTable> parse_legacy_files(const std::string& text, const std::string& origin);

}  // namespace svirt::internal
