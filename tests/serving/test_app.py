"""The service end to end over HTTP: answers, tiling, cache, metrics and bad input."""

from __future__ import annotations

import base64
import concurrent.futures
import io
import math
import time

import httpx
import numpy as np
import pytest
import torch
from PIL import Image
from tests.serving.conftest import SlowEngine, serve_engine

from semcom.link import SemanticLink
from semcom.serving.engine import LinkEngine
from semcom.serving.payloads import image_to_png_base64, symbols_to_base64


def png_to_tensor(text: str) -> torch.Tensor:
    with Image.open(io.BytesIO(base64.b64decode(text))) as im:
        arr = np.asarray(im.convert("RGB"), dtype=np.float32) / 255
    return torch.from_numpy(arr).permute(2, 0, 1)


def random_symbols(k: int, n: int = 1, seed: int = 0) -> np.ndarray:
    rng = np.random.default_rng(seed)
    return ((rng.standard_normal(n * k) + 1j * rng.standard_normal(n * k)) / math.sqrt(2)).astype(
        np.complex64
    )


def decode_body(k: int, seed: int = 0, **extra: object) -> dict[str, object]:
    return {"user_id": "u1", "snr_db": 10.0,
            "symbols": symbols_to_base64(random_symbols(k, seed=seed)), **extra}  # fmt: skip


def test_decode_answers_what_the_codec_decodes(
    service: httpx.Client, fast_link: SemanticLink
) -> None:
    info = service.get("/v1/info").json()
    k = info["k"]
    assert info["tile_shape"] == [3, 32, 32]
    y = random_symbols(k, seed=1)
    r = service.post("/v1/decode", json={"user_id": "u1", "snr_db": 7.5,
                                         "symbols": symbols_to_base64(y)})  # fmt: skip
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["shape"] == [3, 32, 32]
    assert body["tiles"] == 1
    assert body["cached"] is False
    assert body["timing"]["batch_size"] >= 1
    got = png_to_tensor(body["image_png_base64"])
    with torch.inference_mode():
        want = fast_link.codec.decode(torch.from_numpy(y)[None], 7.5)[0].clamp(0, 1)
    assert (got - want).abs().max() <= 0.5 / 255 + 1e-5


def test_json_list_symbols_equal_base64(service: httpx.Client) -> None:
    k = service.get("/v1/info").json()["k"]
    y = random_symbols(k, seed=2)
    pairs = [[float(v.real), float(v.imag)] for v in y]
    a = service.post("/v1/decode", json={"user_id": "a", "snr_db": 3, "symbols": pairs})
    b = service.post("/v1/decode", json={"user_id": "b", "snr_db": 3,
                                         "symbols": symbols_to_base64(y)})  # fmt: skip
    assert a.status_code == b.status_code == 200
    assert a.json()["image_png_base64"] == b.json()["image_png_base64"]
    assert b.json()["cached"] is True  # same payload: answered from the cache


def test_a_large_image_is_decoded_from_its_tiles(
    service: httpx.Client, fast_link: SemanticLink
) -> None:
    k = service.get("/v1/info").json()["k"]
    y = random_symbols(k, n=6, seed=3)  # 40x70 -> 2x3 tiles of 32x32
    r = service.post("/v1/decode", json={"user_id": "u", "snr_db": 12,
                                         "symbols": symbols_to_base64(y),
                                         "image_size": [40, 70]})  # fmt: skip
    assert r.status_code == 200, r.text
    assert r.json()["shape"] == [3, 40, 70]
    assert r.json()["tiles"] == 6
    got = png_to_tensor(r.json()["image_png_base64"])
    with torch.inference_mode():
        tiles = fast_link.codec.decode(torch.from_numpy(y.reshape(6, k)), 12.0).clamp(0, 1)
    assert (got[:, :32, 32:64] - tiles[1]).abs().max() <= 0.5 / 255 + 1e-5


