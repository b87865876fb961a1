"""Model playground: one customer in, the churn probability and what drives it out.

Run: ``uv run streamlit run demos/model_playground.py``

* The form is generated from the hw1 contract (``grader/contracts/hw1.json``): a list of allowed
  values becomes a select box, a range a bounded number input, a nullable number gets "unknown".
* The request is validated with the contract's JSON Schema, the same rules the API applies, and an
  invalid one shows the 422 body the API would answer (edit the raw JSON to try that).
* "in-process" scores the customer here with the course model; "service URL" POSTs it to a running
  service's ``/predict`` and shows the raw request and response side by side.
* The bar chart splits the logistic regression's log-odds into one contribution per feature.
"""

from __future__ import annotations

import json
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:  # run as a script by Streamlit: make `demos` and `grader` importable
    sys.path.insert(0, str(ROOT))

import altair as alt  # noqa: E402
import pandas as pd  # noqa: E402
import streamlit as st  # noqa: E402

from demos._common import (  # noqa: E402
    DEFAULT_SERVICE_URL,
    START_SERVICE_HINT,
    FeatureSpec,
    ServiceUnreachable,
    call_service,
    course_model,
    feature_specs,
    holdout_frame,
    to_records,
    validation_errors,
)

SOURCES = ("in-process", "service URL")
INPUT_MODES = ("form", "raw JSON")
GROUPS = {
    "Contract and billing": [
        "tenure",
        "contract",
        "paperless_billing",
        "payment_method",
        "monthly_charges",
        "total_charges",
    ],
    "Household": ["female", "senior_citizen", "partner", "dependents"],
    "Services": [
        "phone_service",
        "multiple_lines",
        "internet_service",
        "online_security",
        "online_backup",
        "device_protection",
        "tech_support",
        "streaming_tv",
        "streaming_movies",
    ],
}
INTERNET_EXTRAS = [
    "online_security",
    "online_backup",
    "device_protection",
    "tech_support",
    "streaming_tv",
    "streaming_movies",
]
DEFAULT_ROW_ID = 1  # the first hold-out customer: new, month-to-month, paying by electronic check


def unknown_key(name: str) -> str:
    return f"{name}__unknown"


def holdout_customers() -> dict[int, dict[str, Any]]:
    """The first 200 hold-out customers by row id, with their true label under ``churn``."""
    frame = holdout_frame().head(200)
    records = to_records(frame)
    return {
        int(row_id): {**record, "churn": label}
        for row_id, label, record in zip(frame["row_id"], frame["churn"], records, strict=True)
    }


def put_customer_into_form(record: dict[str, Any], customer_id: str) -> None:
    """Set every form widget's value (before the widgets are drawn) from a customer record."""
    for spec in feature_specs():
        value = record[spec.name]
        if spec.nullable:
            st.session_state[unknown_key(spec.name)] = value is None
            value = 0.0 if value is None else value
        st.session_state[spec.name] = value
    st.session_state["customer_id"] = customer_id
    st.session_state["raw_json"] = json.dumps(form_document(), indent=2)


def load_selected_customer() -> None:
    row_id = st.session_state["holdout_row"]
    put_customer_into_form(holdout_customers()[row_id], f"holdout-{row_id}")


def copy_form_into_editor() -> None:
    st.session_state["raw_json"] = json.dumps(form_document(), indent=2)


def form_document() -> dict[str, Any]:
    """The request body the form currently describes (from the widgets' session state)."""
    document: dict[str, Any] = {}
    customer_id = str(st.session_state.get("customer_id", "")).strip()
    if customer_id:
        document["customer_id"] = customer_id
    for spec in feature_specs():
        value = st.session_state[spec.name]
        if spec.nullable and st.session_state.get(unknown_key(spec.name)):
            value = None
        elif spec.type == "integer":
            value = int(value)
        elif spec.type == "number":
            value = float(value)
        document[spec.name] = value
    return document


