"""DVC stage `validate`: check the raw data against the pandera schema; fail the pipeline on errors.

python src/validate.py data/train.csv reports/validation.json
"""

import json
import sys
from pathlib import Path

import pandas as pd

sys.path.insert(0, str(Path(__file__).resolve().parent))
from churn_schema import failed_expectations


def main(source: str, report: str) -> int:
    """Write the report; a non-zero exit stops `dvc repro` before anything trains on bad data."""
    df = pd.read_csv(source)
    failed = sorted(failed_expectations(df))
    Path(report).parent.mkdir(parents=True, exist_ok=True)
    Path(report).write_text(json.dumps({"rows": len(df), "failed": failed}, indent=2) + "\n")
    if failed:
        print(f"validation failed: {failed}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main(*sys.argv[1:3]))
