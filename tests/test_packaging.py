"""The built wheel carries sql/, templates/ and examples/ and finds them when installed (not editable)."""

import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture(scope="module")
def wheel(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("wheel")
    subprocess.run([sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation", "-q", "-w", str(out),
                    str(ROOT)], check=True, timeout=300)
    [whl] = out.glob("reportgen-*.whl")
    return whl


def test_wheel_contents(wheel):
    names = set(zipfile.ZipFile(wheel).namelist())
    for sql in (ROOT / "sql").rglob("*.sql"):
        assert f"reportgen/_data/sql/{sql.relative_to(ROOT / 'sql').as_posix()}" in names
    for tpl in (p for p in (ROOT / "templates").rglob("*") if p.is_file()):
        assert f"reportgen/_data/templates/{tpl.relative_to(ROOT / 'templates').as_posix()}" in names
    assert "reportgen/_data/examples/llama31-8b-paper-qa/llama31-8b-paper-qa.judge.log" in names


def test_installed_wheel_runs_the_demo(wheel, tmp_path):
    site = tmp_path / "site-packages"
    zipfile.ZipFile(wheel).extractall(site)
    work = tmp_path / "elsewhere"
    work.mkdir()
    code = ("import reportgen, reportgen.resources as r; print(reportgen.__file__); "
            "print(r.resource_dir('sql')); print(r.resource_dir('templates'))")
    env = {"PYTHONPATH": str(site), "PATH": "/usr/bin:/bin"}
    out = subprocess.run([sys.executable, "-c", code], cwd=work, env=env, capture_output=True, text=True,
                         check=True).stdout.splitlines()
    assert out[0].startswith(str(site))
    assert out[1] == str(site / "reportgen" / "_data" / "sql")
    assert out[2] == str(site / "reportgen" / "_data" / "templates")
    r = subprocess.run([sys.executable, "-m", "reportgen", "demo", "--out", "demo"], cwd=work, env=env,
                       capture_output=True, text=True, timeout=300)
    assert r.returncode == 0, r.stderr
    assert "fine-tuned win rate  67.1 % (108/161" in r.stdout
