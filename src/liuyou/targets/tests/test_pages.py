"""The target-list pages, API and command: build with a live count, save, distribute, follow
a lead, export, funnels; Chinese errors; scope."""

from __future__ import annotations

import json
from io import BytesIO

import pytest
from django.core.management import call_command
from openpyxl import load_workbook

from liuyou.system.models import OperationLog
from liuyou.targets.models import Lead, TargetList

pytestmark = pytest.mark.django_db


def login(client, user):
    client.logout()
    client.force_login(user)
    return client


def test_builder_preview_and_save(client, role_users, book):
    c = login(client, role_users["branch_head"])
    page = c.get("/targets/new/").content.decode()
    assert "存款大户" in page and "保存名单" in page
    preview = c.get(
        "/targets/preview/",
        {"data_date": "2026-06-30", "dimensions": ["high_deposit"], "dimension_match": "any"},
    )
    assert 'class="ly-preview-count">5<' in preview.content.decode()
    empty = c.get("/targets/preview/", {"data_date": "2026-06-30", "dimension_match": "any"}).content.decode()
    assert "请至少选择一个维度或一个标签" in empty
    bad = c.post("/targets/new/", {"data_date": "2026-06-30", "dimension_match": "any", "name": "空"})
    assert bad.status_code == 400 and "请至少选择一个维度或一个标签" in bad.content.decode()
    ok = c.post("/targets/new/", {"data_date": "2026-06-30", "dimension_match": "any", "name": "存款大户春耕",
                                  "dimensions": ["high_deposit"]})  # fmt: skip
    target = TargetList.objects.get(name="存款大户春耕")
    assert ok.status_code == 302 and ok["Location"] == f"/targets/{target.pk}/"
    assert target.members_count == 5


def test_detail_distribute_and_lead_flow(client, role_users, book):
    admin = login(client, role_users["hq_admin"])
    admin.post("/targets/new/", {"data_date": "2026-06-30", "dimension_match": "any", "name": "L",
                                 "dimensions": ["high_deposit"]})  # fmt: skip
    target = TargetList.objects.get(name="L")
    page = admin.get(f"/targets/{target.pk}/").content.decode()
    assert "分配名单" in page and "近3个月日均存款" in page
    admin.post(f"/targets/{target.pk}/distribute", {"mode": "manager"})
    assert Lead.objects.filter(target_list=target).count() == 6
    am = login(client, book.am)
    mine = am.get("/targets/leads/").content.decode()
    lead = Lead.objects.filter(assignee=book.am).first()
    assert f"/targets/leads/{lead.pk}/" in mine
    assert "存款大户：近3个月日均存款" in am.get(f"/targets/leads/{lead.pk}/").content.decode()
    bad = am.post(f"/targets/leads/{lead.pk}/move", {"to": "declined"})
    assert bad.status_code == 400 and "请填写客户拒绝或放弃的原因" in bad.content.decode()
    assert am.post(f"/targets/leads/{lead.pk}/move", {"to": "contacted", "note": "上门"}).status_code == 302
    lead.refresh_from_db()
    assert lead.status == "contacted"
    other = Lead.objects.exclude(assignee=book.am).exclude(assignee=None).first()
    assert am.get(f"/targets/leads/{other.pk}/").status_code == 404
    # the account manager sees only their part of the list
    part = am.get(f"/targets/{target.pk}/")
    assert part.status_code == 404 or '您可见 <strong class="ly-count">3</strong>' in part.content.decode()


def test_export_and_funnel_pages(client, role_users, book):
    admin = login(client, role_users["hq_admin"])
    admin.post("/targets/new/", {"data_date": "2026-06-30", "dimension_match": "any", "name": "E",
                                 "dimensions": ["payroll"]})  # fmt: skip
    target = TargetList.objects.get(name="E")
    response = admin.get(f"/targets/{target.pk}/export.xlsx")
    rows = list(load_workbook(BytesIO(response.content)).active.iter_rows(values_only=True))
    assert rows[0][:4] == ("名单", "数据日期", "客户号", "客户名称")
    assert len(rows) == 4 and rows[1][9] == "未分配"
    assert OperationLog.objects.filter(action="targets.list.export").exists()
    admin.post(f"/targets/{target.pk}/distribute", {"mode": "manager"})
    for by in ("list", "dimension", "product", "branch", "manager"):
        page = admin.get(f"/targets/funnel/?by={by}&list={target.pk}")
        assert page.status_code == 200, by
    assert admin.get("/targets/funnel/?by=nope").status_code == 404


def test_command_exports_a_list(role_users, book, tmp_path):
    from liuyou.targets import services
    from liuyou.targets.selectors import Definition

    definition = Definition(dimensions=["high_deposit"])
    admin = role_users["hq_admin"]
    target = services.save_list(user=admin, name="CLI", definition=definition, data_date=book.D)
    out = tmp_path / "list.xlsx"
    call_command("targets", "export", str(target.pk), "--out", str(out))
    rows = list(load_workbook(out).active.iter_rows(values_only=True))
    assert len(rows) == 1 + 6
    with pytest.raises(SystemExit) as exit_info:
        call_command("targets", "export", "99999", "--out", str(out))
    assert exit_info.value.code == 2


def test_api_create_distribute_and_move(client, role_users, book):
    admin = login(client, role_users["hq_admin"])
    created = admin.post("/api/v1/targets/lists", json.dumps({"name": "API", "dimensions": ["high_deposit"]}),
                         content_type="application/json")  # fmt: skip
    assert created.status_code == 201
    list_id = created.json()["id"]
    bad = admin.post(
        "/api/v1/targets/lists", json.dumps({"name": "X", "dimensions": []}), content_type="application/json"
    )
    assert bad.status_code == 422 and "请至少选择" in bad.json()["detail"]
    dist = admin.post(f"/api/v1/targets/lists/{list_id}/distribute", json.dumps({"mode": "manager"}),
                      content_type="application/json")  # fmt: skip
    assert dist.json() == {"leads": 6, "assigned": 4, "unassigned": 2}
    am = login(client, book.am)
    leads = am.get("/api/v1/targets/leads").json()["items"]
    assert len(leads) == 3
    moved = am.post(f"/api/v1/targets/leads/{leads[0]['id']}/status", json.dumps({"to": "contacted"}),
                    content_type="application/json")  # fmt: skip
    assert moved.json()["status"] == "contacted"
    wrong = am.post(f"/api/v1/targets/leads/{leads[0]['id']}/status", json.dumps({"to": "disbursed"}),
                    content_type="application/json")  # fmt: skip
    assert wrong.status_code == 422 and "不能改为" in wrong.json()["detail"]


def test_workbench_lists_open_leads_with_reasons(client, role_users, book):
    from liuyou.targets import services
    from liuyou.targets.selectors import Definition

    empty = login(client, book.am).get("/").content.decode()
    assert "待跟进的线索" in empty and "暂无待跟进的线索" in empty
    admin = role_users["hq_admin"]
    target = services.save_list(
        user=admin, name="工作台", definition=Definition(dimensions=["payroll"]), data_date=book.D
    )
    services.distribute(user=admin, target_list=target, mode="manager")
    page = login(client, book.am).get("/").content.decode()
    panel = page.split('data-panel="open_leads"')[1]
    assert panel.count('class="list-group-item') == 3
    assert "代发工资：近3个月中3个月有代发工资入账" in panel
    assert 'href="/targets/leads/">3</a>' in page  # the card counts the same leads
    # a role without lead:work has no panel
    assert (
        'data-panel="open_leads"' not in login(client, role_users["risk_officer"]).get("/").content.decode()
    )
