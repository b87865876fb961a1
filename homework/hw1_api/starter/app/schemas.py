"""Request and response models: the service contract (tests/public/contract.json) in pydantic.

TODO(hw1, task 1): write the models below. Every rule of the contract belongs here, so that bad
input becomes a 422 naming the offending field before your code ever sees it:

* every one of the 19 features is required; ``total_charges`` is the only one that may be null;
* 0/1 flags, ``tenure`` 0..120, ``monthly_charges`` 0..1000, ``total_charges`` 0..200000;
* text features take only the listed values (``typing.Literal``);
* unknown fields are rejected (``model_config = ConfigDict(extra="forbid")``);
* ``customer_id`` is optional, a string of 1..64 characters, echoed back in the prediction;
* a batch holds 1..1000 customers (``Field(min_length=1, max_length=1000)``).

Think about types, too: should ``"12"`` (a string) be accepted as a tenure? ``true`` as a flag?
"""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel


class Health(BaseModel):
    """Liveness and readiness (done)."""

    status: Literal["ok"] = "ok"


class Customer(BaseModel):
    """TODO(hw1, task 1): one customer's 19 features plus the optional ``customer_id``."""


class BatchRequest(BaseModel):
    """TODO(hw1, task 1): ``{"customers": [Customer, ...]}``, 1 to 1000 of them."""


class Prediction(BaseModel):
    """TODO(hw1, task 1): ``customer_id`` (or null), ``churn``, ``churn_probability``,
    ``model_version``."""


class BatchResponse(BaseModel):
    """TODO(hw1, task 1): ``predictions`` (in request order) and ``model_version``."""


class ModelInfo(BaseModel):
    """TODO(hw1, task 1): ``name``, ``version``, ``features`` (19 entries), ``metrics``."""
