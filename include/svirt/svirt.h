/* SPDX-License-Identifier: LGPL-2.1-or-later */
/**
 * @file svirt.h
 * @brief The C API of libsvirt: sVirt labels for stacks written in C (or
 * driving the library through an FFI, such as Python's ctypes).
 *
 * A thin, stable layer over svirt::SecurityManager (svirt/manager.h):
 *
 * @code
 *   svirt_manager *mgr = NULL;
 *   svirt_domain *dom = NULL;
 *   svirt_error *err = NULL;
 *   char *live = NULL, *label = NULL, *imagelabel = NULL;
 *   if (svirt_manager_open("auto", NULL, "/var/lib/svirt", &mgr, &err) < 0 ||
 *       svirt_domain_parse_file("vm1.xml", &dom, &err) < 0 ||
 *       svirt_prepare(mgr, dom, &live, &label, &imagelabel, NULL, &err) < 0) {
 *     fprintf(stderr, "%s\n", svirt_error_message(err));
 *     ...
 *   }
 *   const char *const argv[] = {"/usr/bin/qemu-system-x86_64", "...", NULL};
 *   pid_t pid;
 *   svirt_launch(mgr, "vm1", argv, &pid, &err);
 *   ...
 *   char **warnings = NULL;
 *   svirt_release(mgr, "vm1", &warnings, &err);
 *   for (char **w = warnings; w && *w; ++w) fprintf(stderr, "warning: %s\n", *w);
 *   svirt_strv_free(warnings);
 *   svirt_free(live); svirt_free(label); svirt_free(imagelabel);
 *   svirt_domain_free(dom);
 *   svirt_manager_free(mgr);
 * @endcode
 *
 * Conventions every function keeps:
 *  - Functions that can fail return 0 on success and -1 on failure. On
 *    failure, when @p err is not NULL, *err receives a new svirt_error the
 *    caller frees with svirt_error_free(); on success *err is left untouched.
 *    Passing NULL for @p err is allowed: the details are then dropped.
 *  - Out-parameters are written only on success. Strings handed out through
 *    them are NUL-terminated, owned by the caller and freed with svirt_free().
 *  - Calls that can meet conditions that do not fail them (a filesystem that
 *    cannot hold labels, an error ignored on a permissive host) take a
 *    @p warnings_out: when not NULL, on success it receives a NULL-terminated
 *    array of this call's own warnings (never an earlier call's), freed with
 *    svirt_strv_free(); an empty array when there were none.
 *  - A NULL handle or NULL required argument is a failure with code
 *    SVIRT_ERR_INVALID_INPUT, never a crash. Every *_free function accepts NULL.
 *  - Nothing is printed or logged; nothing throws (C++ exceptions are caught
 *    and reported as SVIRT_ERR_OPERATION_FAILED).
 *
 * Thread-safety: a svirt_manager may be used from several threads at once;
 * lifecycle calls serialize on a host-wide lock in the state directory, which
 * also serializes them with other processes using the same directory. A
 * svirt_domain is an immutable value after parsing and may be shared between
 * threads. A svirt_error belongs to the thread that received it.
 * svirt_exec_plan_enter() is async-signal-safe, for the child of fork() in a
 * multi-threaded process; every other call is for ordinary threads only.
 */
#ifndef SVIRT_SVIRT_H
#define SVIRT_SVIRT_H

#include <sys/types.h>

#include "svirt/export.h"

