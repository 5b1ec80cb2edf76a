"""HTTP for read-only data (issue 9, items 2–4): ETag, 304, HEAD, Cache-Control, gzip/br, derived
files made once per version of the graph, and every view following an authorised update."""

from __future__ import annotations

import json
import shutil
import threading
import time

import pytest
from fastapi.testclient import TestClient

from sdggraph import config
from sdggraph.layout import DERIVED_DIR, STORE_DIR
from sdggraph.server.app import create_app
from sdggraph.server.settings import Settings

TOKEN = "test-update-token-0123456789"
INDICATOR = "/kommune/3203/indicator/HEL-01"
COUNT = "SELECT (COUNT(*) AS ?n) WHERE { GRAPH ?g { ?s ?p ?o } }"

# Every kind of GET the service answers: query results, named questions, pages, exports, reports,
# descriptions, traversal, static files.
GET_URLS = [
    "/sparql?query=ASK%7B%7D",
    "/sparql",
    "/queries",
    "/queries/indikatorer-uten-tall",
    INDICATOR,
    "/ontology",
    "/export",
    "/export/turtle",
    "/export/observations?format=xlsx",
    "/report/coverage",
    "/report/coverage?format=json",
    "/report/distribution",
    "/.well-known/void",
    "/traverse/impact?goal=13",
    "/context.jsonld",
    "/web/style.css",
    "/",
]


def _copy(build_dir, tmp_path):
    served = tmp_path / "build"
    shutil.copytree(build_dir, served, ignore=shutil.ignore_patterns(DERIVED_DIR))
    return served


@pytest.fixture(scope="module")
def client(build_dir, tmp_path_factory):
    served = _copy(build_dir, tmp_path_factory.mktemp("caching"))
    with TestClient(create_app(Settings(build_dir=served, workers=1, timeout=30))) as test_client:
        yield test_client


@pytest.mark.parametrize("url", GET_URLS)
def test_etag_304_and_head_on_every_get(client, url):
    first = client.get(url)
    assert first.status_code == 200, first.text
    etag = first.headers["etag"]
    assert etag.startswith('"') and not etag.startswith("W/"), "a strong ETag"
    assert client.get(url).headers["etag"] == etag, "stable across two GETs"
    assert first.headers["cache-control"]
    assert "Accept-Encoding" in first.headers["vary"] and "Accept" in first.headers["vary"]
    assert first.headers["last-modified"]

    again = client.get(url, headers={"if-none-match": etag})
    assert again.status_code == 304 and again.content == b""
    assert again.headers["etag"] == etag
    assert client.get(url, headers={"if-none-match": '"something-else"'}).status_code == 200

    head = client.head(url)
    assert head.status_code == 200 and head.content == b""
    assert head.headers["etag"] == etag
    assert head.headers["content-type"] == first.headers["content-type"]
    assert head.headers.get("content-length") == first.headers.get("content-length")  # none when streamed
    assert head.headers.get("content-encoding") == first.headers.get("content-encoding")


def test_data_is_revalidated_and_static_files_are_kept(client):
    assert client.get("/queries/indikatorer-uten-tall").headers["cache-control"] == "no-cache"
    assert client.get("/web/style.css").headers["cache-control"].startswith("public, max-age=")
    assert "immutable" in client.get("/web/style.css?v=1").headers["cache-control"]


def test_etag_varies_with_query_format_and_parameters(client):
    def tag(url, accept="application/sparql-results+json"):
        response = client.get(url, headers={"accept": accept})
        assert response.status_code == 200
        return response.headers["etag"]

    ask, select = "/sparql?query=ASK%7B%7D", "/sparql?query=SELECT%20*%20%7B%7D"
    assert tag(ask) != tag(select)
    assert tag(ask) != tag(ask, "application/sparql-results+xml")
    question = "/queries/indikatorer-uten-tall"
    assert tag(question + "?year=2024", "text/csv") != tag(question + "?year=2023", "text/csv")


