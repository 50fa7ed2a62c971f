"""The Python blocks of docs/experiments.md run as written, in order, in an empty folder."""
import re
from pathlib import Path

DOC = Path(__file__).resolve().parent.parent / "docs" / "experiments.md"


def python_blocks(text):
    return re.findall(r"^```python\n(.*?)^```", text, flags=re.S | re.M)


def test_experiments_doc_runs(tmp_path, monkeypatch, capsys):
    blocks = python_blocks(DOC.read_text())
    assert len(blocks) >= 4, "docs/experiments.md lost its examples"
    monkeypatch.chdir(tmp_path)
    namespace = {"__name__": "__docs__"}
    for i, code in enumerate(blocks):
        exec(compile(code, f"{DOC.name}[block {i}]", "exec"), namespace)
    out = capsys.readouterr().out
    assert "24 points" in out
    assert (tmp_path / "results.sqlite").exists() and (tmp_path / "isal-budget.csv").exists()
