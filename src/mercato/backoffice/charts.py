"""Charts as server-built SVG (no script, no chart library): the delivery audit's
on-time rates and customer service's KPIs draw through `line_chart` and the template
backoffice/partials/line_chart.html; the supply-chain KPIs' horizontal bars through
`bar_chart` and backoffice/partials/bar_chart.html (same colours and round top)."""

import math
from datetime import date

COLOURS = ("#c0392b", "#2471a3", "#229954", "#b9770e", "#7d3c98", "#17a589", "#566573")
W, H, LEFT, TOP, BOTTOM = 640, 220, 40, 10, 30


def _nice_top(value: float) -> float:
    """The round number at or above `value` (1, 2 or 5 times a power of ten)."""
    if value <= 0:
        return 1
    power = 10 ** math.floor(math.log10(value))
    return next(m * power for m in (1, 2, 5, 10) if m * power >= value)


def line_chart(
    *, x_values: list[date], series: list[tuple[str, list]], grid=None, suffix: str = ""
) -> dict | None:
    """A chart of one line per series over the dates `x_values`. `series`: (name, points),
    each point (x, value, title): a date of x_values, a number (None: no point) and the
    dot's tooltip. `grid`: the y values to draw lines at (the last is the top), else 0, half
    and a round top above the largest value. None when no series has a point."""
    if not x_values or not any(v is not None for _n, pts in series for _x, v, _t in pts):
        return None
    if grid is None:
        top = _nice_top(max(float(v) for _n, pts in series for _x, v, _t in pts if v is not None))
        grid = [0, top / 2, top]
    top = float(grid[-1]) or 1
    step = (W - LEFT - 10) / max(len(x_values) - 1, 1)
    x_of = {x: LEFT + i * step for i, x in enumerate(x_values)}

    def y(value) -> float:
        return round(TOP + (H - TOP - BOTTOM) * (1 - float(value) / top), 1)

    lines = []
    for n, (name, points) in enumerate(series):
        drawn = [(round(x_of[x], 1), y(v), t) for x, v, t in points if v is not None and x in x_of]
        lines.append(
            {
                "name": name,
                "colour": COLOURS[n % len(COLOURS)],
                "points": " ".join(f"{px},{py}" for px, py, _t in drawn),
                "dots": [{"x": px, "y": py, "title": t} for px, py, t in drawn],
            }
        )
    labels = [{"y": y(v), "label": f"{v:g}{suffix}"} for v in grid]
    ticks = [
        {"x": round(x_of[x], 1), "label": x.strftime("%m-%d")}
        for i, x in enumerate(x_values)
        if i % max(len(x_values) // 8, 1) == 0
    ]
    return {"width": W, "height": H, "lines": lines, "grid": labels, "ticks": ticks,
            "left": LEFT, "right": W - 10, "base": H - BOTTOM + 16}  # fmt: skip


BAR_H, BAR_GAP, LABEL_W = 18, 6, 150


def bar_chart(*, rows: list[tuple[str, list]], series: list[str], suffix: str = "") -> dict | None:
    """Horizontal bars: one group per row (label, values: a number or None per series),
    one bar per series in the group, scaled to a round top above the largest value. None
    when no value is there."""
    values = [float(v) for _l, vs in rows for v in vs if v is not None]
    if not values:
        return None
    top = float(_nice_top(max(values)))
    span = W - LABEL_W - 60
    groups, y = [], TOP
    for label, vs in rows:
        bars = []
        for n, v in enumerate(vs):
            if v is not None:
                width = round(span * float(v) / top, 1)
                bars.append({"y": y + n * BAR_H, "width": width, "end": LABEL_W + width + 4,
                             "value": f"{float(v):g}{suffix}", "colour": COLOURS[n % len(COLOURS)],
                             "title": f"{label} · {series[n]}: {float(v):g}{suffix}"})  # fmt: skip
        groups.append({"label": label, "y": y + len(vs) * BAR_H / 2, "bars": bars})
        y += len(vs) * BAR_H + BAR_GAP
    legend = [{"name": name, "colour": COLOURS[n % len(COLOURS)]} for n, name in enumerate(series)]
    return {"width": W, "height": y + TOP, "left": LABEL_W, "bar": BAR_H - 4, "groups": groups,
            "legend": legend}  # fmt: skip
