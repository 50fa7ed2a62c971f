"""The README demo: every shipped demo scenario that has its strategy registered solves and verifies."""
import json

from isactoolbox.core.result import Result
from isactoolbox.demo import run_demo


def test_demo_writes_verified_results_and_a_figure(tmp_path, capsys):
    assert run_demo(tmp_path, as_json=True) == 0
    report = json.loads(capsys.readouterr().out)
    ran = [r for r in report if "skipped" not in r]
    assert ran, report
    for entry in ran:
        res = Result.load(entry["result"])
        assert res.status.is_success and res.verification.passed, entry
    pngs = list(tmp_path.glob("*.png"))
    assert pngs and pngs[0].stat().st_size > 10_000
