"""Gradescope's results.json from a Report: the report cut down to the fields
of Gradescope's specification (score, execution_time, output, visibility,
and tests with name, number, score, max_score, status, output, tags and
visibility); the parts and the sandbox go under extra_data. Student output
is visible to instructors only. A failed test with a diagnosis or plots is
written as HTML (its output_format "html"): the likely mistake, the message,
and its first plot as an inline image, for the first MAX_IMAGES such tests
(html.py's test_fragment); JUnit and the text keep plain text.
"""
import jsonschema

TEST_FIELDS = ("name", "number", "score", "max_score", "status", "output", "tags", "visibility")
MAX_IMAGES = 12   # failed tests shown with their first plot (about 15 KB each); the rest as text and diagnosis

# Gradescope's results.json, as its specification describes it (the fields we write).
VISIBILITY = {"enum": ["hidden", "after_due_date", "after_published", "visible"]}
RESULTS_SCHEMA = {
    "type": "object",
    "required": ["score", "tests"],
    "properties": {
        "score": {"type": "number", "minimum": 0},
        "execution_time": {"type": "number", "minimum": 0},
        "output": {"type": "string"},
        "output_format": {"enum": ["text", "html", "simple_format", "md", "ansi"]},
        "visibility": VISIBILITY,
        "stdout_visibility": VISIBILITY,
        "extra_data": {"type": "object"},
        "tests": {"type": "array", "items": {
            "type": "object",
            "required": ["name", "score", "max_score", "status"],
            "additionalProperties": False,
            "properties": {
                "name": {"type": "string"}, "number": {"type": "string"},
                "score": {"type": "number", "minimum": 0}, "max_score": {"type": "number", "minimum": 0},
                "status": {"enum": ["passed", "failed"]}, "output": {"type": "string"},
                "tags": {"type": "array", "items": {"type": "string"}}, "visibility": VISIBILITY,
                "output_format": {"enum": ["text", "html", "simple_format", "md", "ansi"]},
            }}},
    },
    "additionalProperties": False,
}


def results_json(report):
    """Gradescope's results.json (a dict) from a Report."""
    data = report.to_dict()
    extra = {key: data[key] for key in ("schema_version", "submission", "max_score", "parts", "sandbox",
                                        "grader_errors", "error") if key in data}
    return {
        "score": data["score"],
        "execution_time": data["execution_time"],
        "output": data["output"],
        "output_format": "text",
        "visibility": "visible",
        "stdout_visibility": "hidden",
        "tests": gradescope_tests(report),
        "extra_data": extra,
    }


def gradescope_tests(report):
    """The report's tests in Gradescope's fields; a failed test with a diagnosis or plots
    as HTML, with its first plot inline while fewer than MAX_IMAGES tests have one."""
    from .html import shows_more_than_text, test_fragment
    results, images = [], 0
    for test in report.tests:
        data = test.to_dict()
        result = {k: data[k] for k in TEST_FIELDS if k in data}
        if shows_more_than_text(test):
            with_image = bool(test.extra.get("plots")) and images < MAX_IMAGES
            images += with_image
            result.update(output=test_fragment(test, max_plots=int(with_image)), output_format="html")
        results.append(result)
    return results


def failure_results(message):
    """results.json when the grader itself failed: no score, and why."""
    return {"score": 0, "output": f"The autograder itself failed (not your fault; please tell your "
                                  f"instructor):\n{message}", "tests": [], "visibility": "visible",
            "extra_data": {"grader_failed": True}}


def validate(results):
    """Raise jsonschema.ValidationError unless `results` follows Gradescope's specification."""
    jsonschema.validate(results, RESULTS_SCHEMA)
