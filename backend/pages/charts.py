"""Charts drawn on the server as inline SVG (no script, no CDN), labelled in the reader's language
(`backend/pages/i18n.py`). Labels go through `markup.html`, so a label can never become markup; colours and coordinates are numbers computed here. Only presentation
attributes are used (no `style=`), so the strict CSP (`style-src 'self'`) does not block them."""

from __future__ import annotations

from datetime import date
from typing import Optional, Sequence

from backend.pages.i18n import Translator
from backend.pages.markup import Safe, html, join

# Colour-blind-friendly palette (Okabe-Ito plus neutrals), one per case type in a fixed order.
PALETTE = (
    "#0072B2", "#E69F00", "#009E73", "#CC79A7", "#56B4E9", "#D55E00",
    "#F0E442", "#000000", "#999999", "#7F3C8D", "#11A579", "#3969AC",
)

LEGEND_COLUMNS = 2
LEGEND_COLUMN_WIDTH = 340


def stacked_bars(
    weeks: Sequence[date], series: dict[str, list[int]], labels: dict[str, str], order: Sequence[str],
    *, tr: Translator, width: int = 720, height: int = 260,
) -> Safe:
    """Stacked bars of cases per week; `labels` are the case types in the reader's language."""
    title = tr("dash.per_week")
    left, bottom, top, right = 36, 40, 16, 8
    plot_w, plot_h = width - left - right, height - top - bottom
    totals = [sum(values[i] for values in series.values()) for i in range(len(weeks))]
    peak = max(totals + [1])
    step = plot_w / max(len(weeks), 1)
    bar_w = step * 0.7
    parts: list[Safe] = []
    # y grid: 0, half, peak
    for value in sorted({0, peak // 2, peak}):
        y = top + plot_h - plot_h * value / peak
        parts.append(html('<line x1="{x1}" y1="{y:.1f}" x2="{x2}" y2="{y:.1f}" stroke="#ddd" stroke-width="1"/>'
                          '<text x="{tx}" y="{ty:.1f}" font-size="11" text-anchor="end" fill="#444">{v}</text>',
                          x1=left, x2=width - right, y=y, tx=left - 4, ty=y + 4, v=value))
    types = [t for t in order if t in series]
    for i, week in enumerate(weeks):
        x = left + i * step + (step - bar_w) / 2
        base = top + plot_h
        for t in types:
            count = series[t][i]
            if not count:
                continue
            h = plot_h * count / peak
            base -= h
            colour = PALETTE[list(order).index(t) % len(PALETTE)]
            parts.append(html(
                '<rect x="{x:.1f}" y="{y:.1f}" width="{w:.1f}" height="{h:.1f}" fill="{c}">'
                '<title>{tip}</title></rect>',
                x=x, y=base, w=bar_w, h=h, c=colour,
                tip=tr("chart.bar_title", label=labels.get(t, t), n=count, week=tr.date_text(week)),
            ))
        if i % 2 == 0 or len(weeks) <= 8:
            parts.append(html('<text x="{x:.1f}" y="{y}" font-size="10" text-anchor="middle" fill="#444">{d}</text>',
                              x=x + bar_w / 2, y=height - bottom + 14, d=tr.short_date(week)))
    legend: list[Safe] = []
    for n, t in enumerate(types):
        colour = PALETTE[list(order).index(t) % len(PALETTE)]
        # Two columns: Swedish and Norwegian type names are long ("Återkallat samtycke (rekryteringsdatabasen)").
        lx = left + (n % LEGEND_COLUMNS) * LEGEND_COLUMN_WIDTH
        ly = height - 12 + (n // LEGEND_COLUMNS) * 14
        legend.append(html('<rect x="{x}" y="{y}" width="10" height="10" fill="{c}"/>'
                           '<text x="{tx}" y="{ty}" font-size="11" fill="#222">{label}</text>',
                           x=lx, y=ly - 9, c=colour, tx=lx + 14, ty=ly, label=labels.get(t, t)))
    legend_rows = (len(types) + LEGEND_COLUMNS - 1) // LEGEND_COLUMNS
    total_h = height + max(legend_rows - 1, 0) * 14
    return html(
        '<svg xmlns="http://www.w3.org/2000/svg" class="chart" role="img" aria-label="{title}" '
        'viewBox="0 0 {w} {h}" width="{w}" height="{h}"><title>{title}</title>{body}{legend}</svg>',
        title=title, w=width, h=total_h, body=join(parts), legend=join(legend),
    )


def rate_bar(on_time: int, late: int, *, tr: Translator, width: int = 360, height: int = 44) -> Safe:
    total = on_time + late
    if not total:
        return html('<p class="muted">{m}</p>', m=tr("chart.no_answers"))
    good_w = width * on_time / total
    rate = 100.0 * on_time / total
    return html(
        '<svg xmlns="http://www.w3.org/2000/svg" class="chart" role="img" aria-label="{label}" '
        'viewBox="0 0 {w} {h}" width="{w}" height="{h}"><title>{label}</title>'
        '<rect x="0" y="0" width="{gw:.1f}" height="24" fill="#009E73"/>'
        '<rect x="{gw:.1f}" y="0" width="{bw:.1f}" height="24" fill="#D55E00"/>'
        '<text x="0" y="40" font-size="12" fill="#222">{text}</text></svg>',
        label=tr("chart.rate_label", rate=f"{rate:.0f}"), w=width, h=height, gw=good_w, bw=width - good_w,
        text=tr("chart.rate_text", on=on_time, late=late, rate=f"{rate:.0f}"),
    )


def clock_bar(hours_left: Optional[float], total_hours: float = 72.0, *, tr: Translator, width: int = 160) -> Safe:
    """How much of a breach's 72-hour clock is used up."""
    if hours_left is None:
        return Safe("")
    used = min(max(total_hours - hours_left, 0.0), total_hours)
    colour = "#D55E00" if hours_left < 12 else ("#E69F00" if hours_left < 36 else "#0072B2")
    return html(
        '<svg xmlns="http://www.w3.org/2000/svg" class="clockbar" role="img" aria-label="{label}" '
        'viewBox="0 0 {w} 12" width="{w}" height="12"><rect x="0" y="0" width="{w}" height="12" fill="#eee"/>'
        '<rect x="0" y="0" width="{u:.1f}" height="12" fill="{c}"/></svg>',
        label=tr("chart.clock_label", used=f"{used:.0f}", total=f"{total_hours:.0f}"), w=width, u=width * used / total_hours, c=colour,
    )
