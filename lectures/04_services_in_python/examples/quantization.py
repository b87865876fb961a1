"""Dynamic int8 quantization of a small churn MLP with ONNX Runtime: size, latency and ROC-AUC.

Quantization stores weights as 8-bit integers instead of 32-bit floats. *Dynamic* quantization
needs no calibration data: the weights are quantized once, offline, and each activation is
quantized on the fly from its own range at inference time (``DynamicQuantizeLinear``), so the
matrix products run in integer arithmetic (``MatMulInteger``).

Why an MLP: the course's logistic regression exports to a single ``LinearClassifier`` operator,
which ``quantize_dynamic`` leaves unchanged. A multi-layer perceptron exports to plain ``MatMul``
operators, which is where quantization applies (and where the bytes are).

Steps: split the course data (stratified, fixed seed), train the pipeline (imputer + scaler +
one-hot encoder + MLPClassifier) on 80 %, export it with skl2onnx, quantize the export with
``onnxruntime.quantization.quantize_dynamic``, then compare both files on the held-out 20 %:
file size, ROC-AUC, agreement of the 0.5-threshold decisions, and latency (one row and the whole
batch, medians of interleaved runs in the same process, reported as ratios).

Run: uv run python lectures/04_services_in_python/examples/quantization.py
"""

from __future__ import annotations

import statistics
import sys
import tempfile
import time
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import onnx
import onnxruntime as ort
import pandas as pd
from onnxruntime.quantization import QuantType, quantize_dynamic
from sklearn.metrics import roc_auc_score
from sklearn.model_selection import train_test_split
from sklearn.neural_network import MLPClassifier
from sklearn.pipeline import Pipeline
from threadpoolctl import threadpool_limits

if (HERE := str(Path(__file__).resolve().parent)) not in sys.path:
    sys.path.insert(0, HERE)  # when loaded by path (as the tests do), find the shared modules
from churn_model import load_data, train_pipeline
from onnx_export import export_onnx, to_onnx_feed

SEED = 42
HIDDEN_LAYERS = (128, 64)  # big enough that the weights, not the preprocessing, are the file
QUANTIZED_OPS = {"MatMulInteger", "DynamicQuantizeLinear", "DynamicQuantizeMatMul"}


@dataclass(frozen=True)
class ModelReport:
    """One ONNX file's figures on the held-out rows."""

    file_bytes: int
    roc_auc: float
    one_row_s: float
    batch_s: float
    op_counts: dict[str, int]


def train_mlp(x: pd.DataFrame, y: pd.Series) -> Pipeline:
    """The course pipeline with its logistic regression swapped for a small MLP (fixed seed)."""
    model = train_pipeline(x.iloc[:50], y.iloc[:50])  # only to get the preprocessing steps
    model.set_params(
        clf=MLPClassifier(
            hidden_layer_sizes=HIDDEN_LAYERS,
            alpha=1e-3,
            max_iter=60,
            early_stopping=True,
            random_state=SEED,
        )
    )
    # One BLAS thread: on a busy machine, extra threads of a small model mostly wait for a core.
    with threadpool_limits(limits=1):
        return model.fit(x, y)


def quantize(source: Path, target: Path) -> Path:
    """Weights to signed int8, activations quantized per call; non-MatMul operators untouched."""
    quantize_dynamic(source, target, weight_type=QuantType.QInt8)
    return target


def op_counts(path: Path) -> dict[str, int]:
    """How many nodes of each operator type the graph has."""
    return dict(Counter(node.op_type for node in onnx.load(str(path)).graph.node))


def interleaved_medians(
    sessions: list[ort.InferenceSession], feed: dict[str, np.ndarray], repeats: int
) -> list[float]:
    """Median seconds per call of each session, the sessions taking turns (fair under load)."""
    durations: list[list[float]] = [[] for _ in sessions]
    for _ in range(repeats):
        for i, session in enumerate(sessions):
            start = time.perf_counter()
            session.run(["probabilities"], feed)
            durations[i].append(time.perf_counter() - start)
    return [statistics.median(d) for d in durations]