def init_state() -> None:
    """Default values on the first run; keep the form's values while the raw editor is shown."""
    if "initialised" not in st.session_state:
        st.session_state["initialised"] = True
        st.session_state["holdout_row"] = DEFAULT_ROW_ID
        put_customer_into_form(holdout_customers()[DEFAULT_ROW_ID], "holdout-1")
    # Streamlit forgets the state of widgets that are not drawn in a run; writing the values back
    # keeps the form intact while the raw JSON editor is shown instead.
    for spec in feature_specs():
        for key in (spec.name, unknown_key(spec.name)):
            if key in st.session_state:
                st.session_state[key] = st.session_state[key]
    st.session_state["customer_id"] = st.session_state.get("customer_id", "")


def draw_widget(spec: FeatureSpec) -> None:
    """One input, derived from the contract's description of the feature."""
    label = spec.name
    help_text = spec.description or None
    if spec.options is not None:
        if spec.type == "integer" and set(spec.options) == {0, 1}:
            st.selectbox(
                label,
                spec.options,
                key=spec.name,
                help=help_text,
                format_func=lambda v: f"{v} ({'yes' if v else 'no'})",
            )
        else:
            st.selectbox(label, spec.options, key=spec.name, help=help_text)
        return
    disabled = False
    if spec.nullable:
        disabled = st.checkbox(
            f"{spec.name} unknown (send null)",
            key=unknown_key(spec.name),
            help="The contract allows null: the service imputes it (customers with zero tenure).",
        )
    if spec.type == "integer":
        st.number_input(
            label,
            min_value=int(spec.minimum) if spec.minimum is not None else None,
            max_value=int(spec.maximum) if spec.maximum is not None else None,
            step=1,
            key=spec.name,
            help=help_text,
            disabled=disabled,
        )
    else:
        st.number_input(
            label,
            min_value=float(spec.minimum) if spec.minimum is not None else None,
            max_value=float(spec.maximum) if spec.maximum is not None else None,
            step=0.05,
            format="%.2f",
            key=spec.name,
            help=help_text,
            disabled=disabled,
        )


def draw_form() -> None:
    specs = {spec.name: spec for spec in feature_specs()}
    grouped = [name for names in GROUPS.values() for name in names]
    groups = dict(GROUPS)
    others = [name for name in specs if name not in grouped]
    if others:  # a feature added to the contract later still gets a widget
        groups["Other"] = others
    columns = st.columns(len(groups))
    for column, (title, names) in zip(columns, groups.items(), strict=True):
        with column:
            st.markdown(f"**{title}**")
            for name in names:
                if name in specs:
                    draw_widget(specs[name])
    st.text_input(
        "customer_id (optional, echoed back by the API, ignored by the model)", key="customer_id"
    )


def plausibility_notes(document: dict[str, Any]) -> list[str]:
    """Combinations the contract allows but that never occur in the data."""
    notes = []
    if document.get("phone_service") == 0 and document.get("multiple_lines") != "No phone service":
        notes.append("phone_service is 0 but multiple_lines is not 'No phone service'")
    if document.get("phone_service") == 1 and document.get("multiple_lines") == "No phone service":
        notes.append("phone_service is 1 but multiple_lines is 'No phone service'")
    no_internet = document.get("internet_service") == "No"
    mismatched = [
        name
        for name in INTERNET_EXTRAS
        if (document.get(name) == "No internet service") != no_internet
    ]
    if mismatched:
        notes.append(
            f"internet_service is {document.get('internet_service')!r} but "
            f"{', '.join(mismatched)} say{'s' if len(mismatched) == 1 else ''} otherwise"
        )
    if document.get("tenure") == 0 and document.get("total_charges") not in (None, 0, 0.0):
        notes.append("tenure is 0 but total_charges is set (new customers have none yet)")
    return notes


