"""The import pages: upload (run in the request here; test_pages_subprocess covers the real
background process), run detail and its progress fragment, reject download, history with
filters, paging, export and scope."""

from __future__ import annotations

import os
from datetime import date, timedelta
from io import BytesIO
from pathlib import Path

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone
from openpyxl import load_workbook

from liuyou.customers.models import Village
from liuyou.ingest import guard, jobs, loaders
from liuyou.ingest.models import ImportRun, RunStatus
from liuyou.system.models import OperationLog, Permission, Role

from .helpers import read_rejects, run, write_csv

pytestmark = pytest.mark.django_db
VILLAGE_HEADER = ["村编码", "村名称", "乡镇", "户数", "人口", "经度", "纬度", "所属机构号"]
VILLAGES = [
    ["410521100001", "东关村", "城关镇", "1203", "4100", "114.35", "36.1", "1G1"],
    ["410521100002", "西关社区", "城关镇", "800", "2600", "", "", "101"],
    ["410521100003", "无主村", "城关镇", "10", "30", "", "", "NOPE"],
]


@pytest.fixture
def var(settings, tmp_path):
    settings.VAR_DIR = tmp_path / "var"
    settings.LIUYOU_IMPORT_BACKGROUND = False
    return settings.VAR_DIR


@pytest.fixture
def admin(bank, role_users, client, var):
    client.force_login(role_users["hq_admin"])
    return role_users["hq_admin"]


@pytest.fixture
def no_core_loader(monkeypatch):
    """core_customer as a source whose loader is not in place (whatever the tree has today)."""
    real = loaders.ready
    monkeypatch.setattr(loaders, "ready", lambda: real() - {"core_customer"})


def village_bytes(tmp_path: Path, rows=VILLAGES) -> bytes:
    return write_csv(tmp_path / "v.csv", VILLAGE_HEADER, rows).read_bytes()


def upload(client, name: str, content: bytes, **extra):
    data = {"source": "village", "file": SimpleUploadedFile(name, content), **extra}
    return client.post("/imports/", data)


def page(response) -> str:
    return response.content.decode()


def test_upload_page_lists_sources_in_chinese(client, admin, no_core_loader):
    response = client.get("/imports/")
    assert response.status_code == 200
    text = page(response)
    assert "行政村/社区（village）" in text and "核心系统客户（core_customer）：仅可校验" in text
    assert 'enctype="multipart/form-data"' in text and "ingest/upload.js" in text


def test_upload_runs_the_import_and_shows_the_result(client, admin, tmp_path, var):
    response = upload(client, "village_20250301.csv", village_bytes(tmp_path))
    run_ = ImportRun.objects.get()
    assert response.status_code == 302 and response["Location"] == f"/imports/runs/{run_.pk}/"
    assert (run_.status, run_.channel, run_.user, run_.source) == ("completed", "upload", admin, "village")
    assert (run_.read, run_.inserted, run_.rejected, run_.data_date) == (3, 2, 1, date(2025, 3, 1))
    stored = var / "imports" / "uploads" / str(run_.pk) / "village_20250301.csv"
    assert stored.read_bytes() == village_bytes(tmp_path)
    assert (
        Path(run_.reject_file) == (var / "imports" / str(run_.pk) / "village_20250301.rejects.csv").resolve()
    )
    assert sorted(Village.objects.values_list("code", flat=True)) == ["410521100001", "410521100002"]
    assert OperationLog.objects.filter(action="ingest.upload", object_id=str(run_.pk)).count() == 1

    detail = client.get(response["Location"])
    text = page(detail)
    assert detail.status_code == 200
    assert "已完成" in text and 'data-count="inserted">2<' in text and 'data-count="rejected">1<' in text
    assert run_.file_hash in text and "下载拒绝文件（1 行，CSV）" in text
    assert "every 2s" not in text  # finished: no more polling

    rejects = client.get(f"/imports/runs/{run_.pk}/rejects.csv")
    assert rejects.status_code == 200
    assert rejects["Content-Disposition"].startswith("attachment;")
    assert "village_20250301.rejects.csv" in rejects["Content-Disposition"]
    body = b"".join(rejects.streaming_content)
    data, lines = read_rejects(run_.reject_file)
    assert body == data and body.startswith(b"\xef\xbb\xbf")
    assert lines[1][:3] == ["410521100003", "无主村", "城关镇"] and lines[1][-3] == "4"
    assert OperationLog.objects.filter(action="ingest.rejects_download").count() == 1


