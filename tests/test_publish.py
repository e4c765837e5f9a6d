"""publish.py and `reportgen publish`, against a real local bare repository."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest


def git(cwd: Path, *args: str) -> str:
    return subprocess.run(["git", *args], cwd=cwd, check=True, capture_output=True, text=True).stdout.strip()


@pytest.fixture
def repo(tmp_path, monkeypatch) -> Path:
    """A working repository on branch main with one commit and an uncommitted change, and a bare remote."""
    for key, value in {"GIT_AUTHOR_NAME": "t", "GIT_AUTHOR_EMAIL": "t@example.org", "GIT_COMMITTER_NAME": "t",
                       "GIT_COMMITTER_EMAIL": "t@example.org", "GIT_CONFIG_NOSYSTEM": "1",
                       "HOME": str(tmp_path)}.items():
        monkeypatch.setenv(key, value)
    work = tmp_path / "work"
    work.mkdir()
    git(work, "init", "-q", "-b", "main")
    (work / "README.md").write_text("hello\n", encoding="utf-8")
    (work / ".gitignore").write_text("*.duckdb\nsite/\n", encoding="utf-8")
    git(work, "add", "README.md", ".gitignore")
    git(work, "commit", "-q", "-m", "first")
    (work / "README.md").write_text("hello, uncommitted\n", encoding="utf-8")
    git(tmp_path, "init", "-q", "--bare", "remote.git")
    monkeypatch.chdir(work)
    return work


def test_publish_to_a_bare_remote(invoke, repo, example_db, tmp_path):
    remote = tmp_path / "remote.git"
    status_before = git(repo, "status", "--porcelain")
    head_before = git(repo, "rev-parse", "HEAD")
    out = tmp_path / "public"
    result = invoke("--db", example_db, "publish", "--out", out, "--remote", remote)
    assert result.exit_code == 0, result.output
    assert "committed" in result.output and f"pushed to {remote}" in result.output
    files = git(remote, "ls-tree", "-r", "--name-only", "gh-pages").splitlines()
    assert ".nojekyll" in files and "index.html" in files and "404.html" in files
    assert "run/llama31-8b-paper-qa/t/85.html" in files and "data/papers.parquet" in files
    assert "README.md" not in files  # the branch holds the site only
    assert git(remote, "show", "gh-pages:index.html") == (out / "index.html").read_text(encoding="utf-8").rstrip("\n")
    # working tree, index and current branch untouched
    assert git(repo, "status", "--porcelain") == status_before
    assert git(repo, "rev-parse", "--abbrev-ref", "HEAD") == "main"
    assert git(repo, "rev-parse", "HEAD") == head_before
    assert (repo / "README.md").read_text(encoding="utf-8") == "hello, uncommitted\n"
    commits = git(remote, "rev-list", "--count", "gh-pages")

    again = invoke("--db", example_db, "publish", "--out", out, "--remote", remote)
    assert again.exit_code == 0, again.output
    assert "no new commit" in again.output
    assert git(remote, "rev-list", "--count", "gh-pages") == commits == "1"


def test_publish_a_change_makes_one_commit_on_top(invoke, repo, example_db, tmp_path):
    out = tmp_path / "public"
    assert invoke("--db", example_db, "publish", "--out", out).exit_code == 0
    first = git(repo, "rev-parse", "gh-pages")
    assert invoke("--db", example_db, "build", "--out", out, "--format", "html").exit_code == 0  # drops the .md twin
    from reportgen.publish import publish
    result = publish(out, repo=repo)
    assert result.created and git(repo, "rev-parse", "gh-pages^") == first
    assert "index.md" not in git(repo, "ls-tree", "-r", "--name-only", "gh-pages").splitlines()


def test_publish_outside_a_repository(invoke, example_db, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("GIT_CEILING_DIRECTORIES", str(tmp_path.parent))
    result = invoke("--db", example_db, "publish", "--out", tmp_path / "public")
    assert result.exit_code == 1 and "is not inside a git repository" in result.output
    assert not (tmp_path / "public").exists()  # checked before building


@pytest.mark.parametrize("args, message", [
    (["--remote", "origin"], "has no remote named 'origin' (git remote lists none); pass a remote name or URL"),
    (["--branch", "a..b"], "--branch 'a..b' is not a valid git branch name; choose another"),
])
def test_publish_checks_the_repository_before_building(invoke, repo, example_db, tmp_path, args, message):
    result = invoke("--db", example_db, "publish", "--out", tmp_path / "public", *args)
    assert result.exit_code == 1 and result.output == f"Error: {repo}: {message}\n"
    assert not (tmp_path / "public").exists()


def test_a_failed_push_says_where_and_what_git_said(invoke, repo, example_db, tmp_path):
    missing = tmp_path / "no-such-remote.git"
    result = invoke("--db", example_db, "publish", "--out", tmp_path / "public", "--remote", missing)
    assert result.exit_code == 1
    assert f"but git push to {missing} failed ('{missing}' does not appear to be a git repository)" in result.output
    assert git(repo, "rev-parse", "--verify", "gh-pages")  # the local commit is there, to push again


def test_workflow(invoke, repo):
    result = invoke("publish", "--workflow")
    assert result.exit_code == 0, result.output
    text = (repo / ".github" / "workflows" / "pages.yml").read_text(encoding="utf-8")
    for needle in ["actions/upload-pages-artifact@", "actions/deploy-pages@", "pages: write", "id-token: write",
                   "reportgen build --out _site", "cp -r site _site", "${{ steps.deployment.outputs.page_url }}"]:
        assert needle in text
    yaml = pytest.importorskip("yaml")
    parsed = yaml.safe_load(text)
    assert set(parsed["jobs"]) == {"build", "deploy"} and parsed["jobs"]["deploy"]["needs"] == "build"


def test_publish_refuses_the_checked_out_branch(invoke, repo, example_db, tmp_path):
    git(repo, "checkout", "-q", "-b", "gh-pages")
    head = git(repo, "rev-parse", "HEAD")
    result = invoke("--db", example_db, "publish", "--out", tmp_path / "public")
    assert result.exit_code == 1 and "has gh-pages checked out" in result.output
    assert git(repo, "rev-parse", "HEAD") == head