def contributions_chart(document: dict[str, Any]) -> None:
    model = course_model()
    parts = model.explain(document)
    frame = pd.DataFrame(
        {
            "feature": [p.feature for p in parts],
            "value": [json.dumps(p.value) for p in parts],
            "encoded value": [round(p.encoded, 4) for p in parts],
            "coefficient": [round(p.coefficient, 4) for p in parts],
            "contribution": [p.contribution for p in parts],
        }
    )
    frame["effect"] = frame["contribution"].map(
        lambda c: "raises the risk" if c > 0 else "lowers the risk"
    )
    order = frame.reindex(frame["contribution"].abs().sort_values(ascending=False).index)
    chart = (
        alt.Chart(frame, title="What drives this prediction")
        .mark_bar()
        .encode(
            x=alt.X("contribution:Q", title="log-odds contribution: coefficient × encoded value"),
            y=alt.Y("feature:N", sort=list(order["feature"]), title=None),
            color=alt.Color(
                "effect:N",
                scale=alt.Scale(
                    domain=["raises the risk", "lowers the risk"],
                    range=["#d62728", "#1f77b4"],
                ),
                legend=alt.Legend(orient="top", title=None),
            ),
            tooltip=["feature", "value", "encoded value", "coefficient", "contribution"],
        )
        .properties(height=600)
    )
    st.altair_chart(chart, width="stretch")
    total = float(frame["contribution"].sum())
    z = model.intercept + total
    st.caption(
        f"z = intercept ({model.intercept:+.3f}) + sum of the bars ({total:+.3f}) = {z:+.3f}; "
        f"p = 1 / (1 + e^(−z)) = {model.probability(document):.3f}. A text feature is one-hot "
        "encoded, so its bar is its category's coefficient; a number is standardised, "
        "(value − training mean) / training std, so an average value gives no bar."
    )


@dataclass
class Outcome:
    """What one scoring attempt produced, for display."""

    request_text: str
    probability: float | None = None
    origin: str = "the in-process model"
    response_title: str = ""
    response_text: str = ""
    unreachable: str = ""
    service_status: int | None = None


def score_in_process(document: Any, errors: list[dict[str, Any]], request_text: str) -> Outcome:
    outcome = Outcome(request_text, response_title="**In-process answer** (the API's shape)")
    if errors:
        outcome.response_title = "**In-process answer**: 422, the API would reject it"
        outcome.response_text = json.dumps({"detail": errors}, indent=2, default=str)
        return outcome
    model = course_model()
    outcome.probability = model.probability(document)
    answer = {
        "customer_id": document.get("customer_id"),
        "churn": outcome.probability >= model.threshold,
        "churn_probability": outcome.probability,
        "model_version": model.version,
    }
    outcome.response_text = json.dumps(answer, indent=2)
    return outcome


def score_via_service(url: str, document: Any, request_text: str, raw: bool) -> Outcome:
    outcome = Outcome(request_text, origin="the service")
    try:
        if raw:  # send the editor's text byte for byte, broken JSON included
            reply = call_service(url, "POST", "/predict", raw_body=request_text)
        else:
            reply = call_service(url, "POST", "/predict", document)
    except ServiceUnreachable as exc:
        outcome.unreachable = (
            f"{exc} Is the service running? Start the reference solution with "
            f"`{START_SERVICE_HINT}`, or switch to in-process."
        )
        return outcome
    outcome.service_status = reply.status
    outcome.response_title = f"**Response** `{reply.status}` in {reply.elapsed_ms:.1f} ms"
    body = reply.body
    outcome.response_text = body if isinstance(body, str) else json.dumps(body, indent=2)
    if (
        reply.status == 200
        and isinstance(body, dict)
        and isinstance(body.get("churn_probability"), int | float)
    ):
        outcome.probability = float(body["churn_probability"])
    return outcome


def show_result(outcome: Outcome, document: Any, errors: list[dict[str, Any]]) -> None:
    """The right-hand column: probability (or why there is none) and the contributions."""
    model = course_model()
    if outcome.unreachable:
        st.error(outcome.unreachable)
    elif errors:
        names = sorted({str(e["loc"][-1]) for e in errors if len(e["loc"]) > 1}) or ["body"]
        fields = ", ".join(names[:5]) + (f" and {len(names) - 5} more" if len(names) > 5 else "")
        st.error(
            f"Invalid request: the API answers 422 Unprocessable Content (offending: {fields})."
        )
        if outcome.service_status is not None:
            agree = outcome.service_status == 422
            st.caption(
                f"The service answered {outcome.service_status}"
                + (": it agrees with the contract." if agree else ": the contract says 422!")
            )
        st.json({"detail": errors}, expanded=False)
    elif outcome.service_status is not None and outcome.probability is None:
        st.warning(f"The service answered {outcome.service_status} to a valid customer.")
    if outcome.probability is not None:
        churn = outcome.probability >= model.threshold
        st.metric(
            "Churn probability",
            f"{outcome.probability:.1%}",
            help=f"from {outcome.origin}; 'churn' at or above {model.threshold:g}",
        )
        verdict = "**churns**" if churn else "**stays**"
        st.markdown(f"Predicted by {outcome.origin}: the customer {verdict}.")
        if outcome.service_status is not None and not errors:
            local = model.probability(document)
            same = abs(local - outcome.probability) < 1e-6
            st.caption(
                f"In-process model: {local:.6f}, "
                + ("the same answer." if same else "so the service runs a different model.")
            )
    if not errors and isinstance(document, dict):
        contributions_chart(document)


