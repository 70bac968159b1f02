"""Pipeline endpoints under /api/v1/jobs: the job runs (same filters and data scope as the
jobs page), one batch, and starting a batch (job:run), which runs in the background like the
page's: the answer is the batch as claimed (202, status running); poll
GET /api/v1/jobs/batches/{id} for its steps."""

import datetime
from typing import Any, Literal

from django.http import HttpRequest
from ninja import Query, Router, Schema, Status
from ninja.errors import HttpError
from ninja.pagination import paginate
from pydantic import Field

from liuyou.core.api_auth import api_requires
from liuyou.pipeline import guard, selectors, services
from liuyou.pipeline.filters import JobRunFilter
from liuyou.pipeline.models import JobRun, JobStatus
from liuyou.system.api import Paged

router = Router(tags=["批处理"])


class JobRunOut(Schema):
    id: int = Field(description="作业编号")
    batch: int = Field(description="批次号")
    step: str = Field(description="步骤代码")
    step_label: str = Field(description="步骤名称")
    data_date: datetime.date = Field(description="数据日期")
    status: str = Field(description="状态：running 运行中 / completed 已完成 / failed 失败 / skipped 已跳过")
    started_at: datetime.datetime
    finished_at: datetime.datetime | None
    seconds: float | None = Field(description="耗时（秒）")
    rows: int = Field(description="写入行数")
    details: dict[str, Any] = Field(description="步骤自己的计数")
    message: str = Field(description="失败原因或跳过原因")
    triggered_by: str = Field(description="操作人工号；命令行为空")
    channel: str = Field(description="方式：cli 命令行 / web 页面 / api 接口 / demo 演示")

    @staticmethod
    def resolve_batch(obj: JobRun) -> int:
        return obj.batch_id

    @staticmethod
    def resolve_step_label(obj: JobRun) -> str:
        from liuyou.pipeline.steps import label_of

        return label_of(obj.step)

    @staticmethod
    def resolve_seconds(obj: JobRun) -> float | None:
        return obj.duration

    @staticmethod
    def resolve_triggered_by(obj: JobRun) -> str:
        return obj.triggered_by.staff_no if obj.triggered_by else ""


class StepOut(Schema):
    id: int
    code: str
    label: str
    status: str
    rows: int
    seconds: float | None
    details: dict[str, Any]
    message: str


class BatchOut(Schema):
    batch: int = Field(description="批次号")
    data_date: str = Field(description="数据日期")
    status: str = Field(description="running 运行中 / completed 已完成 / failed 失败")
    channel: str
    started_at: str | None
    finished_at: str | None
    seconds: float | None
    message: str
    steps: list[StepOut] = Field(description="已运行（或跳过）的步骤，按运行顺序")


class RunQuery(Schema):
    step: str = Field("", max_length=32, description="步骤代码")
    status: Literal["", "running", "completed", "failed", "skipped"] = Field("", description="状态")
    date_from: datetime.date | None = Field(None, description="数据日期从")
    date_to: datetime.date | None = Field(None, description="数据日期至")
    batch: int | None = Field(None, ge=1, description="批次号")


class DailyIn(Schema):
    data_date: datetime.date | None = Field(None, description="数据日期；默认为已完成导入的最新数据日期")
    steps: list[str] = Field(default_factory=list, max_length=20, description="只运行这些步骤；默认全部")


@router.get("/runs", response=list[JobRunOut], summary="批处理作业列表（按开始时间倒序）")
@paginate(Paged)
@api_requires("job:view")
def list_runs(request: HttpRequest, filters: Query[RunQuery]):  # type: ignore[no-untyped-def]
    data = {k: (v.isoformat() if isinstance(v, datetime.date) else v) for k, v in filters.dict().items() if v}
    filterset = JobRunFilter(data or None, queryset=selectors.run_list(user=request.user))
    if filterset.is_bound and not filterset.is_valid():
        raise HttpError(
            422, "查询参数无效：" + "；".join(f"{k}：{'、'.join(v)}" for k, v in filterset.errors.items())
        )
    runs = filterset.qs if filterset.is_bound else filterset.queryset
    return runs.order_by("-started_at", "-id")


@router.get("/batches/{batch_id}", response=BatchOut, summary="一个批次及其各步骤")
@api_requires("job:view")
def get_batch(request: HttpRequest, batch_id: int) -> Any:
    return selectors.batch_summary(batch=selectors.batch_get(user=request.user, batch_id=batch_id))


@router.post(
    "/daily",
    response={200: BatchOut, 202: BatchOut},
    summary="运行日终批处理（需 job:run；后台运行，返回 202 与批次，之后查询批次获取结果）",
)
@api_requires("job:run")
def start_daily(request: HttpRequest, payload: DailyIn) -> Any:
    try:
        batch = services.start_batch(
            user=request.user, data_date=payload.data_date, steps=payload.steps or None, channel="api"
        )
    except guard.Busy as exc:
        raise HttpError(409, str(exc)) from None
    except services.PipelineError as exc:
        raise HttpError(422, str(exc)) from None
    code = 202 if batch.status == JobStatus.RUNNING else 200
    return Status(code, selectors.batch_summary(batch=batch))
