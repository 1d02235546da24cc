"""Reports: the model of one submission's report (model.py) and one writer
per format: JSON with the batch summaries (json_report.py, validated against
the schemas beside it as it is written), Gradescope's results.json
(gradescope.py), JUnit XML (junit.py), text for a person (text.py) and an
HTML page (html.py, its plots drawn by figures.py). overview.py makes the
class overview page from many reports, and pages.py writes a reports
folder's pages (`class-report`); markup.py is what the pages share."""
