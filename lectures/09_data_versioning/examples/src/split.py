"""DVC stage `split`: a stratified train/test split with the seed from params.yaml.

python src/split.py data/train.csv data/split --seed 42 --test-size 0.2
"""

import argparse
from pathlib import Path

import pandas as pd
from sklearn.model_selection import train_test_split


def main() -> None:
    """Write data/split/train.csv and data/split/test.csv."""
    parser = argparse.ArgumentParser()
    parser.add_argument("source")
    parser.add_argument("out", type=Path)
    parser.add_argument("--seed", type=int, required=True)
    parser.add_argument("--test-size", type=float, required=True)
    args = parser.parse_args()
    df = pd.read_csv(args.source)
    train, test = train_test_split(
        df, test_size=args.test_size, random_state=args.seed, stratify=df["churn"]
    )
    args.out.mkdir(parents=True, exist_ok=True)
    train.to_csv(args.out / "train.csv", index=False)
    test.to_csv(args.out / "test.csv", index=False)


if __name__ == "__main__":
    main()
