"""Iterating a long list: the typed iterators against a raw httpx page loop, in one run, time and memory.

    python benchmarks/pagination.py [--rounds 7] [--pages 100] [--per-page 100]

An httpx.MockTransport serves `--pages` pages of `--per-page` blueprints (10,000 by default), each item the
sandbox's own blueprint shape, with `meta.pagination` as Tallyfy sends it. Contenders, each walking every item
once per round, interleaved in a rotating order:

- raw httpx + .json() (the anchor): `client.get(...)`, `.json()`, items from `data`, next page from
  `meta.pagination`;
- raw httpx + models: the same loop building each item with the generated `Blueprint.from_dict` (the least a
  typed iterator can cost);
- facade `tf.blueprints.iter()` and `tf.paginate(list_blueprints)`, with the client's defaults.

Printed: per contender, the median CPU time of this thread per run and its ratio to the anchor, judged against
the target for the typed iterators (<= 2.0x): every step here is CPU work in this thread, and CPU time is not
stretched when other jobs share the machine. The wall-time ratio follows for comparison, then each contender's
tracemalloc peak over a whole run with nothing kept (memory stays at about one page).
"""

from __future__ import annotations

import argparse
import gc
import json
import statistics
import sys
import time
import tracemalloc
from collections.abc import Callable
from contextlib import ExitStack
from typing import Any

import httpx
from tallyfy_client.api.blueprints import list_blueprints
from tallyfy_client.models.blueprint import Blueprint

from tallyfy_diag import _constants as c
from tallyfy_diag.client import PersonalAccessToken, Tallyfy
from tallyfy_diag.sandbox import Sandbox, SandboxConfig

BASE_URL = "https://go.tallyfy.com/api"
TARGET = 2.0


def sandbox_blueprint() -> dict[str, Any]:
    """One blueprint as the sandbox lists it, the template for every item served here."""
    sandbox = Sandbox.in_process(SandboxConfig(seed=1))
    try:
        token = sandbox.mint_access_token(user=True)
        headers = {c.CLIENT_HEADER: c.CLIENT_HEADER_VALUE, "Authorization": f"{c.BEARER_SCHEME} {token}"}
        with httpx.Client(transport=sandbox.transport(), base_url=sandbox.base_url, headers=headers) as client:
            response = client.get(f"/organizations/{sandbox.credentials.org_id}/checklists", params={"per_page": 1})
            response.raise_for_status()
            item: dict[str, Any] = response.json()["data"][0]
            return item
    finally:
        sandbox.stop()


def page_bodies(template: dict[str, Any], pages: int, per_page: int, org: str) -> list[bytes]:
    bodies = []
    for number in range(1, pages + 1):
        items = [
            {**template, "id": f"{number:016x}{n:016x}", "title": f"Blueprint {number}.{n}"} for n in range(per_page)
        ]
        links: object = []
        if number < pages:
            links = {"next": f"{BASE_URL}/organizations/{org}/checklists?per_page={per_page}&page={number + 1}"}
        pagination = {
            "total": pages * per_page,
            "count": per_page,
            "per_page": per_page,
            "current_page": number,
            "total_pages": pages,
            "links": links,
        }
        bodies.append(json.dumps({"data": items, "meta": {"pagination": pagination}}).encode())
    return bodies


def transport(bodies: list[bytes]) -> httpx.MockTransport:
    json_type = {"content-type": "application/json"}

    def handler(request: httpx.Request) -> httpx.Response:
        number = int(request.url.params.get("page", "1"))
        return httpx.Response(200, content=bodies[number - 1], headers=json_type)

    return httpx.MockTransport(handler)


