"""Reports as JUnit XML, the format CI systems show in their test tabs.

One <testsuite> per submission inside one <testsuites>; one <testcase> per
report test (classname "<submission>.<part>", name "<number> <name>"), with
<failure> for a failed test and <skipped> for one that did not count. The
scores go in properties, and in each failure's message.
"""
import re
import xml.etree.ElementTree as ET

# Characters XML 1.0 cannot hold (student output may contain any of them).
NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")


def clean(text):
    return NOT_XML.sub("\ufffd", str(text))


def _suite(report):
    parts = {p.number: p.key for p in report.parts}
    tests = report.tests
    skipped = [t for t in tests if not t.counted]
    failed = [t for t in tests if t.status == "failed"]
    suite = ET.Element("testsuite", name=clean(report.submission), tests=str(len(tests)),
                       failures=str(len(failed)), errors="0", skipped=str(len(skipped)),
                       time=f"{report.execution_time:.3f}")
    properties = ET.SubElement(suite, "properties")
    for name in ("score", "max_score"):
        ET.SubElement(properties, "property", name=name, value=f"{getattr(report, name):g}")
    if report.error:
        ET.SubElement(properties, "property", name="error", value=clean(report.error))
    for test in tests:
        case = ET.SubElement(suite, "testcase", classname=clean(f"{report.submission}.{parts.get(test.part_number, '')}"),
                             name=clean(f"{test.number} {test.name}"), time="0")
        points = f"{test.score:g}/{test.max_score:g} points"
        if not test.counted:
            ET.SubElement(case, "skipped", message=clean(test.output))
        elif test.status == "failed":
            first = test.output.splitlines()[0] if test.output else "failed"
            failure = ET.SubElement(case, "failure", type="failed", message=clean(f"{points}: {first}"))
            failure.text = clean(test.output)
    return suite


def junit_xml(reports):
    """The JUnit XML document (a string) for a list of Reports."""
    root = ET.Element("testsuites", name="autograder")
    suites = [_suite(r) for r in reports]
    for key in ("tests", "failures", "errors", "skipped"):
        root.set(key, str(sum(int(s.get(key)) for s in suites)))
    root.extend(suites)
    ET.indent(root)
    return '<?xml version="1.0" encoding="UTF-8"?>\n' + ET.tostring(root, encoding="unicode") + "\n"
