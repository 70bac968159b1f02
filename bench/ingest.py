"""Import speed of the customer master (core_customer), against the database's own bulk rate.

    .venv/bin/python bench/ingest.py --rows 100000 [--database sqlite|postgresql] [--json]

Builds a fresh database (SQLite file under --workdir, or the PostgreSQL database named by
--pg-url, dropped and recreated), the demo bank's orgs and some villages, and an extract of N
new individual and enterprise customers (valid IDs, credit codes and phone numbers; GBK, as
core systems export). Then, timed:

1. reference: the same rows, already parsed, into a bare table of text columns —
   sqlite3 `executemany` on SQLite, COPY on PostgreSQL — the fastest the database takes rows;
2. first load: `run_import` of the file, end to end (read, clean, validate, encrypt and index
   the ID and phone numbers, upsert, reject file, run record);
3. reload: the same file with 1 % of the rows changed (new phone and address), next data date.

Prints rows per second of each and the ratio of (2) and (3) to (1). Issue 3's goal at N =
1,000,000 on 2 cores: first load >= 0.30 of the reference, reload >= 0.60.

4. floor: the work no import of this file can skip, timed alone in one process: reading the
   file with csv.reader, and per row the protected values' cryptography through
   liuyou.core.pii (first load: SM4-GCM encryption and HMAC-SM3 digest of the ID and phone
   numbers; reload: the digests, which the comparison with the stored row needs). Spread
   perfectly over every core with nothing else to do, it bounds the ratio any
   implementation on this machine can reach: `*_ratio_bound`.
5. indexed write: the customer rows the first load stored, already final (encrypted,
   indexed, typed), written again into an empty copy of the customer table with all its
   constraints and indexes — executemany on SQLite, COPY on PostgreSQL. The database's own
   cost of the real table, whatever the Python before it does; SQLite has one writer, so
   this cannot be spread over cores: `first_load_ratio_bound_by_indexed_write`.
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import resource
import sqlite3
import sys
import tempfile
import time
from datetime import date, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "src"))

HEADER = [
    "客户号", "客户名称", "客户类型", "证件类型", "证件号码", "统一社会信用代码", "性别", "出生日期",
    "手机号码", "联系地址", "村编码", "开户机构号", "开户日期", "是否社保卡", "是否代发工资",
]  # fmt: skip
SURNAMES = "王李张刘陈杨赵黄周吴徐孙胡朱高林何郭马罗"
GIVEN = "伟芳娜秀英敏静丽强磊军洋勇艳杰娟涛明超秀兰霞平刚桂英"
AREAS = ("370725", "370702", "370781", "410521")
COUNTS = ("read", "inserted", "updated", "unchanged", "rejected")


def parse_args() -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--rows", type=int, default=100_000)
    p.add_argument("--database", choices=("sqlite", "postgresql"), default="sqlite")
    p.add_argument("--pg-url", default="postgresql://postgres@127.0.0.1:5432/liuyou_bench")
    p.add_argument("--workdir", type=Path, default=None, help="默认临时目录")
    p.add_argument("--json", action="store_true", help="只在标准输出打印一个 JSON 对象")
    return p.parse_args()


def log(text: str) -> None:
    print(text, file=sys.stderr, flush=True)


def make_rows(n: int, villages: list[str], orgs: list[str]) -> list[list[str]]:
    import random

    from liuyou.demo_county.ids import make_ric, make_uscc

    rng = random.Random(7)
    rows = []
    base = date(1960, 1, 1)
    for i in range(n):
        no = f"C{i:010d}"
        village = villages[i % len(villages)]
        org = orgs[i % len(orgs)]
        opened = (date(2005, 1, 1) + timedelta(days=i % 7000)).isoformat()
        if i % 40 == 39:  # 2.5 % enterprises, as in the demo county
            name = f"{SURNAMES[i % 20]}氏{GIVEN[i % len(GIVEN)]}业有限公司{i}"
            code = make_uscc(rng, prefix="91", area=AREAS[i % 4])
            rows.append([no, name, "企业", "", "", code, "", "", f"0536-{5000000 + i % 4000000}",
                         f"工业园{i % 90}号", village, org, opened, "否", "否"])  # fmt: skip
            continue
        male = i % 2 == 0
        born = base + timedelta(days=(i // 400) % 15000)
        id_no = make_ric(AREAS[(i // 6_000_000) % 4], born, (i % 400) * 2 + 100, male)
        name = (
            SURNAMES[i % 20]
            + GIVEN[(i // 20) % len(GIVEN)]
            + (GIVEN[(i // 540) % len(GIVEN)] if i % 3 else "")
        )
        rows.append([no, name, "个人", "居民身份证", id_no, "", "男" if male else "女", born.isoformat(),
                     f"13{i:09d}", f"{village}村{i % 300}号", village, org, opened,
                     "是" if i % 2 else "否", "是" if i % 7 == 0 else "否"])  # fmt: skip
    return rows


def write_file(path: Path, rows: list[list[str]]) -> None:
    with path.open("w", encoding="gbk", newline="") as f:
        w = csv.writer(f, lineterminator="\r\n")
        w.writerow(HEADER)
        w.writerows(rows)


def reference(args: argparse.Namespace, rows: list[list[str]], workdir: Path) -> float:
    """Seconds to put the parsed rows into a bare table: the database's own bulk rate."""
    cols = ", ".join(f"c{i} TEXT" for i in range(len(HEADER)))
    if args.database == "sqlite":
        db = workdir / "reference.db"
        db.unlink(missing_ok=True)
        con = sqlite3.connect(db)
        con.execute("PRAGMA journal_mode=WAL")
        con.execute(f"CREATE TABLE bare ({cols})")
        marks = ", ".join("?" * len(HEADER))
        t0 = time.perf_counter()
        con.executemany(f"INSERT INTO bare VALUES ({marks})", rows)
        con.commit()
        seconds = time.perf_counter() - t0
        con.close()
        return seconds
    import psycopg

    with psycopg.connect(args.pg_url, autocommit=False) as con:
        con.execute("DROP TABLE IF EXISTS bench_bare")
        con.execute(f"CREATE TABLE bench_bare ({cols})")
        con.commit()
        t0 = time.perf_counter()
        with con.cursor() as cur, cur.copy("COPY bench_bare FROM STDIN") as copy:
            for row in rows:
                copy.write_row(row)
        con.commit()
        seconds = time.perf_counter() - t0
        con.execute("DROP TABLE bench_bare")
        con.commit()
        return seconds


