"""`make test` on a machine without Chromium: it passes and says the browser tests did
not run and how to run them; with LAUREL_REQUIRE_BROWSER=1 (CI) it fails instead."""

from __future__ import annotations

import re
import subprocess
import sys

from tests.processes import ROOT, embedded_env


def run_suite_without_chromium(tmp_path, **extra: str) -> subprocess.CompletedProcess:
    """The browser tests and one small module, with LAUREL_CHROMIUM pointing at nothing."""
    env = embedded_env()
    env.pop("LAUREL_REQUIRE_BROWSER", None)  # CI sets it for the suite itself
    env.update(LAUREL_CHROMIUM=str(tmp_path / "no-chromium"), **extra)
    return subprocess.run(
        [sys.executable, "-m", "pytest", "tests/browser", "tests/test_periods.py"]
        + ["-p", "no:cacheprovider", "--basetemp", str(tmp_path / "run")],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_without_chromium_the_run_passes_and_ends_saying_how_to_run_the_browser_tests(
    tmp_path,
):
    done = run_suite_without_chromium(tmp_path)
    assert done.returncode == 0, done.stdout[-2000:]
    heading, why, how, totals = [line for line in done.stdout.splitlines() if line][-4:]
    assert "browser tests did not run" in heading
    assert re.fullmatch(
        rf"The \d+ browser tests \(tests/browser\) did not run: no Chromium at "
        rf"{re.escape(str(tmp_path / 'no-chromium'))}\.",
        why,
    )
    assert "apt-get install chromium" in how and "LAUREL_CHROMIUM=/path/to/chromium" in how
    assert re.search(r"\d+ passed, \d+ deselected", totals)


def test_with_a_browser_required_a_missing_chromium_fails_the_run(tmp_path):
    done = run_suite_without_chromium(tmp_path, LAUREL_REQUIRE_BROWSER="1")
    assert done.returncode == 1
    assert "LAUREL_REQUIRE_BROWSER=1 but no Chromium at" in done.stdout
    assert "browser tests did not run" not in done.stdout
    assert re.search(r"\d+ passed, \d+ errors", done.stdout.strip().splitlines()[-1])
