"""The churn training pipeline as an Apache Airflow DAG (Airflow 3 TaskFlow API), executed.

The lecture's test runs it with ``airflow dags test`` on a local metadata store (SQLite under
``$AIRFLOW_HOME``), from Airflow's own environment ``lectures/08_automation/airflow/``: Airflow
pins its web stack, and no Airflow release runs a task next to the course's FastAPI, Starlette
and pydantic (the reasons are in that folder's ``pyproject.toml``). Put this file,
``churn_pipeline.py`` and ``mini_dag.py`` into the dags folder, then::

    uv sync --project lectures/08_automation/airflow
    export AIRFLOW_HOME=$(mktemp -d) CHURN_DATA_ROOT=$(mktemp -d)
    export AIRFLOW__CORE__DAGS_FOLDER=$AIRFLOW_HOME/dags AIRFLOW__CORE__LOAD_EXAMPLES=False
    mkdir $AIRFLOW__CORE__DAGS_FOLDER && cp lectures/08_automation/examples/{airflow_churn_dag,churn_pipeline,mini_dag}.py $AIRFLOW__CORE__DAGS_FOLDER
    AF=lectures/08_automation/airflow/.venv/bin/airflow
    $AF db migrate && $AF dags test churn_training 2025-01-06

Each task writes into ``<CHURN_DATA_ROOT>/<run_id>/<task>/`` and returns that path (a small
string, which is what XCom is for), so a retried task overwrites its own folder and the DAG is
idempotent per run. Settings are read when a task runs, never at import time (the scheduler
parses DAG files constantly): ``CHURN_DATA_ROOT`` (default ``/opt/airflow/data/churn``),
``CHURN_SOURCE`` (the CSV), ``CHURN_REGISTRY`` (default ``<CHURN_DATA_ROOT>/registry``),
``CHURN_FLOOR`` (the ROC-AUC gate), ``CHURN_FAIL_FIRST_ATTEMPTS`` (simulate a flaky source).
On Airflow 2.x import ``dag``, ``task`` and
``get_current_context`` from ``airflow.decorators`` and ``airflow.operators.python`` instead of
``airflow.sdk``.
"""

from __future__ import annotations

import os
import sys
from datetime import timedelta
from pathlib import Path
from types import ModuleType

import pendulum
from airflow.sdk import dag, get_current_context, task

HERE = Path(__file__).resolve().parent
SEED = 42


def _steps() -> ModuleType:
    """The pipeline's functions, imported when a task runs: pandas and scikit-learn are slow to
    import, and the scheduler re-parses this file every few seconds (and gives up after 30 s)."""
    if str(HERE) not in sys.path:
        sys.path.insert(0, str(HERE))  # churn_pipeline.py sits next to this file
    import churn_pipeline

    return churn_pipeline


def _root() -> Path:
    return Path(os.environ.get("CHURN_DATA_ROOT", "/opt/airflow/data/churn"))


def _out(name: str) -> Path:
    """A fresh, run-specific output folder for one task."""
    run_id = get_current_context()["run_id"]
    path = _root() / run_id / name
    path.mkdir(parents=True, exist_ok=True)
    return path


@dag(
    dag_id="churn_training",
    schedule="@weekly",  # continuous training: retrain on fresh data every week
    start_date=pendulum.datetime(2025, 1, 1, tz="UTC"),
    catchup=False,  # do not backfill every missed week when the DAG is first enabled
    max_active_runs=1,
    default_args={"retries": 2, "retry_delay": timedelta(minutes=5)},
    tags=["mlops-course", "churn"],
)
def churn_training() -> None:
    """extract -> validate -> split -> train -> evaluate -> register."""

    @task
    def extract() -> str:
        steps = _steps()
        out = _out("extract")
        source = Path(os.environ.get("CHURN_SOURCE", steps.DATA_PATH))
        params = {
            "source": str(source),
            "_attempt": get_current_context()["ti"].try_number,
            "_fail_first_attempts": int(os.environ.get("CHURN_FAIL_FIRST_ATTEMPTS", "0")),
        }
        steps.extract({}, out, params)
        return str(out)

    @task(retries=0)  # bad data does not become good by retrying
    def validate(raw: str) -> str:
        steps = _steps()
        out = _out("validate")
        steps.validate({"extract": Path(raw)}, out, {"_attempt": 1})
        return str(out)

    @task
    def split(raw: str, report: str) -> str:
        steps = _steps()
        out = _out("split")
        steps.split({"extract": Path(raw)}, out, {"seed": SEED, "test_size": 0.2})
        return str(out)

    @task
    def train(parts: str) -> str:
        steps = _steps()
        out = _out("train")
        steps.train({"split": Path(parts)}, out, {"seed": SEED, "C": 1.0})
        return str(out)

    @task
    def evaluate(model: str, parts: str) -> str:
        steps = _steps()
        out = _out("evaluate")
        steps.evaluate({"train": Path(model), "split": Path(parts)}, out, {})
        return str(out)

    @task(retries=0)  # a failed quality gate is a decision, not a glitch
    def register(model: str, metrics: str) -> str:
        steps = _steps()
        out = _out("register")
        registry = os.environ.get("CHURN_REGISTRY", str(_root() / "registry"))
        floor = float(os.environ.get("CHURN_FLOOR", steps.ROC_AUC_FLOOR))
        params = {"registry": registry, "floor": floor}
        steps.register({"train": Path(model), "evaluate": Path(metrics)}, out, params)
        return str(out)

    raw = extract()
    report = validate(raw)
    parts = split(raw, report)
    model = train(parts)
    metrics = evaluate(model, parts)
    register(model, metrics)


churn_training_dag = churn_training()


def main() -> None:
    """Run one DAG run in-process for debugging (requires Airflow)."""
    churn_training_dag.test()


if __name__ == "__main__":
    main()