def test_errors_get_no_etag(client):
    response = client.get("/sparql?query=SELEC")
    assert response.status_code == 400 and "etag" not in response.headers
    head = client.head("/export/nope")
    assert head.status_code == 404 and head.content == b""


@pytest.mark.parametrize("url", ["/queries/indikatorer-uten-tall", "/export/turtle", INDICATOR])
def test_if_none_match_star_is_304_where_the_answer_is_a_200(client, url):
    plain = client.get(url)
    for attempt in range(2):  # cold, then from the result cache (a large export is streamed, never cached)
        star = client.get(url, headers={"If-None-Match": "*"})
        assert star.status_code == 304 and star.content == b""
        assert star.headers["etag"] == plain.headers["etag"].replace("-gzip", "").replace("-br", "")
    missing = client.get("/export/nope", headers={"If-None-Match": "*"})
    assert missing.status_code == 404  # no current representation: the condition holds, the 404 stands
    refused = client.get("/sparql?query=SELEC", headers={"If-None-Match": "*"})
    assert refused.status_code == 400


@pytest.mark.parametrize("coding", ["gzip", "br"])
def test_large_bodies_are_compressed_when_asked(client, coding):
    if coding == "br":
        pytest.importorskip("brotli")
    plain = client.get("/export/ntriples", headers={"accept-encoding": "identity"})
    assert "content-encoding" not in plain.headers
    packed = client.get("/export/ntriples", headers={"accept-encoding": coding})
    assert packed.headers["content-encoding"] == coding
    assert packed.num_bytes_downloaded < len(plain.content) / 3  # over 1 MiB: compressed as it streams
    assert packed.content == plain.content  # httpx decodes it
    assert packed.headers["etag"] != plain.headers["etag"], "each coding is its own representation"
    revalidated = client.get("/export/ntriples", headers={"accept-encoding": coding,
                                                          "if-none-match": packed.headers["etag"]})
    assert revalidated.status_code == 304
    small = client.get("/sparql?query=ASK%7B%7D", headers={"accept-encoding": coding})
    assert "content-encoding" not in small.headers, "tiny bodies are sent as they are"


# Files the routes serve (they offer Accept-Ranges): one kept in the result cache, one streamed past it.
RANGED_URLS = ["/export/ks-taxonomy", "/report/coverage", "/export/nquads"]


@pytest.mark.parametrize("url", RANGED_URLS)
def test_byte_ranges_of_files_cold_cached_and_streamed(client, url):
    plain = {"accept-encoding": "identity"}
    whole = client.get(url, headers=dict(plain, **{"cache-control": "no-cache"}))
    assert whole.status_code == 200 and whole.headers["accept-ranges"] == "bytes"
    body, etag, size = whole.content, whole.headers["etag"], len(whole.content)
    assert size > 4000
    for asked, first, end in [("bytes=0-9", 0, 10), ("bytes=-10", size - 10, size), ("bytes=1000-2999", 1000, 3000),
                              (f"bytes={size - 5}-{size + 100}", size - 5, size), ("bytes=100-", 100, size)]:
        for cache in ("no-cache", None):  # made for this request, then from the result cache
            headers = dict(plain, range=asked, **({"cache-control": cache} if cache else {}))
            part = client.get(url, headers=headers)
            assert part.status_code == 206, (asked, part.status_code)
            assert part.headers["content-range"] == f"bytes {first}-{end - 1}/{size}"
            assert part.content == body[first:end] and part.headers["content-length"] == str(end - first)
            assert part.headers["etag"] == etag
    unsatisfiable = client.get(url, headers=dict(plain, range=f"bytes={size}-"))
    assert unsatisfiable.status_code == 416 and unsatisfiable.headers["content-range"] == f"bytes */{size}"
    for ignored in ["bytes=0-1,5-6", "bytes=9-2", "items=0-1", "bytes=x-"]:  # RFC 9110 allows the whole body
        assert client.get(url, headers=dict(plain, range=ignored)).content == body, ignored
    assert client.get(url, headers=dict(plain, range="bytes=0-9", **{"if-range": etag})).status_code == 206
    assert client.get(url, headers=dict(plain, range="bytes=0-9", **{"if-range": whole.headers["last-modified"]})
                      ).status_code == 206
    stale = client.get(url, headers=dict(plain, range="bytes=0-9", **{"if-range": '"an-older-build"'}))
    assert stale.status_code == 200 and stale.content == body, "If-Range not matching: the whole body"
    head = client.head(url, headers=dict(plain, range="bytes=0-9"))
    assert head.status_code == 200 and head.content == b"", "Range is for GET only"
    packed = client.get(url, headers={"accept-encoding": "gzip"})
    assert packed.headers["content-encoding"] == "gzip" and "accept-ranges" not in packed.headers, \
        "ranges are offered of the identity coding only"


