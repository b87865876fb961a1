"""Database checks of a service that stores its predictions (hw2 contract), over HTTP and SQL.

The grader talks to the service like any client and reads the job's database itself, as its
superuser: it sees exactly what the service stored. The table and columns it reads come from the
contract's ``database`` section. Feedback names requests and record ids, never ports or passwords.
"""

from __future__ import annotations

import math
import uuid
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any

import httpx

from grader.checks.api import ApiProbe, Verdict, _describe, _json, _loc_names, _verdict


class DbProbe:
    """An :class:`ApiProbe` plus SQL access to the job's database (``grader.database.JobDatabase``)."""

    def __init__(self, api: ApiProbe, database: Any) -> None:
        self.api = api
        self.db = database
        section = api.contract["database"]
        self.table: str = section["table"]
        self.columns: dict[str, Any] = section["columns"]

    # --- SQL ------------------------------------------------------------------------------

    def rows(self) -> int:
        """Rows in the predictions table (raises if the table is missing)."""
        return int(self.db.query(f'SELECT count(*) FROM "{self.table}"')[0][0])

    def rows_or_none(self) -> int | None:
        """Rows, or None when the table cannot be read."""
        try:
            return self.rows()
        except Exception:
            return None

    def records(self, ids: list[int]) -> dict[int, dict[str, Any]]:
        """Stored records by id, with the contract's columns."""
        names = ", ".join(f'"{c}"' for c in self.columns)
        found = self.db.query(
            f'SELECT {names} FROM "{self.table}" WHERE id = ANY(%s)', ([int(i) for i in ids],)
        )
        return {int(row[0]): dict(zip(self.columns, row, strict=True)) for row in found}

    def ordered_ids(self) -> list[int]:
        """Every stored id in the contract's listing order: newest first, ties by id descending."""
        sql = f'SELECT id FROM "{self.table}" ORDER BY created_at DESC, id DESC'
        return [int(r[0]) for r in self.db.query(sql)]

    def alembic_versions(self) -> list[str] | None:
        """``alembic_version`` rows, or None when the table does not exist."""
        exists = self.db.query("SELECT to_regclass('public.alembic_version') IS NOT NULL")[0][0]
        if not exists:
            return None
        return [str(r[0]) for r in self.db.query("SELECT version_num FROM alembic_version")]

    def table_columns(self) -> dict[str, tuple[str, bool]]:
        """The predictions table's columns: name -> (data type, nullable)."""
        found = self.db.query(
            "SELECT column_name, data_type, is_nullable = 'YES' FROM information_schema.columns "
            "WHERE table_schema = 'public' AND table_name = %s",
            (self.table,),
        )
        return {str(n): (str(t), bool(null)) for n, t, null in found}

    def sentinel_intact(self) -> bool:
        """The grader's own schema (which the service's role does not own) is still there."""
        try:
            return bool(self.db.query("SELECT count(*) FROM grader.sentinel")[0][0] == 1)
        except Exception:
            return False

    # --- HTTP -----------------------------------------------------------------------------

    def customer(self, tag: str, index: int = 0) -> dict[str, Any]:
        """A valid hidden customer with a fresh, traceable customer_id."""
        valid = self.api.cases["valid_customers"]
        customer = dict(valid[index % len(valid)])
        customer["customer_id"] = f"g-{tag}-{uuid.uuid4().hex[:8]}"
        return customer

    def get(self, path: str) -> httpx.Response | str:
        """GET ``path``."""
        return self.api.request("GET", path)


def _features_of(customer: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in customer.items() if k != "customer_id"}


def _same_value(expected: Any, got: Any) -> bool:
    if isinstance(expected, float) or isinstance(got, float):
        return (
            isinstance(got, int | float)
            and isinstance(expected, int | float)
            and math.isclose(float(expected), float(got), rel_tol=1e-9, abs_tol=1e-9)
        )
    return expected == got


