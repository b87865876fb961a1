"""Git is a content-addressed object store: see it with real `git` in a temporary repository.

Every object git stores (a file's content, a directory listing, a commit) is named by the SHA-1
of a short header plus the bytes: sha1(b"<type> <size>\\0" + content). This example

1. checks that `git hash-object` equals that formula computed with hashlib;
2. shows that two files with the same bytes are stored once, and one changed byte gives a new id;
3. commits, then rebuilds the tree id and the commit id in Python from their contents;
4. makes a second commit and shows that it points to its parent and reuses unchanged blobs;
5. shows that a branch is only a file holding a commit id.

Author, committer and dates are fixed, so the commit id is the same on every machine.

Run: uv run python lectures/05_versioning/examples/git_content_addressing.py
"""

from __future__ import annotations

import hashlib
import os
import shutil
import subprocess
import tempfile
from pathlib import Path

FIXED_IDENTITY = {
    "GIT_AUTHOR_NAME": "Course Bot",
    "GIT_AUTHOR_EMAIL": "bot@example.com",
    "GIT_AUTHOR_DATE": "2024-03-15T12:00:00+00:00",
    "GIT_COMMITTER_NAME": "Course Bot",
    "GIT_COMMITTER_EMAIL": "bot@example.com",
    "GIT_COMMITTER_DATE": "2024-03-15T12:00:00+00:00",
    "GIT_CONFIG_GLOBAL": os.devnull,  # ignore the user's ~/.gitconfig (signing, hooks, ...)
    "GIT_CONFIG_NOSYSTEM": "1",
}


def git_object_id(kind: str, content: bytes) -> str:
    """The id git gives an object: SHA-1 of "<kind> <len>\\0" followed by the content."""
    header = f"{kind} {len(content)}\0".encode()
    return hashlib.sha1(header + content).hexdigest()


def git(repo: Path, *args: str, stdin: bytes | None = None) -> bytes:
    """Run a git command in `repo` with a fixed identity and no user configuration."""
    env = {**os.environ, **FIXED_IDENTITY}
    done = subprocess.run(
        ["git", *args], cwd=repo, env=env, input=stdin, capture_output=True, check=True, timeout=30
    )
    return done.stdout


def tree_content(entries: list[tuple[str, str, str]]) -> bytes:
    """Serialise a tree the way git does: "<mode> <name>\\0<20 raw bytes of id>", sorted by name."""
    out = b""
    for mode, name, object_id in sorted(entries, key=lambda e: e[1]):
        out += f"{mode} {name}\0".encode() + bytes.fromhex(object_id)
    return out


def demo(repo: Path) -> dict[str, object]:
    """Build a tiny repository in `repo` (an empty folder) and collect the evidence."""
    # SHA-1 is still the default; new repositories may opt into SHA-256 (--object-format=sha256).
    git(repo, "init", "--quiet", "--initial-branch=main", "--object-format=sha1")
    card = b"# Churn model\nroc_auc: 0.84\n"
    (repo / "model_card.md").write_bytes(card)
    (repo / "copy_of_card.md").write_bytes(card)
    (repo / "params.yaml").write_bytes(b"C: 1.0\nmax_iter: 1000\n")

    by_git = git(repo, "hash-object", "model_card.md").decode().strip()
    by_python = git_object_id("blob", card)
    one_byte_changed = git_object_id("blob", card.replace(b"0.84", b"0.85"))

    git(repo, "add", ".")
    git(repo, "commit", "--quiet", "-m", "Add model card and params")
    head = git(repo, "rev-parse", "HEAD").decode().strip()
    tree = git(repo, "rev-parse", "HEAD^{tree}").decode().strip()
    blob_ids = git(repo, "ls-tree", "HEAD").decode().split("\n")
    stored_blobs = {line.split()[2] for line in blob_ids if line}

    params_id = git_object_id("blob", (repo / "params.yaml").read_bytes())
    rebuilt_tree = git_object_id(
        "tree",
        tree_content(
            [
                ("100644", "copy_of_card.md", by_python),
                ("100644", "model_card.md", by_python),
                ("100644", "params.yaml", params_id),
            ]
        ),
    )
    commit_body = git(repo, "cat-file", "-p", "HEAD")
    rebuilt_commit = git_object_id("commit", commit_body)

    (repo / "params.yaml").write_bytes(b"C: 0.5\nmax_iter: 1000\n")
    git(repo, "commit", "--quiet", "-am", "Stronger regularisation")
    second_commit = git(repo, "cat-file", "-p", "HEAD").decode()
    card_id_after = git(repo, "rev-parse", "HEAD:model_card.md").decode().strip()
    listing = git(repo, "cat-file", "--batch-all-objects", "--batch-check").decode().split("\n")
    object_kinds = [line.split()[1] for line in listing if line]
    branch_file = (repo / ".git" / "refs" / "heads" / "main").read_text().strip()
    head_after = git(repo, "rev-parse", "HEAD").decode().strip()

    return {
        "hash_object": by_git,
        "sha1_formula": by_python,
        "one_byte_changed": one_byte_changed,
        "files_in_tree": len([line for line in blob_ids if line]),
        "distinct_blobs": len(stored_blobs),
        "tree": tree,
        "rebuilt_tree": rebuilt_tree,
        "commit": head,
        "rebuilt_commit": rebuilt_commit,
        "commit_text": commit_body.decode(),
        "second_commit_text": second_commit,
        "card_blob_reused": card_id_after == by_python,
        "object_counts": {k: object_kinds.count(k) for k in sorted(set(object_kinds))},
        "head_after": head_after,
        "branch_file": branch_file,
    }


def main() -> None:
    """Run the demo in a temporary folder and print what git stored."""
    if shutil.which("git") is None:
        raise SystemExit("git is not installed")
    with tempfile.TemporaryDirectory() as tmp:
        result = demo(Path(tmp))
    print(f"git hash-object model_card.md : {result['hash_object']}")
    print(f"sha1(b'blob <len>\\0' + bytes): {result['sha1_formula']}")
    assert result["hash_object"] == result["sha1_formula"]
    print(f"same file, 0.84 -> 0.85       : {result['one_byte_changed']}")
    print(
        f"tree has {result['files_in_tree']} files but {result['distinct_blobs']} distinct blobs "
        "(identical content is stored once)"
    )
    print(f"tree id from git / from Python: {result['tree']} / {result['rebuilt_tree']}")
    print("commit object:")
    for line in str(result["commit_text"]).splitlines():
        print(f"    {line}")
    print(f"commit id from git / Python   : {result['commit']} / {result['rebuilt_commit']}")
    print("second commit object (note the parent line):")
    for line in str(result["second_commit_text"]).splitlines():
        print(f"    {line}")
    print(f"model_card.md blob reused by the second commit: {result['card_blob_reused']}")
    print(f"objects in the store after two commits: {result['object_counts']}")
    print(
        f".git/refs/heads/main contains : {result['branch_file']} (= HEAD {result['head_after']})"
    )


if __name__ == "__main__":
    main()