def test_transmit_sends_an_image_through_the_link(service: httpx.Client) -> None:
    img = torch.rand(3, 36, 50) * 0.2 + 0.4
    r = service.post("/v1/transmit", json={"user_id": "u", "snr_db": 15,
                                           "image_png_base64": image_to_png_base64(img),
                                           "seed": 3})  # fmt: skip
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["shape"] == [3, 36, 50]
    assert body["tiles"] == 4
    assert 10 < body["psnr_db"] < 60


def test_concurrent_requests_are_batched(service: httpx.Client) -> None:
    k = service.get("/v1/info").json()["k"]
    bodies = [decode_body(k, seed=100 + i) for i in range(24)]
    with concurrent.futures.ThreadPoolExecutor(12) as pool:
        answers = list(pool.map(lambda b: service.post("/v1/decode", json=b), bodies))
    assert all(a.status_code == 200 for a in answers)
    assert max(a.json()["timing"]["batch_size"] for a in answers) > 1
    text = service.get("/metrics").text
    assert "semcom_batch_size_bucket" in text
    assert 'semcom_requests_total{endpoint="decode",status="200"}' in text
    assert "semcom_queue_depth" in text
    assert "semcom_cache_hits_total" in text


def test_health_and_openapi(service: httpx.Client) -> None:
    assert service.get("/healthz").json()["status"] == "ok"
    spec = service.get("/openapi.json").json()
    assert {"/v1/decode", "/v1/transmit", "/healthz", "/metrics"} <= set(spec["paths"])


@pytest.mark.parametrize(
    ("change", "status", "field"),
    [
        ({"symbols": "%%%not-base64"}, 422, "symbols"),
        ({"symbols": base64.b64encode(b"\0" * 80).decode()}, 422, "symbols"),
        ({"symbols": [[float("nan"), 0.0]] * 512}, 422, "symbols"),
        ({"snr_db": 99.0}, 422, "snr_db"),
        ({"snr_db": "loud"}, 422, "snr_db"),
        ({"user_id": ""}, 422, "user_id"),
        ({"colour": "blue"}, 422, "colour"),
        ({"snr-db": 3}, 422, "snr-db"),
        ({"csi": [[1.0, 0.0]]}, 422, "csi"),
        ({"image_size": [400, 400]}, 413, "image_size"),
        ({"image_size": [0, 5]}, 422, "image_size.0"),
    ],
)
def test_bad_input_is_a_4xx_naming_the_field(
    service: httpx.Client, change: dict[str, object], status: int, field: str
) -> None:
    k = service.get("/v1/info").json()["k"]
    body = {**decode_body(k, seed=7), **change}
    r = service.post(
        "/v1/decode", content=_json(body), headers={"content-type": "application/json"}
    )
    assert r.status_code == status, r.text
    assert r.json()["field"] == field
    assert r.json()["error"]


def _json(body: dict[str, object]) -> bytes:
    import json

    return json.dumps(body).encode()  # allows NaN, as a careless client would send


def test_missing_fields_malformed_json_and_huge_bodies(service: httpx.Client) -> None:
    r = service.post("/v1/decode", json={"user_id": "u", "snr_db": 1})
    assert (r.status_code, r.json()["field"]) == (422, "symbols")
    r = service.post(
        "/v1/decode", content=b"{not json", headers={"content-type": "application/json"}
    )
    assert (r.status_code, r.json()["field"]) == (422, "body")
    r = service.post(
        "/v1/decode", content=b"x" * 300_000, headers={"content-type": "application/json"}
    )
    assert r.status_code == 413
    assert "limit" in r.json()["error"]
    junk = base64.b64encode(b"nope").decode()
    body = {"user_id": "u", "snr_db": 1, "image_png_base64": junk}
    r = service.post("/v1/transmit", json=body)
    assert (r.status_code, r.json()["field"]) == (422, "image_png_base64")
    assert service.get("/healthz").status_code == 200  # still alive


