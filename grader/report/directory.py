"""Report directories the grader creates itself, and writes into without ever following a link.

A directory is usable only if this grader created it: either now, or earlier (it then holds the
grader's marker file, is a real directory and belongs to the grader's user). Every write goes
through a file descriptor of the directory opened with ``O_NOFOLLOW``: files are created under a
fresh name with ``O_EXCL | O_NOFOLLOW`` and renamed over the target, so a planted file or symbolic
link is replaced, never written through. Subdirectories (one per student in a batch) are created
at once and re-opened by inode, so a directory swapped in later is refused.
"""

from __future__ import annotations

import os
import secrets
import stat
from pathlib import Path

from grader.errors import UsageError

MARKER = ".grader-reports"
_DIR_FLAGS = os.O_RDONLY | os.O_DIRECTORY | os.O_NOFOLLOW
_NEW_FILE = os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW


class ReportDirectory:
    """An open, grader-created report directory."""

    def __init__(self, path: Path, fd: int) -> None:
        self.path = path
        self._fd = fd
        self._children: dict[str, tuple[int, int]] = {}

    @classmethod
    def create(cls, path: Path) -> ReportDirectory:
        """Create ``path`` (parents too) or adopt a directory this grader created before."""
        path = Path(os.path.abspath(path))
        path.parent.mkdir(parents=True, exist_ok=True)
        try:
            os.mkdir(path, 0o755)
            created = True
        except FileExistsError:
            created = False
        try:
            fd = os.open(path, _DIR_FLAGS)
        except OSError as exc:
            raise UsageError(f"refusing report directory {path}: not a real directory") from exc
        directory = cls(path, fd)
        if created:
            directory._write_marker()
        elif not directory._adoptable():
            directory.close()
            raise UsageError(
                f"refusing report directory {path}: the grader did not create it "
                "(give a new path to --out, or remove it)"
            )
        return directory

    def _write_marker(self) -> None:
        handle = os.open(MARKER, _NEW_FILE, 0o644, dir_fd=self._fd)
        os.write(handle, b"created by the mlops-course grader\n")
        os.close(handle)

    def _adoptable(self) -> bool:
        info = os.fstat(self._fd)
        if info.st_uid != os.geteuid():
            return False
        try:
            marker = os.stat(MARKER, dir_fd=self._fd, follow_symlinks=False)
        except OSError:
            return False
        return stat.S_ISREG(marker.st_mode) and marker.st_uid == os.geteuid()

    def child(self, name: str) -> ReportDirectory:
        """The subdirectory ``name``, created now (or re-opened if this object created it)."""
        if "/" in name or name in ("", ".", ".."):
            raise UsageError(f"bad report subdirectory name {name!r}")
        if name not in self._children:
            try:
                os.mkdir(name, 0o755, dir_fd=self._fd)
            except FileExistsError:
                fd = self._open_child(name)
                child = ReportDirectory(self.path / name, fd)
                if not child._adoptable():
                    child.close()
                    raise UsageError(
                        f"refusing report directory {self.path / name}: the grader did not create it"
                    ) from None
                info = os.fstat(fd)
                self._children[name] = (info.st_dev, info.st_ino)
                return child
            fd = self._open_child(name)
            child = ReportDirectory(self.path / name, fd)
            child._write_marker()
            info = os.fstat(fd)
            self._children[name] = (info.st_dev, info.st_ino)
            return child
        fd = self._open_child(name)
        info = os.fstat(fd)
        if (info.st_dev, info.st_ino) != self._children[name]:
            os.close(fd)
            raise UsageError(f"refusing report directory {self.path / name}: it was replaced")
        return ReportDirectory(self.path / name, fd)

    def _open_child(self, name: str) -> int:
        try:
            return os.open(name, _DIR_FLAGS, dir_fd=self._fd)
        except OSError as exc:
            raise UsageError(
                f"refusing report directory {self.path / name}: not a real directory"
            ) from exc

    def write(self, name: str, content: str | bytes) -> Path:
        """Write ``name`` atomically inside this directory; a planted link or file is replaced."""
        tmp = f".{name}.{secrets.token_hex(6)}.tmp"
        handle = os.open(tmp, _NEW_FILE, 0o644, dir_fd=self._fd)
        data = content.encode("utf-8") if isinstance(content, str) else content
        try:
            with os.fdopen(handle, "wb") as out:
                out.write(data)
            os.replace(tmp, name, src_dir_fd=self._fd, dst_dir_fd=self._fd)
        except BaseException:
            os.unlink(tmp, dir_fd=self._fd)
            raise
        return self.path / name

    def close(self) -> None:
        """Release the directory's descriptor."""
        if self._fd >= 0:
            os.close(self._fd)
            self._fd = -1

    def __enter__(self) -> ReportDirectory:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
