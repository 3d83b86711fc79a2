"""The ETA history chart of the weekly summary: one small panel per order, drawn with Pillow.

Each panel puts *when the vendor spoke* on the x axis and *the date it gave* on the
y axis: a flat line is a vendor whose word held, each step up is a slip. Filled dots
are confirmed dates, hollow dots expected ones; dashed lines are the date the
customer was told (orange) and needs the goods by (red); a green diamond is the
delivery. Labels are ASCII only (the built-in font has no Hangul); names and words
in the rep's language are in the HTML around the picture.
"""
from __future__ import annotations

import io
import math
from datetime import date, timedelta

from PIL import Image, ImageDraw, ImageFont

from assistant.summary import OrderLine

SCALE = 2  # drawn at twice the displayed size, for sharp text on high-density screens
WIDTH = 600
PANEL_HEIGHT = 190
LEGEND_HEIGHT = 34
MARGIN_LEFT, MARGIN_RIGHT, MARGIN_TOP, MARGIN_BOTTOM = 58, 16, 30, 26
MAX_PANELS = 8

INK = (38, 50, 56)
GRID = (226, 230, 233)
MUTED = (120, 130, 138)
LINE = (33, 102, 172)
PROMISED = (230, 126, 34)
REQUIRED = (192, 57, 43)
DELIVERED = (39, 174, 96)
TODAY = (160, 168, 175)


def display_size(count: int) -> tuple[int, int]:
    """(width, height) in CSS pixels of the chart for ``count`` orders."""
    return WIDTH, LEGEND_HEIGHT + PANEL_HEIGHT * min(count, MAX_PANELS)


def eta_history_png(lines: tuple[OrderLine, ...], today: date) -> bytes:
    """The chart as PNG bytes for the first ``MAX_PANELS`` of ``lines``."""
    shown = lines[:MAX_PANELS]
    width, height = display_size(len(shown))
    image = Image.new("RGB", (width * SCALE, height * SCALE), "white")
    canvas = _Canvas(ImageDraw.Draw(image))
    canvas.legend()
    for i, line in enumerate(shown):
        canvas.panel(line, today, top=LEGEND_HEIGHT + i * PANEL_HEIGHT)
    out = io.BytesIO()
    image.save(out, "PNG", optimize=True)
    return out.getvalue()


def _ascii(text: str) -> str:
    return text.encode("ascii", "replace").decode().replace("?", "")


def _md(day: date) -> str:
    return f"{day.month}/{day.day}"


