"""The stress test's knee plot: successful requests per second against users, yours and the calibration's.

Drawn with Pillow (no plotting stack needed). Filled markers are steps that counted towards capacity
(errors and p95 within the bounds); hollow ones went over a bound: where the hollow markers begin is
the knee, the load at which the service stops keeping up.
"""

from __future__ import annotations

import io
import math
from typing import Any

WIDTH, HEIGHT, MARGIN = 720, 420, 60
SERIES = (
    ("submission", "your service", (31, 119, 180)),
    ("calibration", "calibration", (255, 127, 14)),
)


def _best_steps(measurement: dict[str, Any]) -> list[dict[str, Any]]:
    windows = measurement.get("windows") or []
    best = max(windows, key=lambda w: w.get("capacity_rps", 0.0), default={"steps": []})
    return best.get("steps", [])


def knee_png(load: dict[str, Any]) -> bytes:
    """A PNG of RPS per step (log-scaled users on x) for the submission and the calibration."""
    from PIL import Image, ImageDraw

    image = Image.new("RGB", (WIDTH, HEIGHT), "white")
    draw = ImageDraw.Draw(image)
    series = {key: _best_steps(load.get(key, {})) for key, _, _ in SERIES}
    users = sorted({s["users"] for steps in series.values() for s in steps}) or [1]
    top = max([s["rps"] for steps in series.values() for s in steps] + [1.0]) * 1.1
    left, right, bottom, up = MARGIN, WIDTH - MARGIN // 2, HEIGHT - MARGIN, MARGIN // 2
    span = math.log2(max(users)) - math.log2(min(users)) or 1.0

    def x(u: int) -> float:
        return left + (math.log2(u) - math.log2(min(users))) / span * (right - left)

    def y(rps: float) -> float:
        return bottom - rps / top * (bottom - up)

    draw.line([(left, bottom), (right, bottom)], fill="black")
    draw.line([(left, bottom), (left, up)], fill="black")
    for u in users:
        draw.text((x(u) - 4, bottom + 6), str(u), fill="black")
    for i in range(5):
        value = top * i / 4
        draw.text((4, y(value) - 6), f"{value:.0f}", fill="black")
        draw.line([(left - 4, y(value)), (left, y(value))], fill="black")
    draw.text((left, HEIGHT - 22), "users (no think time)", fill="black")
    draw.text((4, 4), "successful requests per second", fill="black")
    for row, (key, label, colour) in enumerate(SERIES):
        steps = sorted(series[key], key=lambda s: s["users"])
        points = [(x(s["users"]), y(s["rps"])) for s in steps]
        if len(points) > 1:
            draw.line(points, fill=colour, width=2)
        for s, (px, py) in zip(steps, points, strict=True):
            box = [px - 5, py - 5, px + 5, py + 5]
            draw.ellipse(
                box, outline=colour, fill=colour if s.get("qualifies") else "white", width=2
            )
        draw.text((right - 150, up + 16 * row), f"- {label}", fill=colour)
    buffer = io.BytesIO()
    image.save(buffer, format="PNG")
    return buffer.getvalue()
