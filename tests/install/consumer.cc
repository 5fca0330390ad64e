// SPDX-License-Identifier: LGPL-2.1-or-later
//
// An out-of-tree C++ program built only from the installed headers, library
// and svirt.pc: opens a manager with driver "none" and prints its model.
#include <iostream>

#include <svirt/manager.h>

int main(int argc, char** argv) {
  if (argc != 2) {
    std::cerr << "usage: consumer STATE_DIR\n";
    return 2;
  }
  svirt::ManagerOptions options;
  options.driver = "none";
  options.state_dir = argv[1];
  auto mgr = svirt::SecurityManager::open(options);
  if (!mgr) {
    std::cerr << mgr.error().message << "\n";
    return 1;
  }
  svirt::SecurityModel model = (*mgr)->model();
  std::cout << "model=" << model.model << " doi=" << model.doi << "\n";
  return 0;
}
