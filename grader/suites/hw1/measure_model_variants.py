"""Record how honest models score on hw1's model-quality checks: the evidence for their thresholds.

Run: ``uv run python grader/suites/hw1/measure_model_variants.py`` (about a minute). Writes
``model_variants.json`` beside this file: for each model (logistic-regression variants, histogram
gradient boosting, random forests, a small MLP, the reference pipeline trained on all 7,043 rows),
its hold-out ROC-AUC and its rank agreement with the reference model on the customers generated for
three commits. ``roc_auc_floor``/``roc_auc_ceiling`` and ``agreement_floor`` in ``rubric.toml``
must leave every one of them passing; a test checks that they do.
"""

from __future__ import annotations

import json
from pathlib import Path

HERE = Path(__file__).resolve().parent
COMMITS = ("a" * 40, "b" * 40, "c" * 40)


def variants() -> dict:
    """Untrained classifiers by name (each trained on the train split unless it says otherwise)."""
    from sklearn.ensemble import HistGradientBoostingClassifier, RandomForestClassifier
    from sklearn.linear_model import LogisticRegression
    from sklearn.neural_network import MLPClassifier

    return {
        "logistic_regression_c0.1": LogisticRegression(C=0.1, max_iter=1000),
        "logistic_regression_balanced": LogisticRegression(class_weight="balanced", max_iter=1000),
        "hist_gradient_boosting": HistGradientBoostingClassifier(random_state=0),
        "random_forest_leaf5": RandomForestClassifier(
            n_estimators=200, min_samples_leaf=5, random_state=0, n_jobs=1
        ),
        "random_forest_default": RandomForestClassifier(n_estimators=100, random_state=0, n_jobs=1),
        "mlp_16": MLPClassifier(hidden_layer_sizes=(16,), max_iter=500, random_state=0),
        "reference_on_all_7043_rows": LogisticRegression(max_iter=1000, random_state=0),
    }


def main() -> dict:
    """Fit every variant, score it as the checks do, write ``model_variants.json``."""
    import pandas as pd
    from scipy.stats import spearmanr
    from sklearn.metrics import roc_auc_score

    from grader.checks.holdout import load_holdout
    from grader.model.perturb import perturbed_customers
    from grader.model.reference import fit_pipeline, reference_probabilities, to_frame, train_rows

    rows = train_rows()
    holdout = load_holdout(HERE.parent)
    hold_x = to_frame([h["customer"] for h in holdout])
    hold_y = [h["label"] for h in holdout]
    train_x, train_y = to_frame(rows), [r["churn"] for r in rows]
    generated = {sha: perturbed_customers(rows, sha, 400) for sha in COMMITS}
    reference = {sha: reference_probabilities(c) for sha, c in generated.items()}
    results = {}
    for name, classifier in variants().items():
        if name == "reference_on_all_7043_rows":
            model = fit_pipeline(pd.concat([train_x, hold_x]), train_y + hold_y, classifier)
        else:
            model = fit_pipeline(train_x, train_y, classifier)
        auc = roc_auc_score(hold_y, model.predict_proba(hold_x)[:, 1])
        agreement = [
            float(spearmanr(reference[sha], model.predict_proba(to_frame(c))[:, 1]).statistic)
            for sha, c in generated.items()
        ]
        results[name] = {
            "holdout_roc_auc": round(float(auc), 4),
            "agreement": [round(a, 4) for a in agreement],
        }
        print(name, results[name])
    (HERE / "model_variants.json").write_text(json.dumps(results, indent=2) + "\n")
    return results


if __name__ == "__main__":
    main()