def test_data_date_and_mapping_and_validate_only(client, admin, tmp_path, var):
    # A header-less, pipe-delimited file described by a mapping; the date comes from the form.
    body = "\r\n".join("|".join(r) for r in VILLAGES[:2]).encode()
    mapping = "delimiter: '|'\nheader: false\ncolumns: [" + ", ".join(VILLAGE_HEADER) + "]\n"
    response = upload(
        client,
        "villages.txt",
        body,
        data_date="2025-04-01",
        mapping=SimpleUploadedFile("map.yaml", mapping.encode()),
    )
    run_ = ImportRun.objects.get()
    assert response.status_code == 302
    assert (run_.status, run_.inserted, run_.data_date) == ("completed", 2, date(2025, 4, 1))
    assert (var / "imports" / "uploads" / str(run_.pk) / "mapping" / "map.yaml").is_file()

    response = client.post(
        "/imports/",
        {
            "source": "core_customer",
            "file": SimpleUploadedFile(
                "core_customer_20250301.csv", "客户号,客户名称,客户类型\r\nC1,张三,个人\r\n".encode()
            ),
            "validate_only": "on",
        },
    )
    checked = ImportRun.objects.exclude(pk=run_.pk).get()
    assert response.status_code == 302 and checked.status == RunStatus.VALIDATED, checked.message
    assert (checked.read, checked.rejected) == (1, 1)  # neither ID nor credit code
    detail = page(client.get(f"/imports/runs/{checked.pk}/"))
    assert "仅校验" in detail and "校验通过" in detail


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"source": "village"}, "请选择要上传的数据文件"),
        ({"source": "village", "file": ("village_20250301.pdf", b"%PDF")}, "不支持的文件类型"),
        ({"source": "nope", "file": ("nope_20250301.csv", b"a,b\r\n")}, "未知的数据源：nope"),
        ({"source": "village", "file": ("village_20250301.xlsx", b"not a zip")}, "不是有效的 Excel"),
        ({"source": "village", "file": ("village_20250301.csv", b"")}, "上传的文件是空的"),
        ({"source": "core_customer", "file": ("core_customer_20250301.csv", b"a\r\n")}, "只能勾选“仅校验”"),
        (
            {
                "source": "village",
                "file": ("village_20250301.csv", b"a\r\n"),
                "mapping": ("map.yaml", b"delimiter: ';'\n"),
            },
            "分隔符只能是",
        ),
        (
            {"source": "village", "file": ("v.csv", b"a\r\n"), "data_date": "2025-13-01"},
            "数据日期应为 YYYY-MM-DD",
        ),
    ],
)
def test_bad_input_gives_a_chinese_message_and_stores_nothing(
    client, admin, var, no_core_loader, data, message
):
    post = {k: SimpleUploadedFile(*v) if isinstance(v, tuple) else v for k, v in data.items()}
    response = client.post("/imports/", post)
    assert response.status_code == 400
    assert message in page(response)
    assert ImportRun.objects.count() == 0
    assert not (var / "imports").exists()


def test_a_file_over_the_limit_is_refused(client, admin, settings, tmp_path, var):
    settings.LIUYOU_IMPORT_MAX_UPLOAD_MB = 0
    response = upload(client, "village_20250301.csv", village_bytes(tmp_path))
    assert response.status_code == 400
    assert "文件过大" in page(response) and "上限为 0.0 MB" in page(response)
    assert ImportRun.objects.count() == 0 and not (var / "imports").exists()


def test_a_refused_file_shows_its_reason(client, admin, var):
    # No data date in the name and none given: the run is recorded as refused, with the reason.
    response = upload(client, "villages.csv", "村编码,村名称\r\n".encode())
    run_ = ImportRun.objects.get()
    assert response.status_code == 302 and run_.status == RunStatus.REFUSED
    text = page(client.get(f"/imports/runs/{run_.pk}/"))
    assert "拒绝导入" in text and "无法确定数据日期" in text
    assert client.get(f"/imports/runs/{run_.pk}/rejects.csv").status_code == 404


