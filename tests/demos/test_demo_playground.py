"""The model playground, driven through Streamlit's AppTest (no browser)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

TIMEOUT = 30


def probability(at: AppTest) -> float:
    """The churn probability metric, as a fraction."""
    metric = next(m for m in at.metric if m.label == "Churn probability")
    return float(metric.value.rstrip("%")) / 100


def codes(at: AppTest) -> list[str]:
    return [c.value for c in at.code]


@pytest.fixture
def app(demo_path: Path) -> AppTest:
    at = AppTest.from_file(str(demo_path / "model_playground.py"), default_timeout=TIMEOUT)
    at.run()
    assert not at.exception
    return at


def test_title_and_a_widget_per_contract_feature(app: AppTest) -> None:
    assert app.title[0].value == "Model playground"
    assert app.selectbox(key="contract").options == ["Month-to-month", "One year", "Two year"]
    tenure = app.number_input(key="tenure")
    assert (tenure.min, tenure.max) == (0, 120)
    assert app.checkbox(key="total_charges__unknown").value is False
    charts = [json.loads(c.proto.spec) for c in app.get("vega_lite_chart")]
    assert any(c.get("title") == "What drives this prediction" for c in charts)


def test_two_year_contract_lowers_the_probability(app: AppTest) -> None:
    app.selectbox(key="contract").set_value("Month-to-month").run()
    monthly = probability(app)
    app.selectbox(key="contract").set_value("Two year").run()
    two_year = probability(app)
    assert not app.exception
    assert 0 < two_year < monthly < 1


def test_unknown_total_charges_sends_null(app: AppTest) -> None:
    app.checkbox(key="total_charges__unknown").check().run()
    request = json.loads(codes(app)[0])
    assert request["total_charges"] is None
    assert not app.error and 0 < probability(app) < 1


def test_invalid_raw_json_shows_the_422_body(app: AppTest) -> None:
    app.radio(key="input_mode").set_value("raw JSON").run()
    document = json.loads(app.text_area(key="raw_json").value)
    document["tenure"] = -1
    document["colour"] = "blue"
    app.text_area(key="raw_json").set_value(json.dumps(document)).run()
    assert not app.exception
    assert any("422" in e.value and "tenure" in e.value for e in app.error)
    detail = json.loads(codes(app)[1])["detail"]
    assert {tuple(d["loc"]) for d in detail} == {("body", "tenure"), ("body", "colour")}
    assert not [m for m in app.metric if m.label == "Churn probability"]


def test_broken_json_is_a_json_invalid_error(app: AppTest) -> None:
    app.radio(key="input_mode").set_value("raw JSON").run()
    app.text_area(key="raw_json").set_value('{"tenure": 1,').run()
    assert not app.exception
    assert json.loads(codes(app)[1])["detail"][0]["type"] == "json_invalid"


def test_service_mode_shows_raw_request_and_response(app: AppTest, solution_service: str) -> None:
    app.text_input(key="service_url").set_value(solution_service)
    app.radio(key="source").set_value("service URL").run()
    assert not app.exception and not app.error
    request_text, response_text = codes(app)[:2]
    assert json.loads(request_text)["contract"] == app.selectbox(key="contract").value
    response = json.loads(response_text)
    assert set(response) >= {"churn_probability", "churn", "model_version", "customer_id"}
    assert response["churn_probability"] == pytest.approx(probability(app), abs=1e-3)
    assert any("the same answer" in c.value for c in app.caption)


def test_service_mode_shows_the_services_own_422(app: AppTest, solution_service: str) -> None:
    app.text_input(key="service_url").set_value(solution_service)
    app.radio(key="source").set_value("service URL")
    app.radio(key="input_mode").set_value("raw JSON").run()
    document = json.loads(app.text_area(key="raw_json").value)
    document["contract"] = "Weekly"
    app.text_area(key="raw_json").set_value(json.dumps(document)).run()
    assert not app.exception
    body = json.loads(codes(app)[1])
    assert ["body", "contract"] in [d["loc"] for d in body["detail"]]
    assert any("agrees with the contract" in c.value for c in app.caption)


def test_service_down_says_cannot_reach(app: AppTest, closed_port_url: str) -> None:
    app.text_input(key="service_url").set_value(closed_port_url)
    app.radio(key="source").set_value("service URL").run()
    assert not app.exception
    assert any("Cannot reach the service" in e.value for e in app.error)
    assert not [m for m in app.metric if m.label == "Churn probability"]


def test_loading_a_holdout_customer_fills_the_form(app: AppTest) -> None:
    app.selectbox(key="holdout_row").set_value(3).run()
    next(b for b in app.button if b.label == "Load").click().run()
    assert not app.exception
    request = json.loads(codes(app)[0])
    assert request["customer_id"] == "holdout-3"
    assert request["tenure"] == 2 and request["payment_method"] == "Mailed check"
    assert app.number_input(key="tenure").value == 2
