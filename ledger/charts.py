"""Server-rendered SVG charts: the same markup on the page and in the PDF, no script.

Each function returns a complete ``<svg>`` element as a safe string; labels are escaped. Sizes are
in user units with a ``viewBox``, so the chart scales to the width of the page or the paper."""

from __future__ import annotations

from decimal import Decimal

from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe

FONT = 'font-family="Noto Sans CJK SC, Microsoft YaHei, sans-serif"'
NAVY = "#1f3a5f"
GRID = "#d0d7de"
# one colour per matter status, in the order of ProjectMatter.Status (待申报 … 撤回)
STATUS_COLOURS = ("#adb5bd", "#4c78a8", "#72b7b2", "#f2b134", "#2e8b57", "#c62828", "#8c6d9e")


CAPTION_H = 24


def _svg(width: int, height: int, title: str, body: list[str]) -> SafeString:
    """The chart with its title drawn in it, so that the title and the chart never part across pages."""
    total = height + CAPTION_H
    return mark_safe(  # noqa: S308  (every label below is escaped)
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {width} {total}" width="100%" role="img" '
        f'aria-label="{escape(title)}" class="qq-chart" {FONT} font-size="11">'
        f"<title>{escape(title)}</title>"
        f'<text x="0" y="15" font-size="13" font-weight="bold" fill="#222">{escape(title)}</text>'
        f'<g transform="translate(0 {CAPTION_H})">{"".join(body)}</g></svg>'
    )


_STEPS = (4, 8, 12, 20, 40, 60, 80, 100)


def _nice_max(value: int) -> int:
    """A round top for a count axis whose four ticks are whole numbers: 4, 8, 12, 20, 40, … 100, 200, …"""
    scale = 1
    while True:
        for step in _STEPS:
            if step * scale >= value:
                return step * scale
        scale *= 10


def column_chart(points: list[tuple[str, int]], title: str = "每周来访登记") -> SafeString:
    """Columns with their values above and their labels below (a weekly trend)."""
    width, height, left, bottom, top_pad = 640, 220, 36, 32, 18
    plot_h = height - bottom - top_pad
    top = _nice_max(max((v for _, v in points), default=0))
    step = (width - left - 8) / max(len(points), 1)
    body = []
    for tick in range(5):
        value = top * tick / 4
        y = top_pad + plot_h - plot_h * tick / 4
        body.append(
            f'<line x1="{left}" x2="{width - 4}" y1="{y:.1f}" y2="{y:.1f}" stroke="{GRID}" stroke-width="0.6"/>'
        )
        body.append(f'<text x="{left - 4}" y="{y + 4:.1f}" text-anchor="end" fill="#555">{value:.0f}</text>')
    for index, (label, value) in enumerate(points):
        bar_h = plot_h * value / top if top else 0
        x = left + index * step + step * 0.18
        y = top_pad + plot_h - bar_h
        body.append(
            f'<rect x="{x:.1f}" y="{y:.1f}" width="{step * 0.64:.1f}" height="{bar_h:.1f}" fill="{NAVY}">'
            f"<title>{escape(label)}：{value}</title></rect>"
        )
        body.append(f'<text x="{x + step * 0.32:.1f}" y="{y - 3:.1f}" text-anchor="middle">{value}</text>')
        body.append(
            f'<text x="{x + step * 0.32:.1f}" y="{height - 12}" text-anchor="middle" fill="#333">{escape(label)}</text>'
        )
    return _svg(width, height, title, body)


def stacked_bars(
    categories: list[str], series: list[tuple[str, list[int]]], title: str = "办理事项按阶段和状态"
) -> SafeString:
    """One horizontal bar per category, split by series, with a legend and each bar's total."""
    row_h, label_w, width = 26, 200, 680
    legend_h = 22
    height = legend_h + row_h * max(len(categories), 1) + 8
    totals = [sum(values[i] for _, values in series) for i in range(len(categories))]
    top = max(totals, default=0) or 1
    plot_w = width - label_w - 48
    body = []
    x = 0
    for index, (name, _) in enumerate(series):
        colour = STATUS_COLOURS[index % len(STATUS_COLOURS)]
        body.append(f'<rect x="{x}" y="4" width="10" height="10" fill="{colour}"/>')
        body.append(f'<text x="{x + 14}" y="13">{escape(name)}</text>')
        x += 14 + 12 * len(name) + 14
    for row, category in enumerate(categories):
        y = legend_h + row * row_h
        body.append(f'<text x="{label_w - 6}" y="{y + 16}" text-anchor="end">{escape(category)}</text>')
        offset = label_w
        for index, (name, values) in enumerate(series):
            value = values[row]
            if not value:
                continue
            w = plot_w * value / top
            colour = STATUS_COLOURS[index % len(STATUS_COLOURS)]
            body.append(
                f'<rect x="{offset:.1f}" y="{y + 4}" width="{w:.1f}" height="{row_h - 8}" fill="{colour}">'
                f"<title>{escape(category)} · {escape(name)}：{value}</title></rect>"
            )
            offset += w
        body.append(f'<text x="{offset + 4:.1f}" y="{y + 16}" fill="#333">{totals[row]}</text>')
    return _svg(width, height, title, body)


def rate_bars(rows: list[tuple[str, Decimal | None, int]], title: str = "各责任单位按时办结率") -> SafeString:
    """A bar from 0 to 100 % per row (label, rate, number of matters behind the rate)."""
    row_h, label_w, width = 24, 190, 640
    plot_w = width - label_w - 110
    height = max(len(rows), 1) * row_h + 24
    body = []
    for tick in (0, 50, 100):
        x = label_w + plot_w * tick / 100
        body.append(f'<line x1="{x:.1f}" x2="{x:.1f}" y1="0" y2="{height - 18}" stroke="{GRID}" stroke-width="0.6"/>')
        body.append(f'<text x="{x:.1f}" y="{height - 4}" text-anchor="middle" fill="#555">{tick}%</text>')
    if not rows:
        body.append(f'<text x="{label_w}" y="16" fill="#555">本期没有有时限的办结事项</text>')
    for index, (label, rate, count) in enumerate(rows):
        y = index * row_h
        value = float(rate or 0)
        colour = "#2e8b57" if value >= 90 else "#b8860b" if value >= 60 else "#c62828"
        body.append(f'<text x="{label_w - 6}" y="{y + 15}" text-anchor="end">{escape(label[:16])}</text>')
        body.append(
            f'<rect x="{label_w}" y="{y + 4}" width="{plot_w * value / 100:.1f}" height="{row_h - 8}" fill="{colour}">'
            f"<title>{escape(label)}：{rate}%（{count} 件）</title></rect>"
        )
        body.append(f'<text x="{label_w + plot_w + 6}" y="{y + 15}">{rate}%（{count} 件）</text>')
    return _svg(width, height, title, body)
