"""DVC stage `evaluate`: score the held-out part; metrics.json is a DVC metric (`dvc metrics show`).

python src/evaluate.py models/model.pkl data/split/test.csv metrics.json
"""

import json
import pickle
import sys
from pathlib import Path

import pandas as pd
from sklearn.metrics import accuracy_score, roc_auc_score


def main(model_path: str, test_path: str, out: str) -> None:
    """Write ROC-AUC and accuracy, rounded, with sorted keys (stable bytes)."""
    model = pickle.loads(Path(model_path).read_bytes())
    test = pd.read_csv(test_path)
    y = (test["churn"] == "Yes").astype(int)
    proba = model.predict_proba(test)[:, 1]
    metrics = {
        "roc_auc": round(float(roc_auc_score(y, proba)), 6),
        "accuracy": round(float(accuracy_score(y, proba >= 0.5)), 6),
        "n_test": len(test),
    }
    Path(out).write_text(json.dumps(metrics, indent=2, sort_keys=True) + "\n")


if __name__ == "__main__":
    main(*sys.argv[1:4])
