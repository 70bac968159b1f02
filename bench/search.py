"""Customer search and 360 latency under an open-loop load, against a trivial page.

    .venv/bin/python bench/search.py --customers 1000000 [--rate 100] [--seconds 60] \
        [--database sqlite|postgresql] [--workdir DIR] [--reuse] [--json]

Builds (or, with --reuse, keeps) a library of N customers through the real import path
(bench/ingest.py's extract of valid IDs and phone numbers), starts `liuyou serve` (gunicorn,
the production server) on loopback, signs in as the demo head-office administrator, and then
sends requests at a fixed rate whatever the answers take (open loop: a slow answer does not
slow the next request down). The mix: exact ID number, exact phone number, customer number
and name-prefix searches on the customer list (as the search box sends them: htmx requests
for the results), and customer 360 pages (whole pages).

Reference, same run, same server and client: the sign-in page (no customer query) at the
same rate. Prints p50/p90/p99/max per kind, errors, and the p99 ratio to the reference.
Issue 3's goal at 1,000,000 customers, 100 requests/s for 60 s: p99 under 100 ms, no errors.
"""

from __future__ import annotations

import argparse
import asyncio
import importlib.util
import json
import os
import random
import re
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from urllib.parse import quote

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "src"))


def _bench_ingest():
    spec = importlib.util.spec_from_file_location("bench_ingest", Path(__file__).with_name("ingest.py"))
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def parse_args() -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--customers", type=int, default=1_000_000)
    p.add_argument("--rate", type=float, default=100.0, help="每秒请求数")
    p.add_argument("--seconds", type=float, default=60.0)
    p.add_argument("--reference-seconds", type=float, default=15.0)
    p.add_argument("--database", choices=("sqlite", "postgresql"), default="sqlite")
    p.add_argument("--pg-url", default="postgresql://postgres@127.0.0.1:5432/liuyou_bench_search")
    p.add_argument("--workdir", type=Path, default=None)
    p.add_argument("--reuse", action="store_true", help="数据库已建好时直接使用")
    p.add_argument("--port", type=int, default=0)
    p.add_argument("--json", action="store_true")
    return p.parse_args()


SEARCHES = frozenset({"id", "phone", "number", "prefix"})


def log(text: str) -> None:
    print(text, file=sys.stderr, flush=True)


def build(args: argparse.Namespace, workdir: Path, bi) -> list[list[str]]:
    """The library of N customers, imported; returns the rows (for sampling search keys)."""
    bench_args = argparse.Namespace(database=args.database, pg_url=args.pg_url)
    if not args.reuse:
        os.environ["LIUYOU_DATABASE_URL"] = bi.fresh_database(bench_args, workdir)
    else:
        os.environ["LIUYOU_DATABASE_URL"] = (
            f"sqlite:///{workdir / 'liuyou.db'}" if args.database == "sqlite" else args.pg_url
        )
    os.environ["LIUYOU_VAR_DIR"] = str(workdir / "var")
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "liuyou.settings")
    import django

    django.setup()
    from liuyou.customers.models import Customer, Village
    from liuyou.system.models import Org, OrgKind

    if args.reuse and Customer.objects.exists():
        from django.core.management import call_command

        log("复用已有数据库")
        call_command("migrate", interactive=False, verbosity=0)  # `serve` refuses pending ones
        villages = list(Village.objects.values_list("code", flat=True))
        outlets = list(Org.objects.filter(kind=OrgKind.OUTLET).values_list("code", flat=True))
        return bi.make_rows(args.customers, villages, outlets)
    villages, outlets = bi.setup_bank()
    log(f"生成并导入 {args.customers} 个客户…")
    rows = bi.make_rows(args.customers, villages, outlets)
    path = workdir / "core_customer_20260101.csv"
    bi.write_file(path, rows)
    seconds, run = bi.timed_import(path)
    log(f"导入完成：{run.inserted} 个客户，{seconds:.0f} 秒")
    return rows


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start_server(port: int) -> subprocess.Popen:
    liuyou = Path(sys.executable).with_name("liuyou")
    proc = subprocess.Popen(
        [str(liuyou), "serve", "--host", "127.0.0.1", "--port", str(port)],
        env=os.environ.copy(),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    import httpx

    for _ in range(200):
        try:
            if httpx.get(f"http://127.0.0.1:{port}/login", timeout=1).status_code == 200:
                return proc
        except httpx.HTTPError:
            pass
        time.sleep(0.2)
    proc.kill()
    raise SystemExit("服务未能启动")


def hq_admin_login() -> tuple[str, str]:
    from liuyou.system.demo import DEMO_PASSWORD, plan_demo_bank

    _, users = plan_demo_bank()
    admin = next(u for u in users if u.role == "hq_admin")
    return admin.staff_no, DEMO_PASSWORD


async def sign_in(client, staff_no: str, password: str) -> None:
    page = await client.get("/login")
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page.text)
    assert token, "登录页没有 CSRF 令牌"
    answer = await client.post(
        "/login",
        data={"csrfmiddlewaretoken": token.group(1), "username": staff_no, "password": password},
        headers={"Referer": str(client.base_url) + "/login"},
    )
    if answer.status_code != 302:
        raise SystemExit(f"登录失败：HTTP {answer.status_code}")


