"""Drawing a signature in a real browser: mouse pointer events, or touch through DevTools."""

from __future__ import annotations

from itertools import pairwise

from playwright.sync_api import CDPSession, FloatRect, Page


def watch_errors(page: Page) -> list[str]:
    """Collect JS errors and console errors (a CSP violation shows up as one)."""
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    page.on("console", lambda msg: errors.append(msg.text) if msg.type == "error" else None)
    return errors


# Three strokes resembling 王 plus a flourish, in fractions of the pad's size.
STROKES = [
    [(0.15, 0.25), (0.45, 0.22)],
    [(0.30, 0.22), (0.31, 0.55), (0.30, 0.80)],
    [(0.12, 0.52), (0.48, 0.50)],
    [(0.10, 0.82), (0.50, 0.80)],
    [(0.58, 0.30), (0.66, 0.70), (0.74, 0.35), (0.82, 0.72), (0.90, 0.30)],
]


def pad_box(page: Page) -> FloatRect:
    """The canvas's box in viewport coordinates, scrolled into view."""
    canvas = page.locator("canvas")
    canvas.scroll_into_view_if_needed()
    box = canvas.bounding_box()
    assert box is not None
    return box


def draw_with_mouse(page: Page, strokes: list[list[tuple[float, float]]]) -> None:
    """Pointer Events from a mouse: press, move in small steps, release, once per stroke."""
    box = pad_box(page)
    for stroke in strokes:
        points = [(box["x"] + x * box["width"], box["y"] + y * box["height"]) for x, y in stroke]
        page.mouse.move(*points[0])
        page.mouse.down()
        for x, y in points[1:]:
            page.mouse.move(x, y, steps=12)
        page.mouse.up()


def draw_with_touch(page: Page, strokes: list[list[tuple[float, float]]]) -> None:
    """Real touch input through the DevTools protocol, so the browser makes the pointer events."""
    box = pad_box(page)
    cdp = page.context.new_cdp_session(page)
    for stroke in strokes:
        points = [(box["x"] + x * box["width"], box["y"] + y * box["height"]) for x, y in stroke]
        _touch(cdp, "touchStart", *points[0])
        for (x0, y0), (x1, y1) in pairwise(points):
            for i in range(1, 13):
                _touch(cdp, "touchMove", x0 + (x1 - x0) * i / 12, y0 + (y1 - y0) * i / 12)
        cdp.send("Input.dispatchTouchEvent", {"type": "touchEnd", "touchPoints": []})
    cdp.detach()


def _touch(cdp: CDPSession, kind: str, x: float, y: float) -> None:
    point = {"x": x, "y": y, "id": 1, "radiusX": 2, "radiusY": 2, "force": 0.5}
    cdp.send("Input.dispatchTouchEvent", {"type": kind, "touchPoints": [point]})
