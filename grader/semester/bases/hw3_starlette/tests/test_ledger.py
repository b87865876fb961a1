"""What is stored, how it is read back, what is never stored, and the schema's migrations."""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
from collections.abc import Iterator
from types import SimpleNamespace

import psycopg
import pytest
from sqlalchemy.exc import OperationalError

from app import schema
from app.ledger import Entry, Ledger
from app.schema import current, engine_for, migrate


def test_a_prediction_is_stored_as_answered(http, sample) -> None:
    answer = http.post("/predict", json=sample).json()
    record = http.get(f"/predictions/{answer['id']}").json()
    for key in ("id", "customer_id", "churn", "churn_probability", "model_version"):
        assert record[key] == answer[key]
    assert record["features"] == {k: v for k, v in sample.items() if k != "customer_id"}
    assert record["created_at"].endswith("+00:00")


def test_a_batch_gets_consecutive_ids_in_order(http, sample, stored) -> None:
    before = stored()
    customers = [dict(sample, customer_id=f"c{i}", tenure=i * 10) for i in range(4)]
    predictions = http.post("/predict/batch", json={"customers": customers}).json()["predictions"]
    assert [p["customer_id"] for p in predictions] == ["c0", "c1", "c2", "c3"]
    ids = [p["id"] for p in predictions]
    assert ids == list(range(ids[0], ids[0] + 4))
    assert stored() == before + 4
    for customer, prediction in zip(customers, predictions, strict=True):
        record = http.get(f"/predictions/{prediction['id']}").json()
        assert record["features"]["tenure"] == customer["tenure"]


@pytest.mark.parametrize(
    "body",
    [
        {"customers": [{"tenure": 1}]},
        {"customers": []},
        {"customers": [], "extra": 1},
    ],
)
def test_rejected_batches_store_nothing(http, sample, stored, body) -> None:
    before = stored()
    if body["customers"] == [{"tenure": 1}]:
        body = {"customers": [sample, {"tenure": 1}]}
    assert http.post("/predict/batch", json=body).status_code == 422
    assert stored() == before


def test_a_rejected_prediction_stores_nothing(http, sample, stored) -> None:
    before = stored()
    assert http.post("/predict", json=dict(sample, tenure=-1)).status_code == 422
    assert stored() == before


def test_pages_run_newest_first_without_overlap(http, sample) -> None:
    sent = [http.post("/predict", json=sample).json()["id"] for _ in range(4)]
    first = http.get("/predictions", params={"limit": 3}).json()
    second = http.get("/predictions", params={"limit": 3, "offset": 3}).json()
    listed = [item["id"] for item in first["items"] + second["items"]]
    assert listed[:4] == sent[::-1]
    assert len(listed) == len(set(listed)) == 6
    assert (first["limit"], first["offset"], second["offset"]) == (3, 0, 3)
    default = http.get("/predictions").json()
    assert default["limit"] == 50 and default["offset"] == 0


@pytest.mark.parametrize(
    ("query", "name"),
    [("limit=0", "limit"), ("limit=101", "limit"), ("offset=-1", "offset"), ("limit=x", "limit")],
)
def test_out_of_range_pages_name_the_parameter(http, query, name) -> None:
    reply = http.get(f"/predictions?{query}")
    assert reply.status_code == 422
    assert reply.json()["detail"][0]["loc"] == ["query", name]
    # ... and the values right inside the bounds are served.
    for inside in ("limit=1", "limit=100", "offset=0", "limit=1&offset=0"):
        assert http.get(f"/predictions?{inside}").status_code == 200, inside


def test_the_largest_page_is_allowed(http) -> None:
    assert http.get("/predictions?limit=100").status_code == 200


@pytest.mark.parametrize("record_id", ["0", "-3", "9223372036854775807", "99999999999999999999"])
def test_ids_without_a_record_are_404(http, record_id) -> None:
    reply = http.get(f"/predictions/{record_id}")
    assert reply.status_code == 404 and "detail" in reply.json()


def test_a_word_is_not_an_id(http) -> None:
    reply = http.get("/predictions/seven")
    assert reply.status_code == 422
    assert reply.json()["detail"][0]["loc"] == ["path", "id"]


def test_migrating_twice_changes_nothing(server) -> None:
    url = server.database("twice")
    engine = engine_for(url)
    assert current(engine) is None
    first = migrate(url)
    assert first is not None and migrate(url) == first
    engine.dispose()
    with psycopg.connect(url.replace("postgresql+psycopg:", "postgresql:", 1)) as connection:
        assert connection.execute("SELECT count(*) FROM alembic_version").fetchone()[0] == 1
        types = dict(
            connection.execute(
                "SELECT column_name, data_type FROM information_schema.columns "
                "WHERE table_name = 'predictions'"
            ).fetchall()
        )
    assert types["features"] == "jsonb" and types["churn_probability"] == "double precision"


