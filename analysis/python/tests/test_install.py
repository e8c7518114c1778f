"""The package installs with pip from Debian's packages alone (no network,
no build isolation), and works from where it was installed."""

import os
import shutil
import subprocess
import sys

from conftest import PACKAGE


def test_pip_install(tmp_path):
    src = str(tmp_path / "src")
    # A copy: pip builds in the source tree (build/, *.egg-info).
    shutil.copytree(PACKAGE, src, ignore=shutil.ignore_patterns("tests", "build", "*.egg-info",
                                                                "__pycache__"))
    target = str(tmp_path / "site")
    p = subprocess.run([sys.executable, "-m", "pip", "install", "--no-build-isolation",
                        "--no-index", "--no-cache-dir", "--target", target, src],
                       capture_output=True, text=True)
    assert p.returncode == 0, p.stdout + p.stderr
    env = dict(os.environ, PYTHONPATH=target, PYTHONDONTWRITEBYTECODE="1")
    p = subprocess.run([sys.executable, "-c", "import casesim, casesim.figures; "
                        "print(casesim.__file__, casesim.__version__)"],
                       capture_output=True, text=True, env=env, cwd=str(tmp_path))
    assert p.returncode == 0, p.stderr
    assert p.stdout.startswith(os.path.join(target, "casesim")), p.stdout
    p = subprocess.run([sys.executable, "-m", "casesim.figures", "--help"],
                       capture_output=True, text=True, env=env, cwd=str(tmp_path))
    assert p.returncode == 0 and "RESULTS" in p.stdout.upper(), p.stderr