def test_progress_fragment_polls_while_running(client, admin, var):
    running = guard.claim(
        source="village", file_name="village_20250301.csv", pid=os.getpid(), host=guard.this_host()
    )
    jobs.write_progress(running.pk, stage="loading", read=3000, rejected=7)
    full = page(client.get(f"/imports/runs/{running.pk}/"))
    assert 'hx-trigger="every 2s"' in full and "运行中" in full
    fragment = client.get(f"/imports/runs/{running.pk}/", HTTP_HX_REQUEST="true")
    text = page(fragment)
    assert text.lstrip().startswith('<section id="import-run"')
    assert (
        "正在校验并写入" in text
        and '<strong class="ly-progress-read">3000</strong>' in text
        and "7 行" in text
    )
    assert "<html" not in text

    ImportRun.objects.filter(pk=running.pk).update(
        status=RunStatus.COMPLETED, read=3000, inserted=2993, rejected=7
    )
    done = page(client.get(f"/imports/runs/{running.pk}/", HTTP_HX_REQUEST="true"))
    assert "every 2s" not in done and 'data-count="inserted">2993<' in done


def test_history_lists_filters_pages_and_exports(client, admin, tmp_path, var):
    upload(client, "village_20250301.csv", village_bytes(tmp_path))
    cli = run("village", write_csv(tmp_path / "village_20250302.csv", VILLAGE_HEADER, VILLAGES[:2]))
    ImportRun.objects.bulk_create(
        ImportRun(source="staff", file_name=f"staff_{i}.csv", status=RunStatus.REFUSED) for i in range(30)
    )
    old = ImportRun.objects.create(source="org", file_name="org_20240101.csv", status=RunStatus.COMPLETED)
    ImportRun.objects.filter(pk=old.pk).update(started_at=timezone.now() - timedelta(days=40))

    response = client.get("/imports/runs/")
    assert response.status_code == 200 and response.context["count"] == 33
    assert len(response.context["table"].page.object_list) == 30
    assert len(client.get("/imports/runs/", {"page": 2}).context["table"].page.object_list) == 3
    text = page(client.get("/imports/runs/", {"source": "village"}))
    assert "village_20250301.csv" in text and "village_20250302.csv" in text and "staff_1.csv" not in text
    assert "页面上传" in text and "命令行" in text and cli.file_hash[:12] in text
    # A CLI run's reject file lies beside its input; it is served like an upload's.
    assert f"/imports/runs/{cli.pk}/rejects.csv" in text
    assert client.get("/imports/runs/", {"status": "refused"}).context["count"] == 30
    day = timezone.localdate()
    assert (
        client.get(
            "/imports/runs/", {"date_from": day - timedelta(days=41), "date_to": day - timedelta(days=39)}
        ).context["count"]
        == 1
    )
    invalid = client.get("/imports/runs/", {"date_from": "2025-03-02", "date_to": "2025-03-01"})
    assert invalid.context["count"] == 0 and "结束日期不能早于开始日期" in page(invalid)
    assert client.get("/imports/runs/", {"status": "bogus"}).context["count"] == 0

    export = client.get("/imports/runs/export.xlsx", {"source": "village"})
    assert export.status_code == 200 and "attachment" in export["Content-Disposition"]
    rows = list(load_workbook(BytesIO(export.content)).active.iter_rows(values_only=True))
    assert rows[0][:4] == ("编号", "开始时间", "结束时间", "数据源")
    assert sorted(r[5] for r in rows[1:]) == ["village_20250301.csv", "village_20250302.csv"]
    assert {r[9] for r in rows[1:]} == {"页面上传", "命令行"} and rows[1][6] in {
        cli.file_hash,
        ImportRun.objects.get(channel="upload").file_hash,
    }
    assert OperationLog.objects.filter(action="ingest.runs_export").count() == 1


def test_only_import_roles_reach_the_pages(client, bank, role_users, var):
    for code in ("branch_head", "risk_officer", "system_admin", "auditor"):
        client.force_login(role_users[code])
        assert client.get("/imports/").status_code == 403
        assert client.get("/imports/runs/").status_code == 403
    client.logout()
    assert client.get("/imports/runs/").status_code == 302