#ifdef __cplusplus
extern "C" {
#endif

/** A security manager: one driver and one state directory. Opaque. */
typedef struct svirt_manager svirt_manager;
/** A parsed, validated domain definition (libvirt domain XML). Opaque. */
typedef struct svirt_domain svirt_domain;
/** The reason a call failed: a code and one line of text. Opaque. */
typedef struct svirt_error svirt_error;

/** What a child must do to run under a domain's label. Opaque. */
typedef struct svirt_exec_plan svirt_exec_plan;

/**
 * Error categories. The values are part of the ABI and never change;
 * they follow svirt::ErrorCode.
 */
typedef enum svirt_errcode {
  SVIRT_ERR_INVALID_INPUT = 1,    /**< malformed XML, argument or config */
  SVIRT_ERR_OPERATION_FAILED = 2, /**< a system call or labeling step failed */
  SVIRT_ERR_CONFLICT = 3,         /**< resource in use with another label, or name taken */
  SVIRT_ERR_EXHAUSTED = 4,        /**< no free MCS category pair is left */
  SVIRT_ERR_NOT_FOUND = 5,        /**< no such domain, file or record */
  SVIRT_ERR_UNSUPPORTED = 6       /**< the host cannot do this */
} svirt_errcode;

/**
 * Opens a security manager.
 *
 * @param driver      "selinux", "test", "none" or "auto" (selinux when SELinux
 *                    is enabled, else none). NULL means "auto".
 * @param config_file key file to read; NULL: /etc/svirt/svirt.conf when it
 *                    exists, else built-in defaults.
 * @param state_dir   directory holding the lock, the MCS registry and the
 *                    per-domain and per-file records; created if missing.
 *                    NULL means "/var/lib/svirt".
 * @param out         receives the manager; free it with svirt_manager_free().
 * @param err         receives the error on failure (may be NULL).
 * @return 0 on success, -1 on failure.
 *
 * Opening runs recovery: domains whose process is gone get their files'
 * original labels back (see svirt_recover()).
 */
SVIRT_EXPORT int svirt_manager_open(const char *driver, const char *config_file,
                                    const char *state_dir, svirt_manager **out,
                                    svirt_error **err);

/** Closes a manager. Recorded domains stay recorded. NULL is allowed. */
SVIRT_EXPORT void svirt_manager_free(svirt_manager *mgr);

/**
 * Parses and validates a domain XML file.
 *
 * @param path file to read.
 * @param out  receives the domain; free it with svirt_domain_free().
 * @param err  receives the error on failure (may be NULL).
 * @return 0 on success, -1 on failure.
 */
SVIRT_EXPORT int svirt_domain_parse_file(const char *path, svirt_domain **out,
                                         svirt_error **err);

/**
 * Parses and validates a domain XML document held in memory.
 *
 * @param xml NUL-terminated document.
 * @param out receives the domain; free it with svirt_domain_free().
 * @param err receives the error on failure (may be NULL).
 * @return 0 on success, -1 on failure.
 */
SVIRT_EXPORT int svirt_domain_parse_string(const char *xml, svirt_domain **out,
                                           svirt_error **err);

/**
 * The domain's name, owned by @p dom and valid until svirt_domain_free();
 * NULL when @p dom is NULL.
 */
SVIRT_EXPORT const char *svirt_domain_name(const svirt_domain *dom);

/** Frees a domain. NULL is allowed. */
SVIRT_EXPORT void svirt_domain_free(svirt_domain *dom);

/**
 * Labels a domain and every host resource it names, as one transaction, and
 * records it in the state directory under its name.
 *
 * @param mgr            the manager.
 * @param dom            the domain as the user wrote it.
 * @param live_xml_out   receives the live domain XML (label and imagelabel
 *                       filled in); may be NULL when not wanted.
 * @param label_out      receives the process label ("" for an unlabelled
 *                       domain); may be NULL.
 * @param imagelabel_out receives the image label ("" when nothing is
 *                       relabelled); may be NULL.
 * @param warnings_out   receives this call's warnings (see the conventions);
 *                       may be NULL.
 * @param err            receives the error on failure (may be NULL).
 * @return 0 on success, -1 on failure. On failure nothing is left labelled;
 *         a domain of the same name already recorded fails with
 *         SVIRT_ERR_CONFLICT.
 */
SVIRT_EXPORT int svirt_prepare(svirt_manager *mgr, const svirt_domain *dom,
                               char **live_xml_out, char **label_out,
                               char **imagelabel_out, char ***warnings_out,
                               svirt_error **err);

/**
 * Gives every resource of the recorded domain @p name its original label back,
 * returns the domain's label to the pool and forgets the domain.
 *
 * Restores everything it can; if any resource fails, the call fails with a
 * summary of the failures and the domain stays recorded so a later release
 * or recovery can retry.
 *
 * @return 0 on success, -1 on failure (SVIRT_ERR_NOT_FOUND for an unknown name).
 */
SVIRT_EXPORT int svirt_release(svirt_manager *mgr, const char *name, char ***warnings_out,
                               svirt_error **err);

/**
 * The destination's end of a live migration: svirt_prepare() for a domain
 * arriving from another host, with the domain XML the source sent.
 *
 * During a live migration the domain runs on both hosts at once, each host
 * has its own MCS registry, and storage both hosts reach is in use by the
 * source. So, unlike svirt_prepare():
 *  - The label and imagelabel of a dynamic seclabel are the source host's:
 *    they are dropped and a fresh pair is drawn here, never the carried one
 *    (and, as always, never one a domain here holds). A static seclabel is
 *    kept as written; when a domain here holds its pair the call fails with
 *    SVIRT_ERR_CONFLICT naming both domains.
 *  - Files on shared storage keep the label they carry, because the source
 *    still runs on them. They are not recorded here, so no release or
 *    recovery on this host ever changes them, also after a failed migration
 *    (svirt_release() is then enough). The VM here can use such a
 *    file only once it carries a label both hosts give it (a static
 *    seclabel, a shareable disk, a context= mount, or a filesystem without
 *    per-file labels).
 *  - Files on local storage are labelled as by svirt_prepare().
 *
 * A file is on shared storage when its filesystem is a network or cluster
 * one (NFS, CIFS/SMB, GFS2, OCFS2, CephFS, AFS, GPFS, Lustre, BeeGFS, 9p,
 * GlusterFS, ceph-fuse or Quobyte over FUSE), or when it lies at or below one
 * of @p shared_paths.
 *
 * @param mgr            the manager.
 * @param dom            the domain as the source sent it.
 * @param shared_paths   NULL-terminated list of absolute directories whose
 *                       trees count as shared storage whatever their
 *                       filesystem; NULL for none. Symlinks in them are
 *                       resolved when the call starts; the list is only read
 *                       during the call.
 * @param live_xml_out   receives the live domain XML, with this host's label;
 *                       may be NULL.
 * @param label_out      receives the process label drawn here; may be NULL.
 * @param imagelabel_out receives the image label drawn here; may be NULL.
 * @param err            receives the error on failure (may be NULL).
 * @return 0 on success, -1 on failure (SVIRT_ERR_INVALID_INPUT for a relative
 *         shared path). On failure nothing is left labelled, as with
 *         svirt_prepare().
 */
SVIRT_EXPORT int svirt_prepare_incoming(svirt_manager *mgr, const svirt_domain *dom,
                                        const char *const shared_paths[],
                                        char **live_xml_out, char **label_out,
                                        char **imagelabel_out, char ***warnings_out,
                                        svirt_error **err);

/**
 * The source's end of a live migration, once the destination has taken over
 * and the VM process here has exited: svirt_release() that leaves files on
 * shared storage to the domain now running on the destination.
 *
 *  - Files on local storage get their original label back, as by
 *    svirt_release().
 *  - Files on shared storage (as svirt_prepare_incoming() tells them) that no
 *    other domain here uses are forgotten, not restored: they keep the label
 *    they carry. One that other domains here still use keeps its label until
 *    the last of them is released, as always.
 *  - The domain's label returns to the pool and the domain is forgotten.
 *
 * @param mgr          the manager.
 * @param name         a recorded domain.
 * @param shared_paths NULL-terminated list of absolute directories whose trees
 *                     count as shared storage, as for svirt_prepare_incoming();
 *                     NULL for none.
 * @param err          receives the error on failure (may be NULL).
 * @return 0 on success, -1 on failure (SVIRT_ERR_NOT_FOUND for an unknown
 *         name, SVIRT_ERR_INVALID_INPUT for a relative shared path). As with
 *         svirt_release(), a failure leaves the domain recorded for a later
 *         release or recovery to retry; when forgetting the shared files fails
 *         (the state directory cannot be written), nothing is restored.
 */
SVIRT_EXPORT int svirt_release_migrated(svirt_manager *mgr, const char *name,
                                        const char *const shared_paths[],
                                        char ***warnings_out, svirt_error **err);

/**
 * Forks, gives the child the domain's process label, executes argv[0]
 * (searching PATH) and records the child's pid.
 *
 * @param mgr     the manager.
 * @param name    a domain prepared with svirt_prepare().
 * @param argv    NULL-terminated argument vector; argv[0] must not be NULL.
 * @param pid_out receives the child's pid; may be NULL.
 * @param err     receives the error on failure (may be NULL).
 * @return 0 on success, -1 on failure. The caller reaps the child.
 */
SVIRT_EXPORT int svirt_launch(svirt_manager *mgr, const char *name,
                              const char *const argv[], pid_t *pid_out,
                              svirt_error **err);

/**
 * For stacks that fork themselves, in the parent before fork(): what the
 * child must do so the program it executes runs under the domain's label.
 *
 * In the child, right before exec, call svirt_exec_plan_enter() and execute
 * the program with the entries of svirt_exec_plan_env() added to its
 * environment; then, in the parent, record the child (svirt_launch() does
 * all of this itself). Free the plan in the parent, after fork.
 *
 * @param mgr  the manager.
 * @param name a domain prepared with svirt_prepare().
 * @param out  receives the plan; free it with svirt_exec_plan_free().
 * @param err  receives the error on failure (may be NULL).
 * @return 0 on success, -1 on failure.
 */
SVIRT_EXPORT int svirt_exec_plan_new(svirt_manager *mgr, const char *name,
                                     svirt_exec_plan **out, svirt_error **err);

/**
 * In the forked child: enters the plan. Async-signal-safe (it only opens and
 * writes process attribute files), so it may be called in the child of a
 * multi-threaded parent.
 *
 * @return 0 on success; -1 with errno set when the label cannot be entered.
 */
SVIRT_EXPORT int svirt_exec_plan_enter(const svirt_exec_plan *plan);

/**
 * "K=V" entries the executed program's environment must hold, as a
 * NULL-terminated array owned by @p plan (valid until svirt_exec_plan_free()).
 */
SVIRT_EXPORT const char *const *svirt_exec_plan_env(const svirt_exec_plan *plan);

/** Frees a plan. NULL is allowed. */
SVIRT_EXPORT void svirt_exec_plan_free(svirt_exec_plan *plan);

/**
 * Records that the domain now runs as @p pid (svirt_launch() does this
 * itself), so release refuses while it runs and recovery knows it.
 *
 * @return 0 on success, -1 on failure (SVIRT_ERR_NOT_FOUND when the domain is
 *         not prepared or no process @p pid exists).
 */
SVIRT_EXPORT int svirt_mark_running(svirt_manager *mgr, const char *name, pid_t pid,
                                    svirt_error **err);

/**
 * The label the domain's process runs under, as the host reports it
 * (virsh dominfo's "Security label").
 *
 * @param mgr       the manager.
 * @param name      a recorded domain.
 * @param label     receives the label; may be NULL.
 * @param enforcing receives 1 when the host enforces SELinux, 0 when it is
 *                  permissive or disabled; may be NULL.
 * @param err       receives the error on failure (may be NULL).
 * @return 0 on success, -1 on failure.
 */
SVIRT_EXPORT int svirt_dominfo(svirt_manager *mgr, const char *name, char **label,
                               int *enforcing, svirt_error **err);

/**
 * Labels a save file for the domain's process: the file the process writes
 * its state to (or reads it back from) on save, restore or a migration to a
 * file. The file gets the domain's image label and its original label is
 * recorded; svirt_restore_save_label() gives it back, and so does the
 * domain's release (or recovery) should the caller forget.
 *
 * Because the VM may write the file once it carries the label, @p path must
 * be absolute and name an existing regular file directly: a symlink in its
 * place, whatever it points to, fails with SVIRT_ERR_OPERATION_FAILED, as do
 * directories, devices, system paths (such as /etc/passwd, also through a
 * symlink) and the state directory; a missing file fails with
 * SVIRT_ERR_NOT_FOUND. Symlinks in the directories above it are fine. A
 * refused call changes nothing.
 *
 * A domain whose files are not relabelled (no seclabel with relabelling,
 * driver "none") leaves the file untouched and succeeds.
 *
 * @param mgr       the manager.
 * @param name      a recorded domain, prepared or running.
 * @param path      the save file.
 * @param label_out receives the label the file now carries: the domain's
 *                  image label, or "" when the file was left untouched; may
 *                  be NULL.
 * @param err       receives the error on failure (may be NULL).
 * @return 0 on success, -1 on failure (SVIRT_ERR_NOT_FOUND for an unknown
 *         name, SVIRT_ERR_INVALID_INPUT for a relative path).
 */
SVIRT_EXPORT int svirt_save_label(svirt_manager *mgr, const char *name, const char *path,
                                  char **label_out, char ***warnings_out, svirt_error **err);

/**
 * Gives a save file labelled by svirt_save_label() its original label back
 * and forgets it. A save file deleted since it was labelled just has its
 * record dropped. The same paths are refused as by svirt_save_label().
 *
 * @param mgr  the manager.
 * @param name the recorded domain the file was labelled for.
 * @param path the save file, as given to svirt_save_label().
 * @param err  receives the error on failure (may be NULL).
 * @return 0 on success, -1 on failure: SVIRT_ERR_NOT_FOUND for an unknown
 *         name, and for a path not labelled for this domain (unless the
 *         domain's files are not relabelled at all, which succeeds).
 */
SVIRT_EXPORT int svirt_restore_save_label(svirt_manager *mgr, const char *name,
                                          const char *path, char ***warnings_out,
                                          svirt_error **err);

/**
 * Drops the domain's records of files that its release could not give back
 * (replaced, moved away, or relabelled by someone since; see
 * SecurityManager::forget in svirt/manager.h), leaving the files as they
 * are, so that the release can complete once the administrator has put them
 * right. The warnings name, for each file, the label it keeps and its label
 * before svirt.
 *
 * @param mgr          the manager.
 * @param name         the domain (a recorded one, or one whose records
 *                     recovery could not restore).
 * @param paths        NULL-terminated array of absolute paths, as release
 *                     reported them.
 * @param warnings_out receives a NULL-terminated array (svirt_strv_free()),
 *                     may be NULL.
 * @param err          receives the error on failure (may be NULL).
 * @return 0 when every path was forgotten, -1 otherwise (SVIRT_ERR_NOT_FOUND
 *         for a path the domain has no record of); the paths that could be
 *         forgotten are, even then.
 */
SVIRT_EXPORT int svirt_forget(svirt_manager *mgr, const char *name, const char *const *paths,
                              char ***warnings_out, svirt_error **err);

/**
 * Releases every recorded domain whose process is gone (or never started) and
 * re-reserves the labels of those still running. svirt_manager_open() already
 * does this; call it again after a crash of the stack's own daemon.
 *
 * @return 0 when every domain was handled, -1 on failure (the error
 *         summarizes the first failure and how many there were).
 */
SVIRT_EXPORT int svirt_recover(svirt_manager *mgr, char ***warnings_out, svirt_error **err);

/**
 * The node's security model, as `virsh nodeinfo` prints it.
 *
 * @param mgr   the manager.
 * @param model receives the model name ("selinux", "none"); may be NULL.
 * @param doi   receives the domain of interpretation ("0" for SELinux); may be NULL.
 * @return 0 on success, -1 when @p mgr is NULL or memory runs out.
 */
SVIRT_EXPORT int svirt_model(svirt_manager *mgr, char **model, char **doi);

/**
 * The error's one line of text, naming the thing at fault and why. Owned by
 * @p err and valid until svirt_error_free(); a static string when @p err is NULL.
 */
SVIRT_EXPORT const char *svirt_error_message(const svirt_error *err);

/**
 * The error's category, one of svirt_errcode (an int, so FFIs need no enum);
 * SVIRT_ERR_OPERATION_FAILED when @p err is NULL.
 */
SVIRT_EXPORT int svirt_error_code(const svirt_error *err);

/** Frees an error. NULL is allowed. */
SVIRT_EXPORT void svirt_error_free(svirt_error *err);

/** Frees a string returned by this API. NULL is allowed. */
SVIRT_EXPORT void svirt_free(void *ptr);

/** Frees a NULL-terminated string array returned by this API (warnings_out),
 * strings included. NULL is allowed. */
SVIRT_EXPORT void svirt_strv_free(char **strv);

#ifdef __cplusplus
} /* extern "C" */
#endif

#endif /* SVIRT_SVIRT_H */
