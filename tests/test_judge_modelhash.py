"""The model file's SHA-256 is hashed once and then cached by path, size, mtime and inode
(reportgen/judge/modelhash.py): a 15 GB GGUF took 16 s of an 18 s start-up to hash."""

from __future__ import annotations

import hashlib
import json
import os

import pytest

from reportgen.judge import modelhash


@pytest.fixture
def cache_home(tmp_path, monkeypatch):
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    return tmp_path / "cache"


@pytest.fixture
def hashed(monkeypatch):
    """Counts the full reads of model files."""
    reads = []
    real = modelhash.sha256_of_file

    def counting(path):
        reads.append(path)
        return real(path)
    monkeypatch.setattr(modelhash, "sha256_of_file", counting)
    return reads


def test_model_hash_is_read_once_then_cached(tmp_path, cache_home, hashed):
    model = tmp_path / "m.gguf"
    model.write_bytes(b"GGUF" + b"x" * 5000)
    first = modelhash.model_sha256(model)
    assert first == hashlib.sha256(model.read_bytes()).hexdigest()
    assert modelhash.model_sha256(model) == first
    assert len(hashed) == 1
    entry = json.loads(modelhash.cache_path().read_text())[str(model.resolve())]
    assert entry["sha256"] == first and entry["size"] == 5004


def test_model_hash_is_redone_when_size_mtime_or_inode_change(tmp_path, cache_home, hashed):
    model = tmp_path / "m.gguf"
    model.write_bytes(b"a" * 100)
    a = modelhash.model_sha256(model)
    st = model.stat()
    os.utime(model, ns=(st.st_atime_ns, st.st_mtime_ns + 1_000_000_000))      # touched
    assert modelhash.model_sha256(model) == a and len(hashed) == 2
    model.write_bytes(b"a" * 101)                                             # size changed
    assert modelhash.model_sha256(model) != a and len(hashed) == 3
    st = model.stat()
    replacement = tmp_path / "new.gguf"                                       # same size and mtime, new file
    replacement.write_bytes(b"b" * 101)
    os.utime(replacement, ns=(st.st_atime_ns, st.st_mtime_ns))
    os.replace(replacement, model)
    assert modelhash.model_sha256(model) == modelhash.sha256_of_file(model)
    assert len(hashed) == 5                                                   # the replaced file was hashed


def test_model_hash_cache_that_is_corrupt_or_unwritable_only_costs_a_hash(tmp_path, cache_home, hashed,
                                                                           monkeypatch):
    model = tmp_path / "m.gguf"
    model.write_bytes(b"z" * 10)
    modelhash.cache_path().parent.mkdir(parents=True)
    modelhash.cache_path().write_text("{not json")
    digest = modelhash.model_sha256(model)
    assert json.loads(modelhash.cache_path().read_text())[str(model.resolve())]["sha256"] == digest
    blocked = tmp_path / "blocked"
    blocked.write_text("a file where the cache folder would be")
    monkeypatch.setenv("XDG_CACHE_HOME", str(blocked))
    assert modelhash.model_sha256(model) == digest
    assert len(hashed) == 2
