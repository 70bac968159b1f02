"""`liuyou daily`: exactly one JSON object with --json, exit codes, messages."""

from __future__ import annotations

import json

import pytest
from django.core.management import call_command

from liuyou.pipeline.models import JobBatch

from .conftest import DAY

pytestmark = pytest.mark.django_db


def daily(capsys, *args: str) -> tuple[int, str, str]:
    try:
        call_command("daily", *args)
        code = 0
    except SystemExit as exc:
        code = int(exc.code or 0)
    out = capsys.readouterr()
    return code, out.out, out.err


def test_json_prints_exactly_one_object_and_logs_to_stderr(imported, capsys):
    code, out, err = daily(capsys, "--json")
    assert code == 0
    assert out.count("\n") == 1
    result = json.loads(out)
    batch = JobBatch.objects.get()
    assert (
        result["data_date"] == "2025-03-31"
        and result["batch"] == batch.pk
        and result["status"] == "completed"
    )
    assert [(s["code"], s["status"], s["rows"]) for s in result["steps"]] == [
        ("first", "completed", 3),
        ("second", "completed", 2),
        ("third", "completed", 1),
    ]
    assert all(isinstance(s["seconds"], float) and isinstance(s["details"], dict) for s in result["steps"])
    assert "开始：第一步（first），数据日期 2025-03-31" in err


def test_text_output_has_one_line_per_step(imported, capsys):
    code, out, _ = daily(capsys, "--data-date", "2025-02-28", "--step", "second")
    assert code == 0
    lines = out.strip().splitlines()
    assert lines[0].startswith(f"日终批处理 批次#{JobBatch.objects.get().pk}，数据日期 2025-02-28：已完成")
    assert len(lines) == 2 and lines[1].startswith("  第二步（second）：已完成，2 行，")


def test_step_may_be_repeated_or_comma_separated(imported, capsys, fake_registry):
    assert daily(capsys, "--step", "third", "--step", "first")[0] == 0
    assert daily(capsys, "--step", "second,third")[0] == 0
    assert [name for name, _ in fake_registry] == ["first", "third", "second", "third"]


def test_a_failed_step_exits_1_with_the_object(imported, capsys, use_steps):
    use_steps("first", "broken", "second")
    code, out, err = daily(capsys, "--json")
    assert code == 1
    result = json.loads(out)
    assert result["status"] == "failed"
    assert [s["status"] for s in result["steps"]] == ["completed", "failed", "skipped"]
    assert result["steps"][1]["message"] == "会失败的步骤运行出错（ValueError）：模拟的步骤错误"
    assert "Traceback" not in out


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--step", "nope"], "未知的批处理步骤：nope"),
        (["--data-date", "2025-13-01"], "数据日期应为 YYYY-MM-DD：2025-13-01"),
        (["--data-date", "yesterday"], "数据日期应为 YYYY-MM-DD：yesterday"),
    ],
)
def test_bad_arguments_exit_2(imported, capsys, args, message):
    code, out, err = daily(capsys, *args, "--json")
    assert code == 2
    assert json.loads(out) == {"status": "refused", "error": json.loads(out)["error"]}
    assert message in json.loads(out)["error"] and message in err
    assert not JobBatch.objects.exists()


def test_no_import_exits_2(db, capsys):
    code, out, err = daily(capsys)
    assert (code, out) == (2, "")
    assert "未运行：尚无已完成的导入，无法确定数据日期" in err


def test_a_running_batch_exits_2(imported, capsys):
    from django.utils import timezone

    from liuyou.pipeline import guard

    JobBatch.objects.create(
        data_date=DAY,
        status="running",
        pid=__import__("os").getpid(),
        host=guard.this_host(),
        heartbeat_at=timezone.now(),
    )
    code, _, err = daily(capsys)
    assert code == 2 and "已有日终批处理正在运行" in err
