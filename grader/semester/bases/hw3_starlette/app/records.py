"""The request records, as msgspec Structs: decoding a body validates it against the contract.

msgspec is strict by default: ``"12"`` is not an int and ``true`` is not a 0/1 flag. It stops at
the first problem, so a 422 names one field (the contract asks for the offending field in ``loc``).
``customer_id`` may be absent (UNSET) but not ``null``.
"""

from __future__ import annotations

from typing import Annotated, Literal

import msgspec

LARGEST_BATCH = 1000

Bit = Annotated[int, msgspec.Meta(ge=0, le=1)]
Months = Annotated[int, msgspec.Meta(ge=0, le=120)]
Monthly = Annotated[float, msgspec.Meta(ge=0, le=1000)]
Billed = Annotated[float, msgspec.Meta(ge=0, le=200_000)]
# PostgreSQL text cannot hold NUL: such an id is invalid input (422), never a failed insert (500).
Handle = Annotated[str, msgspec.Meta(min_length=1, max_length=64, pattern=r"^[^\x00]*$")]
PhoneAnswer = Literal["No", "No phone service", "Yes"]
NetAnswer = Literal["No", "No internet service", "Yes"]


class Customer(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    """One customer: all 19 features required, ``total_charges`` nullable, nothing else allowed."""

    customer_id: Handle | msgspec.UnsetType = msgspec.UNSET
    female: Bit
    senior_citizen: Bit
    partner: Bit
    dependents: Bit
    tenure: Months
    phone_service: Bit
    multiple_lines: PhoneAnswer
    internet_service: Literal["DSL", "Fiber optic", "No"]
    online_security: NetAnswer
    online_backup: NetAnswer
    device_protection: NetAnswer
    tech_support: NetAnswer
    streaming_tv: NetAnswer
    streaming_movies: NetAnswer
    contract: Literal["Month-to-month", "One year", "Two year"]
    paperless_billing: Bit
    payment_method: Literal[
        "Bank transfer (automatic)", "Credit card (automatic)", "Electronic check", "Mailed check"
    ]
    monthly_charges: Monthly
    total_charges: Billed | None


CustomerList = Annotated[list[Customer], msgspec.Meta(min_length=1, max_length=LARGEST_BATCH)]


class BatchRequest(msgspec.Struct, forbid_unknown_fields=True):
    """``{"customers": [...]}``: 1 to LARGEST_BATCH customers (documentation only; see decode)."""

    customers: CustomerList


one_customer = msgspec.json.Decoder(Customer)
any_json = msgspec.json.Decoder()


def feature_names() -> list[str]:
    """The model features, in declaration order (customer_id is not one)."""
    return [name for name in Customer.__struct_fields__ if name != "customer_id"]