def show_exchange(outcome: Outcome, url: str, in_process: bool) -> None:
    """The raw request and the raw response, side by side."""
    st.subheader("Request and response")
    left, right = st.columns(2)
    with left:
        if in_process:
            st.markdown("**Request** (what a client would `POST` to `/predict`)")
        elif outcome.unreachable:
            st.markdown("**Request** (not delivered)")
        else:
            st.markdown(f"**Request** `POST {url.rstrip('/')}/predict`")
        st.code(outcome.request_text, language="json")
    with right:
        if outcome.unreachable:
            st.markdown("**Response**: none, the service cannot be reached")
        else:
            st.markdown(outcome.response_title)
            st.code(outcome.response_text, language="json")


def main() -> None:
    st.set_page_config(page_title="Model playground · mlops-course", layout="wide")
    init_state()
    model = course_model()
    st.title("Model playground")
    metrics = model.metrics
    st.caption(
        f"Model `{model.name}` {model.version}: logistic regression on {len(model.features)} "
        f"features, validation ROC-AUC {metrics.get('roc_auc', float('nan')):.3f}. Inputs and "
        "validation come from the hw1 contract (grader/contracts/hw1.json)."
    )

    source_cell, url_cell, mode_cell, holdout_cell, load_cell = st.columns(
        [1.3, 1.6, 1.1, 1.6, 0.9], vertical_alignment="bottom"
    )
    source = source_cell.radio(
        "Prediction source",
        SOURCES,
        key="source",
        horizontal=True,
        help="in-process: the course model inside this app; service URL: POST /predict",
    )
    url = url_cell.text_input(
        "Service URL",
        value=DEFAULT_SERVICE_URL,
        key="service_url",
        help=f"Start the reference service with `{START_SERVICE_HINT}`. Timeout: 5 s.",
    )
    mode = mode_cell.radio("Edit as", INPUT_MODES, key="input_mode", horizontal=True)
    customers = holdout_customers()
    holdout_cell.selectbox(
        "Hold-out customer",
        list(customers),
        key="holdout_row",
        format_func=lambda r: f"row {r} (churned: {customers[r]['churn']})",
    )
    load_cell.button("Load", on_click=load_selected_customer, help="put this customer in the form")

    raw = mode == "raw JSON"
    form_column, result_column = st.columns([3, 2], gap="large")
    with form_column:
        if raw:
            st.subheader("Raw request JSON")
            st.caption(
                'Anything goes: try tenure -1, "12" for a number, an unknown field or broken '
                "JSON, and compare with the service's 422."
            )
            if "raw_json" not in st.session_state:
                copy_form_into_editor()
            st.text_area("Request body", key="raw_json", height=520)
            st.button("Copy the form into the editor", on_click=copy_form_into_editor)
            request_text = st.session_state["raw_json"]
            try:
                document: Any = json.loads(request_text)
                errors = validation_errors(document)
            except json.JSONDecodeError as exc:
                document = None
                errors = [
                    {
                        "type": "json_invalid",
                        "loc": ["body", exc.pos],
                        "msg": "JSON decode error",
                        "ctx": {"error": exc.msg},
                    }
                ]
        else:
            st.subheader("Customer")
            draw_form()
            document = form_document()
            errors = validation_errors(document)
            request_text = json.dumps(document, indent=2)
        if not errors and isinstance(document, dict):
            for note in plausibility_notes(document):
                st.warning(f"Valid, but unlike any customer in the data: {note}.")

    in_process = source == "in-process"
    if in_process:
        outcome = score_in_process(document, errors, request_text)
    else:
        outcome = score_via_service(url, document, request_text, raw)
    with result_column:
        st.subheader("Prediction")
        show_result(outcome, document, errors)
    show_exchange(outcome, url, in_process)


main()
