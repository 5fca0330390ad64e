# SPDX-License-Identifier: LGPL-2.1-or-later
"""Python binding of libsvirt over its C API (svirt/svirt.h), using ctypes.

    import svirt
    mgr = svirt.Manager(driver="auto", state_dir="/var/lib/svirt")
    vm = mgr.prepare("/etc/vms/web.xml")      # or the XML text itself
    pid = mgr.launch(vm["name"], ["/usr/bin/qemu-system-x86_64", ...])
    ...
    mgr.release(vm["name"])

Live migration: prepare(xml, incoming=True, shared_paths=[...]) on the
destination, release(name, migrated=True, shared_paths=[...]) on the source;
save files: save_label(name, path) and restore_save_label(name, path).

Every failure raises svirt.Error, whose ``code`` is one of the ERR_*
constants and whose ``message`` names the thing at fault and why.

The library is libsvirt.so.1, found through the SVIRT_LIBRARY environment
variable (a path) or else ctypes.util.find_library("svirt").

A Manager may be shared between threads; its lifecycle calls serialize on
the host-wide lock in the state directory.
"""

import ctypes
import ctypes.util
import os

__all__ = ["Error", "Manager", "ERR_INVALID_INPUT", "ERR_OPERATION_FAILED",
           "ERR_CONFLICT", "ERR_EXHAUSTED", "ERR_NOT_FOUND", "ERR_UNSUPPORTED"]

# Values fixed by svirt/svirt.h.
ERR_INVALID_INPUT = 1
ERR_OPERATION_FAILED = 2
ERR_CONFLICT = 3
ERR_EXHAUSTED = 4
ERR_NOT_FOUND = 5
ERR_UNSUPPORTED = 6


class Error(Exception):
    """A failed svirt call: ``code`` (ERR_*) and a one-line ``message``."""

    def __init__(self, code, message):
        super().__init__(message)
        self.code = code
        self.message = message


class _Opaque(ctypes.Structure):
    pass


_P = ctypes.POINTER(_Opaque)
_PP = ctypes.POINTER(_P)
_STR_OUT = ctypes.POINTER(ctypes.c_void_p)  # char**: kept raw so svirt_free gets it back
_STRV = ctypes.POINTER(ctypes.c_char_p)      # char**: a NULL-terminated array of strings
_STRV_OUT = ctypes.POINTER(_STRV)            # char***: where the call puts one


