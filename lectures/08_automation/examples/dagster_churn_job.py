"""The churn training pipeline as a Dagster job: the same six steps, run by a real orchestrator.

Run once from the command line; Dagster keeps the run history, the event log and the step
outputs' metadata in its local instance (SQLite files under ``$DAGSTER_HOME``):

    export DAGSTER_HOME=$(mktemp -d) CHURN_DATA_ROOT=$(mktemp -d)
    uv run dagster job execute -f lectures/08_automation/examples/dagster_churn_job.py -j churn_training

``dagster dev -f ...`` starts the web UI with the graph, the runs and the weekly schedule. Each op
calls the matching function of ``churn_pipeline.py`` (business logic stays outside the
orchestrator), writes into ``<CHURN_DATA_ROOT>/<run id>/<step>/`` and passes that path on, so a
retried op overwrites its own folder. ``extract`` may be retried; ``validate`` and ``register``
raise ``Failure(allow_retries=False)``, because bad data and a failed quality gate do not improve
by retrying. Environment variables: ``CHURN_DATA_ROOT`` (required), ``CHURN_SOURCE`` (the CSV,
default ``data/train.csv``), ``CHURN_REGISTRY`` (default ``<CHURN_DATA_ROOT>/registry``),
``CHURN_FLOOR`` (the ROC-AUC gate), ``CHURN_FAIL_FIRST_ATTEMPTS`` (simulate a flaky source).
"""

import os
import sys
from pathlib import Path

from dagster import (
    Definitions,
    Failure,
    OpExecutionContext,
    RetryPolicy,
    ScheduleDefinition,
    in_process_executor,
    job,
    op,
)

if (HERE := str(Path(__file__).resolve().parent)) not in sys.path:
    sys.path.insert(0, HERE)  # find churn_pipeline.py next to this file
import churn_pipeline as steps

SEED = 42


def _root() -> Path:
    return Path(os.environ["CHURN_DATA_ROOT"])


def _out(context: OpExecutionContext, name: str) -> Path:
    """A run-specific output folder for one step."""
    path = _root() / context.run_id / name
    path.mkdir(parents=True, exist_ok=True)
    return path


def _no_retry(error: steps.mini_dag.NonRetryableError) -> Failure:
    return Failure(description=str(error), allow_retries=False)


@op(retry_policy=RetryPolicy(max_retries=2))
def extract(context: OpExecutionContext) -> str:
    """Copy the source snapshot into the run (transient failures are retried)."""
    source = Path(os.environ.get("CHURN_SOURCE", steps.DATA_PATH))
    params = {
        "source": str(source),
        "_attempt": context.retry_number + 1,
        "_fail_first_attempts": int(os.environ.get("CHURN_FAIL_FIRST_ATTEMPTS", "0")),
    }
    out = _out(context, "extract")
    steps.extract({}, out, params)
    return str(out)


@op
def validate(context: OpExecutionContext, raw: str) -> str:
    """Refuse bad data at once."""
    out = _out(context, "validate")
    try:
        steps.validate({"extract": Path(raw)}, out, {})
    except steps.mini_dag.NonRetryableError as error:
        raise _no_retry(error) from error
    return str(out)


@op
def split(context: OpExecutionContext, raw: str, report: str) -> str:
    """Stratified train/test split."""
    out = _out(context, "split")
    steps.split({"extract": Path(raw)}, out, {"seed": SEED, "test_size": 0.2})
    return str(out)


@op
def train(context: OpExecutionContext, parts: str) -> str:
    """Fit the model."""
    out = _out(context, "train")
    steps.train({"split": Path(parts)}, out, {"seed": SEED, "C": 1.0})
    return str(out)


@op
def evaluate(context: OpExecutionContext, model: str, parts: str) -> str:
    """Score the held-out part."""
    out = _out(context, "evaluate")
    steps.evaluate({"train": Path(model), "split": Path(parts)}, out, {})
    return str(out)


@op
def register(context: OpExecutionContext, model: str, metrics: str) -> str:
    """Quality gate, then the model registry."""
    out = _out(context, "register")
    params = {
        "registry": os.environ.get("CHURN_REGISTRY", str(_root() / "registry")),
        "floor": float(os.environ.get("CHURN_FLOOR", steps.ROC_AUC_FLOOR)),
    }
    try:
        steps.register({"train": Path(model), "evaluate": Path(metrics)}, out, params)
    except steps.mini_dag.NonRetryableError as error:
        raise _no_retry(error) from error
    return str(out)


@job(executor_def=in_process_executor, tags={"course": "mlops", "model": "churn"})
def churn_training() -> None:
    """extract -> validate -> split -> train -> evaluate -> register."""
    raw = extract()
    report = validate(raw)
    parts = split(raw, report)
    model = train(parts)
    metrics = evaluate(model, parts)
    register(model, metrics)


weekly = ScheduleDefinition(job=churn_training, cron_schedule="0 3 * * 1")  # Mondays, 03:00

defs = Definitions(jobs=[churn_training], schedules=[weekly])
