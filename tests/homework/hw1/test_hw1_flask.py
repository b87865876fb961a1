"""The Flask reference solution of hw1 (homework/hw1_api/solution_flask).

* its own test suite passes (run with this repository's interpreter, as a subprocess);
* its copies of the course's public files are byte-identical to the originals;
* started as a real server on 127.0.0.1, every answer conforms to grader/contracts/hw1.json,
  its hold-out ROC-AUC clears the rubric's floor, and every class of bad input is a 422;
* a bounded schemathesis run against its /openapi.json finds no 5xx and no schema violation.

The server is started with the solution's serve command (gunicorn) when gunicorn is installed
here, else with Flask's development server (threaded), which runs the same application object.
"""

from __future__ import annotations

import csv
import json
import os
import shlex
import shutil
import signal
import socket
import subprocess
import sys
import time
import tomllib
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from jsonschema import Draft202012Validator

ROOT = Path(__file__).resolve().parents[3]
SOLUTION = ROOT / "homework" / "hw1_api" / "solution_flask"
FASTAPI_SOLUTION = ROOT / "homework" / "hw1_api" / "solution"
CONTRACT_PATH = ROOT / "grader" / "contracts" / "hw1.json"
PUBLIC_TESTS = ROOT / "grader" / "suites" / "hw1" / "public" / "test_public_api.py"
RUBRIC = ROOT / "grader" / "suites" / "hw1" / "rubric.toml"
HOLDOUT = ROOT / "grader" / "suites" / "common" / "holdout.csv"
CONTRACT: dict[str, Any] = json.loads(CONTRACT_PATH.read_text())
# The solution's serve command needs the gunicorn script next to this interpreter.
GUNICORN = shutil.which("gunicorn", path=str(Path(sys.executable).parent))
HAVE_GUNICORN = GUNICORN is not None
OPENER = urllib.request.build_opener(urllib.request.ProxyHandler({}))


def validator(name: str) -> Draft202012Validator:
    return Draft202012Validator({"$defs": CONTRACT["$defs"], "$ref": f"#/$defs/{name}"})


def assert_conforms(name: str, payload: Any) -> None:
    errors = [f"{list(e.absolute_path)}: {e.message}" for e in validator(name).iter_errors(payload)]
    assert not errors, f"{name}: {errors[:5]}"


def call(base: str, method: str, path: str, body: Any = None, raw: bytes | None = None):
    data = raw if raw is not None else (None if body is None else json.dumps(body).encode())
    headers = {"Content-Type": "application/json"} if data is not None else {}
    request = urllib.request.Request(base + path, data=data, method=method, headers=headers)
    try:
        with OPENER.open(request, timeout=30) as response:
            return response.status, json.loads(response.read())
    except urllib.error.HTTPError as exc:
        return exc.code, json.loads(exc.read())


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def stop(process: subprocess.Popen) -> None:
    """Stop the server's whole process group (gunicorn has worker processes)."""
    for sig in (signal.SIGTERM, signal.SIGKILL):
        try:
            os.killpg(process.pid, sig)
        except ProcessLookupError:
            break
        try:
            process.wait(timeout=10)
            break
        except subprocess.TimeoutExpired:
            continue


def holdout_customers() -> tuple[list[dict[str, Any]], list[int]]:
    """The grader's hold-out rows as contract-typed customers, and their labels."""
    props = CONTRACT["$defs"]["Customer"]["properties"]
    customers, labels = [], []
    with HOLDOUT.open(newline="") as handle:
        for row in csv.DictReader(handle):
            customer: dict[str, Any] = {"customer_id": f"holdout-{row['row_id']}"}
            for name in CONTRACT["$defs"]["Customer"]["required"]:
                kind = props[name]["type"]
                kind = kind[0] if isinstance(kind, list) else kind
                value = row[name]
                if value == "":
                    customer[name] = None
                else:
                    customer[name] = {"integer": int, "number": float}.get(kind, str)(value)
            customers.append(customer)
            labels.append(int(row["churn"] == "Yes"))
    return customers, labels


# --- the solution's own suite and its copies of course files ---------------------------------


