"""Unit tests of request-id handling: what is echoed, what is replaced."""

from __future__ import annotations

import re

import pytest

from app.request_ids import MAX_LENGTH, accept_or_generate, new_request_id


@pytest.mark.parametrize("raw", [b"abc", b"req-42", b"x" * MAX_LENGTH, b"a:b/c=d"])
def test_a_sane_callers_id_comes_back_unchanged(raw: bytes) -> None:
    assert accept_or_generate(raw) == raw.decode()


@pytest.mark.parametrize(
    "raw", [None, b"", b"has space", b"x" * (MAX_LENGTH + 1), "é".encode(), b"line\nbreak"]
)
def test_anything_else_gets_a_generated_id(raw: bytes | None) -> None:
    generated = accept_or_generate(raw)
    assert re.fullmatch(r"[0-9a-f]{32}", generated)


def test_generated_ids_differ() -> None:
    assert len({new_request_id() for _ in range(100)}) == 100
