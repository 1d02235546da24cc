"""The pictures of the HTML pages: a report's plot data (autograder/suite/plots.py)
drawn as PNG with matplotlib's Agg renderer, and a text saying what each shows.

matplotlib is optional (the `plot` extra): `available()` says whether it is
installed, and without it the pages say so and show the numbers instead.
Figures are made with matplotlib.figure.Figure, not pyplot: no global state,
and nothing opens a window.
"""
import base64
import functools
import importlib
import io
import math

WIDTH_IN, HEIGHT_IN, DPI = 6.4, 2.9, 90     # about 580 × 260 pixels
COLOURS = ("#0072B2", "#D55E00", "#009E73", "#CC79A7", "#E69F00")   # Okabe–Ito: told apart by colour-blind readers
MUTED, WRONG = "#9AA4AE", "#D55E00"          # bars of blocks within tolerance, and of those beyond it
PNG_METADATA = {"Software": None}             # no version stamp: the same data gives the same bytes


@functools.cache
def available():
    """Whether matplotlib can be imported (the `plot` extra)."""
    try:
        importlib.import_module("matplotlib")
    except ImportError:
        return False
    return True


def data_uri(png):
    return "data:image/png;base64," + base64.b64encode(png).decode("ascii")


def plot_png(plot):
    """PNG bytes of one plot dict of a report (kinds: per_step, per_block, curves).
    The title is not drawn: the page shows it as the figure's caption."""
    figure, axes = _figure()
    axes.set_xlabel(plot.get("x_label", ""), fontsize=9)
    axes.set_ylabel(plot.get("y_label", ""), fontsize=9)
    handles = {"per_step": _per_step, "per_block": _per_block, "curves": _curves}[plot["kind"]](axes, plot)
    axes.tick_params(labelsize=8)
    axes.grid(True, axis="y", alpha=0.3)
    handles = handles or axes.get_legend_handles_labels()[0]
    if handles:  # above the axes, clear of the data
        axes.legend(handles=handles, loc="lower left", bbox_to_anchor=(0, 1.0), ncol=4, fontsize=8, frameon=False,
                    borderaxespad=0.2)
    return _png(figure)


def histogram_png(scores, max_score, bins):
    """PNG bytes of a histogram of `scores` over [0, max_score] in `bins` equal bins."""
    figure, axes = _figure()
    edges = [max_score * i / bins for i in range(bins + 1)]
    counts = histogram(scores, max_score, bins)
    axes.bar(edges[:-1], counts, width=max_score / bins, align="edge", color=COLOURS[0], edgecolor="white")
    axes.set_xlim(0, max_score)
    axes.set_xticks(edges)
    axes.tick_params(labelsize=8)
    axes.yaxis.get_major_locator().set_params(integer=True)
    axes.set_xlabel("score", fontsize=9)
    axes.set_ylabel("submissions", fontsize=9)
    axes.grid(True, axis="y", alpha=0.3)
    return _png(figure)


def histogram(scores, max_score, bins):
    """Counts of `scores` in `bins` equal bins of [0, max_score]; the last bin holds max_score."""
    counts = [0] * bins
    for score in scores:
        index = int(bins * score / max_score) if max_score else 0
        counts[min(max(index, 0), bins - 1)] += 1
    return counts


# --- the three kinds ------------------------------------------------------------

def _per_step(axes, plot):
    floor = _floor(plot)
    for colour, (name, values) in zip(COLOURS, plot["series"].items()):
        axes.plot(plot["x"], [_at_least(v, floor) for v in values], marker="o", color=colour, label=name)
    if plot.get("threshold"):
        axes.axhline(plot["threshold"], color="#555555", linestyle="--", linewidth=1, label="tolerance")
    for i, mark in enumerate(plot.get("marks", [])):
        axes.axvline(mark, color="#555555", linestyle=":", linewidth=1.2,
                     label=(plot.get("marks_label") or None) if i == 0 else None)
    _log_y(axes)
    axes.set_ylim(bottom=floor / 2)
    _integer_x(axes)


def _per_block(axes, plot):
    floor = _floor(plot)
    values = next(iter(plot["series"].values()))
    wrong = set(plot.get("highlight", []))
    colours = [WRONG if label in wrong else MUTED for label in plot["x"]]
    positions = range(len(plot["x"]))
    axes.bar(positions, [_at_least(v, floor) for v in values], color=colours)
    _log_y(axes)
    axes.set_ylim(bottom=floor)   # bars rise from a decade under the smallest: their heights compare
    axes.set_xticks(list(positions))
    rotation = 0 if len(plot["x"]) <= 6 else 60
    axes.set_xticklabels(plot["x"], fontsize=7 if len(plot["x"]) > 12 else 8, rotation=rotation,
                         ha="right" if rotation else "center", rotation_mode="anchor")
    if rotation:   # room for the slanted names; they say what the axis is
        axes.figure.subplots_adjust(bottom=0.3)
        axes.set_xlabel("")
    if wrong:
        from matplotlib.patches import Patch
        return [Patch(color=WRONG, label="beyond tolerance"), Patch(color=MUTED, label="within tolerance")]
    return None