def test_cold_and_cached_answers_are_the_same(client):
    url = "/queries/indikatorer-uten-tall?format=csv"
    cold = client.get(url, headers={"accept-encoding": "gzip", "cache-control": "no-cache"})
    warm = client.get(url, headers={"accept-encoding": "gzip"})
    plain = client.get(url, headers={"accept-encoding": "identity", "cache-control": "no-cache"})
    assert cold.headers["content-encoding"] == warm.headers["content-encoding"] == "gzip"
    assert cold.content == warm.content == plain.content and plain.text.startswith("year,indicator")
    assert cold.headers["etag"] == warm.headers["etag"]


def test_an_answer_asked_with_no_store_is_not_kept(build_dir, monkeypatch):
    """Cache-Control: no-store on a request keeps its answer out of the result cache (RFC 9111
    5.2.1.5; the warm-up asks so, server/warm.py), where no-cache only bypasses it."""
    from sdggraph.server import caching

    kept, real = [], caching.ResultCache.put
    monkeypatch.setattr(caching.ResultCache, "put", lambda self, tag, key, entry: (kept.append(key),
                                                                                  real(self, tag, key, entry)))
    with TestClient(create_app(Settings(build_dir=build_dir, workers=1))) as test_client:
        url = "/queries/indikatorer-uten-tall"
        for ask in (test_client.get, test_client.head):
            assert ask(url, headers={"cache-control": "no-store"}).status_code == 200
        assert kept == []
        assert test_client.get(url, headers={"cache-control": "no-cache"}).status_code == 200
        assert len(kept) == 1  # no-cache: made anew, and kept for the next