def _record_problems(
    probe: DbProbe, customer: dict[str, Any], answer: dict[str, Any], row: dict[str, Any] | None
) -> list[str]:
    """How the stored row differs from what was asked and answered."""
    label = customer.get("customer_id") or "a customer without customer_id"
    if row is None:
        return [f"{label}: the response's id {answer.get('id')} has no row in {probe.table}"]
    problems = []
    if row["customer_id"] != customer.get("customer_id"):
        problems.append(f"{label}: stored customer_id {row['customer_id']!r}")
    features = row["features"] if isinstance(row["features"], dict) else None
    expected = _features_of(customer)
    if features is None:
        problems.append(f"{label}: features are not stored as a JSON object")
    else:
        wrong = sorted(k for k in expected if not _same_value(expected[k], features.get(k)))
        extra = sorted(set(features) - set(expected))
        if wrong or extra:
            problems.append(
                f"{label}: stored features differ from the request (fields {(wrong + extra)[:5]})"
            )
    for name in ("churn", "model_version"):
        if row[name] != answer.get(name):
            problems.append(f"{label}: stored {name} {row[name]!r}, answered {answer.get(name)!r}")
    if not _same_value(answer.get("churn_probability"), _float(row["churn_probability"])):
        problems.append(
            f"{label}: stored churn_probability {row['churn_probability']!r}, answered "
            f"{answer.get('churn_probability')!r}"
        )
    if row["created_at"] is None or getattr(row["created_at"], "tzinfo", None) is None:
        problems.append(f"{label}: created_at must be a timestamp with time zone")
    return problems


def _float(value: Any) -> Any:
    try:
        return float(value)
    except (TypeError, ValueError):
        return value


def _ids(doc: Any, key: str | None = None) -> list[Any]:
    items = doc.get(key, []) if key and isinstance(doc, dict) else [doc]
    return [item.get("id") if isinstance(item, dict) else None for item in items]


def check_migrations(probe: DbProbe) -> Verdict:
    """The service's migrations built the schema in the empty database and left ``alembic_version``."""
    problems = []
    versions = probe.alembic_versions()
    if versions is None:  # no migrations at all: nothing else of this check counts
        return Verdict(
            0.0,
            "there is no alembic_version table: the schema was not created by alembic migrations "
            "(create_all or hand-written CREATE TABLE do not count); apply them at start",
        )
    if len(versions) != 1 or not versions[0]:
        problems.append(f"alembic_version should hold exactly one revision; it holds {versions}")
    if probe.rows_or_none() is None:
        problems.append(f"the {probe.table} table does not exist after the service started")
    if not probe.sentinel_intact():
        problems.append(
            "a schema the service does not own (the grader's) was changed or dropped: touch only "
            "your own tables"
        )
    return _verdict(problems, 3, f"migrations applied (revision {versions})")


def check_columns(probe: DbProbe) -> Verdict:
    """The predictions table has the contract's columns, types and nullability."""
    found = probe.table_columns()
    if not found:
        return Verdict(0.0, f"the table {probe.table} does not exist in the public schema")
    problems = []
    for name, spec in probe.columns.items():
        if name not in found:
            problems.append(f"column {name} is missing")
            continue
        data_type, nullable = found[name]
        if data_type not in spec["data_type"]:
            problems.append(
                f"column {name} is {data_type}; the contract allows {spec['data_type']}"
            )
        if nullable != spec["nullable"]:
            want = "nullable" if spec["nullable"] else "NOT NULL"
            problems.append(f"column {name} must be {want}")
    return _verdict(problems, len(probe.columns), "the stored table matches the contract")


