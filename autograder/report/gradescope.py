"""Gradescope's results.json from a Report: the report cut down to the fields
of Gradescope's specification (score, execution_time, output, visibility,
and tests with name, number, score, max_score, status, output, tags and
visibility); the parts and the sandbox go under extra_data. Student output
is visible to instructors only.
"""
import jsonschema

TEST_FIELDS = ("name", "number", "score", "max_score", "status", "output", "tags", "visibility")

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
        "tests": [{k: test[k] for k in TEST_FIELDS if k in test} for test in data["tests"]],
        "extra_data": extra,
    }


def failure_results(message):
    """results.json when the grader itself failed: no score, and why."""
    return {"score": 0, "output": f"The autograder itself failed (not your fault; please tell your "
                                  f"instructor):\n{message}", "tests": [], "visibility": "visible",
            "extra_data": {"grader_failed": True}}


def validate(results):
    """Raise jsonschema.ValidationError unless `results` follows Gradescope's specification."""
    jsonschema.validate(results, RESULTS_SCHEMA)