def test_exports_are_made_once_and_served_as_files(build_dir, tmp_path):
    served = _copy(build_dir, tmp_path)
    # one heavy slot and no queue: the requests that arrive while the export is made (seconds: the
    # derive child starts, then computes) wait for that computation, which holds the one slot;
    # they take none, so none is refused
    settings = Settings(build_dir=served, workers=1, cache_mb=0, heavy_requests=1, max_queue=0)
    with TestClient(create_app(settings)) as test_client:
        derived = test_client.app.state.sparql.derived
        answers = []
        threads = [threading.Thread(target=lambda: answers.append(test_client.get("/export/ks-taxonomy")))
                   for _ in range(6)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        assert [a.status_code for a in answers] == [200] * 6
        assert len({a.content for a in answers}) == 1
        assert derived.computed == 1 and derived.child.started == 1  # made once, in the derive child
        # a second request, without any cache in memory, reads the file
        assert test_client.get("/export/ks-taxonomy", headers={"cache-control": "no-cache"}).status_code == 200
        assert derived.computed == 1


def test_derived_lock_computes_once_under_concurrency(tmp_path):
    from sdggraph.server.derived import Derived

    derived, calls = Derived(), []

    def make(tmp):
        calls.append(1)
        time.sleep(0.2)
        tmp.write_bytes(b"made")

    threads = [threading.Thread(target=derived.ensure, args=(tmp_path / "file", make)) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(calls) == 1 and (tmp_path / "file").read_bytes() == b"made"
    derived.close()


# ---- every view tells the same truth after an update ----

def _views(client) -> dict:
    """What each view says about the size of the graph."""
    sparql = client.get("/sparql", params={"query": COUNT}, headers={"accept": "application/sparql-results+json"})
    void = client.get("/.well-known/void", headers={"accept": "application/n-triples"}).text
    void_triples = [int(line.split('"')[1]) for line in void.splitlines()
                    if "<http://rdfs.org/ns/void#triples>" in line and line.startswith(f"<{config.base_iri()}dataset>")]
    coverage = client.get("/report/coverage", params={"format": "json"})
    return {
        "sparql": int(sparql.json()["results"]["bindings"][0]["n"]["value"]),
        "page": client.get(INDICATOR).status_code,
        "traverse": client.get("/traverse/impact", params={"goal": 13}).status_code,
        "export": len(client.get("/export/ntriples").content),
        "void": void_triples[0],
        "coverage": coverage.status_code == 200 and "HEL-01" in coverage.text,
        "html": client.get("/report/coverage").text,
    }


def test_every_view_follows_an_update(build_dir, tmp_path):
    served = _copy(build_dir, tmp_path)
    auth = {"authorization": f"Bearer {TOKEN}"}
    with TestClient(create_app(Settings(build_dir=served, timeout=30, update_token=TOKEN))) as client:
        before = _views(client)
        assert before["sparql"] > 10_000 and before["page"] == 200 and before["traverse"] == 200
        assert before["export"] > 100_000 and before["void"] == before["sparql"] and before["coverage"]
        page_etag = client.get(INDICATOR).headers["etag"]

        response = client.post("/sparql", data={"update": "DROP ALL"}, headers=auth)
        assert response.status_code == 200, response.text
        after = _views(client)
        assert after["sparql"] == 0
        assert after["page"] == 404
        assert after["traverse"] == 404
        assert after["export"] == 0
        assert after["void"] == 0
        assert not after["coverage"]
        assert "oppdatering 1" in after["html"] and "oppdatering 0" in before["html"]
        assert client.get(INDICATOR, headers={"if-none-match": page_etag}).status_code == 404

        iri = f"{config.base_iri()}kommune/3203/indicator/NEW-01"
        insert = (f"INSERT DATA {{ GRAPH <{config.rebase(config.GRAPH_NAMES['asserted'])}> {{ <{iri}> a "
                  f"<{config.base_iri()}ontology#Indicator> ; <http://www.w3.org/2004/02/skos/core#prefLabel> "
                  f'"Ny indikator"@nb }} }}')
        assert client.post("/sparql", data={"update": insert}, headers=auth).status_code == 200
        page = client.get("/kommune/3203/indicator/NEW-01")
        assert page.status_code == 200 and "Ny indikator" in page.text
        assert _views(client)["void"] == 2
        assert b"NEW-01" in client.get("/export/ntriples").content


def test_a_snapshot_a_reader_worker_still_has_open_stays_on_disk(build_dir, tmp_path, monkeypatch):
    """With updates enabled, views and reader workers read a snapshot per generation; older ones
    are removed, except one a reader worker still has open (it is finishing a query there)."""
    served = _copy(build_dir, tmp_path)
    auth = {"authorization": f"Bearer {TOKEN}"}
    with TestClient(create_app(Settings(build_dir=served, timeout=30, update_token=TOKEN))) as client:
        service = client.app.state.sparql
        first = service.current_build()
        assert client.get("/sparql", params={"query": "ASK {}"}).status_code == 200
        assert _wait_for(lambda: service.readers.paths_in_use() == {str(first / STORE_DIR)}, 60)  # what it reads
        monkeypatch.setattr(service.readers, "paths_in_use", lambda: {str(first / STORE_DIR)})
        snapshots = [first]
        for number in range(3):
            insert = (f"INSERT DATA {{ GRAPH <{config.rebase(config.GRAPH_NAMES['asserted'])}> {{ "
                      f"<urn:x:{number}> <urn:x:p> {number} }} }}")
            assert client.post("/sparql", data={"update": insert}, headers=auth).status_code == 200
            snapshots.append(service.current_build())
        assert first.is_dir()  # held open: kept
        assert not snapshots[1].exists()  # neither open nor the one before the current: removed
        assert snapshots[2].is_dir() and snapshots[3].is_dir()


def _wait_for(condition, seconds=120.0):
    deadline = time.monotonic() + seconds
    while not condition() and time.monotonic() < deadline:
        time.sleep(0.05)
    return condition()


def test_the_service_makes_the_exports_and_reports_before_anyone_asks(build_dir, tmp_path):
    """serve (warm_derived) makes them in the background as it starts: the first request reads a file."""
    from sdggraph.server import warm

    served = _copy(build_dir, tmp_path)
    with TestClient(create_app(Settings(build_dir=served, workers=1, cache_mb=0, warm_derived=True))) as client:
        derived = client.app.state.sparql.derived
        assert _wait_for(lambda: derived.computed >= len(warm.PATHS)), derived.computed
        made = derived.computed
        for path in warm.PATHS:
            assert client.get(path).status_code == 200, path
        assert derived.computed == made, "a request computed what the service had made"
        assert client.get("/export/dcat").status_code == 200 and derived.computed == made + 1  # by address: asked


def test_the_service_makes_them_again_after_a_rebuild(build_dir, tmp_path, monkeypatch):
    from sdggraph.server import warm

    monkeypatch.setattr(warm, "PATHS", ("/export/indicators",))
    monkeypatch.setattr(warm, "POLL_SECONDS", 0.1)
    served = _copy(build_dir, tmp_path)
    with TestClient(create_app(Settings(build_dir=served, workers=1, warm_derived=True))) as client:
        made = lambda: sorted(p.parent.name for p in (served / DERIVED_DIR).glob("*/export-indicators-csv"))  # noqa: E731
        assert _wait_for(lambda: len(made()) == 1)
        manifest = json.loads((served / "manifest.json").read_text(encoding="utf-8"))
        manifest["rebuilt"] = True
        (served / "manifest.json").write_text(json.dumps(manifest), encoding="utf-8")
        assert _wait_for(lambda: len(made()) == 2), "the new build's files were not made"
        assert client.app.state.sparql.derived_dir().name in made()


def test_a_rebuild_switches_every_etag(build_dir, tmp_path):
    served = _copy(build_dir, tmp_path)
    with TestClient(create_app(Settings(build_dir=served, workers=1, timeout=30))) as client:
        urls = ["/export/dcat", "/report/distribution", INDICATOR, "/sparql?query=ASK%7B%7D"]
        before = {url: client.get(url).headers["etag"] for url in urls}
        # what build.swap_in does: a new directory (here: a new manifest) replaces the build
        fresh = tmp_path / "fresh"
        shutil.copytree(served, fresh, ignore=shutil.ignore_patterns(DERIVED_DIR))
        manifest = json.loads((fresh / "manifest.json").read_text(encoding="utf-8"))
        manifest["rebuilt"] = True
        (fresh / "manifest.json").write_text(json.dumps(manifest), encoding="utf-8")
        served.rename(tmp_path / "old")
        fresh.rename(served)
        for url in urls:
            response = client.get(url, headers={"if-none-match": before[url]})
            assert response.status_code == 200, url
            assert response.headers["etag"] != before[url]
        assert list((served / DERIVED_DIR).glob("*/export-dcat-*")), "derived again, inside the new build"


def test_one_request_is_answered_from_one_version_and_the_next_sees_a_rebuild(build_dir, tmp_path):
    """The version is read once per GET (pinned for its task): its ETag and its body agree even if
    a rebuild lands meanwhile, and the request after it sees the rebuild."""
    served = _copy(build_dir, tmp_path)
    service = create_app(Settings(build_dir=served, workers=1, timeout=30)).state.sparql
    before = service.version()
    with service.pinned_version() as pinned:
        assert pinned == before
        manifest = json.loads((served / "manifest.json").read_text(encoding="utf-8"))
        manifest["rebuilt"] = True
        (served / "manifest.json").write_text(json.dumps(manifest), encoding="utf-8")
        assert service.version() == before, "a second read within the request saw another version"
        assert service.version(fresh=True).build != before.build
    assert service.version().build != before.build
