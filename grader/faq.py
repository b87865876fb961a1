"""The course FAQ (``docs/guides/faq.md``): the troubleshooting entries rubric checks link to.

Every entry is a heading with an explicit, stable anchor written with attr_list syntax,
``## The service does not start: port already in use { #port-binding }``. A rubric check names an
entry with ``faq = "port-binding"``; reports link the entry when the check fails. The page lives in the
course checkout (``docs/``), not in the grader wheel: a grader installed without it links the site's
page without checking the anchor, which the repository's tests check instead.
"""

from __future__ import annotations

import re
from functools import cache
from pathlib import Path

from grader.paths import PACKAGE_DIR

FAQ_PAGE = PACKAGE_DIR.parent / "docs" / "guides" / "faq.md"
FAQ_LINK = "guides/faq.html#{anchor}"  # site path, relative to the course config's site_url
HEADING_ANCHOR = re.compile(r"^#{2,6}\s.*\{\s*#([A-Za-z0-9_-]+)[^}]*\}\s*$")
FENCE = re.compile(r"^\s*(`{3,}|~{3,})")


def _anchors(text: str) -> frozenset[str]:
    anchors = set()
    in_fence = False
    for line in text.splitlines():
        if FENCE.match(line):
            in_fence = not in_fence
        elif not in_fence and (match := HEADING_ANCHOR.match(line)):
            anchors.add(match.group(1))
    return frozenset(anchors)


@cache
def faq_anchors(page: Path) -> frozenset[str]:
    """The explicit heading anchors of the FAQ page (empty when the page does not exist)."""
    return _anchors(page.read_text(encoding="utf-8")) if page.is_file() else frozenset()


def faq_path(anchor: str) -> str:
    """The site path of one FAQ entry (``guides/faq.html#anchor``), or "" for no entry."""
    return FAQ_LINK.format(anchor=anchor) if anchor else ""
