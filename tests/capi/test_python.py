#!/usr/bin/env python3
# SPDX-License-Identifier: LGPL-2.1-or-later
"""The Python binding with the test driver: prepare/release of a domain with
one disk, launch and dominfo, recovery, errors with codes and messages; save
file labels; both ends of a live migration, shared storage named by
shared_paths.

Needs SVIRT_LIBRARY (the built libsvirt.so) and the binding on PYTHONPATH;
exits 77 (skip) when no filesystem here supports user xattrs.
"""
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import unittest

import svirt

XATTR = "user.svirt.label"
ORIGINAL = "system_u:object_r:virt_image_t:s0"
SAVE_CTX = "system_u:object_r:virt_var_lib_t:s0"
CARRIED_IMAGE = "system_u:object_r:svirt_image_t:s0:c1,c2"


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


def domain(name, disk, *more, seclabel=""):
    disks = "".join("<disk type='file' device='disk'><source file='%s'/>"
                    "<target dev='vd%s'/></disk>" % (path, chr(ord("a") + i))
                    for i, path in enumerate((disk,) + more))
    return ("<domain type='kvm'><name>%s</name>%s<devices>%s</devices></domain>"
            % (name, seclabel, disks))


def carried(pair):
    """A dynamic seclabel as the source host of a migration filled it in."""
    return ("<seclabel type='dynamic' model='selinux' relabel='yes'>"
            "<label>system_u:system_r:svirt_t:s0:%s</label>"
            "<imagelabel>system_u:object_r:svirt_image_t:s0:%s</imagelabel></seclabel>"
            % (pair, pair))


def pair_of(label):
    return label.rsplit(":", 1)[1]


def make_file(path, label=None):
    with open(path, "w") as f:
        f.write("data")
    if label is not None:
        os.setxattr(path, XATTR, label.encode())


def on_shared_storage(path):
    """Whether svirt would count ``path``'s filesystem as shared storage."""
    try:
        fstype = subprocess.run(["stat", "-f", "-c", "%T", path], capture_output=True,
                                text=True, check=True).stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        return False
    return fstype.startswith(("nfs", "cifs", "smb", "gfs", "ocfs2", "ceph", "afs", "gpfs",
                              "lustre", "beegfs", "9p", "v9fs", "fuse"))


class Fixture(unittest.TestCase):
    """A scratch directory with one labelled disk and a manager over it."""

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


class ManagerTest(Fixture):

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

    def test_warnings_belong_to_their_call(self):
        log = os.path.join(self.dir, "later.log")
        xml = domain("vmw", self.disk).replace(
            "</devices>", "<serial type='file'><source path='%s'/><target port='0'/>"
            "</serial></devices>" % log)
        vm = self.mgr.prepare(xml)
        self.assertEqual(len(vm["warnings"]), 1)
        self.assertIn("later.log", vm["warnings"][0])
        self.assertEqual(self.mgr.release("vmw"), {"name": "vmw", "warnings": []})

    def test_exec_plan_for_own_fork(self):
        vm = self.mgr.prepare(domain("vmx", self.disk))
        plan = self.mgr.exec_plan("vmx")
        self.assertEqual(plan.env, ["SVIRT_LABEL=" + vm["label"]])
        env = dict(os.environ)
        env.update(kv.split("=", 1) for kv in plan.env)
        r, w = os.pipe()
        pid = os.fork()
        if pid == 0:
            try:
                os.close(r)
                plan.enter()
                os.execve("/bin/sleep", ["sleep", "30"], env)
            finally:
                os._exit(127)
        os.close(w)
        os.read(r, 1)  # EOF once the child exec'd (the pipe is close-on-exec)
        os.close(r)
        try:
            self.mgr.mark_running("vmx", pid)
            self.assertEqual(self.mgr.dominfo("vmx")["label"], vm["label"])
        finally:
            os.kill(pid, signal.SIGKILL)
            os.waitpid(pid, 0)
        self.mgr.release("vmx")
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


class SaveLabelTest(Fixture):
    def setUp(self):
        super().setUp()
        self.vm = self.mgr.prepare(domain("vm", self.disk))
        self.save = os.path.join(self.dir, "vm.save")
        make_file(self.save, SAVE_CTX)

    def test_round_trip(self):
        label = self.mgr.save_label("vm", self.save)
        self.assertEqual(label, self.vm["imagelabel"])
        self.assertEqual(label_of(self.save), self.vm["imagelabel"])
        self.mgr.restore_save_label("vm", self.save)
        self.assertEqual(label_of(self.save), SAVE_CTX)
        self.assertEqual(label_of(self.disk), self.vm["imagelabel"])
        # Given back and forgotten: restoring again is a mistake, named.
        with self.assertRaises(svirt.Error) as cm:
            self.mgr.restore_save_label("vm", self.save)
        self.assertEqual(cm.exception.code, svirt.ERR_NOT_FOUND)
        self.assertIn("not labelled for domain 'vm'", cm.exception.message)

    def test_relative_path_and_release(self):
        cwd = os.getcwd()
        os.chdir(self.dir)
        try:
            self.assertEqual(self.mgr.save_label("vm", "vm.save"), self.vm["imagelabel"])
        finally:
            os.chdir(cwd)
        self.assertEqual(label_of(self.save), self.vm["imagelabel"])
        # Never given back by the caller: the domain's release does it.
        self.mgr.release("vm")
        self.assertEqual(label_of(self.save), SAVE_CTX)
        self.assertEqual(label_of(self.disk), ORIGINAL)

    def test_refused(self):
        with self.assertRaises(svirt.Error) as cm:
            self.mgr.save_label("nobody", self.save)
        self.assertEqual(cm.exception.code, svirt.ERR_NOT_FOUND)
        self.assertIn("nobody", cm.exception.message)
        with self.assertRaises(svirt.Error) as cm:
            self.mgr.restore_save_label("nobody", self.save)
        self.assertEqual(cm.exception.code, svirt.ERR_NOT_FOUND)
        self.assertEqual(label_of(self.save), SAVE_CTX)

        link = os.path.join(self.dir, "link.save")
        os.symlink(self.save, link)
        with self.assertRaises(svirt.Error) as cm:
            self.mgr.save_label("vm", link)
        self.assertEqual(cm.exception.code, svirt.ERR_OPERATION_FAILED)
        self.assertIn("symlink", cm.exception.message)
        self.assertEqual(label_of(self.save), SAVE_CTX)

        missing = os.path.join(self.dir, "missing.save")
        with self.assertRaises(svirt.Error) as cm:
            self.mgr.save_label("vm", missing)
        self.assertEqual(cm.exception.code, svirt.ERR_NOT_FOUND)
        self.assertFalse(os.path.lexists(missing))
        # Nothing refused was recorded.
        self.mgr.release("vm")
        self.assertEqual(label_of(self.save), SAVE_CTX)
        self.assertEqual(label_of(self.disk), ORIGINAL)


