"""Do the README's and docs/'s relative links lead somewhere?

Every relative link of README.md and docs/*.md must name a file of the
checkout, and a `#anchor` must name a heading of the markdown file it points
into (GitHub's anchors: the heading lowercased, punctuation dropped, spaces
turned into hyphens). Links to web pages are not followed.
"""
import re
import unicodedata
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
DOCS = [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]

# Pages being written on other branches, linked before they land. A link to
# one of them is allowed only while it is missing and named here: remove
# each entry once its page exists (the test then checks its links and anchors
# like any other's).
PENDING = set()

LINK = re.compile(r"(?<!!)\[[^\]]*\]\(([^)\s]+)\)|!\[[^\]]*\]\(([^)\s]+)\)")
FENCE = re.compile(r"^(```|~~~)")


def prose(path):
    """(line number, line) of a markdown file, outside fenced code blocks and indented code."""
    lines, fenced = [], False
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
        if FENCE.match(line.strip()):
            fenced = not fenced
            continue
        if not fenced and not line.startswith("    "):
            lines.append((number, line))
    return lines


def without_code_spans(line):
    return re.sub(r"`[^`]*`", "", line)


def links(path):
    """(line number, target) of every link in `path`'s prose."""
    found = []
    for number, line in prose(path):
        for match in LINK.finditer(without_code_spans(line)):
            found.append((number, match.group(1) or match.group(2)))
    return found


def anchor(heading):
    """GitHub's anchor for a heading's text."""
    text = re.sub(r"[`*_]", "", heading).strip().lower()
    text = "".join(c for c in text if c in " -" or unicodedata.category(c)[0] in "LN")
    return text.replace(" ", "-")


def anchors(path):
    """The anchors of a markdown file's headings (GitHub numbers repeats: -1, -2, ...)."""
    seen, result = {}, set()
    for _, line in prose(path):
        match = re.match(r"#{1,6}\s+(.*?)\s*#*\s*$", line)
        if match:
            base = anchor(match.group(1))
            count = seen.get(base, 0)
            seen[base] = count + 1
            result.add(base if count == 0 else f"{base}-{count}")
    return result


def all_links():
    return [(doc, number, target) for doc in DOCS for number, target in links(doc)
            if not re.match(r"[a-z][a-z0-9+.-]*:", target)]  # http:, https:, mailto: are not followed


@pytest.mark.parametrize("doc, number, target", all_links(),
                         ids=lambda value: value.name if isinstance(value, Path) else str(value))
def test_relative_link_resolves(doc, number, target):
    """Does this link name a file of the checkout, and its anchor a heading there?"""
    where = f"{doc.relative_to(ROOT)}:{number}: ({target})"
    file_part, _, fragment = target.partition("#")
    path = (doc.parent / file_part).resolve() if file_part else doc
    relative = path.relative_to(ROOT).as_posix() if path.is_relative_to(ROOT) else str(path)
    if relative in PENDING and not path.exists():
        return  # a page being written elsewhere; see PENDING
    assert path.exists(), f"{where}: no such file {relative}"
    if fragment:
        assert path.suffix == ".md", f"{where}: an anchor into a file that is not markdown"
        assert fragment in anchors(path), f"{where}: no heading of {relative} has the anchor #{fragment}"


def test_pending_pages_are_still_pending():
    """Is every PENDING page still missing? Once it exists, its entry must go."""
    landed = sorted(page for page in PENDING if (ROOT / page).exists())
    assert not landed, f"remove {landed} from PENDING in tests/test_docs.py: the pages exist now"


def test_docs_are_linked_from_the_readme():
    """Does the README's list link every page of docs/?"""
    readme = {target.partition("#")[0] for _, target in links(ROOT / "README.md")}
    missing = [f"docs/{page.name}" for page in DOCS[1:] if f"docs/{page.name}" not in readme]
    assert not missing, f"README.md does not link {missing}"


def test_anchor_follows_github():
    assert anchor("Students: `check`") == "students-check"
    assert anchor("How a test reaches the student's code") == "how-a-test-reaches-the-students-code"
    assert anchor("The session: the suite collected once") == "the-session-the-suite-collected-once"
    assert anchor("GitHub Classroom and any CI") == "github-classroom-and-any-ci"
