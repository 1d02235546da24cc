"""How the bundled wrong examples (alice.zip, bob.ipynb, carol/) were made from corpus cases; kept for the record, run once."""
import json, shutil, sys, tempfile, zipfile
from pathlib import Path
sys.path.insert(0, ".")
from tests.corpus.materialize import load_wrong_cases, materialize_wrong
cases = {c.name: c for c in load_wrong_cases()}
out = Path("examples/submissions")
tmp = Path(tempfile.mkdtemp())
# alice: a zip of her folder; forgot the dh -> dc path in the LSTM step backward
d = tmp / "alice"; d.mkdir(); materialize_wrong(cases["lstm_step_backward_missing_dh_to_dc"], d, reference_dir=Path("/tmp/headref"))
with zipfile.ZipFile(out / "alice.zip", "w", zipfile.ZIP_DEFLATED) as z:
    for f in sorted(d.iterdir()):
        z.write(f, f"alice/{f.name}")
# bob: a notebook; PyTorch's GRU convention
d = tmp / "bob"; d.mkdir(); materialize_wrong(cases["gru_reset_after_matmul"], d, reference_dir=Path("/tmp/headref"))
cells = [{"cell_type": "markdown", "metadata": {}, "source": ["# Module 6 — Bob's solutions\n"]},
         {"cell_type": "code", "metadata": {}, "execution_count": None, "outputs": [], "source": ["%matplotlib inline\n", "import numpy as np\n"]}]
for name in ("activations", "rnn", "lstm", "gru"):
    src = (d / f"{name}.py").read_text()
    if name == "gru":  # one notebook namespace: the GRU's caches need their own names
        src = src.replace("StepCache", "GRUStepCache").replace("SequenceCache", "GRUSequenceCache")
    src = "\n".join(l for l in src.splitlines() if not l.startswith("from activations import") and not l.startswith("from lstm import"))
    cells.append({"cell_type": "code", "metadata": {}, "execution_count": None, "outputs": [], "source": src.splitlines(keepends=True)})
nb = {"cells": cells, "metadata": {"kernelspec": {"name": "python3", "display_name": "Python 3", "language": "python"}}, "nbformat": 4, "nbformat_minor": 5}
(out / "bob.ipynb").write_text(json.dumps(nb, indent=1) + "\n")
# carol: only activations and rnn, truncation off by one
d = tmp / "carol"; d.mkdir(); materialize_wrong(cases["rnn_backward_truncate_off_by_one"], d, reference_dir=Path("/tmp/headref"))
(out / "carol").mkdir(exist_ok=True)
for f in ("activations.py", "rnn.py"):
    shutil.copy(d / f, out / "carol" / f)
print("ok")