def fresh_database(args: argparse.Namespace, workdir: Path) -> str:
    if args.database == "sqlite":
        db = workdir / "liuyou.db"
        for suffix in ("", "-wal", "-shm"):
            Path(f"{db}{suffix}").unlink(missing_ok=True)
        return f"sqlite:///{db}"
    import psycopg

    base, _, name = args.pg_url.rpartition("/")
    with psycopg.connect(f"{base}/postgres", autocommit=True) as con:
        con.execute(f'DROP DATABASE IF EXISTS "{name}"')
        con.execute(f'CREATE DATABASE "{name}"')
    return args.pg_url


def setup_bank() -> tuple[list[str], list[str]]:
    """The demo bank's orgs and 200 villages spread over its grids; returns (村编码, 机构号)."""
    from django.core.management import call_command
    from django.db import transaction

    from liuyou.customers.models import Village
    from liuyou.system.demo import build_demo_bank
    from liuyou.system.models import Org, OrgKind

    call_command("migrate", interactive=False, verbosity=0)
    with transaction.atomic():
        build_demo_bank(customers=0)
    grids = list(Org.objects.filter(kind=OrgKind.GRID).values_list("pk", flat=True))
    day = date(2026, 1, 1)
    Village.objects.bulk_create(
        Village(
            code=f"370725{100 + i // 20:03d}{201 + i % 20:03d}",
            name=f"测试{i}村",
            grid_id=grids[i % len(grids)],
            first_seen=day,
            last_seen=day,
        )
        for i in range(200)
    )
    villages = list(Village.objects.values_list("code", flat=True))
    outlets = list(Org.objects.filter(kind=OrgKind.OUTLET).values_list("code", flat=True))
    return villages, outlets


def floor(path: Path) -> dict[str, float]:
    """Seconds of the unskippable work (see the module docstring, 4)."""
    from liuyou.core import pii

    key = pii.keyring()[0]
    t0 = time.perf_counter()
    with path.open(encoding="gbk", newline="") as f:
        records = list(csv.reader(f))[1:]
    read = time.perf_counter() - t0
    values = [v for r in records for v in (r[4], r[8]) if v]
    t0 = time.perf_counter()
    for v in values:
        pii.digest(v, key)
    digests = time.perf_counter() - t0
    t0 = time.perf_counter()
    for v in values:
        pii.encrypt(pii.normalize(v), key)
    encryption = time.perf_counter() - t0
    return {"read": read, "digest": digests, "encrypt": encryption, "values": len(values)}


