"""A content-addressed data store in the standard library: a teaching STAND-IN for DVC.

It reproduces DVC's core mechanics on a small scale, so they can be read in one sitting (the
lecture's test also runs the real DVC on the same data):

* ``add``: hash the file (md5), copy it into ``.minidvc/cache/files/md5/<2 chars>/<rest>``
  (the DVC 3 cache layout), write a small ``<file>.dvc`` pointer that git can track, and
  git-ignore the data file itself;
* ``status``: re-hash the workspace file and compare with the pointer (detects edits);
* ``checkout``: restore the exact bytes named by a pointer from the cache;
* ``push``/``pull``: copy cache objects to/from a "remote" (a folder here; S3, GCS, SSH... in DVC).

Identical content is stored once, whatever its file name: that is what "content-addressed"
means. Real DVC adds links instead of copies, directories, pipelines and much more.

    uv run python lectures/09_data_versioning/examples/mini_dvc.py
"""

from __future__ import annotations

import hashlib
import shutil
import tempfile
from pathlib import Path

import yaml

DATA_PATH = Path(__file__).resolve().parents[3] / "data" / "train.csv"


def file_md5(path: Path) -> str:
    """md5 of a file's bytes, read in chunks (works for files larger than memory)."""
    digest = hashlib.md5()
    with path.open("rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


class MiniDVC:
    """Data versioning for one project folder (``root``)."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self.cache = root / ".minidvc" / "cache" / "files" / "md5"

    def object_path(self, md5: str, base: Path | None = None) -> Path:
        """Where an object with this hash lives in a cache (ours or a remote's)."""
        return (base or self.cache) / md5[:2] / md5[2:]

    def add(self, path: Path) -> Path:
        """Put ``path`` under data version control; returns the pointer file."""
        md5 = file_md5(path)
        obj = self.object_path(md5)
        if not obj.exists():  # deduplication: same bytes, same object
            obj.parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(path, obj)
            obj.chmod(0o444)  # cache objects are immutable
        pointer = path.with_name(path.name + ".dvc")
        entry = {"md5": md5, "size": path.stat().st_size, "hash": "md5", "path": path.name}
        pointer.write_text(yaml.safe_dump({"outs": [entry]}, sort_keys=False))
        gitignore = path.parent / ".gitignore"
        lines = gitignore.read_text().splitlines() if gitignore.exists() else []
        if f"/{path.name}" not in lines:
            gitignore.write_text("\n".join([*lines, f"/{path.name}"]) + "\n")
        return pointer

    @staticmethod
    def read_pointer(pointer: Path) -> dict[str, object]:
        """The single ``outs`` entry of a pointer file."""
        return yaml.safe_load(pointer.read_text())["outs"][0]

    def status(self, pointer: Path) -> str:
        """'unchanged', 'modified' or 'missing' for the workspace file of ``pointer``."""
        entry = self.read_pointer(pointer)
        path = pointer.with_name(str(entry["path"]))
        if not path.exists():
            return "missing"
        return "unchanged" if file_md5(path) == entry["md5"] else "modified"

    def checkout(self, pointer: Path) -> Path:
        """Make the workspace file match the pointer, byte for byte."""
        entry = self.read_pointer(pointer)
        md5 = str(entry["md5"])
        obj = self.object_path(md5)
        if not obj.exists():
            raise FileNotFoundError(f"{md5} not in cache: run pull first")
        if file_md5(obj) != md5:
            raise ValueError(f"cache object {md5} is corrupted")
        path = pointer.with_name(str(entry["path"]))
        path.unlink(missing_ok=True)
        shutil.copyfile(obj, path)
        path.chmod(0o644)
        return path

    def push(self, remote: Path) -> int:
        """Upload cache objects the remote does not have; returns how many were sent."""
        sent = 0
        for obj in sorted(p for p in self.cache.rglob("*") if p.is_file()):
            target = remote / obj.relative_to(self.cache)
            if not target.exists():
                target.parent.mkdir(parents=True, exist_ok=True)
                shutil.copyfile(obj, target)
                sent += 1
        return sent

    def pull(self, pointer: Path, remote: Path) -> Path:
        """Fetch the object named by ``pointer`` from ``remote`` and check it out."""
        md5 = str(self.read_pointer(pointer)["md5"])
        obj = self.object_path(md5)
        if not obj.exists():
            obj.parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(self.object_path(md5, base=remote), obj)
        return self.checkout(pointer)

    def objects(self) -> list[str]:
        """Hashes of every object in the local cache."""
        return sorted(p.parent.name + p.name for p in self.cache.rglob("*") if p.is_file())


def main() -> None:
    """Version a copy of data/train.csv through two revisions, then travel back in time."""
    with tempfile.TemporaryDirectory() as tmp:
        project, remote = Path(tmp) / "project", Path(tmp) / "remote"
        data = project / "data" / "train.csv"
        data.parent.mkdir(parents=True)
        shutil.copyfile(DATA_PATH, data)
        store = MiniDVC(project)

        pointer = store.add(data)
        v1 = pointer.read_text()  # what you would `git commit`
        print("data/train.csv.dvc (v1):")
        print("  " + v1.strip().replace("\n", "\n  "))
        print("git-ignored:", (data.parent / ".gitignore").read_text().split())

        lines = data.read_text().splitlines(keepends=True)
        data.write_text("".join(lines[:-100]))  # the next export has 100 rows fewer
        print("after editing the file, status:", store.status(pointer))
        store.add(data)
        v2_md5 = store.read_pointer(pointer)["md5"]
        print(f"v2 md5: {v2_md5}; cache objects: {len(store.objects())}")

        pointer.write_text(v1)  # like `git checkout <v1 commit> -- data/train.csv.dvc`
        print("after restoring the v1 pointer, status:", store.status(pointer))
        restored = store.checkout(pointer)  # like `dvc checkout`
        same = restored.read_bytes() == DATA_PATH.read_bytes()
        print(f"checkout v1 -> {sum(1 for _ in restored.open()) - 1} rows, identical: {same}")

        copy = project / "data" / "train_copy.csv"
        shutil.copyfile(DATA_PATH, copy)
        store.add(copy)
        print("adding an identical copy under another name -> objects:", len(store.objects()))

        print("push to remote: sent", store.push(remote), "objects; again:", store.push(remote))
        shutil.rmtree(project / ".minidvc")
        data.unlink()
        store.pull(pointer, remote)  # a fresh clone: pointer from git, bytes from the remote
        print("after deleting cache + file and pulling, status:", store.status(pointer))


if __name__ == "__main__":
    main()
