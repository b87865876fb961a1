"""DVC stage `train`: fit the churn pipeline with C and seed from params.yaml.

python src/train.py data/split/train.csv models/model.pkl --C 1.0 --seed 42
"""

import argparse
import pickle
from pathlib import Path

import pandas as pd
from sklearn.compose import ColumnTransformer
from sklearn.impute import SimpleImputer
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import Pipeline, make_pipeline
from sklearn.preprocessing import OneHotEncoder, StandardScaler

NUMERIC = ["female", "senior_citizen", "partner", "dependents", "tenure", "phone_service",
           "paperless_billing", "monthly_charges", "total_charges"]  # fmt: skip
CATEGORICAL = ["multiple_lines", "internet_service", "online_security", "online_backup",
               "device_protection", "tech_support", "streaming_tv", "streaming_movies",
               "contract", "payment_method"]  # fmt: skip


def main() -> None:
    """Write the fitted model as a pickle."""
    parser = argparse.ArgumentParser()
    parser.add_argument("train")
    parser.add_argument("model", type=Path)
    parser.add_argument("--C", type=float, required=True)
    parser.add_argument("--seed", type=int, required=True)
    args = parser.parse_args()
    df = pd.read_csv(args.train)
    numeric = make_pipeline(SimpleImputer(strategy="constant", fill_value=0.0), StandardScaler())
    pre = ColumnTransformer(
        [("num", numeric, NUMERIC), ("cat", OneHotEncoder(handle_unknown="ignore"), CATEGORICAL)]
    )
    clf = LogisticRegression(C=args.C, max_iter=1000, random_state=args.seed)
    model = Pipeline([("pre", pre), ("clf", clf)]).fit(df, (df["churn"] == "Yes").astype(int))
    args.model.parent.mkdir(parents=True, exist_ok=True)
    args.model.write_bytes(pickle.dumps(model))


if __name__ == "__main__":
    main()
