"""Export the churn pipeline to ONNX and serve it with onnxruntime instead of scikit-learn.

The whole pipeline (imputer, scaler, one-hot encoder and logistic regression) becomes one ONNX
graph. Each input column is a separate graph input: numbers as float32, categories as strings.
The example checks that onnxruntime reproduces scikit-learn's labels exactly and its
probabilities to float32 precision, then compares the single-row latency of both runtimes.

Run: uv run python lectures/04_services_in_python/examples/onnx_export.py
"""

from __future__ import annotations

import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np
import onnxruntime as ort
import pandas as pd
from skl2onnx import convert_sklearn
from skl2onnx.common.data_types import FloatTensorType, StringTensorType
from sklearn.pipeline import Pipeline

if (HERE := str(Path(__file__).resolve().parent)) not in sys.path:
    sys.path.insert(0, HERE)  # when loaded by path (as the tests do), find churn_model.py
from churn_model import CATEGORICAL, NUMERIC, load_data, train_pipeline

TOLERANCE = 1e-5  # ONNX runs in float32; scikit-learn in float64


def export_onnx(model: Pipeline, path: Path) -> Path:
    """Convert the fitted pipeline to an ONNX file; probabilities come out as a plain tensor."""
    inputs = [(c, FloatTensorType([None, 1])) for c in NUMERIC]
    inputs += [(c, StringTensorType([None, 1])) for c in CATEGORICAL]
    onnx_model = convert_sklearn(
        model,
        initial_types=inputs,
        options={id(model.named_steps["clf"]): {"zipmap": False}},
        target_opset=17,
    )
    path.write_bytes(onnx_model.SerializeToString())
    return path


def to_onnx_feed(frame: pd.DataFrame) -> dict[str, np.ndarray]:
    """One (n, 1) array per graph input, with the dtypes the graph was declared with."""
    feed = {c: frame[c].to_numpy(dtype=np.float32).reshape(-1, 1) for c in NUMERIC}
    feed.update({c: frame[c].to_numpy(dtype=object).reshape(-1, 1) for c in CATEGORICAL})
    return feed


def median_seconds(fn: Callable[[], object], repeats: int) -> float:
    """Median wall time of calling `fn()` `repeats` times."""
    durations = []
    for _ in range(repeats):
        start = time.perf_counter()
        fn()
        durations.append(time.perf_counter() - start)
    return statistics.median(durations)


def compare(out_dir: Path, repeats: int = 100) -> dict[str, float]:
    """Export, reload, check agreement on every training row and time one-row predictions."""
    x, y = load_data()
    model = train_pipeline(x, y)
    path = export_onnx(model, out_dir / "churn.onnx")
    session = ort.InferenceSession(str(path), providers=["CPUExecutionProvider"])

    labels, probabilities = session.run(["label", "probabilities"], to_onnx_feed(x))
    sk_probabilities = model.predict_proba(x)[:, 1]
    max_diff = float(np.max(np.abs(probabilities[:, 1] - sk_probabilities)))
    label_agreement = float(np.mean(labels == model.predict(x)))
    assert label_agreement == 1.0, f"labels differ on {1 - label_agreement:.2%} of rows"
    assert max_diff < TOLERANCE, f"probabilities differ by {max_diff}"

    one_row = x.iloc[[0]]
    one_feed = to_onnx_feed(one_row)
    return {
        "file_bytes": float(path.stat().st_size),
        "rows_checked": float(len(x)),
        "max_abs_diff": max_diff,
        "label_agreement": label_agreement,
        "sklearn_one_row_s": median_seconds(lambda: model.predict_proba(one_row), repeats),
        "onnx_one_row_s": median_seconds(
            lambda: session.run(["probabilities"], one_feed), 10 * repeats
        ),
    }


def main() -> None:
    """Export to a temporary folder and print the comparison."""
    with tempfile.TemporaryDirectory() as tmp:
        result = compare(Path(tmp))
    print(f"ONNX file: {result['file_bytes']:.0f} bytes")
    print(f"rows checked: {result['rows_checked']:.0f}")
    print(f"label agreement: {result['label_agreement']:.0%}")
    print(f"max |p_onnx - p_sklearn|: {result['max_abs_diff']:.2e} (tolerance {TOLERANCE:g})")
    print(f"one-row latency, scikit-learn: {result['sklearn_one_row_s'] * 1e3:8.3f} ms")
    print(f"one-row latency, onnxruntime:  {result['onnx_one_row_s'] * 1e3:8.3f} ms")
    speedup = result["sklearn_one_row_s"] / result["onnx_one_row_s"]
    print(f"onnxruntime is x{speedup:.0f} faster for a single row")


if __name__ == "__main__":
    main()
