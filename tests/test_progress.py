"""Progress bars: shown to a reader, silent when TQDM_DISABLE=1 (the book's builds)."""

import subprocess
import sys


def _run(env_value):
    code = (
        "from companion.progress import progress\n"
        "assert list(progress(range(5), 'steps')) == [0, 1, 2, 3, 4]\n"
    )
    env = {"PATH": "/usr/bin:/bin"}
    if env_value is not None:
        env["TQDM_DISABLE"] = env_value
    return subprocess.run(
        [sys.executable, "-c", code],
        capture_output=True,
        text=True,
        env=env,
        check=True,
    )


def test_progress_draws_a_bar_on_stderr():
    assert "steps" in _run(None).stderr


def test_progress_is_silent_with_tqdm_disable():
    out = _run("1")
    assert out.stderr == "" and out.stdout == ""