def indexed_write() -> tuple[float, int]:
    """Seconds to write the stored customer rows again into an empty copy of their table
    with the same constraints and indexes (see the module docstring, 5)."""
    from django.db import connection

    table, copy_of = '"customers_customer"', '"floor_copy"'
    if connection.vendor == "sqlite":
        con = sqlite3.connect(connection.settings_dict["NAME"])
        con.execute("PRAGMA cache_size=-65536")  # as the application's connections
        schema = con.execute(
            "SELECT type, sql FROM sqlite_master WHERE tbl_name = 'customers_customer' AND sql IS NOT NULL"
        ).fetchall()
        for kind, sql in sorted(schema, key=lambda s: s[0] != "table"):
            if kind == "table":
                con.execute(sql.replace(table, copy_of, 1))
            else:
                con.execute(sql.replace(table, copy_of).replace('INDEX "', 'INDEX "floor_', 1))
        rows = con.execute(f"SELECT * FROM {table}").fetchall()  # noqa: S608
        marks = ", ".join("?" * len(rows[0]))
        t0 = time.perf_counter()
        con.executemany(f"INSERT INTO {copy_of} VALUES ({marks})", rows)  # noqa: S608
        con.commit()
        seconds = time.perf_counter() - t0
        con.execute(f"DROP TABLE {copy_of}")
        con.close()
        return seconds, len(rows)
    with connection.cursor() as cursor:
        cursor.execute(f"CREATE TABLE {copy_of} (LIKE {table} INCLUDING ALL)")
        cursor.execute(f"SELECT * FROM {table}")  # noqa: S608
        rows = cursor.fetchall()
        t0 = time.perf_counter()
        with cursor.cursor.copy(f"COPY {copy_of} FROM STDIN") as copy:
            for row in rows:
                copy.write_row(row)
        seconds = time.perf_counter() - t0
        cursor.execute(f"DROP TABLE {copy_of}")
    return seconds, len(rows)


def timed_import(path: Path) -> tuple[float, object]:
    from liuyou.ingest import runner

    t0 = time.perf_counter()
    run = runner.run_import(runner.Options(source="core_customer", path=path))
    return time.perf_counter() - t0, run


def main() -> None:
    args = parse_args()
    workdir = args.workdir or Path(tempfile.mkdtemp(prefix="liuyou-bench-"))
    workdir.mkdir(parents=True, exist_ok=True)
    os.environ["LIUYOU_VAR_DIR"] = str(workdir / "var")
    os.environ["LIUYOU_DATABASE_URL"] = fresh_database(args, workdir)
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "liuyou.settings")
    import django

    django.setup()
    log(f"准备数据库（{args.database}）与演示银行…")
    villages, orgs = setup_bank()
    log(f"生成 {args.rows} 行客户文件…")
    rows = make_rows(args.rows, villages, orgs)
    first_file = workdir / "core_customer_20260101.csv"
    write_file(first_file, rows)

    log("参照：数据库批量写入同样的行…")
    ref_seconds = reference(args, rows, workdir)
    log("首次导入…")
    first_seconds, first = timed_import(first_file)
    changed = 0
    for i in range(0, len(rows), 100):  # 1 %
        rows[i][8] = f"15{i:09d}" if not rows[i][8].startswith("0") else "0536-8888888"
        rows[i][9] = rows[i][9] + "（新址）"
        changed += 1
    second_file = workdir / "core_customer_20260102.csv"
    write_file(second_file, rows)
    log("1% 变化后重新导入…")
    reload_seconds, second = timed_import(second_file)

    log("下限：仅读文件与加密、摘要…")
    least = floor(second_file)
    log("下限：已入库的客户行重新写入同结构（含索引）的空表…")
    write_seconds, written = indexed_write()

    n = args.rows
    ref_rate = n / ref_seconds
    cores = os.cpu_count() or 1
    first_floor = least["read"] + least["digest"] + least["encrypt"]
    reload_floor = least["read"] + least["digest"]
    result = {
        "database": args.database,
        "rows": n,
        "reference": "sqlite3 executemany" if args.database == "sqlite" else "PostgreSQL COPY",
        "reference_seconds": round(ref_seconds, 3),
        "reference_rows_per_s": round(ref_rate),
        "first_load_seconds": round(first_seconds, 3),
        "first_load_rows_per_s": round(n / first_seconds),
        "first_load_ratio": round((n / first_seconds) / ref_rate, 4),
        "first_load_counts": {k: getattr(first, k) for k in COUNTS},
        "reload_seconds": round(reload_seconds, 3),
        "reload_rows_per_s": round(n / reload_seconds),
        "reload_ratio": round((n / reload_seconds) / ref_rate, 4),
        "reload_counts": {k: getattr(second, k) for k in COUNTS},
        "rows_changed": changed,
        "goal": {"first_load_ratio": 0.30, "reload_ratio": 0.60},
        "floor": {
            "csv_read_seconds": round(least["read"], 3),
            "hmac_sm3_seconds": round(least["digest"], 3),
            "sm4_gcm_seconds": round(least["encrypt"], 3),
            "protected_values": least["values"],
            "first_load_ratio_bound": round((n / (first_floor / cores)) / ref_rate, 4),
            "reload_ratio_bound": round((n / (reload_floor / cores)) / ref_rate, 4),
            "indexed_write_seconds": round(write_seconds, 3),
            "indexed_write_rows": written,
            "first_load_ratio_bound_by_indexed_write": round((written / write_seconds) / ref_rate, 4),
        },
        "peak_rss_mib": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024),
        "cpus": cores,
    }
    if args.json:
        print(json.dumps(result, ensure_ascii=False))
        return
    for key, value in result.items():
        print(f"{key}: {value}")


if __name__ == "__main__":
    main()