def test_api_key_is_required_when_set(fast_link: SemanticLink) -> None:
    with serve_engine(LinkEngine(fast_link), api_key="s3cret") as url:
        k = httpx.get(f"{url}/v1/info", headers={"X-API-Key": "s3cret"}).json()["k"]
        body = decode_body(k)
        assert httpx.post(f"{url}/v1/decode", json=body).status_code == 401
        wrong = httpx.post(f"{url}/v1/decode", json=body, headers={"X-API-Key": "nope"})
        assert wrong.status_code == 401
        assert "API key" in wrong.json()["error"]
        ok = httpx.post(f"{url}/v1/decode", json=body, headers={"X-API-Key": "s3cret"})
        assert ok.status_code == 200
        bearer = httpx.post(f"{url}/v1/decode", json=body,
                            headers={"Authorization": "Bearer s3cret"})  # fmt: skip
        assert bearer.status_code == 200
        assert httpx.get(f"{url}/metrics").status_code == 401
        assert httpx.get(f"{url}/healthz").status_code == 200  # liveness stays open


def test_a_full_queue_is_503_with_retry_after(fast_link: SemanticLink) -> None:
    engine = SlowEngine(fast_link, delay_s=0.4)
    with serve_engine(engine, queue_size=1, max_batch=1, max_wait_ms=0) as url:
        k = engine.k
        with concurrent.futures.ThreadPoolExecutor(6) as pool:
            answers = list(pool.map(
                lambda i: httpx.post(f"{url}/v1/decode", json=decode_body(k, seed=i), timeout=30),
                range(6),
            ))  # fmt: skip
    codes = sorted(a.status_code for a in answers)
    assert 200 in codes, codes
    assert 503 in codes, codes
    refused = next(a for a in answers if a.status_code == 503)
    assert refused.headers["retry-after"] == "1"
    assert "overloaded" in refused.json()["error"]


def test_a_slow_answer_is_504_and_a_failed_batch_is_500(fast_link: SemanticLink) -> None:
    engine = SlowEngine(fast_link, delay_s=0.5)
    with serve_engine(engine, timeout_s=0.2, max_batch=1) as url:
        r = httpx.post(f"{url}/v1/decode", json=decode_body(engine.k), timeout=30)
        assert r.status_code == 504
        assert "timeout" in r.json()["error"]
    engine = SlowEngine(fast_link, delay_s=0.0)
    with serve_engine(engine) as url:
        r = httpx.post(f"{url}/v1/decode", json=decode_body(engine.k, snr_db=-19.5), timeout=30)
        assert r.status_code == 500
        assert "internal error" in r.json()["error"]
        again = httpx.post(f"{url}/v1/decode", json=decode_body(engine.k, seed=5), timeout=30)
        assert again.status_code == 200  # the service survives its own failures


def test_shutdown_drains_the_queue(fast_link: SemanticLink) -> None:
    engine = SlowEngine(fast_link, delay_s=0.5)
    thread = serve_engine(engine, max_batch=2, max_wait_ms=0)
    with thread as url, concurrent.futures.ThreadPoolExecutor(8) as pool:
        futures = [
            pool.submit(
                httpx.post, f"{url}/v1/decode", json=decode_body(engine.k, seed=i), timeout=60
            )
            for i in range(8)
        ]
        deadline = time.monotonic() + 20
        # all 8 accepted: 2 in the running batch, 6 waiting
        while httpx.get(f"{url}/healthz").json()["queue"]["decode"] < 6:
            assert time.monotonic() < deadline, "the requests never queued"
            time.sleep(0.01)
        thread.server.should_exit = True  # shutdown begins while requests are in flight
        codes = [f.result().status_code for f in futures]
    assert codes == [200] * 8


def test_the_gsc_link_is_served_with_its_refiner(gsc_link: SemanticLink) -> None:
    engine = LinkEngine(gsc_link)
    assert engine.info()["refiner"] == "SFTRefiner"
    with serve_engine(engine) as url:
        r = httpx.post(f"{url}/v1/decode", json=decode_body(engine.k), timeout=60)
    assert r.status_code == 200
    assert r.json()["shape"] == [3, 32, 32]