def _curves(axes, plot):
    styles = ("-", "--", ":", "-.")
    for i, (name, values) in enumerate(plot["series"].items()):
        axes.plot(plot["x"], [math.nan if v is None else v for v in values], marker="o" if len(values) <= 20 else None,
                  markersize=4, linestyle=styles[i % 4], color=COLOURS[i % len(COLOURS)], label=name)
    _integer_x(axes)
    if plot.get("log_y"):
        _log_y(axes)


# --- helpers --------------------------------------------------------------------

def _figure():
    from matplotlib.figure import Figure
    figure = Figure(figsize=(WIDTH_IN, HEIGHT_IN), dpi=DPI)
    figure.subplots_adjust(left=0.11, right=0.98, top=0.86, bottom=0.2)
    return figure, figure.subplots()


def _integer_x(axes):
    from matplotlib.ticker import MaxNLocator
    axes.xaxis.set_major_locator(MaxNLocator(nbins=12, integer=True))


SUPERSCRIPT = str.maketrans("-0123456789", "⁻⁰¹²³⁴⁵⁶⁷⁸⁹")


def _log_y(axes):
    """A log y axis with a few labelled powers of ten (10⁻⁸) and no minor ticks: TeX-style
    labels and minor ticks would cost most of a figure's drawing time."""
    from matplotlib.ticker import FuncFormatter, LogLocator, NullLocator
    axes.set_yscale("log")
    axes.yaxis.set_major_locator(LogLocator(base=10, numticks=6))
    axes.yaxis.set_major_formatter(FuncFormatter(_power_of_ten))
    axes.yaxis.set_minor_locator(NullLocator())


def _power_of_ten(value, _position):
    exponent = math.log10(value) if value > 0 else 0
    if abs(exponent - round(exponent)) > 1e-6:
        return f"{value:.2g}"
    return "1" if round(exponent) == 0 else "10" + str(round(exponent)).translate(SUPERSCRIPT)


def _png(figure):
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png", metadata=PNG_METADATA)
    return buffer.getvalue()


def _floor(plot):
    """Where a log axis draws 0: the power of ten a decade or more under the
    smallest positive value (or the threshold)."""
    positive = [v for values in plot["series"].values() for v in values if v is not None and v > 0]
    if plot.get("threshold"):
        positive.append(plot["threshold"])
    return 10.0 ** (math.floor(math.log10(min(positive))) - 1) if positive else 1e-16


def _at_least(value, floor):
    return math.nan if value is None else max(value, floor)


# --- what a plot shows, in words (alt text) ------------------------------------------

def describe(plot):
    """One or two sentences saying what `plot` shows, for its alt text."""
    x = plot["x"]
    if plot["kind"] == "per_step":
        parts = []
        for name, values in plot["series"].items():
            known = [(v, t) for t, v in zip(x, values) if v is not None]
            if not known:
                continue
            worst, at = max(known)
            above = sum(v > plot["threshold"] for v, _ in known) if plot.get("threshold") else None
            parts.append(f"{name}: largest {worst:.3g} at t = {at}"
                         + (f", {above} of {len(known)} steps beyond the tolerance {plot['threshold']:.2g}"
                            if above is not None else ""))
        return (f"Line chart of the largest error at each time step t = {x[0]} to {x[-1]}. " + "; ".join(parts)
                + (f". Marked: {plot['marks_label']} at t = {', '.join(f'{m:g}' for m in plot['marks'])}"
                   if plot.get("marks") else "") + ".")
    if plot["kind"] == "per_block":
        values = next(iter(plot["series"].values()))
        known = [(v, label) for label, v in zip(x, values) if v is not None]
        wrong = plot.get("highlight", [])
        text = f"Bar chart of the relative error of {len(x)} gradients. "
        text += (f"Beyond tolerance: {', '.join(map(str, wrong))}. " if wrong else "")
        if known:
            worst, label = max(known)
            text += f"Largest: {label}, {worst:.3g}."
        return text
    ranges = []
    for name, values in plot["series"].items():
        known = [v for v in values if v is not None]
        if known:
            ranges.append(f"{name} from {known[0]:.3g} at t = {x[0]} to {known[-1]:.3g} at t = {x[-1]}")
    return f"Line chart of {plot.get('y_label') or 'the values'} at each time step: " + "; ".join(ranges) + "."
