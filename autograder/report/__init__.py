"""Reports: the model of one submission's report (model.py) and one writer
per format: JSON with the batch summaries (json_report.py, validated against
the schemas beside it as it is written), Gradescope's results.json
(gradescope.py), JUnit XML (junit.py) and text for a person (text.py)."""
