"""The progress bar: counts, failures and ETA on a terminal; silent elsewhere and in --json mode."""
import io

from isactoolbox.experiments.progress import Progress, format_duration, progress_bar


class _Terminal(io.StringIO):
    def isatty(self):
        return True


def test_draws_done_total_failures_and_eta_on_a_terminal():
    term = _Terminal()
    with progress_bar(4, label="sweep demo", stream=term) as bar:
        bar.min_interval = 0.0
        bar(1)
        bar(2, failures=1)
        text = term.getvalue()
        assert "sweep demo" in text and "2/4" in text and "1 failed" in text and "ETA" in text
        bar(4, failures=1)
    final = term.getvalue().split("\r")[-1]
    assert "4/4" in final and "100%" in final and final.endswith("\n") and "ETA" not in final


def test_advance_counts_points_one_by_one():
    bar = Progress(3, stream=io.StringIO(), enabled=True, min_interval=0.0)
    bar.advance()
    bar.advance(failed=True)
    assert (bar.done, bar.failures) == (2, 1)
    assert "2/3" in bar.render()


def test_silent_when_not_a_terminal_or_quiet():
    pipe = io.StringIO()                     # isatty() is False: a pipe, a CI log, a file
    with progress_bar(5, stream=pipe) as bar:
        bar(3, failures=1)
    assert pipe.getvalue() == "" and not bar.enabled
    term = _Terminal()
    with progress_bar(5, stream=term, quiet=True) as bar:
        bar(5)
    assert term.getvalue() == ""


def test_unknown_total_and_durations():
    bar = Progress(None, stream=io.StringIO(), enabled=True)
    bar(7)
    assert "7 done" in bar.render()
    assert format_duration(5) == "0:05" and format_duration(3725) == "1:02:05"
    assert format_duration(float("inf")) == "--:--"
