"""What the HTML pages share (html.py: a submission's page; overview.py: the
class overview): the document around a body, the style sheet, and small
builders of escaped HTML.

Pages are single files: the style is inline, images are data: URIs, and a
Content-Security-Policy tells the browser to fetch nothing at all (no
script, no font, no image from elsewhere), so a page is the same offline, in
an e-mail attachment, or years later.
"""
import html
from urllib.parse import quote

# Nothing may be loaded from anywhere: only inline styles and data: images.
CSP = "default-src 'none'; img-src data:; style-src 'unsafe-inline'"

STYLE = """
:root { color-scheme: light; --ink: #1d232a; --muted: #5b6670; --line: #d9dee3; --wrong: #b03a00;
        --ok: #1b6e3a; --note: #fff7e0; --note-line: #e0a800; --carried: #eef4fb; --carried-line: #0b5cad; }
* { box-sizing: border-box; }
body { font: 16px/1.5 system-ui, -apple-system, "Segoe UI", Roboto, "DejaVu Sans", sans-serif; color: var(--ink);
       margin: 0 auto; max-width: 62rem; padding: 1.5rem 1rem 3rem; }
h1 { font-size: 1.6rem; margin: 0 0 .25rem; }
h2 { font-size: 1.25rem; margin: 2.2rem 0 .6rem; border-bottom: 1px solid var(--line); padding-bottom: .2rem; }
h3 { font-size: 1.05rem; margin: 1.6rem 0 .4rem; }
h4 { font-size: 1rem; margin: 0 0 .4rem; }
a { color: #0b5cad; }
.lead { font-size: 1.15rem; margin: .2rem 0; }
.muted, footer { color: var(--muted); font-size: .9rem; }
nav ul { list-style: none; padding: 0; display: flex; flex-wrap: wrap; gap: .4rem 1.2rem; }
table { border-collapse: collapse; width: 100%; margin: .4rem 0 1rem; font-size: .95rem; }
th, td { text-align: left; padding: .3rem .5rem; border-bottom: 1px solid var(--line); vertical-align: top; }
th { font-weight: 600; }
td.num, th.num { text-align: right; font-variant-numeric: tabular-nums; white-space: nowrap; }
.bar { display: inline-block; height: .7rem; background: #0072B2; vertical-align: middle; margin-right: .4rem; }
.bar.wrong { background: var(--wrong); }
.meter { white-space: nowrap; }
.test { border: 1px solid var(--line); border-radius: 6px; padding: .8rem 1rem; margin: .8rem 0; }
.test h4 .points { color: var(--wrong); font-weight: normal; white-space: nowrap; }
.number { color: var(--muted); font-variant-numeric: tabular-nums; margin-right: .4rem; }
.diagnosis { background: var(--note); border-left: 4px solid var(--note-line); padding: .5rem .8rem; margin: .5rem 0; }
.diagnosis p { margin: .2rem 0; }
.carried { background: var(--carried); border-left: 4px solid var(--carried-line); padding: .5rem .8rem;
           margin: .5rem 0; }
.carried p { margin: .2rem 0; }
.start-here { background: var(--note); border: 1px solid var(--note-line); border-radius: 6px; padding: .5rem .9rem;
              margin: .8rem 0 0; }
.start-here p { margin: .15rem 0; }
.test h4 .points.kept { color: var(--muted); }
.error { background: #fdecea; border-left: 4px solid var(--wrong); padding: .5rem .8rem; }
pre { white-space: pre-wrap; overflow-wrap: anywhere; background: #f5f7f9; padding: .6rem .8rem; border-radius: 4px;
      font: .88rem/1.45 ui-monospace, "DejaVu Sans Mono", Menlo, monospace; margin: .5rem 0; }
figure { margin: .6rem 0; }
figure img { max-width: 100%; height: auto; }
figcaption { color: var(--muted); font-size: .85rem; }
details { margin: .3rem 0; }
summary { cursor: pointer; }
ul.passed { columns: 2 22rem; font-size: .92rem; }
.ok { color: var(--ok); }
""".strip()


def esc(text):
    """`text` escaped for HTML text and attribute values."""
    return html.escape(str(text), quote=True)


def href(name, suffix=".html", anchor=None):
    """A relative link to the file `name + suffix` beside the page (and an anchor in it)."""
    return quote(f"{name}{suffix}") + (f"#{quote(anchor)}" if anchor else "")


def anchor(*parts):
    """An id made of `parts` (e.g. "test", "5.3"): letters, digits, - . and _ only."""
    text = "-".join(str(p) for p in parts)
    return "".join(c if c.isalnum() or c in "-._" else "_" for c in text)


def document(title, body, *, description=""):
    """The whole page: `body` (HTML) under a head with the title, the style and the CSP."""
    return (
        "<!DOCTYPE html>\n"
        '<html lang="en">\n<head>\n<meta charset="utf-8">\n'
        f'<meta http-equiv="Content-Security-Policy" content="{CSP}">\n'
        '<meta name="viewport" content="width=device-width, initial-scale=1">\n'
        '<link rel="icon" href="data:,">\n'
        + (f'<meta name="description" content="{esc(description)}">\n' if description else "")
        + f"<title>{esc(title)}</title>\n<style>\n{STYLE}\n</style>\n</head>\n<body>\n{body}\n</body>\n</html>\n")


def table(headers, rows, *, numeric=(), caption=None):
    """A table; headers and cells are HTML already (escape text with esc); `numeric`: right-aligned columns."""
    def cell(tag, i, content):
        return f'<{tag}{" class=num" if i in numeric else ""}>{content}</{tag}>'
    head = "".join(cell("th", i, h) for i, h in enumerate(headers))
    body = "\n".join("<tr>" + "".join(cell("td", i, c) for i, c in enumerate(row)) + "</tr>" for row in rows)
    caption = f"<caption class=muted>{caption}</caption>" if caption else ""
    return f"<table>{caption}<thead><tr>{head}</tr></thead>\n<tbody>\n{body}\n</tbody></table>"


def bar(fraction, text, *, wrong=False, width_rem=8):
    """`text` (HTML) after a horizontal bar of `fraction` (0..1) of `width_rem`, drawn with CSS
    (decorative: the text says the number), on one line."""
    fraction = min(max(fraction, 0.0), 1.0)
    return (f'<span class="meter"><span class="bar{" wrong" if wrong else ""}" '
            f'style="width:{fraction * width_rem:.2f}rem" aria-hidden="true"></span>{text}</span>')


def points(value):
    return f"{value:g}"
