"""The churn training pipeline as a real Apache Airflow DAG (Airflow 3 TaskFlow API).

NOT EXECUTED by the course's tests: Airflow pins its own web stack, and no Airflow release runs
next to the course's libraries (3.2 fails inside its execution API with the course's FastAPI and
pydantic, 3.1 needs FastAPI < 0.118, 2.x needs SQLAlchemy 1.4). Install it with the Airflow
project's constraint files in an environment of its own. The lecture's test parses this file with
``ast`` and checks that its tasks and dependencies match the pipeline in ``churn_pipeline.py``,
and ``dagster_churn_job.py`` runs the same DAG for real. To use it, put this file and
``churn_pipeline.py``/``mini_dag.py`` in your Airflow ``dags/`` folder. On Airflow 2.x import
``dag``, ``task`` and ``get_current_context`` from ``airflow.decorators`` and
``airflow.operators.python`` instead of ``airflow.sdk``.

Each task writes into ``<DATA_ROOT>/<run_id>/<task>/`` and returns that path (a small
string, which is what XCom is for), so a retried task overwrites its own folder and the
DAG is idempotent per run.
"""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import churn_pipeline as steps
import pendulum
from airflow.sdk import dag, get_current_context, task

DATA_ROOT = Path("/opt/airflow/data/churn")
REGISTRY = Path("/opt/airflow/registry")
SEED = 42


def _out(name: str) -> Path:
    """A fresh, run-specific output folder for one task."""
    run_id = get_current_context()["run_id"]
    path = DATA_ROOT / run_id / name
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
        out = _out("extract")
        source = Path("/opt/airflow/data/incoming/train.csv")
        steps.extract(
            {},
            out,
            {"source": str(source), "source_md5": steps.md5_of(source), "_attempt": 1},
        )
        return str(out)

    @task(retries=0)  # bad data does not become good by retrying
    def validate(raw: str) -> str:
        out = _out("validate")
        steps.validate({"extract": Path(raw)}, out, {"_attempt": 1})
        return str(out)

    @task
    def split(raw: str, report: str) -> str:
        out = _out("split")
        steps.split({"extract": Path(raw)}, out, {"seed": SEED, "test_size": 0.2})
        return str(out)

    @task
    def train(parts: str) -> str:
        out = _out("train")
        steps.train({"split": Path(parts)}, out, {"seed": SEED, "C": 1.0})
        return str(out)

    @task
    def evaluate(model: str, parts: str) -> str:
        out = _out("evaluate")
        steps.evaluate({"train": Path(model), "split": Path(parts)}, out, {})
        return str(out)

    @task(retries=0)  # a failed quality gate is a decision, not a glitch
    def register(model: str, metrics: str) -> str:
        out = _out("register")
        params = {"registry": str(REGISTRY), "floor": steps.ROC_AUC_FLOOR}
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