def check_stored_fields(probe: DbProbe) -> Verdict:
    """What /predict and /predict/batch answer is what is stored, under the id they return."""
    problems: list[str] = []
    singles = [probe.customer("single", 0), probe.customer("single", 1)]
    anonymous = _features_of(probe.customer("anon", 2))
    anonymous["total_charges"] = None
    cases: list[tuple[dict[str, Any], Any]] = []
    for customer in [*singles, anonymous]:
        response = probe.api.post_json("/predict", customer)
        if isinstance(response, str) or response.status_code != 200:
            problems.append(f"POST /predict {_describe(response)}; expected 200")
            continue
        cases.append((customer, _json(response)))
    batch = [probe.customer("batch", i) for i in range(3, 7)]
    response = probe.api.post_json("/predict/batch", {"customers": batch})
    if isinstance(response, str) or response.status_code != 200:
        problems.append(f"POST /predict/batch {_describe(response)}; expected 200")
    else:
        predictions = (_json(response) or {}).get("predictions", [])
        cases += list(zip(batch, predictions, strict=False))
    ids = [a.get("id") for _, a in cases if isinstance(a, dict)]
    if any(not isinstance(i, int) or isinstance(i, bool) for i in ids) or len(ids) < len(cases):
        problems.append("every prediction must carry the integer id of its stored record")
    stored = probe.records([i for i in ids if isinstance(i, int)])
    for customer, answer in cases:
        if not isinstance(answer, dict) or not isinstance(answer.get("id"), int):
            continue
        found = _record_problems(probe, customer, answer, stored.get(answer["id"]))
        if found:
            problems.append("; ".join(found[:2]))
            continue
        one = probe.get(f"/predictions/{answer['id']}")
        doc = _json(one) if isinstance(one, httpx.Response) and one.status_code == 200 else None
        shape = probe.api.problems("PredictionRecord", doc) if doc is not None else ["no record"]
        if shape or doc.get("id") != answer["id"]:
            problems.append(
                f"GET /predictions/{answer['id']} {_describe(one)}: expected the stored record "
                f"({shape[0] if shape else 'another id'})"
            )
    if len(ids) != len(set(ids)):
        problems.append("two predictions answered with the same id")
    return _verdict(problems, 3 + len(batch), f"{len(cases)} predictions stored as answered")


def _page(probe: DbProbe, query: str) -> tuple[list[Any] | None, str]:
    response = probe.get(f"/predictions{query}")
    if isinstance(response, str) or response.status_code != 200:
        return None, f"GET /predictions{query} {_describe(response)}; expected 200"
    doc = _json(response)
    shape = probe.api.problems("PredictionPage", doc)
    if shape:
        return None, f"GET /predictions{query}: the page does not conform ({shape[0]})"
    return _ids(doc, "items"), ""


def check_listing(probe: DbProbe) -> Verdict:
    """Newest first with ties by id; limit/offset pages are exact slices of that order."""
    limits = probe.api.contract["limits"]
    default, largest = int(limits["default_page_size"]), int(limits["max_page_size"])
    if (probe.rows_or_none() or 0) < largest + 5:  # enough rows for a full largest page
        filler = [probe.customer("fill", i) for i in range(largest + 5)]
        probe.api.post_json("/predict/batch", {"customers": filler})
    order = probe.ordered_ids()
    total = len(order)
    problems: list[str] = []
    queries = [
        ("", 0, default),
        ("?limit=7", 0, 7),
        ("?limit=7&offset=7", 7, 7),
        ("?limit=7&offset=14", 14, 7),
        (f"?limit={largest}", 0, largest),
        (f"?limit=10&offset={total - 4}", total - 4, 10),  # the short last page
        (f"?limit=5&offset={total}", total, 5),  # past the end: empty
    ]
    for query, offset, limit in queries:
        ids, problem = _page(probe, query)
        if ids is None:
            problems.append(problem)
            continue
        expected = order[offset : offset + limit]
        if ids != expected:
            problems.append(
                f"GET /predictions{query or ''} returned ids {ids[:6]}{'…' if len(ids) > 6 else ''}; "
                f"expected {expected[:6]}{'…' if len(expected) > 6 else ''} (newest first, ties "
                "by id descending, offset records skipped)"
            )
    return _verdict(problems, len(queries), f"{len(queries)} pages match the stored order")