def _load():
    path = os.environ.get("SVIRT_LIBRARY") or ctypes.util.find_library("svirt")
    if not path:
        raise OSError("libsvirt.so.1 not found: set SVIRT_LIBRARY to its path")
    lib = ctypes.CDLL(path, use_errno=True)
    sigs = {
        "svirt_manager_open": (ctypes.c_int, [ctypes.c_char_p, ctypes.c_char_p,
                                              ctypes.c_char_p, _PP, _PP]),
        "svirt_manager_free": (None, [_P]),
        "svirt_domain_parse_file": (ctypes.c_int, [ctypes.c_char_p, _PP, _PP]),
        "svirt_domain_parse_string": (ctypes.c_int, [ctypes.c_char_p, _PP, _PP]),
        "svirt_domain_name": (ctypes.c_char_p, [_P]),
        "svirt_domain_free": (None, [_P]),
        "svirt_prepare": (ctypes.c_int, [_P, _P, _STR_OUT, _STR_OUT, _STR_OUT, _STRV_OUT,
                                         _PP]),
        "svirt_release": (ctypes.c_int, [_P, ctypes.c_char_p, _STRV_OUT, _PP]),
        "svirt_prepare_incoming": (ctypes.c_int, [_P, _P, ctypes.POINTER(ctypes.c_char_p),
                                                  _STR_OUT, _STR_OUT, _STR_OUT, _STRV_OUT,
                                                  _PP]),
        "svirt_release_migrated": (ctypes.c_int, [_P, ctypes.c_char_p,
                                                  ctypes.POINTER(ctypes.c_char_p), _STRV_OUT,
                                                  _PP]),
        "svirt_save_label": (ctypes.c_int, [_P, ctypes.c_char_p, ctypes.c_char_p,
                                            _STR_OUT, _STRV_OUT, _PP]),
        "svirt_restore_save_label": (ctypes.c_int, [_P, ctypes.c_char_p, ctypes.c_char_p,
                                                    _STRV_OUT, _PP]),
        "svirt_forget": (ctypes.c_int, [_P, ctypes.c_char_p, ctypes.POINTER(ctypes.c_char_p),
                                        _STRV_OUT, _PP]),
        "svirt_launch": (ctypes.c_int, [_P, ctypes.c_char_p,
                                        ctypes.POINTER(ctypes.c_char_p),
                                        ctypes.POINTER(ctypes.c_int), _PP]),
        "svirt_exec_plan_new": (ctypes.c_int, [_P, ctypes.c_char_p, _PP, _PP]),
        "svirt_exec_plan_enter": (ctypes.c_int, [_P]),
        "svirt_exec_plan_env": (ctypes.POINTER(ctypes.c_char_p), [_P]),
        "svirt_exec_plan_free": (None, [_P]),
        "svirt_mark_running": (ctypes.c_int, [_P, ctypes.c_char_p, ctypes.c_int, _PP]),
        "svirt_dominfo": (ctypes.c_int, [_P, ctypes.c_char_p, _STR_OUT,
                                         ctypes.POINTER(ctypes.c_int), _PP]),
        "svirt_recover": (ctypes.c_int, [_P, _STRV_OUT, _PP]),
        "svirt_model": (ctypes.c_int, [_P, _STR_OUT, _STR_OUT]),
        "svirt_error_message": (ctypes.c_char_p, [_P]),
        "svirt_error_code": (ctypes.c_int, [_P]),
        "svirt_error_free": (None, [_P]),
        "svirt_free": (None, [ctypes.c_void_p]),
        "svirt_strv_free": (None, [ctypes.c_void_p]),
    }
    for name, (restype, argtypes) in sigs.items():
        fn = getattr(lib, name)
        fn.restype = restype
        fn.argtypes = argtypes
    return lib


_lib = None


def _library():
    global _lib
    if _lib is None:
        _lib = _load()
    return _lib


def _b(text):
    return None if text is None else os.fsencode(text)


def _check(rc, err):
    """Raises the svirt_error in ``err`` (and frees it) when ``rc`` failed."""
    if rc == 0:
        return
    lib = _library()
    if err:
        code = lib.svirt_error_code(err)
        message = lib.svirt_error_message(err).decode("utf-8", "replace")
        lib.svirt_error_free(err)
    else:
        code, message = ERR_OPERATION_FAILED, "svirt call failed without details"
    raise Error(code, message)


def _path(path):
    """A path for the C API, made absolute against the current directory (the
    library takes absolute paths only)."""
    return os.fsencode(os.path.abspath(os.fspath(path)))


def _shared_paths(caller, flag, flag_name, paths):
    """The NULL-terminated char*[] of shared trees for the C API, or None."""
    if isinstance(paths, (str, bytes, os.PathLike)):
        raise TypeError("%s: shared_paths is a list of paths, not one path" % caller)
    paths = list(paths or ())
    if paths and not flag:
        raise Error(ERR_INVALID_INPUT,
                    "%s: shared_paths only counts with %s=True" % (caller, flag_name))
    return (ctypes.c_char_p * (len(paths) + 1))(*[_path(p) for p in paths], None)


def _take_strv(ptr):
    """The NULL-terminated C string array at ``ptr`` as a list of str, then
    svirt_strv_free()s it."""
    if not ptr:
        return []
    try:
        out = []
        i = 0
        while ptr[i]:
            out.append(ptr[i].decode("utf-8", "replace"))
            i += 1
        return out
    finally:
        _library().svirt_strv_free(ctypes.cast(ptr, ctypes.c_void_p))


def _take(ptr):
    """The C string at ``ptr`` (a c_void_p) as str, then svirt_free()s it."""
    if not ptr.value:
        return None
    try:
        return ctypes.string_at(ptr.value).decode("utf-8", "replace")
    finally:
        _library().svirt_free(ptr.value)


