// SPDX-License-Identifier: LGPL-2.1-or-later
//
// How the manager's migration calls (svirt/migration.h) reach the driver.
//
// SecurityManager::prepare(def, {incoming}) and release(name, {migrated}) run
// the ordinary prepare and release transactions, under a MigrationScope: for
// as long as the scope lives, the labeling driver's verbs called from this
// thread see its MigrationContext (gen_label avoids the carried pairs,
// set_all_labels leaves shared storage alone, restore_all_labels forgets
// shared files instead of restoring them). Drivers that know nothing of it
// (none, or a stack's own) run their plain verbs. A thread-local scope keeps
// the lifecycle, its locking and its audit records in one place, and no
// other thread ever sees the context.
//
// Thread-safety: each thread has its own current scope.
#pragma once

#include <string>
#include <vector>

#include "core/shared_fs.h"
#include "svirt/domain.h"
#include "svirt/migration.h"

namespace svirt::internal {

struct MigrationContext {
  enum class Side { kIncoming, kMigratedOut };

  MigrationContext(Side s, const SharedStorage& storage) : side(s), shared(storage) {}

  Side side;
  // "cA,cB": pairs of the labels the source's XML carried; never drawn here.
  std::vector<std::string> avoid_pairs;
  SharedStorageTest shared;
};

class MigrationScope {
 public:
  explicit MigrationScope(const MigrationContext& ctx);
  ~MigrationScope();
  MigrationScope(const MigrationScope&) = delete;
  MigrationScope& operator=(const MigrationScope&) = delete;

  // The innermost live scope of this thread, or null.
  static const MigrationContext* current();

 private:
  const MigrationContext* previous_;
};

// `def` without what a migration carries over from the source host: the
// <label> and <imagelabel> of each seclabel that is not static (none has
// neither). The category pairs they named are appended to `carried`.
DomainDef without_carried_labels(const DomainDef& def, std::vector<std::string>* carried);

}  // namespace svirt::internal