def check_page_limits(probe: DbProbe) -> Verdict:
    """limit outside 1..max and a negative offset are 422 naming the parameter."""
    largest = int(probe.api.contract["limits"]["max_page_size"])
    cases = [
        ("limit=0", "limit"),
        (f"limit={largest + 1}", "limit"),
        ("limit=-1", "limit"),
        ("limit=ten", "limit"),
        ("offset=-1", "offset"),
    ]
    problems = []
    for query, field in cases:
        response = probe.get(f"/predictions?{query}")
        if isinstance(response, str) or response.status_code != 422:
            problems.append(f"GET /predictions?{query} {_describe(response)}; expected 422")
        elif not any(field in loc for loc in _loc_names(_json(response))):
            problems.append(f"GET /predictions?{query}: the 422 should name {field!r} in loc")
    return _verdict(problems, len(cases), "page parameters out of bounds get 422")


def check_not_found(probe: DbProbe) -> Verdict:
    """Ids without a record are 404 with an Error body; a non-integer id is 422."""
    order = probe.ordered_ids()
    beyond = (max(order) if order else 0) + 100_000
    problems = []
    for record_id in ("0", "-1", str(beyond), str(2**63)):
        response = probe.get(f"/predictions/{record_id}")
        if isinstance(response, str) or response.status_code != 404:
            problems.append(f"GET /predictions/{record_id} {_describe(response)}; expected 404")
        elif probe.api.problems("Error", _json(response)):
            problems.append(f"GET /predictions/{record_id}: the 404 body must be {{'detail': ...}}")
    response = probe.get("/predictions/abc")
    if isinstance(response, str) or response.status_code != 422:
        problems.append(f"GET /predictions/abc {_describe(response)}; expected 422")
    return _verdict(problems, 5, "absent records are 404, a malformed id 422")


def check_atomic_batch(probe: DbProbe) -> Verdict:
    """A batch with one invalid customer is rejected whole and stores nothing."""
    problems = []
    for bad_index, breaks in ((3, "tenure"), (0, "contract"), (5, "monthly_charges")):
        batch = [probe.customer("atomic", i) for i in range(6)]
        if breaks == "tenure":
            batch[bad_index]["tenure"] = -5
        elif breaks == "contract":
            batch[bad_index]["contract"] = "Forever"
        else:
            del batch[bad_index]["monthly_charges"]
        before = probe.rows()
        response = probe.api.post_json("/predict/batch", {"customers": batch})
        after = probe.rows()
        stored = probe.db.query(
            f'SELECT count(*) FROM "{probe.table}" WHERE customer_id = ANY(%s)',
            ([c["customer_id"] for c in batch],),
        )[0][0]
        what = f"a batch of 6 whose customer {bad_index} has a bad {breaks}"
        if isinstance(response, str) or response.status_code != 422:
            problems.append(f"{what} {_describe(response)}; expected 422")
        if after != before or stored:
            problems.append(f"{what} stored {max(after - before, stored)} rows; expected none")
    return _verdict(problems, 3, "batches with an invalid customer store nothing")


def check_rejected_store_nothing(probe: DbProbe) -> Verdict:
    """Every rejected request (422, 413) leaves the table as it was."""
    limit = int(probe.api.contract["limits"]["max_batch_size"])
    base = probe.customer("rejected")
    requests: list[tuple[str, str, bytes]] = [
        ("an unknown field", "/predict", _dump({**base, "favourite_colour": "red"})),
        ("a missing field", "/predict", _dump({k: v for k, v in base.items() if k != "tenure"})),
        ("malformed JSON", "/predict", b'{"tenure": 1,'),
        ("an empty batch", "/predict/batch", _dump({"customers": []})),
        (f"a batch of {limit + 1}", "/predict/batch", _dump({"customers": [base] * (limit + 1)})),
    ]
    problems = []
    for what, path, body in requests:
        before = probe.rows()
        response = probe.api.request("POST", path, body)
        after = probe.rows()
        if isinstance(response, str) or response.status_code not in (413, 422):
            problems.append(f"POST {path} with {what} {_describe(response)}; expected 413 or 422")
        if after != before:
            problems.append(f"POST {path} with {what} stored {after - before} rows; expected none")
    return _verdict(problems, len(requests), "rejected requests stored nothing")


