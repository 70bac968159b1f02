"""The mapping file (`--mapping MAP.yaml`): how a bank's export differs from our layout.

delimiter: "|"            # , | \\t (tab) or 0x1B ; default ,
encoding: gb18030         # optional; default: strict UTF-8 (BOM or not), else GB18030
header: false             # the file has no header row; `columns` gives the order
columns: [工号, 姓名, 机构号, 岗位, 手机号码, 企业微信账号, 状态, 入职日期]
headers:                  # the bank's header -> ours
  EMP_NO: 工号
  EMP_NAME: 姓名
"""

from __future__ import annotations

import codecs
from dataclasses import dataclass, field
from pathlib import Path

import yaml

from liuyou.ingest.cleaning import clean_header

_DELIMITERS = {
    ",": ",",
    "|": "|",
    "\t": "\t",
    "\\t": "\t",
    "tab": "\t",
    "\x1b": "\x1b",
    "0x1b": "\x1b",
    "\\x1b": "\x1b",
    "esc": "\x1b",
}


class MappingError(ValueError):
    pass


@dataclass(frozen=True)
class Mapping:
    delimiter: str = ","
    encoding: str | None = None
    header: bool = True
    columns: tuple[str, ...] = ()
    headers: dict[str, str] = field(default_factory=dict)

    def ours(self, header: str) -> str:
        """The bank's (cleaned) header translated to ours; unmapped headers pass through."""
        return self.headers.get(header, header)


DEFAULT = Mapping()


def load(path: str | Path | None) -> Mapping:
    if path is None:
        return DEFAULT
    try:
        data = yaml.safe_load(Path(path).read_text(encoding="utf-8-sig")) or {}
    except OSError as exc:
        raise MappingError(f"映射文件无法读取：{path}（{exc.strerror or exc}）") from None
    except (yaml.YAMLError, UnicodeDecodeError) as exc:
        raise MappingError(f"映射文件格式错误：{exc}") from None
    if not isinstance(data, dict):
        raise MappingError("映射文件格式错误：应为键值结构（YAML mapping）")
    return parse(data)


def parse(data: dict) -> Mapping:
    value = data.get("delimiter", ",")
    # YAML reads an unquoted 0x1B as the integer 27.
    raw_delim = chr(value) if isinstance(value, int) and not isinstance(value, bool) else str(value)
    delimiter = _DELIMITERS.get(raw_delim.lower() if len(raw_delim) > 1 else raw_delim)
    if delimiter is None:
        raise MappingError("映射文件中的分隔符只能是 , | \\t 或 0x1B")
    encoding = data.get("encoding")
    if encoding is not None:
        try:
            encoding = codecs.lookup(str(encoding)).name
        except LookupError:
            raise MappingError(f"映射文件中的编码无法识别：{encoding}") from None
    header = data.get("header", True)
    if not isinstance(header, bool):
        raise MappingError("映射文件中的 header 应为 true 或 false")
    columns = tuple(clean_header(str(c)) for c in data.get("columns") or ())
    if not header and not columns:
        raise MappingError("无表头文件须在映射文件的 columns 中给出列顺序")
    headers = data.get("headers") or {}
    if not isinstance(headers, dict):
        raise MappingError("映射文件中的 headers 应为“银行表头: 本系统表头”的键值对")
    return Mapping(
        delimiter=delimiter,
        encoding=encoding,
        header=header,
        columns=columns,
        headers={clean_header(str(k)): clean_header(str(v)) for k, v in headers.items()},
    )
