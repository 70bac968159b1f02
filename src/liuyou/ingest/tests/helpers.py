"""Small files for the import tests, written in tmp_path."""

from __future__ import annotations

import csv
import io
from pathlib import Path

from liuyou.ingest import runner

ORG_HEADER = ["机构号", "机构名称", "上级机构号", "机构类型", "地址"]
STAFF_HEADER = ["工号", "姓名", "机构号", "岗位", "手机号码", "企业微信账号", "状态", "入职日期"]
# The conftest bank as an org extract (grids are not in the extract).
BANK_ORGS = [
    ["000", "测试农商银行总行", "", "总行", ""],
    ["100", "城关支行", "000", "支行", ""],
    ["101", "城关支行营业部", "100", "网点", ""],
    ["200", "东河支行", "000", "支行", ""],
]


def write_csv(
    path: Path,
    header: list[str] | None,
    rows: list[list[str]],
    *,
    encoding: str = "utf-8",
    delimiter: str = ",",
    bom: bool = False,
) -> Path:
    buf = io.StringIO()
    w = csv.writer(buf, delimiter=delimiter, lineterminator="\r\n")
    if header is not None:
        w.writerow(header)
    w.writerows(rows)
    data = buf.getvalue().encode(encoding)
    path.write_bytes((b"\xef\xbb\xbf" if bom else b"") + data)
    return path


def run(source: str, path: Path, **kw) -> runner.ImportRun:
    return runner.run_import(runner.Options(source=source, path=path, **kw))


def read_rejects(path: str | Path) -> tuple[bytes, list[list[str]]]:
    data = Path(path).read_bytes()
    return data, list(csv.reader(io.StringIO(data.decode("utf-8-sig"))))