def _dump(document: Any) -> bytes:
    import json

    return json.dumps(document).encode()


@dataclass
class Tally:
    """Answers of a phase of requests: 200s (with the ids they carry), other statuses, no answer."""

    ok_ids: list[Any]
    statuses: dict[int, int]
    no_answer: int

    @property
    def ok(self) -> int:
        """Requests answered 200."""
        return len(self.ok_ids)


def steady_phase(
    base_url: str, customers: list[dict[str, Any]], users: int, per_user: int, timeout: float
) -> Tally:
    """``users`` clients each sending ``per_user`` /predict requests in turn (call inside the netns)."""

    def one_user(index: int) -> Tally:
        tally = Tally([], {}, 0)
        with httpx.Client(base_url=base_url, timeout=timeout) as client:
            for n in range(per_user):
                customer = customers[(index * per_user + n) % len(customers)]
                try:
                    response = client.post("/predict", json=customer)
                except httpx.HTTPError:
                    tally.no_answer += 1
                    continue
                if response.status_code == 200:
                    tally.ok_ids.append((_json(response) or {}).get("id"))
                else:
                    tally.statuses[response.status_code] = (
                        tally.statuses.get(response.status_code, 0) + 1
                    )
        return tally

    with ThreadPoolExecutor(users) as pool:
        parts = list(pool.map(one_user, range(users)))
    total = Tally([], {}, 0)
    for part in parts:
        total.ok_ids += part.ok_ids
        total.no_answer += part.no_answer
        for status, count in part.statuses.items():
            total.statuses[status] = total.statuses.get(status, 0) + count
    return total


def check_rows_match(probe: DbProbe, base_url: str, timeout: float) -> Verdict:
    """Below capacity (a few clients in turn), rows added == 200 answers, exactly."""
    customers = [probe.customer("steady", i) for i in range(40)]
    before = probe.rows()
    tally = steady_phase(base_url, customers, users=4, per_user=25, timeout=timeout)
    added = probe.rows() - before
    text = f"100 requests from 4 clients: {tally.ok} answered 200, {added} rows added"
    if tally.ok == 0:
        return Verdict(0.0, f"{text}: no request succeeded")
    if added != tally.ok:
        return Verdict(
            0.0,
            f"{text}: every 200 must be exactly one committed row (a write lost, or stored twice?)",
        )
    return Verdict(1.0, text)


RestartFn = Callable[[], str | None]


def check_restart(probe: DbProbe, restart: RestartFn) -> Verdict:
    """Data survive a restart of the service; the second start changes no schema; it stores again."""
    before_rows = probe.rows()
    before_versions = probe.alembic_versions()
    sample = probe.ordered_ids()[:5]
    problem = restart()
    if problem:
        return Verdict(0.0, f"the grader restarted the service and it did not come back: {problem}")
    problems = []
    after_rows = probe.rows_or_none()
    if after_rows != before_rows:
        problems.append(f"{before_rows} rows before the restart, {after_rows} after")
    if probe.alembic_versions() != before_versions:
        problems.append("the second start changed alembic_version: a start must be a no-op")
    for record_id in sample[:3]:
        response = probe.get(f"/predictions/{record_id}")
        if isinstance(response, str) or response.status_code != 200:
            problems.append(f"after the restart GET /predictions/{record_id} {_describe(response)}")
    response = probe.api.post_json("/predict", probe.customer("after-restart"))
    if isinstance(response, str) or response.status_code != 200:
        problems.append(f"after the restart POST /predict {_describe(response)}")
    elif probe.rows_or_none() != (after_rows or 0) + 1:
        problems.append("after the restart a prediction was not stored")
    return _verdict(problems, 6, f"{before_rows} rows survived the restart; storing again")