class _Canvas:
    """Drawing helpers in CSS pixels (scaled by ``SCALE``)."""

    def __init__(self, draw: ImageDraw.ImageDraw):
        self.draw = draw
        self.font = ImageFont.load_default(size=11 * SCALE)
        self.bold = ImageFont.load_default(size=13 * SCALE)

    def _xy(self, *points: float) -> list[float]:
        return [p * SCALE for p in points]

    def text(self, x: float, y: float, text: str, fill=INK, font=None, anchor: str = "la") -> None:
        self.draw.text(self._xy(x, y), _ascii(text), fill=fill, font=font or self.font, anchor=anchor)

    def line(self, points: list[tuple[float, float]], fill, width: float = 1) -> None:
        self.draw.line([c for p in points for c in self._xy(*p)], fill=fill, width=max(1, round(width * SCALE)))

    def dashed(self, start: tuple[float, float], end: tuple[float, float], fill, width: float = 1, dash: float = 4) -> None:
        (x0, y0), (x1, y1) = start, end
        length = math.hypot(x1 - x0, y1 - y0)
        position = 0.0
        while position < length:
            a, b = position / length, min(position + dash, length) / length
            self.line([(x0 + (x1 - x0) * a, y0 + (y1 - y0) * a), (x0 + (x1 - x0) * b, y0 + (y1 - y0) * b)], fill, width)
            position += 2 * dash

    def dot(self, x: float, y: float, filled: bool, color=LINE, r: float = 4) -> None:
        box = self._xy(x - r, y - r, x + r, y + r)
        self.draw.ellipse(box, fill=color if filled else "white", outline=color, width=SCALE + 1)

    def diamond(self, x: float, y: float, color=DELIVERED, r: float = 5) -> None:
        self.draw.polygon(self._xy(x, y - r, x + r, y, x, y + r, x - r, y), fill=color)

    def legend(self) -> None:
        x, y = MARGIN_LEFT, 14
        items = [
            ("dot", True, "confirmed"),
            ("dot", False, "expected"),
            ("diamond", None, "delivered"),
            ("dash", PROMISED, "told the customer"),
            ("dash", REQUIRED, "required by"),
        ]
        for kind, arg, label in items:
            if kind == "dot":
                self.dot(x + 4, y, arg)
                x += 12
            elif kind == "diamond":
                self.diamond(x + 4, y)
                x += 12
            else:
                self.dashed((x, y), (x + 18, y), arg, 2, 3)
                x += 24
            self.text(x, y, label, MUTED, anchor="lm")
            x += self.draw.textlength(label, font=self.font) / SCALE + 16

    def panel(self, line: OrderLine, today: date, top: float) -> None:
        history = line.history
        end_x = line.delivered_on or today
        x_lo = min(history[0].said_at.date(), end_x)
        x_hi = max(end_x, history[-1].said_at.date()) + timedelta(days=1)
        values = [g.eta for g in history] + [d for d in (line.promised, line.required_by, line.delivered_on) if d]
        y_lo, y_hi = min(values) - timedelta(days=2), max(values) + timedelta(days=2)
        left, right = MARGIN_LEFT, WIDTH - MARGIN_RIGHT
        plot_top, plot_bottom = top + MARGIN_TOP, top + PANEL_HEIGHT - MARGIN_BOTTOM

        def px(day: date) -> float:
            return left + (right - left) * (day - x_lo).days / max(1, (x_hi - x_lo).days)

        def py(day: date) -> float:
            return plot_bottom - (plot_bottom - plot_top) * (day - y_lo).days / max(1, (y_hi - y_lo).days)

        slip = f"slipped {line.slip_days} d" if line.slip_days else "no slip"
        given = f"{len(history)} date{'s' if len(history) > 1 else ''} given"
        self.text(left, top + 8, f"{line.reference}  {_ascii(line.vendor)}", INK, self.bold)
        self.text(right, top + 10, f"{slip}, {given}", MUTED, anchor="ra")
        for day in _ticks(y_lo, y_hi):
            self.line([(left, py(day)), (right, py(day))], GRID)
            self.text(left - 6, py(day), _md(day), MUTED, anchor="rm")
        for day in _ticks(x_lo, end_x):
            if line.delivered_on is None and abs(px(day) - px(today)) < 30:
                continue
            self.line([(px(day), plot_bottom), (px(day), plot_bottom + 4)], MUTED)
            self.text(px(day), plot_bottom + 7, _md(day), MUTED, anchor="ma")
        self.line([(left, plot_bottom), (right, plot_bottom)], MUTED)
        self.line([(left, plot_top), (left, plot_bottom)], MUTED)
        if line.delivered_on is None:
            self.dashed((px(today), plot_top), (px(today), plot_bottom), TODAY, 1, 2)
            self.text(px(today), plot_bottom + 7, "today", INK, anchor="ma")
        for day, color in ((line.promised, PROMISED), (line.required_by, REQUIRED)):
            if day:
                self.dashed((left, py(day)), (right, py(day)), color, 1.5, 4)
        steps = []
        for given, following in zip(history, [*history[1:], None]):
            x0 = px(given.said_at.date())
            x1 = px(following.said_at.date()) if following else px(end_x)
            steps += [(x0, py(given.eta)), (x1, py(given.eta))]
        self.line(steps, LINE, 2)
        for given in history:
            self.dot(px(given.said_at.date()), py(given.eta), given.confirmed)
        if line.delivered_on:
            self.diamond(px(line.delivered_on), py(line.delivered_on))


def _ticks(lo: date, hi: date) -> list[date]:
    """Evenly spaced dates between ``lo`` and ``hi``: every 1, 2, 7 or 14 days, at most ~8."""
    span = (hi - lo).days
    step = next(s for s in (1, 2, 7, 14, 28, 56) if span / s <= 8)
    return [lo + timedelta(days=d) for d in range(0, span + 1, step)]