class ExecPlan:
    """What a child must do to run under a domain's label (Manager.exec_plan)."""

    def __init__(self, ptr):
        self._ptr = ptr
        env = _library().svirt_exec_plan_env(ptr)
        self.env = []
        i = 0
        while env[i]:
            self.env.append(env[i].decode("utf-8", "replace"))
            i += 1

    def enter(self):
        """In the child: enters the label for the next exec; raises OSError."""
        if _library().svirt_exec_plan_enter(self._ptr) != 0:
            e = ctypes.get_errno()
            raise OSError(e, os.strerror(e) if e else "cannot enter the label")

    def __del__(self):
        if getattr(self, "_ptr", None):
            _library().svirt_exec_plan_free(self._ptr)
            self._ptr = None


class _Domain:
    """A parsed domain; freed when the object is."""

    def __init__(self, xml_path_or_string):
        lib = _library()
        self._ptr = _P()
        err = _P()
        text = xml_path_or_string
        if text.lstrip().startswith("<"):
            rc = lib.svirt_domain_parse_string(text.encode("utf-8"), ctypes.byref(self._ptr),
                                               ctypes.byref(err))
        else:
            rc = lib.svirt_domain_parse_file(_b(text), ctypes.byref(self._ptr),
                                             ctypes.byref(err))
        _check(rc, err)

    @property
    def name(self):
        return _library().svirt_domain_name(self._ptr).decode("utf-8")

    def __del__(self):
        if getattr(self, "_ptr", None):
            _library().svirt_domain_free(self._ptr)
            self._ptr = None