def test_own_test_suite_passes() -> None:
    # tests/public is excluded as the grader does; it is run below when gunicorn is installed.
    result = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "--ignore=tests/public"],
        cwd=SOLUTION,
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert result.returncode == 0, result.stdout[-4000:] + result.stderr[-2000:]
    assert " passed" in result.stdout


@pytest.mark.skipif(not HAVE_GUNICORN, reason="gunicorn (the solution's server) is not installed")
def test_public_tests_pass() -> None:
    result = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "tests/public"],
        cwd=SOLUTION,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert result.returncode == 0, result.stdout[-4000:] + result.stderr[-2000:]


def test_course_files_are_pristine_copies() -> None:
    original = CONTRACT_PATH.read_bytes()
    assert (SOLUTION / "tests" / "public" / "contract.json").read_bytes() == original
    assert (SOLUTION / "app" / "contract.json").read_bytes() == original
    train = "data/train.csv"
    assert (SOLUTION / train).read_bytes() == (ROOT / train).read_bytes()
    if PUBLIC_TESTS.is_file():
        copy = SOLUTION / "tests" / "public" / "test_public_api.py"
        assert copy.read_bytes() == PUBLIC_TESTS.read_bytes()
    workflow = ".github/workflows/grade.yml"
    assert (SOLUTION / workflow).read_bytes() == (FASTAPI_SOLUTION / workflow).read_bytes()


def test_serve_command_and_lockfile() -> None:
    config = tomllib.loads((SOLUTION / "pyproject.toml").read_text())
    assert config["project"]["name"] == "churn-service-flask"
    serve = shlex.split(config["tool"]["mlops-course"]["serve"])
    assert any("{host}" in a for a in serve) and any("{port}" in a for a in serve)
    lock = tomllib.loads((SOLUTION / "uv.lock").read_text())
    locked = {p["name"] for p in lock["package"]}
    assert {"flask", "gunicorn", "pytest", "jsonschema", "scikit-learn", "pandas"} <= locked
    assert serve[0] in locked


