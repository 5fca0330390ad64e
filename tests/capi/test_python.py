#!/usr/bin/env python3
# SPDX-License-Identifier: LGPL-2.1-or-later
"""The Python binding with the test driver: prepare/release of a domain with
one disk, launch and dominfo, recovery, errors with codes and messages.

Needs SVIRT_LIBRARY (the built libsvirt.so) and the binding on PYTHONPATH;
exits 77 (skip) when no filesystem here supports user xattrs.
"""
import os
import shutil
import signal
import sys
import tempfile
import unittest

import svirt

XATTR = "user.svirt.label"
ORIGINAL = "system_u:object_r:virt_image_t:s0"


def xattr_tmpdir():
    for base in (os.environ.get("SVIRT_BUILD_ROOT"), "/var/tmp", "/tmp"):
        if not base or not os.path.isdir(base):
            continue
        d = tempfile.mkdtemp(prefix="svirt-py-", dir=base)
        probe = os.path.join(d, "probe")
        open(probe, "w").close()
        try:
            os.setxattr(probe, "user.svirt.probe", b"1")
            os.unlink(probe)
            return d
        except OSError:
            shutil.rmtree(d)
    return None


def label_of(path):
    try:
        return os.getxattr(path, XATTR).decode()
    except OSError:
        return None


def domain(name, disk):
    return ("<domain type='kvm'><name>%s</name><devices>"
            "<disk type='file' device='disk'><source file='%s'/><target dev='vda'/></disk>"
            "</devices></domain>" % (name, disk))


class ManagerTest(unittest.TestCase):
    def setUp(self):
        self.dir = xattr_tmpdir()
        self.state = os.path.join(self.dir, "state")
        self.disk = os.path.join(self.dir, "vm.img")
        with open(self.disk, "w") as f:
            f.write("data")
        os.setxattr(self.disk, XATTR, ORIGINAL.encode())
        self.mgr = svirt.Manager(driver="test", state_dir=self.state)

    def tearDown(self):
        self.mgr.close()
        shutil.rmtree(self.dir)

    def test_prepare_release_from_string(self):
        vm = self.mgr.prepare(domain("vm1", self.disk))
        self.assertEqual(vm["name"], "vm1")
        self.assertIn(":svirt_t:s0:c", vm["label"])
        self.assertIn(":svirt_image_t:s0:c", vm["imagelabel"])
        self.assertEqual(vm["label"].rsplit(":", 1)[1], vm["imagelabel"].rsplit(":", 1)[1])
        self.assertIn(vm["label"], vm["live_xml"])
        self.assertEqual(label_of(self.disk), vm["imagelabel"])
        self.mgr.release("vm1")
        self.assertEqual(label_of(self.disk), ORIGINAL)

    def test_prepare_from_file(self):
        path = os.path.join(self.dir, "vm2.xml")
        with open(path, "w") as f:
            f.write(domain("vm2", self.disk))
        vm = self.mgr.prepare(path)
        self.assertEqual(vm["name"], "vm2")
        self.assertEqual(label_of(self.disk), vm["imagelabel"])
        self.mgr.release("vm2")
        self.assertEqual(label_of(self.disk), ORIGINAL)

    def test_launch_dominfo_recover(self):
        vm = self.mgr.prepare(domain("vm3", self.disk))
        self.assertEqual(self.mgr.dominfo("vm3")["label"], vm["label"])  # not started yet
        pid = self.mgr.launch("vm3", ["sleep", "30"])
        self.assertGreater(pid, 0)
        try:
            info = self.mgr.dominfo("vm3")
            self.assertEqual(info["label"], vm["label"])
            self.assertTrue(info["enforcing"])  # the test driver plays an enforcing host
        finally:
            os.kill(pid, signal.SIGKILL)
            os.waitpid(pid, 0)
        self.mgr.recover()
        self.assertEqual(label_of(self.disk), ORIGINAL)
        with self.assertRaises(svirt.Error) as cm:
            self.mgr.release("vm3")
        self.assertEqual(cm.exception.code, svirt.ERR_NOT_FOUND)

    def test_errors(self):
        with self.assertRaises(svirt.Error) as cm:
            self.mgr.prepare("<domain><name>broken</name>")
        self.assertEqual(cm.exception.code, svirt.ERR_INVALID_INPUT)
        self.assertTrue(cm.exception.message)
        missing = os.path.join(self.dir, "absent.img")
        with self.assertRaises(svirt.Error) as cm:
            self.mgr.prepare(domain("vm4", missing))
        self.assertEqual(cm.exception.code, svirt.ERR_NOT_FOUND)
        self.assertIn("absent.img", str(cm.exception))
        self.mgr.prepare(domain("vm5", self.disk))
        with self.assertRaises(svirt.Error) as cm:
            self.mgr.prepare(domain("vm5", self.disk))
        self.assertEqual(cm.exception.code, svirt.ERR_CONFLICT)
        self.mgr.release("vm5")
        with self.assertRaises(svirt.Error) as cm:
            svirt.Manager(driver="no-such-driver", state_dir=self.state)
        self.assertEqual(cm.exception.code, svirt.ERR_INVALID_INPUT)
        self.assertIn("no-such-driver", cm.exception.message)

    def test_model(self):
        self.assertEqual(self.mgr.model()["model"], "selinux")
        with svirt.Manager(driver="none", state_dir=self.state) as none:
            self.assertEqual(none.model(), {"model": "none", "doi": "0"})

    def test_closed_manager_raises(self):
        self.mgr.close()
        with self.assertRaises(svirt.Error) as cm:
            self.mgr.release("x")
        self.assertEqual(cm.exception.code, svirt.ERR_INVALID_INPUT)


if __name__ == "__main__":
    probe = xattr_tmpdir()
    if probe is None:
        print("SKIPPED: no filesystem with user xattrs for test files", file=sys.stderr)
        sys.exit(77)
    shutil.rmtree(probe)
    unittest.main()
