"""Real small and read-only filesystems for tests: a tmpfs mounted for one test.

Mounting needs root (CAP_SYS_ADMIN); where it is not permitted the test is skipped, saying so.

Example::

    with tmpfs(tmp_path / "disk", size="1m") as disk:
        ...                        # a 1 MiB filesystem: writing more fails with ENOSPC
        remount_read_only(disk)    # now every write fails with EROFS
"""

from __future__ import annotations

import contextlib
import os
import shutil
import stat
import subprocess
from pathlib import Path

import pytest


def _mount(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run(["mount", *args], capture_output=True, text=True, timeout=30)


@contextlib.contextmanager
def tmpfs(path: Path, size: str = "1m"):
    """A tmpfs of ``size`` mounted at ``path`` for the block, unmounted after (skips the test
    where mounting is not permitted)."""
    if shutil.which("mount") is None:
        pytest.skip("no mount command here: cannot make a small or read-only filesystem")
    path.mkdir(parents=True, exist_ok=True)
    done = _mount("-t", "tmpfs", "-o", f"size={size},mode=0755", "tmpfs", str(path))
    if done.returncode != 0:
        pytest.skip(f"mounting a tmpfs is not permitted here: {done.stderr.strip()}")
    try:
        yield path
    finally:
        subprocess.run(["umount", "-l", str(path)], capture_output=True, timeout=30)


def remount_read_only(path: Path) -> None:
    """Make the tmpfs at ``path`` read-only: every write there fails with EROFS, even root's."""
    done = _mount("-o", "remount,ro", str(path))
    if done.returncode != 0:
        pytest.skip(f"remounting read-only is not permitted here: {done.stderr.strip()}")


@contextlib.contextmanager
def read_only_later(path: Path):
    """A directory at ``path``, writable until the yielded ``seal()`` makes it read-only for
    this process and its children: as root (whom modes do not stop), a tmpfs remounted
    read-only; as another user, every mode without write permission (restored after).

    Example::

        with read_only_later(tmp_path / "home") as seal:
            fill(tmp_path / "home")
            seal()
    """
    if os.geteuid() != 0:
        path.mkdir(parents=True, exist_ok=True)
        try:
            yield lambda: _chmod_tree(path, writable=False)
        finally:
            _chmod_tree(path, writable=True)
        return
    with tmpfs(path, size="16m"):
        yield lambda: remount_read_only(path)


def _chmod_tree(path: Path, writable: bool) -> None:
    for item in [path, *path.rglob("*")]:
        mode = item.stat().st_mode
        item.chmod(mode | stat.S_IWUSR if writable else mode & ~0o222)