# --- a real server -----------------------------------------------------------------------------


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    port = free_port()
    if HAVE_GUNICORN:
        serve = tomllib.loads((SOLUTION / "pyproject.toml").read_text())["tool"]["mlops-course"]
        argv = [
            a.replace("{host}", "127.0.0.1").replace("{port}", str(port))
            for a in shlex.split(serve["serve"])
        ]
        argv = [GUNICORN, *argv[1:]]
    else:
        argv = [sys.executable, "-m", "flask", "--app", "app.main:app", "run"]
        argv += ["--host", "127.0.0.1", "--port", str(port), "--no-reload", "--no-debugger"]
    log_path = tmp_path_factory.mktemp("flask-server") / "server.log"
    env = dict(os.environ, HOST="127.0.0.1", PORT=str(port), PYTHONPATH=str(SOLUTION))
    with log_path.open("wb") as log:
        process = subprocess.Popen(
            argv,
            cwd=SOLUTION,
            env=env,
            stdin=subprocess.DEVNULL,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        base = f"http://127.0.0.1:{port}"
        try:
            deadline = time.monotonic() + 60
            while True:
                assert process.poll() is None, log_path.read_text()[-3000:]
                try:
                    if call(base, "GET", "/health")[0] == 200:
                        break
                except OSError:
                    pass
                assert time.monotonic() < deadline, "no /health within 60 s"
                time.sleep(0.2)
            yield base
        finally:
            stop(process)
    assert "Traceback" not in log_path.read_text(errors="replace")


def test_endpoints_conform_to_the_contract(server: str) -> None:
    status, body = call(server, "GET", "/health")
    assert (status, body) == (200, {"status": "ok"})
    assert_conforms("Health", body)
    status, body = call(server, "GET", "/model")
    assert status == 200
    assert_conforms("ModelInfo", body)
    assert [f["name"] for f in body["features"]] == CONTRACT["$defs"]["Customer"]["required"]
    status, body = call(server, "GET", "/openapi.json")
    assert status == 200
    assert_conforms("OpenAPIDocument", body)
    for endpoint in CONTRACT["endpoints"]:
        assert endpoint["method"].lower() in body["paths"][endpoint["path"]]


def test_holdout_predictions_conform_and_clear_the_floor(server: str) -> None:
    from sklearn.metrics import roc_auc_score

    customers, labels = holdout_customers()
    floor = tomllib.loads(RUBRIC.read_text())["thresholds"]["roc_auc_floor"]
    limit = CONTRACT["limits"]["max_batch_size"]
    probabilities = []
    for start in range(0, len(customers), limit):
        chunk = customers[start : start + limit]
        status, body = call(server, "POST", "/predict/batch", {"customers": chunk})
        assert status == 200, body
        assert_conforms("BatchResponse", body)
        assert [p["customer_id"] for p in body["predictions"]] == [c["customer_id"] for c in chunk]
        probabilities += [p["churn_probability"] for p in body["predictions"]]
    assert roc_auc_score(labels, probabilities) >= floor
    for i in (0, len(customers) // 2, len(customers) - 1):
        status, body = call(server, "POST", "/predict", customers[i])
        assert status == 200
        assert_conforms("Prediction", body)
        assert body["churn_probability"] == probabilities[i]
        assert body["churn"] == (body["churn_probability"] >= 0.5)


BASE = holdout_customers()[0][0] if HOLDOUT.is_file() else {}


@pytest.mark.parametrize(
    ("path", "body", "field"),
    [
        ("/predict", {k: v for k, v in BASE.items() if k != "tenure"}, "tenure"),
        ("/predict", {k: v for k, v in BASE.items() if k != "total_charges"}, "total_charges"),
        ("/predict", {**BASE, "tenure": "twelve"}, "tenure"),
        ("/predict", {**BASE, "tenure": 12.5}, "tenure"),
        ("/predict", {**BASE, "tenure": 121}, "tenure"),
        ("/predict", {**BASE, "senior_citizen": 2}, "senior_citizen"),
        ("/predict", {**BASE, "contract": "Weekly"}, "contract"),
        ("/predict", {**BASE, "payment_method": None}, "payment_method"),
        ("/predict", {**BASE, "customer_id": "x" * 65}, "customer_id"),
        ("/predict", {**BASE, "tenur": 5}, "tenur"),
        (
            "/predict/batch",
            {"customers": [BASE, {**BASE, "monthly_charges": -1}]},
            "monthly_charges",
        ),
        ("/predict/batch", {"customers": []}, "customers"),
        ("/predict/batch", {"customers": [BASE] * 1001}, "customers"),
        ("/predict/batch", {}, "customers"),
    ],
)
def test_invalid_input_is_422_naming_the_field(server: str, path: str, body: Any, field: str):
    status, answer = call(server, "POST", path, body)
    assert status in ((413, 422) if len(body.get("customers", [])) > 1000 else (422,))
    assert_conforms("ValidationError", answer)
    assert any(field in item["loc"] for item in answer["detail"]), answer
    if path == "/predict/batch" and body.get("customers") and field == "monthly_charges":
        assert answer["detail"][0]["loc"] == ["body", "customers", 1, "monthly_charges"]


@pytest.mark.parametrize(
    "raw",
    [b"", b"null", b"[]", b'{"tenure": 5,', b"NaN", b"\xff\xfe\x00", b"[" * 50_000, b"1e400"],
)
def test_hostile_bodies_are_422(server: str, raw: bytes) -> None:
    status, answer = call(server, "POST", "/predict", raw=raw)
    assert status == 422
    assert_conforms("ValidationError", answer)
    assert call(server, "GET", "/health")[0] == 200


def test_schemathesis_finds_nothing(server: str, tmp_path: Path) -> None:
    argv = [sys.executable, "-m", "schemathesis.cli", "run", f"{server}/openapi.json"]
    argv += ["--checks", "all", "--max-examples", "30", "--seed", "20240901"]
    argv += ["--generation-database", "none", "--request-timeout", "10", "--no-color"]
    argv += ["--report", "junit", "--report-dir", str(tmp_path)]
    result = subprocess.run(argv, cwd=tmp_path, capture_output=True, text=True, timeout=600)
    assert result.returncode == 0, result.stdout[-6000:] + result.stderr[-2000:]
    assert "No issues found" in result.stdout