def compare(out_dir: Path, repeats: int = 200) -> dict[str, object]:
    """Train, export, quantize and measure; returns both reports and the agreement."""
    x, y = load_data()
    x_train, x_test, y_train, y_test = train_test_split(
        x, y, test_size=0.2, stratify=y, random_state=SEED
    )
    model = train_mlp(x_train, y_train)
    float_path = export_onnx(model, out_dir / "churn_mlp.onnx")
    int8_path = quantize(float_path, out_dir / "churn_mlp.int8.onnx")

    paths = [float_path, int8_path]
    options = ort.SessionOptions()
    options.intra_op_num_threads = 1  # compare kernels, not how many cores each run grabbed
    sessions = [
        ort.InferenceSession(str(p), options, providers=["CPUExecutionProvider"]) for p in paths
    ]
    batch = to_onnx_feed(x_test)
    one_row = to_onnx_feed(x_test.iloc[[0]])
    probabilities = [s.run(["probabilities"], batch)[0][:, 1] for s in sessions]
    one_row_s = interleaved_medians(sessions, one_row, repeats)
    batch_s = interleaved_medians(sessions, batch, max(5, repeats // 20))
    reports = [
        ModelReport(
            file_bytes=path.stat().st_size,
            roc_auc=float(roc_auc_score(y_test, p)),
            one_row_s=one,
            batch_s=whole,
            op_counts=op_counts(path),
        )
        for path, p, one, whole in zip(paths, probabilities, one_row_s, batch_s, strict=True)
    ]
    sklearn_auc = float(roc_auc_score(y_test, model.predict_proba(x_test)[:, 1]))
    return {
        "float32": reports[0],
        "int8": reports[1],
        "sklearn_roc_auc": sklearn_auc,
        "test_rows": len(x_test),
        "decision_agreement": float(
            np.mean((probabilities[0] >= 0.5) == (probabilities[1] >= 0.5))
        ),
        "max_abs_probability_diff": float(np.max(np.abs(probabilities[0] - probabilities[1]))),
    }


def main() -> None:
    """Print the trade-off table."""
    with tempfile.TemporaryDirectory() as tmp:
        result = compare(Path(tmp))
    f32, i8 = result["float32"], result["int8"]
    assert isinstance(f32, ModelReport) and isinstance(i8, ModelReport)
    print(f"MLP {HIDDEN_LAYERS}, held-out rows: {result['test_rows']}")
    print(f"{'':24}{'float32':>12}{'int8':>12}{'int8/float32':>14}")
    print(f"{'file size, KB':24}{f32.file_bytes / 1e3:12.1f}{i8.file_bytes / 1e3:12.1f}"
          f"{i8.file_bytes / f32.file_bytes:14.2f}")  # fmt: skip
    print(f"{'ROC-AUC':24}{f32.roc_auc:12.4f}{i8.roc_auc:12.4f}{i8.roc_auc - f32.roc_auc:+14.4f}")
    print(f"{'one row, ms (median)':24}{f32.one_row_s * 1e3:12.3f}{i8.one_row_s * 1e3:12.3f}"
          f"{i8.one_row_s / f32.one_row_s:14.2f}")  # fmt: skip
    print(f"{'whole batch, ms':24}{f32.batch_s * 1e3:12.3f}{i8.batch_s * 1e3:12.3f}"
          f"{i8.batch_s / f32.batch_s:14.2f}")  # fmt: skip
    print(f"scikit-learn ROC-AUC: {result['sklearn_roc_auc']:.4f}")
    print(f"same decision at 0.5: {result['decision_agreement']:.2%} of rows; "
          f"max |p_int8 - p_float32| = {result['max_abs_probability_diff']:.4f}")  # fmt: skip
    new_ops = sorted(set(i8.op_counts) - set(f32.op_counts))
    print(f"operators the quantizer added: {', '.join(new_ops)}")


if __name__ == "__main__":
    main()
