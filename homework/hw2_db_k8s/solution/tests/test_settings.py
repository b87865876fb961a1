"""Settings: the pool and body-size bounds accept their edges and refuse what lies beyond."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from app.config import Settings


@pytest.mark.parametrize(
    ("field", "lowest", "highest"),
    [("db_pool_size", 1, 100), ("db_max_overflow", 0, 100)],
)
def test_pool_bounds_are_inclusive(field: str, lowest: int, highest: int) -> None:
    assert getattr(Settings(**{field: lowest}), field) == lowest
    assert getattr(Settings(**{field: highest}), field) == highest
    for outside in (lowest - 1, highest + 1):
        with pytest.raises(ValidationError, match=field):
            Settings(**{field: outside})


def test_body_limit_has_a_floor() -> None:
    assert Settings(max_body_bytes=1024).max_body_bytes == 1024
    with pytest.raises(ValidationError, match="max_body_bytes"):
        Settings(max_body_bytes=1023)