def test_an_id_with_a_nul_character_is_422_and_stores_nothing(http, sample, stored) -> None:
    before = stored()
    reply = http.post("/predict", json=dict(sample, customer_id="клиент-✓-\u0000"))
    assert reply.status_code == 422
    assert reply.json()["detail"][0]["loc"] == ["body", "customer_id"]
    batch = {"customers": [sample, dict(sample, customer_id="a\u0000")]}
    assert http.post("/predict/batch", json=batch).status_code == 422
    assert http.post("/predict", json=dict(sample, customer_id="клиент-✓")).status_code == 200
    assert stored() == before + 1


def test_the_smallest_page_at_the_start_is_allowed(http, sample) -> None:
    http.post("/predict", json=sample)
    page = http.get("/predictions?limit=1&offset=0").json()
    assert (page["limit"], page["offset"], len(page["items"])) == (1, 0, 1)


def test_the_documented_batch_matches_what_is_enforced(http) -> None:
    schemas = http.get("/openapi.json").json()["components"]["schemas"]
    customers = schemas["BatchRequest"]["properties"]["customers"]
    assert (customers["minItems"], customers["maxItems"]) == (1, 1000)
    assert schemas["BatchRequest"]["additionalProperties"] is False
    parameters = http.get("/openapi.json").json()["paths"]["/predictions"]["get"]["parameters"]
    assert {p["name"]: p["schema"]["maximum"] for p in parameters if p["name"] == "limit"} == {
        "limit": 100
    }


def test_a_streamed_body_above_the_limit_is_413_and_stores_nothing(http, stored) -> None:
    from app.main import BODY_LIMIT

    before = stored()
    chunks = (b" " * (1024 * 1024) for _ in range(BODY_LIMIT // (1024 * 1024) + 1))
    reply = http.post(
        "/predict/batch", content=chunks, headers={"content-type": "application/json"}
    )
    assert reply.status_code == 413 and stored() == before


def test_page_problems_say_which_bound(http) -> None:
    low = http.get("/predictions?offset=-1").json()["detail"][0]
    high = http.get("/predictions?limit=101").json()["detail"][0]
    assert (low["msg"], low["type"]) == ("Input should be at least 0", "greater_than_equal")
    assert (high["msg"], high["type"]) == ("Input should be at most 100", "less_than_equal")


def test_the_document_lists_each_routes_failures(http) -> None:
    paths = http.get("/openapi.json").json()["paths"]
    assert set(paths["/predictions/{id}"]["get"]["responses"]) == {"200", "404", "422", "503"}
    assert "413" in paths["/predict/batch"]["post"]["responses"]
    assert set(paths["/ready"]["get"]["responses"]) == {"200", "503"}


def test_the_first_record_is_readable(http, sample) -> None:
    http.post("/predict", json=sample)
    first = http.get("/predictions/1")
    assert first.status_code == 200 and first.json()["id"] == 1


class FlakyEngine:
    """Stands in for a SQLAlchemy engine whose first ``failures`` connections are refused."""

    def __init__(self, failures: int) -> None:
        self.failures = failures
        self.attempts = 0

    @contextlib.contextmanager
    def connect(self) -> Iterator[SimpleNamespace]:
        self.attempts += 1
        if self.attempts <= self.failures:
            raise OperationalError("SELECT 1", {}, Exception("connection refused"))
        yield SimpleNamespace(execute=lambda statement: None)


def test_waiting_for_the_database_retries_until_it_answers(monkeypatch) -> None:
    engine = FlakyEngine(failures=2)
    naps: list[float] = []
    monkeypatch.setattr(schema.time, "sleep", naps.append)
    schema.wait(engine, seconds=30)  # type: ignore[arg-type]
    assert engine.attempts == 3 and naps == [1, 1]


def test_waiting_gives_up_once_the_time_is_over(monkeypatch) -> None:
    engine = FlakyEngine(failures=100)
    clock = iter(range(0, 1000, 10))
    monkeypatch.setattr(schema.time, "monotonic", lambda: next(clock))
    monkeypatch.setattr(schema.time, "sleep", lambda s: None)
    with pytest.raises(OperationalError):
        schema.wait(engine, seconds=30)  # type: ignore[arg-type]
    assert engine.attempts == 3  # failed at 10, 20 and 30 s after the start at 0: time is up


def test_a_ledger_is_made_before_the_event_loop_runs() -> None:
    ledger = Ledger("postgresql+psycopg://churn@127.0.0.1:9/churn")  # nothing opened yet
    assert ledger.pool.closed


def test_opening_does_not_wait_for_an_absent_database() -> None:
    async def open_and_close() -> None:
        ledger = Ledger("postgresql+psycopg://churn@127.0.0.1:9/churn", wait_s=0.5)
        await asyncio.wait_for(ledger.open(), timeout=2)
        assert not await ledger.alive()
        await ledger.close()

    asyncio.run(open_and_close())


def test_an_entry_cannot_change_once_made() -> None:
    kept = Entry("c1", {"tenure": 1}, True, 0.7, "1.0.0")
    with pytest.raises(dataclasses.FrozenInstanceError):
        kept.churn = False  # type: ignore[misc]
