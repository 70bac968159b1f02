"""`liuyou import`: JSON output, exit codes, refusals, reject files, run history."""

from __future__ import annotations

import json

import pytest
from django.core.management import call_command
from openpyxl import Workbook

from liuyou.ingest.models import ImportRun, RunStatus
from liuyou.system.models import User

from .helpers import BANK_ORGS, ORG_HEADER, STAFF_HEADER, read_rejects, write_csv

pytestmark = pytest.mark.django_db

GOOD = ["0001", "张三", "101", "客户经理", "13812345678", "zs", "在职", "2020-01-01"]


def call(capsys, *args):
    call_command("import", *map(str, args))
    return capsys.readouterr()


def refused(capsys, *args) -> str:
    with pytest.raises(SystemExit) as exc:
        call_command("import", *map(str, args))
    assert exc.value.code == 2
    out = capsys.readouterr()
    assert out.out == ""
    return out.err


def test_json_prints_exactly_one_object(tmp_path, bank, capsys):
    rows = [
        GOOD,
        ["0002", "李四", "101", "", "12345", "", "在职", ""],
        ["0003", "", "101", "", "", "", "在职", ""],
    ]
    path = write_csv(tmp_path / "staff_20250301.csv", [*STAFF_HEADER, "备注"], [[*r, "x"] for r in rows])
    out = call(capsys, "staff", path, "--json")
    assert out.out.count("\n") == 1
    result = json.loads(out.out)
    assert {k: result[k] for k in ("read", "inserted", "updated", "unchanged", "rejected")} == {
        "read": 3,
        "inserted": 1,
        "updated": 0,
        "unchanged": 0,
        "rejected": 2,
    }
    assert result["reject_file"] == str((tmp_path / "staff_20250301.rejects.csv").resolve())
    assert "未识别的列（未导入）：备注" in out.err
    run = ImportRun.objects.get()
    assert run.status == RunStatus.COMPLETED and run.data_date.isoformat() == "2025-03-01"
    assert len(run.file_hash) == 64 and run.channel == "cli" and run.user is None
    assert run.duration_ms is not None and run.reject_file == result["reject_file"]


def test_reject_file_format(tmp_path, bank, capsys):
    header = [" 工号", "姓名", "机构号", "状态", "手机号码", "入职日期"]
    rows = [
        ["0001", "张三", "101", "在职", "13812345678", ""],
        ["", "李四", "101", "休假", "123", "2025-02-30"],
    ]
    path = write_csv(tmp_path / "staff_20250301.csv", header, rows)
    result = json.loads(call(capsys, "staff", path, "--json").out)
    data, lines = read_rejects(result["reject_file"])
    assert data.startswith(b"\xef\xbb\xbf")
    assert lines[0] == ["工号", "姓名", "机构号", "状态", "手机号码", "入职日期", "行号", "列名", "原因"]
    assert lines[1][:6] == rows[1]
    assert lines[1][6:] == [
        "3",
        "工号；手机号码；状态；入职日期",
        "工号：必填项为空；手机号码：电话号码格式错误（手机号11位，固话如 0371-12345678）；"
        "状态：取值应为 在职、离职；入职日期：日期不存在",
    ]
    assert len(lines) == 2


def test_a_run_without_rejects_leaves_a_header_only_reject_file(tmp_path, bank, capsys):
    path = write_csv(tmp_path / "org_20250301.csv", ORG_HEADER, BANK_ORGS)
    result = json.loads(call(capsys, "org", path, "--json").out)
    assert result["rejected"] == 0 and result["unchanged"] == 4
    _, lines = read_rejects(result["reject_file"])
    assert lines == [[*ORG_HEADER, "行号", "列名", "原因"]]


def test_duplicate_keys_are_rejected(tmp_path, bank, capsys):
    path = write_csv(tmp_path / "staff_20250301.csv", STAFF_HEADER, [GOOD, [*GOOD[:1], "张三重", *GOOD[2:]]])
    result = json.loads(call(capsys, "staff", path, "--json").out)
    assert (result["inserted"], result["rejected"]) == (1, 1)
    _, lines = read_rejects(result["reject_file"])
    assert lines[1][-1] == "工号：与第 2 行主键重复"


def test_control_file_match_and_mismatch(tmp_path, bank, capsys):
    path = write_csv(tmp_path / "staff_20250301.csv", STAFF_HEADER, [GOOD])
    control = tmp_path / "staff_20250301.csv.ok"
    control.write_text("rows=2\n", encoding="utf-8")
    err = refused(capsys, "staff", path, "--json")
    assert "控制文件 staff_20250301.csv.ok 记录数为 2，数据文件实际为 1 行，整个文件拒绝导入" in err
    assert not User.objects.filter(staff_no="0001").exists()
    assert ImportRun.objects.get().status == RunStatus.REFUSED
    assert not (tmp_path / "staff_20250301.rejects.csv").exists()
    control.write_text("1", encoding="utf-8")
    assert json.loads(call(capsys, "staff", path, "--json").out)["inserted"] == 1


