"""The embedded model: assembling and verifying the GGUF file (with small stand-in parts), and a
smoke test through the real model when the `local` extra is installed."""

from __future__ import annotations

import hashlib
import json
import os

import pytest

from agent.errors import ModelUnavailable
from agent.local_model import ensure_gguf, is_installed


@pytest.fixture
def parts(tmp_path):
    blobs = [os.urandom(1000 + i) for i in range(5)]
    paths = []
    for i, blob in enumerate(blobs, start=1):
        path = tmp_path / "parts" / f"part{i:02d}.bin"
        path.parent.mkdir(exist_ok=True)
        path.write_bytes(blob)
        paths.append(path)
    whole = b"".join(blobs)
    return paths, hashlib.sha256(whole).hexdigest(), len(whole), whole


def test_assembles_the_parts_in_order_and_verifies_them(parts, tmp_path):
    paths, sha, size, whole = parts
    seen = []
    out = ensure_gguf(paths, cache=tmp_path / "cache", sha256=sha, size=size, progress=lambda done, total: seen.append((done, total)))
    assert out.read_bytes() == whole
    assert seen[-1] == (size, size) and [d for d, _ in seen] == sorted(d for d, _ in seen)
    assert json.loads(out.with_suffix(".verified").read_text())["sha256"] == sha


def test_a_verified_file_is_reused_without_reading_the_parts(parts, tmp_path):
    paths, sha, size, _ = parts
    first = ensure_gguf(paths, cache=tmp_path / "cache", sha256=sha, size=size)
    for p in paths:
        p.unlink()
    calls = []
    again = ensure_gguf(paths, cache=tmp_path / "cache", sha256=sha, size=size, progress=lambda *a: calls.append(a))
    assert again == first and calls == [], "neither assembled nor re-hashed"


def test_a_file_changed_after_verification_is_rebuilt(parts, tmp_path):
    paths, sha, size, whole = parts
    out = ensure_gguf(paths, cache=tmp_path / "cache", sha256=sha, size=size)
    out.write_bytes(b"x" * size)  # same size, other content, new mtime
    assert ensure_gguf(paths, cache=tmp_path / "cache", sha256=sha, size=size).read_bytes() == whole


def test_a_hash_mismatch_is_refused_and_leaves_no_file(parts, tmp_path):
    paths, _, size, _ = parts
    cache = tmp_path / "cache"
    with pytest.raises(ModelUnavailable, match="not the pinned"):
        ensure_gguf(paths, cache=cache, sha256="0" * 64, size=size)
    assert list(cache.iterdir()) == []


def test_parts_of_the_wrong_total_size_are_refused_before_writing(parts, tmp_path):
    paths, sha, size, _ = parts
    with pytest.raises(ModelUnavailable, match="add up to"):
        ensure_gguf(paths, cache=tmp_path / "cache", sha256=sha, size=size + 1)


def test_an_interrupted_assembly_leaves_no_half_file(parts, tmp_path):
    paths, sha, size, _ = parts
    cache = tmp_path / "cache"

    def interrupt(done: int, total: int) -> None:
        if done > 2000:
            raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        ensure_gguf(paths, cache=cache, sha256=sha, size=size, progress=interrupt)
    assert list(cache.iterdir()) == []


def test_an_unwritable_cache_is_a_clear_error(parts, tmp_path):
    paths, sha, size, _ = parts
    blocker = tmp_path / "file"
    blocker.write_text("not a folder")
    with pytest.raises(ModelUnavailable, match="JSOLVE_CACHE_DIR"):
        ensure_gguf(paths, cache=blocker / "cache", sha256=sha, size=size)


@pytest.mark.skipif(not is_installed(), reason='the embedded model is not installed (pip install -e ".[local]")')
def test_smoke_the_embedded_model_solves_three_instructions():
    from pydantic_ai.models import override_allow_model_requests

    from agent import solve
    from agent.local_model import local_model

    model = local_model()
    with override_allow_model_requests(True):
        answers = [
            solve("What is the sum of all primes below 10,000?", output=int, model=model).value,
            solve("How many vowels (a, e, i, o, u) are in the word 'education'?", output=int, model=model).value,
            solve("Sort the numbers 5, 3, 9, 1 in ascending order.", output=list[int], model=model).value,
        ]
    assert answers == [5736396, 5, [1, 3, 5, 9]]