class Manager:
    """A security manager over one driver and one state directory.

    driver: "selinux", "test", "none" or "auto"; config: key file or None
    (/etc/svirt/svirt.conf when it exists); state_dir: where locks and records
    live. Opening runs recovery.
    """

    def __init__(self, driver="auto", config=None, state_dir="/var/lib/svirt"):
        lib = _library()
        self._ptr = _P()
        err = _P()
        _check(lib.svirt_manager_open(_b(driver), _b(config), _b(state_dir),
                                      ctypes.byref(self._ptr), ctypes.byref(err)), err)

    def close(self):
        """Frees the manager now; recorded domains stay recorded."""
        if getattr(self, "_ptr", None):
            _library().svirt_manager_free(self._ptr)
            self._ptr = None

    __del__ = close

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()

    def _handle(self):
        if not self._ptr:
            raise Error(ERR_INVALID_INPUT, "svirt.Manager: used after close()")
        return self._ptr

    def prepare(self, xml_path_or_string, incoming=False, shared_paths=None):
        """Labels the domain and its resources; returns dict(name, label,
        imagelabel, live_xml). A string starting with '<' is the XML itself,
        anything else a path to it.

        incoming=True: the destination of a live migration, with the XML the
        source sent (svirt_prepare_incoming): a fresh pair is drawn instead of
        a dynamic one the XML carries, and files on shared storage keep their
        label. shared_paths: directories whose trees count as shared storage
        (relative ones against the current directory); only with incoming."""
        handle = self._handle()
        dom = _Domain(xml_path_or_string)
        shared = _shared_paths("svirt.Manager.prepare", incoming, "incoming", shared_paths)
        live, label, image = ctypes.c_void_p(), ctypes.c_void_p(), ctypes.c_void_p()
        warnings = _STRV()
        err = _P()
        lib = _library()
        if incoming:
            rc = lib.svirt_prepare_incoming(handle, dom._ptr, shared, ctypes.byref(live),
                                            ctypes.byref(label), ctypes.byref(image),
                                            ctypes.byref(warnings), ctypes.byref(err))
        else:
            rc = lib.svirt_prepare(handle, dom._ptr, ctypes.byref(live), ctypes.byref(label),
                                   ctypes.byref(image), ctypes.byref(warnings),
                                   ctypes.byref(err))
        _check(rc, err)
        return {"name": dom.name, "label": _take(label), "imagelabel": _take(image),
                "live_xml": _take(live), "warnings": _take_strv(warnings)}

    def release(self, name, migrated=False, shared_paths=None):
        """Restores every resource of ``name`` and forgets the domain.

        migrated=True: the source of a live migration, once the destination
        took over (svirt_release_migrated): files on shared storage are
        forgotten with the label they carry instead of restored.
        shared_paths: as for prepare(); only with migrated."""
        handle = self._handle()
        shared = _shared_paths("svirt.Manager.release", migrated, "migrated", shared_paths)
        warnings = _STRV()
        err = _P()
        lib = _library()
        if migrated:
            rc = lib.svirt_release_migrated(handle, _b(name), shared, ctypes.byref(warnings),
                                            ctypes.byref(err))
        else:
            rc = lib.svirt_release(handle, _b(name), ctypes.byref(warnings), ctypes.byref(err))
        _check(rc, err)
        return {"name": name, "warnings": _take_strv(warnings)}

    def save_label(self, name, path):
        """Labels the save file ``path`` for the process of domain ``name``
        (svirt_save_label); returns the label it now carries ("" when the
        domain's files are not relabelled). ``path`` must name an existing
        regular file, not a symlink; a relative one counts from the current
        directory. Released with the domain if restore_save_label() is not
        called."""
        label = ctypes.c_void_p()
        err = _P()
        _check(_library().svirt_save_label(self._handle(), _b(name), _path(path),
                                           ctypes.byref(label), None, ctypes.byref(err)), err)
        return _take(label)

    def restore_save_label(self, name, path):
        """Gives a file labelled by save_label() its original label back."""
        err = _P()
        _check(_library().svirt_restore_save_label(self._handle(), _b(name), _path(path),
                                                   None, ctypes.byref(err)), err)

    def forget(self, name, paths):
        """Drops the domain's records of files its release could not give
        back (replaced, moved, or relabelled since), leaving them as they are;
        returns {"warnings": [...]}, naming each file's label before svirt."""
        if isinstance(paths, (str, bytes, os.PathLike)):
            paths = [paths]
        arr = (ctypes.c_char_p * (len(paths) + 1))(*[_path(p) for p in paths], None)
        warnings = ctypes.POINTER(ctypes.c_char_p)()
        err = _P()
        _check(_library().svirt_forget(self._handle(), _b(name), arr, ctypes.byref(warnings),
                                       ctypes.byref(err)), err)
        return {"warnings": _take_strv(warnings)}

    def launch(self, name, argv):
        """Starts argv (argv[0] searched in PATH) under the domain's label;
        returns the pid. The caller reaps the child (os.waitpid)."""
        args = (ctypes.c_char_p * (len(argv) + 1))(*[_b(a) for a in argv], None)
        pid = ctypes.c_int()
        err = _P()
        _check(_library().svirt_launch(self._handle(), _b(name), args, ctypes.byref(pid),
                                       ctypes.byref(err)), err)
        return pid.value

    def exec_plan(self, name):
        """For a caller that forks itself: made before fork, the plan's
        ``env`` ("K=V" strings) goes into the program's environment and
        ``enter()`` is called in the child right before exec; then
        mark_running(name, pid) in the parent."""
        plan = _P()
        err = _P()
        _check(_library().svirt_exec_plan_new(self._handle(), _b(name), ctypes.byref(plan),
                                              ctypes.byref(err)), err)
        return ExecPlan(plan)

    def mark_running(self, name, pid):
        """Records that domain ``name`` now runs as ``pid``."""
        err = _P()
        _check(_library().svirt_mark_running(self._handle(), _b(name), pid,
                                             ctypes.byref(err)), err)

    def dominfo(self, name):
        """dict(label, enforcing): the label the domain's process runs under."""
        label = ctypes.c_void_p()
        enforcing = ctypes.c_int()
        err = _P()
        _check(_library().svirt_dominfo(self._handle(), _b(name), ctypes.byref(label),
                                        ctypes.byref(enforcing), ctypes.byref(err)), err)
        return {"label": _take(label), "enforcing": bool(enforcing.value)}

    def recover(self):
        """Releases domains whose process is gone; re-reserves running ones."""
        warnings = _STRV()
        err = _P()
        _check(_library().svirt_recover(self._handle(), ctypes.byref(warnings),
                                        ctypes.byref(err)), err)
        return {"warnings": _take_strv(warnings)}

    def model(self):
        """dict(model, doi), as `virsh nodeinfo` prints them."""
        model, doi = ctypes.c_void_p(), ctypes.c_void_p()
        if _library().svirt_model(self._handle(), ctypes.byref(model), ctypes.byref(doi)) != 0:
            raise Error(ERR_OPERATION_FAILED, "svirt_model failed")
        return {"model": _take(model), "doi": _take(doi)}