class MigrationTest(Fixture):
    def setUp(self):
        super().setUp()
        if on_shared_storage(self.dir):
            self.skipTest("the scratch directory is on shared storage")
        self.nfs = os.path.join(self.dir, "nfs")
        os.mkdir(self.nfs)
        self.shared = os.path.join(self.nfs, "shared.img")

    def test_incoming_draws_a_fresh_pair(self):
        vm = self.mgr.prepare(domain("vm", self.disk, seclabel=carried("c1,c2")), incoming=True)
        self.assertIn(":svirt_t:s0:c", vm["label"])
        self.assertNotEqual(pair_of(vm["label"]), "c1,c2")
        self.assertEqual(pair_of(vm["imagelabel"]), pair_of(vm["label"]))
        self.assertNotIn(CARRIED_IMAGE, vm["live_xml"])
        self.assertEqual(label_of(self.disk), vm["imagelabel"])
        self.mgr.release("vm")
        self.assertEqual(label_of(self.disk), ORIGINAL)

    def test_incoming_leaves_shared_storage(self):
        make_file(self.shared, CARRIED_IMAGE)
        vm = self.mgr.prepare(domain("vm", self.disk, self.shared, seclabel=carried("c1,c2")),
                              incoming=True, shared_paths=[self.nfs])
        self.assertNotEqual(pair_of(vm["imagelabel"]), "c1,c2")
        self.assertEqual(label_of(self.disk), vm["imagelabel"])
        self.assertEqual(label_of(self.shared), CARRIED_IMAGE)
        # Never recorded here: no release on this host touches it.
        self.mgr.release("vm")
        self.assertEqual(label_of(self.disk), ORIGINAL)
        self.assertEqual(label_of(self.shared), CARRIED_IMAGE)

    def test_migrated_release_keeps_shared_restores_local(self):
        make_file(self.shared, ORIGINAL)
        vm = self.mgr.prepare(domain("vm", self.disk, self.shared))
        self.assertEqual(label_of(self.shared), vm["imagelabel"])
        cwd = os.getcwd()
        os.chdir(self.dir)
        try:  # a relative shared path counts from the current directory
            self.mgr.release("vm", migrated=True, shared_paths=["nfs"])
        finally:
            os.chdir(cwd)
        self.assertEqual(label_of(self.disk), ORIGINAL)
        self.assertEqual(label_of(self.shared), vm["imagelabel"])
        with self.assertRaises(svirt.Error) as cm:
            self.mgr.release("vm")
        self.assertEqual(cm.exception.code, svirt.ERR_NOT_FOUND)

    def test_argument_errors(self):
        xml = domain("vm", self.disk)
        with self.assertRaises(svirt.Error) as cm:
            self.mgr.prepare(xml, shared_paths=[self.nfs])
        self.assertEqual(cm.exception.code, svirt.ERR_INVALID_INPUT)
        self.assertIn("incoming", cm.exception.message)
        self.assertEqual(label_of(self.disk), ORIGINAL)
        with self.assertRaises(TypeError):
            self.mgr.prepare(xml, incoming=True, shared_paths=self.nfs)
        vm = self.mgr.prepare(xml)
        with self.assertRaises(svirt.Error) as cm:
            self.mgr.release("vm", shared_paths=[self.nfs])
        self.assertEqual(cm.exception.code, svirt.ERR_INVALID_INPUT)
        self.assertEqual(label_of(self.disk), vm["imagelabel"])  # still prepared
        with self.assertRaises(svirt.Error) as cm:
            self.mgr.release("nobody", migrated=True, shared_paths=[self.nfs])
        self.assertEqual(cm.exception.code, svirt.ERR_NOT_FOUND)
        self.assertIn("nobody", cm.exception.message)
        self.mgr.release("vm", migrated=True)  # no shared storage: everything restored
        self.assertEqual(label_of(self.disk), ORIGINAL)


if __name__ == "__main__":
    probe = xattr_tmpdir()
    if probe is None:
        print("SKIPPED: no filesystem with user xattrs for test files", file=sys.stderr)
        sys.exit(77)
    shutil.rmtree(probe)
    unittest.main()