def request_plan(rows: list[list[str]], n: int, seed: int = 11) -> list[tuple[str, str]]:
    """(kind, path) for n requests: ID, phone, customer number, name prefix, 360."""
    rng = random.Random(seed)
    people = [r for r in rows if r[4]]
    plan = []
    for i in range(n):
        row = rng.choice(people)
        kind = ("id", "phone", "number", "prefix", "detail")[i % 5]
        if kind == "id":
            path = f"/customers/?q={row[4]}"
        elif kind == "phone":
            path = f"/customers/?q={row[8]}"
        elif kind == "number":
            path = f"/customers/?q={row[0]}"
        elif kind == "prefix":
            path = f"/customers/?q={quote(row[1][:2])}"
        else:
            path = f"/customers/{row[0]}/"
        plan.append((kind, path))
    return plan


async def open_loop(client, plan: list[tuple[str, str]], rate: float) -> list[tuple[str, float, int | str]]:
    """Send plan[i] at start + i/rate, whatever the earlier answers take."""
    results: list[tuple[str, float, int | str]] = []
    start = time.perf_counter()

    async def one(kind: str, path: str) -> None:
        t0 = time.perf_counter()
        # Searches are typed in the list's search box, which htmx submits for the results
        # fragment; a 360 page is opened as a whole page.
        headers = {"HX-Request": "true"} if kind in SEARCHES else {}
        try:
            answer = await client.get(path, headers=headers)
            outcome: int | str = answer.status_code
        except Exception as exc:  # noqa: BLE001 - every failure is counted, not raised
            outcome = type(exc).__name__
        results.append((kind, (time.perf_counter() - t0) * 1000, outcome))

    tasks = []
    for i, (kind, path) in enumerate(plan):
        delay = start + i / rate - time.perf_counter()
        if delay > 0:
            await asyncio.sleep(delay)
        tasks.append(asyncio.create_task(one(kind, path)))
    await asyncio.gather(*tasks)
    return results


def percentiles(ms: list[float]) -> dict[str, float]:
    s = sorted(ms)
    if not s:
        return {}

    def at(p: float) -> float:
        return round(s[min(len(s) - 1, int(p * len(s)))], 1)

    return {"n": len(s), "p50": at(0.50), "p90": at(0.90), "p99": at(0.99), "max": round(s[-1], 1)}


async def measure(port: int, plan, reference_plan, rate: float) -> tuple[list, list]:
    import httpx

    staff_no, password = hq_admin_login()
    limits = httpx.Limits(max_connections=64, max_keepalive_connections=64)
    async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{port}", limits=limits, timeout=30) as client:
        await sign_in(client, staff_no, password)
        await open_loop(client, plan[:50], rate)  # warm-up: workers, connections, caches
        reference = await open_loop(client, reference_plan, rate)
        loaded = await open_loop(client, plan, rate)
    return reference, loaded


def main() -> None:
    args = parse_args()
    workdir = args.workdir or Path(tempfile.mkdtemp(prefix="liuyou-search-"))
    workdir.mkdir(parents=True, exist_ok=True)
    bi = _bench_ingest()
    rows = build(args, workdir, bi)
    port = args.port or free_port()
    server = start_server(port)
    try:
        n = int(args.rate * args.seconds)
        plan = request_plan(rows, n)
        reference_plan = [("reference", "/login")] * int(args.rate * args.reference_seconds)
        log(f"开环压测：{args.rate:g} 次/秒 × {args.seconds:g} 秒…")
        reference, loaded = asyncio.run(measure(port, plan, reference_plan, args.rate))
    finally:
        server.terminate()
        server.wait(timeout=30)
    errors = [r for r in loaded if r[2] != 200]
    kinds = sorted({k for k, _, _ in loaded})
    all_ms = percentiles([ms for _, ms, _ in loaded])
    ref_ms = percentiles([ms for _, ms, _ in reference])
    result = {
        "database": args.database,
        "customers": args.customers,
        "rate_per_s": args.rate,
        "seconds": args.seconds,
        "requests": len(loaded),
        "errors": len(errors),
        "error_samples": [f"{k} {o}" for k, _, o in errors[:5]],
        "latency_ms": all_ms,
        "by_kind_ms": {k: percentiles([ms for kk, ms, _ in loaded if kk == k]) for k in kinds},
        "reference": "GET /login, same rate, same server",
        "reference_ms": ref_ms,
        "p99_ratio_to_reference": round(all_ms["p99"] / ref_ms["p99"], 2) if ref_ms.get("p99") else None,
        "goal": {"p99_ms": 100, "errors": 0},
        "cpus": os.cpu_count(),
    }
    if args.json:
        print(json.dumps(result, ensure_ascii=False))
        return
    for key, value in result.items():
        print(f"{key}: {value}")


if __name__ == "__main__":
    main()