def contenders(stack: ExitStack, bodies: list[bytes], org: str, per_page: int) -> dict[str, Callable[[], int]]:
    """name -> one walk over every item (returns the count, so nothing is kept)."""
    raw = stack.enter_context(
        httpx.Client(base_url=BASE_URL, transport=transport(bodies), headers={"Authorization": "Bearer t0ken"})
    )
    tf = stack.enter_context(
        Tallyfy(PersonalAccessToken("t0ken"), base_url=BASE_URL, org_id=org, transport=transport(bodies))
    )
    path = f"/organizations/{org}/checklists"

    def raw_pages() -> Any:
        page: int | None = 1
        while page is not None:
            response = raw.get(path, params={"page": page, "per_page": per_page})
            response.raise_for_status()
            body = response.json()
            yield body["data"]
            pagination = body["meta"]["pagination"]
            page = page + 1 if pagination["current_page"] < pagination["total_pages"] else None

    def raw_json() -> int:
        return sum(1 for items in raw_pages() for _ in items)

    def raw_models() -> int:
        return sum(1 for items in raw_pages() for item in items if Blueprint.from_dict(item))

    return {
        "raw httpx + .json()": raw_json,
        "raw httpx + models": raw_models,
        "facade tf.blueprints.iter": lambda: sum(1 for _ in tf.blueprints.iter(per_page=per_page)),
        "tf.paginate": lambda: sum(1 for _ in tf.paginate(list_blueprints, per_page=per_page)),
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--rounds", type=int, default=7, help="runs per contender (default 7)")
    parser.add_argument("--pages", type=int, default=100, help="pages (default 100)")
    parser.add_argument("--per-page", type=int, default=100, help="items per page (default 100)")
    args = parser.parse_args()
    if args.rounds < 3 or args.pages < 2 or not 1 <= args.per_page <= c.MAX_PER_PAGE:
        parser.error(f"use at least 3 rounds, 2 pages, and 1 to {c.MAX_PER_PAGE} items per page")
    org = "0123456789abcdef0123456789abcdef"
    bodies = page_bodies(sandbox_blueprint(), args.pages, args.per_page, org)
    expected = args.pages * args.per_page
    with ExitStack() as stack:
        calls = contenders(stack, bodies, org, args.per_page)
        names = list(calls)
        for name in names:  # warm-up, and every contender must see every item
            if calls[name]() != expected:
                raise SystemExit(f"{name} did not walk {expected} items")
        rounds: list[dict[str, float]] = []
        wall_rounds: list[dict[str, float]] = []
        for index in range(args.rounds):
            shift = index % len(names)
            timings: dict[str, float] = {}
            wall: dict[str, float] = {}
            for name in names[shift:] + names[:shift]:
                gc.collect()
                start, wall_start = time.thread_time(), time.perf_counter()
                calls[name]()
                timings[name] = time.thread_time() - start
                wall[name] = time.perf_counter() - wall_start
            rounds.append(timings)
            wall_rounds.append(wall)
        peaks: dict[str, int] = {}
        for name in names:
            gc.collect()
            tracemalloc.start()
            calls[name]()
            peaks[name] = tracemalloc.get_traced_memory()[1]
            tracemalloc.stop()
    anchor = "raw httpx + .json()"
    page_kib = statistics.mean(len(body) for body in bodies) / 1024
    print(f"\n{expected:,} items, {args.pages} pages of {args.per_page} (MockTransport; a page: {page_kib:.0f} KiB)")
    print(f"  {'contender':<28}{'CPU ms':>10}{'ratio':>8}{'ratio range':>15}{'wall ratio':>11}{'peak KiB':>10}  target")
    met = True
    for name in names:
        ratios = sorted(r[name] / r[anchor] for r in rounds)
        ratio = statistics.median(ratios)
        verdict = ""
        if name.startswith(("facade", "tf.")):
            verdict = f"<= {TARGET:.1f}x {'met' if ratio <= TARGET else 'NOT MET'}"
            met = met and ratio <= TARGET
        millis = statistics.median(r[name] for r in rounds) * 1000
        wall_ratio = statistics.median(r[name] / r[anchor] for r in wall_rounds)
        print(
            f"  {name:<28}{millis:>10.1f}{ratio:>7.2f}x{ratios[0]:>7.2f}-{ratios[-1]:<7.2f}"
            f"{wall_ratio:>10.2f}x{peaks[name] / 1024:>10.0f}  {verdict}"
        )
    return 0 if met else 1


if __name__ == "__main__":
    sys.exit(main())
