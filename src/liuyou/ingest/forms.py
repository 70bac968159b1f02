"""The upload form: which source, which file, and the CLI's options. Everything an operator
can get wrong is answered here in Chinese, before a run is created or a byte is stored."""

from __future__ import annotations

from pathlib import PurePath
from typing import Any

import yaml
from django import forms
from django.conf import settings
from django.core.files.uploadedfile import UploadedFile

from liuyou.ingest import loaders
from liuyou.ingest import mapping as mapping_mod
from liuyou.ingest.sources import SOURCES

EXTENSIONS = (".csv", ".txt", ".xlsx")
DEFAULT_MAX_UPLOAD_MB = 512
MAPPING_MAX_BYTES = 256 * 1024
ZIP_MAGIC = b"PK\x03\x04"


def max_upload_bytes() -> int:
    return int(getattr(settings, "LIUYOU_IMPORT_MAX_UPLOAD_MB", DEFAULT_MAX_UPLOAD_MB)) * 1024 * 1024


def loadable(source: str) -> bool:
    # Asked of the registry without importing the loaders (they import their models).
    return source in loaders.ready()


def source_choices() -> list[tuple[str, str]]:
    ready = loaders.ready()
    return [
        (name, f"{s.label}（{name}）" + ("" if name in ready else "：仅可校验"))
        for name, s in SOURCES.items()
    ]


def _safe_name(upload: UploadedFile) -> str:
    # Kept as the operator named it (the data date is read from it), but only the last
    # component and never a hidden or empty name.
    name = PurePath((upload.name or "").replace("\\", "/")).name.strip()
    if not name or name.startswith(".") or len(name.encode("utf-8")) > 200:
        raise forms.ValidationError("文件名无效：请使用“数据源_YYYYMMDD.csv”这样的文件名")
    return name


class UploadForm(forms.Form):
    source = forms.ChoiceField(
        label="数据源",
        choices=source_choices,
        error_messages={"required": "请选择数据源", "invalid_choice": "未知的数据源：%(value)s"},
    )
    file = forms.FileField(
        label="数据文件",
        help_text="CSV、TXT 或 XLSX；文件名如 staff_20250301.csv，数据日期取自文件名",
        error_messages={"required": "请选择要上传的数据文件", "empty": "上传的文件是空的"},
        widget=forms.ClearableFileInput(attrs={"accept": ",".join(EXTENSIONS)}),
    )
    data_date = forms.DateField(
        label="数据日期",
        required=False,
        help_text="可选；填写后优先于文件名中的日期",
        input_formats=["%Y-%m-%d", "%Y/%m/%d", "%Y%m%d"],
        error_messages={"invalid": "数据日期应为 YYYY-MM-DD"},
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
    )
    mapping = forms.FileField(
        label="映射文件（YAML）",
        required=False,
        help_text="可选；银行导出格式与标准格式不同时使用（表头映射、分隔符、编码、无表头列顺序）",
        widget=forms.ClearableFileInput(attrs={"accept": ".yaml,.yml"}),
    )
    validate_only = forms.BooleanField(label="仅校验（不入库，只生成拒绝文件）", required=False)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        for name, field in self.fields.items():
            css = {
                "source": "form-select",
                "validate_only": "form-check-input",
            }.get(name, "form-control")
            field.widget.attrs.setdefault("class", css)
        self.parsed_mapping: mapping_mod.Mapping | None = None

    def clean_file(self) -> UploadedFile:
        upload: UploadedFile = self.cleaned_data["file"]
        name = _safe_name(upload)
        if PurePath(name).suffix.lower() not in EXTENSIONS:
            raise forms.ValidationError(f"不支持的文件类型：{name}（只接受 .csv、.txt、.xlsx）")
        limit = max_upload_bytes()
        if (upload.size or 0) > limit:
            raise forms.ValidationError(
                f"文件过大：{_mb(upload.size or 0)}，上限为 {_mb(limit)}；"
                "请分拆文件或用命令行 liuyou import 导入"
            )
        head = upload.read(4)
        upload.seek(0)
        if name.lower().endswith(".xlsx") and head != ZIP_MAGIC:
            raise forms.ValidationError(f"{name} 不是有效的 Excel（.xlsx）文件")
        upload.name = name
        return upload

    def clean_mapping(self) -> UploadedFile | None:
        upload: UploadedFile | None = self.cleaned_data.get("mapping")
        if not upload:
            return None
        name = _safe_name(upload)
        if PurePath(name).suffix.lower() not in (".yaml", ".yml"):
            raise forms.ValidationError(f"映射文件应为 .yaml 或 .yml：{name}")
        if (upload.size or 0) > MAPPING_MAX_BYTES:
            raise forms.ValidationError("映射文件过大（上限 256 KB）")
        try:
            data = yaml.safe_load(upload.read().decode("utf-8-sig")) or {}
        except (yaml.YAMLError, UnicodeDecodeError) as exc:
            raise forms.ValidationError(f"映射文件格式错误：{exc}") from None
        finally:
            upload.seek(0)
        if not isinstance(data, dict):
            raise forms.ValidationError("映射文件格式错误：应为键值结构（YAML mapping）")
        try:
            self.parsed_mapping = mapping_mod.parse(data)
        except mapping_mod.MappingError as exc:
            raise forms.ValidationError(str(exc)) from None
        upload.name = name
        return upload

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        source = data.get("source")
        if source and not loadable(source) and not data.get("validate_only"):
            self.add_error(
                "validate_only",
                f"{SOURCES[source].label}的入库程序尚未上线，只能勾选“仅校验”检查文件",
            )
        return data


def _mb(size: int) -> str:
    return f"{size / 1024 / 1024:.1f} MB"