def test_a_narrow_import_viewer_sees_only_their_own_runs(client, bank, make_user, role_users, var):
    role = Role.objects.create(code="import_clerk", name="导入员", data_scope="self")
    role.permissions.set(Permission.objects.filter(code__in=["import:view", "import:run"]))
    clerk = make_user("8101", "import_clerk", org=bank.b1)
    mine = ImportRun.objects.create(
        source="org", file_name="mine.csv", user=clerk, status=RunStatus.COMPLETED
    )
    theirs = ImportRun.objects.create(
        source="org", file_name="theirs.csv", user=role_users["hq_admin"], status=RunStatus.COMPLETED
    )
    cli = ImportRun.objects.create(source="org", file_name="cli.csv", status=RunStatus.COMPLETED)
    client.force_login(clerk)
    response = client.get("/imports/runs/")
    assert [r.pk for r in response.context["table"].data] == [mine.pk]
    assert client.get(f"/imports/runs/{mine.pk}/").status_code == 200
    for other in (theirs, cli):
        assert client.get(f"/imports/runs/{other.pk}/").status_code == 404
        assert client.get(f"/imports/runs/{other.pk}/rejects.csv").status_code == 404
    assert client.get("/imports/runs/999999/").status_code == 404


def test_reject_download_masks_numbers_without_pii_view(client, bank, role_users, tmp_path, var):
    """hq_admin (import:view, no pii:view) gets the rejected rows with phone numbers masked;
    a role with pii:view gets them as sent. The CLI's file beside the input is untouched."""
    from liuyou.system.models import Role

    header = ["客户号", "客户名称", "客户类型", "证件类型", "证件号码", "手机号码", "开户机构号"]
    rows = [["C1", "张三", "个人", "居民身份证", "410521199001011235", "13812345678", "NOPE"]]  # unknown org
    r = run("core_customer", write_csv(tmp_path / "core_customer_20250301.csv", header, rows))
    assert r.rejected == 1

    client.force_login(role_users["hq_admin"])
    answer = client.get(f"/imports/runs/{r.pk}/rejects.csv")
    assert answer.status_code == 200, answer.get("Location")
    text = b"".join(answer.streaming_content).decode("utf-8-sig")
    assert answer.status_code == 200 and "13812345678" not in text and "138****5678" in text
    assert "410521199001011235" not in text and "4105**********1235" in text
    assert "开户机构号 NOPE 不存在" in text  # the reason stays readable
    entry = OperationLog.objects.filter(action="ingest.rejects_download").latest("seq")
    assert entry.after["masked"] is True

    # A viewer who may see full numbers downloads the file as written.
    role = Role.objects.get(code="hq_admin")
    role.permissions.add(Permission.objects.get(code="pii:view"))
    client.force_login(role_users["hq_admin"])
    answer = client.get(f"/imports/runs/{r.pk}/rejects.csv")
    assert answer.status_code == 200, answer.get("Location")
    assert "13812345678" in b"".join(answer.streaming_content).decode("utf-8-sig")
    assert "13812345678" in (tmp_path / "core_customer_20250301.rejects.csv").read_text(encoding="utf-8-sig")


def test_masking_catches_renamed_columns(tmp_path):
    """A mapping file may have renamed the columns: cells that read like IDs or mobiles are
    masked wherever they are; other cells and the reason columns are not."""
    import csv

    from liuyou.ingest.reject_masking import masked_lines

    path = tmp_path / "core_customer_20250301.rejects.csv"
    with path.open("w", encoding="utf-8-sig", newline="") as f:
        w = csv.writer(f)
        w.writerow(["CUST_ID", "IDNO", "TEL", "NOTE", "行号", "列名", "原因"])
        w.writerow(["C1", "410521199001011234", "13900001111", "12345", "2", "证件号码", "校验位错误"])
    text = b"".join(masked_lines(path, "core_customer")).decode("utf-8-sig")
    assert "410521199001011234" not in text and "4105**********1234" in text
    assert "13900001111" not in text and "139****1111" in text
    assert ",12345," in text and "校验位错误" in text


def test_history_badge_follows_the_status_code(client, role_users):
    from liuyou.ingest.models import ImportRun

    ImportRun.objects.create(source="org", file_name="org_ok.csv", status="completed")
    ImportRun.objects.create(source="org", file_name="org_bad.csv", status="failed")
    client.force_login(role_users["hq_admin"])
    page = client.get("/imports/runs/").content.decode()
    assert "text-bg-success" in page and "text-bg-danger" in page
