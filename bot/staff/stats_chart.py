"""The statistics chart: cases per day, drawn with matplotlib off-screen (no display)."""

from __future__ import annotations

import io

import matplotlib

matplotlib.use("Agg")  # no display on a server

from matplotlib import pyplot

from storage.repositories.triage import Stats


def render_chart(stats: Stats, title: str) -> bytes:
    """A PNG bar chart of cases per day."""
    days = list(stats.reports_per_day)
    counts = [stats.reports_per_day[d] for d in days]
    figure, axes = pyplot.subplots(figsize=(6, 3), dpi=100)
    try:
        axes.bar([d[5:] for d in days] or ["—"], counts or [0], color="#c0392b")
        axes.set_title(title)
        axes.tick_params(axis="x", labelrotation=60, labelsize=7)
        figure.tight_layout()
        buffer = io.BytesIO()
        figure.savefig(buffer, format="png")
        return buffer.getvalue()
    finally:
        pyplot.close(figure)
