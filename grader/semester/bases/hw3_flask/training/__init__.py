"""Training code: `python training/train.py` writes model/model.json and model/metrics.json."""