def test_refusals_exit_non_zero_with_a_chinese_message(tmp_path, bank, capsys, monkeypatch):
    path = write_csv(tmp_path / "staff_20250301.csv", STAFF_HEADER, [GOOD])
    assert "未知的数据源：nosuch" in refused(capsys, "nosuch", path)
    assert "文件不存在" in refused(capsys, "staff", tmp_path / "staff_20250309.csv")
    # A declared source whose loader is not installed is refused, never pretended loaded.
    from liuyou.ingest import loaders

    monkeypatch.delitem(loaders.LOADERS, "core_customer")
    assert "该数据源的入库程序尚未上线" in refused(capsys, "core_customer", path)
    nodate = write_csv(tmp_path / "staff.csv", STAFF_HEADER, [GOOD])
    assert "无法确定数据日期" in refused(capsys, "staff", nodate)
    missing = write_csv(tmp_path / "staff_20250303.csv", ["工号", "姓名"], [["1", "2"]])
    assert "缺少必需列：机构号、状态" in refused(capsys, "staff", missing)
    bad_map = tmp_path / "map.yaml"
    bad_map.write_text("delimiter: ';'\n", encoding="utf-8")
    assert "分隔符" in refused(capsys, "staff", path, "--mapping", bad_map)
    assert not User.objects.filter(staff_no="0001").exists()
    assert set(ImportRun.objects.values_list("status", flat=True)) == {RunStatus.REFUSED}


def test_data_date_option_wins_over_the_file_name(tmp_path, bank, capsys):
    path = write_csv(tmp_path / "export.csv", STAFF_HEADER, [GOOD])
    call(capsys, "staff", path, "--data-date", "2025-04-30", "--json")
    assert ImportRun.objects.get().data_date.isoformat() == "2025-04-30"


def test_validate_only_checks_and_loads_nothing(tmp_path, capsys, db):
    header = ["村编码", "村名称", "户数", "经度", "纬度"]
    rows = [["410521100001", "东村", "1,203", "114.35", "36.1"], ["410521100002", "", "多", "", ""]]
    path = write_csv(tmp_path / "village_20250301.csv", header, rows)
    result = json.loads(call(capsys, "village", path, "--validate-only", "--json").out)
    assert result == {
        "read": 2,
        "valid": 1,
        "validate_only": True,
        "rejected": 1,
        "reject_file": str((tmp_path / "village_20250301.rejects.csv").resolve()),
        "closed": 0,
        "run_id": ImportRun.objects.get().pk,
    }
    assert ImportRun.objects.get().status == RunStatus.VALIDATED


def test_headerless_gbk_pipe_file_with_mapping(tmp_path, bank, capsys):
    path = write_csv(tmp_path / "staff_20250301.txt", None, [GOOD], encoding="gbk", delimiter="|")
    mapping = tmp_path / "map.yaml"
    mapping.write_text(
        "delimiter: '|'\nheader: false\ncolumns: [" + ", ".join(STAFF_HEADER) + "]\n", encoding="utf-8"
    )
    result = json.loads(call(capsys, "staff", path, "--mapping", mapping, "--json").out)
    assert result["inserted"] == 1 and User.objects.get(staff_no="0001").name == "张三"
    _, lines = read_rejects(result["reject_file"])
    assert lines == [[*STAFF_HEADER, "行号", "列名", "原因"]]


def test_xlsx_import(tmp_path, bank, capsys):
    wb = Workbook()
    ws = wb.active
    ws.append(STAFF_HEADER)
    ws.append(["0001", "张三", "101", "客户经理", 13812345678, "zs", "在职", 43831])
    ws.append(["0002", "李四", "101", "", "1.38123E+10", "", "在职", None])  # a CSV round trip
    path = tmp_path / "staff_20250301.xlsx"
    wb.save(path)
    result = json.loads(call(capsys, "staff", path, "--json").out)
    assert (result["inserted"], result["rejected"]) == (1, 1)
    assert User.objects.get(staff_no="0001").phone == "13812345678"


def test_human_summary_without_json(tmp_path, bank, capsys):
    path = write_csv(tmp_path / "staff_20250301.csv", STAFF_HEADER, [GOOD])
    out = call(capsys, "staff", path)
    assert "读取 1 行，新增 1，更新 0，未变化 0，拒绝 0" in out.out


def test_an_upload_writes_its_reject_file_under_var_imports(tmp_path, bank, settings):
    from .helpers import run

    settings.VAR_DIR = tmp_path / "var"
    path = write_csv(
        tmp_path / "staff_20250301.csv", STAFF_HEADER, [GOOD, ["", "x", "101", "", "", "", "在职", ""]]
    )
    result = run("staff", path, channel="upload")
    assert result.reject_file == str(
        tmp_path / "var" / "imports" / str(result.pk) / "staff_20250301.rejects.csv"
    )
    assert result.rejected == 1 and result.channel == "upload"
