"""Reading extracts: encodings, delimiters, header-less files, XLSX, headers, control files."""

from __future__ import annotations

import pytest
from openpyxl import Workbook

from liuyou.ingest import control, mapping, reader
from liuyou.ingest.sources import SOURCES

from .helpers import STAFF_HEADER, write_csv

KNOWN = set(SOURCES["staff"].headers)
ROW = ["0001", "张三", "100", "客户经理", "13812345678", "zhangsan", "在职", "2020-01-01"]


def records(path, m=mapping.DEFAULT):
    layout, rows = reader.open_extract(path, known=KNOWN, mapping=m)
    return layout, list(rows)


@pytest.mark.parametrize(
    ("encoding", "bom", "detected"),
    [
        ("utf-8", False, "utf-8-sig"),
        ("utf-8", True, "utf-8-sig"),
        ("gbk", False, "gb18030"),
        ("gb18030", False, "gb18030"),
    ],
)
def test_encodings(tmp_path, encoding, bom, detected):
    row = [*ROW[:1], "张㐀三" if encoding == "gb18030" else "张三", *ROW[2:]]  # 㐀 is outside GBK
    path = write_csv(tmp_path / "staff_20250301.csv", STAFF_HEADER, [row], encoding=encoding, bom=bom)
    layout, rows = records(path)
    assert layout.encoding == detected
    assert layout.ours == STAFF_HEADER  # a BOM never sticks to the first header
    assert rows == [(2, row)]


def test_gbk_file_with_one_late_non_utf8_byte_is_gb18030(tmp_path):
    lines = [ROW] * 5000 + [[*ROW[:1], "李四", *ROW[2:]]]
    path = write_csv(tmp_path / "s.csv", STAFF_HEADER, lines, encoding="gbk")
    assert reader.detect_encoding(path) == "gb18030"
    _, rows = records(path)
    assert rows[-1][1][1] == "李四"


@pytest.mark.parametrize(
    ("yaml_delim", "char"), [('"|"', "|"), ('"\\t"', "\t"), ('"\\x1b"', "\x1b"), ("0x1B", "\x1b")]
)
def test_delimiters_from_the_mapping_file(tmp_path, yaml_delim, char):
    path = write_csv(tmp_path / "s.csv", STAFF_HEADER, [ROW], delimiter=char)
    map_file = tmp_path / "map.yaml"
    map_file.write_text(f"delimiter: {yaml_delim}\n", encoding="utf-8")
    layout, rows = records(path, mapping.load(map_file))
    assert layout.ours == STAFF_HEADER
    assert rows == [(2, ROW)]


def test_headerless_file_takes_column_order_from_the_mapping(tmp_path):
    order = ["姓名", "工号", "状态", "机构号"]
    path = write_csv(
        tmp_path / "s.csv", None, [["张三", "0001", "在职", "100"], ["李四", "0002", "离职", "100"]]
    )
    map_file = tmp_path / "map.yaml"
    map_file.write_text("header: false\ncolumns: [姓名, 工号, 状态, 机构号]\n", encoding="utf-8")
    layout, rows = records(path, mapping.load(map_file))
    assert layout.ours == order and layout.headers == order
    assert rows == [(1, ["张三", "0001", "在职", "100"]), (2, ["李四", "0002", "离职", "100"])]


def test_header_mapping_translates_bank_headers(tmp_path):
    path = write_csv(tmp_path / "s.csv", ["EMP_NO", "EMP_NAME", "ORG"], [["0001", "张三", "100"]])
    m = mapping.parse({"headers": {"EMP_NO": "工号", "EMP_NAME": "姓名", "ORG": "机构号"}})
    layout, _ = records(path, m)
    assert layout.ours == ["工号", "姓名", "机构号"]
    assert layout.headers == ["EMP_NO", "EMP_NAME", "ORG"]  # the reject file keeps the bank's header


def test_headers_ignore_spaces_and_full_width_spaces_order_and_report_unknown(tmp_path):
    header = ["　姓名 ", " 工号", "备注", "机构号\u3000", "备注"]
    path = write_csv(tmp_path / "s.csv", header, [["张三", "0001", "x", "100", "y"]])
    layout, _ = records(path)
    assert layout.ours == ["姓名", "工号", None, "机构号", None]
    assert layout.unknown == ["备注", "备注"]
    assert layout.index() == {"姓名": 0, "工号": 1, "机构号": 3}


def test_blank_lines_are_skipped_and_row_numbers_follow_the_file(tmp_path):
    path = tmp_path / "s.csv"
    path.write_text("工号,姓名\n0001,张三\n\n0002,李四\n,\n", encoding="utf-8")
    _, rows = records(path)
    assert rows == [(2, ["0001", "张三"]), (4, ["0002", "李四"])]


def test_xlsx_first_sheet_first_row_header(tmp_path):
    from datetime import datetime

    wb = Workbook()
    ws = wb.active
    ws.append(["工号", "姓名", "入职日期", "手机号码", "证件"])
    ws.append(["0001", "张三", datetime(2020, 1, 2), 13812345678, 4.10521e17])
    ws.append([None, None, None])
    ws.append(["0002", "李四"])
    other = wb.create_sheet("其他")
    other.append(["不读"])
    path = tmp_path / "staff_20250301.xlsx"
    wb.save(path)
    layout, rows = records(path)
    assert layout.ours[:4] == ["工号", "姓名", "入职日期", "手机号码"]
    assert rows[0] == (2, ["0001", "张三", "2020-01-02", "13812345678", "4.10521e+17"])
    assert rows[1] == (4, ["0002", "李四", "", "", ""])


def test_unreadable_files_are_read_errors(tmp_path):
    with pytest.raises(reader.ReadError, match="文件不存在"):
        records(tmp_path / "missing.csv")
    empty = tmp_path / "empty.csv"
    empty.write_bytes(b"")
    with pytest.raises(reader.ReadError, match="没有表头"):
        records(empty)
    broken = tmp_path / "broken.xlsx"
    broken.write_bytes(b"PK\x03\x04 not really a zip")
    with pytest.raises(reader.ReadError, match="XLSX"):
        records(broken)


def test_trim_accepts_trailing_empty_cells_only():
    assert reader.trim(["a", "b", ""], 2) == ["a", "b"]
    assert reader.trim(["a", "b", "c"], 2) is None
    assert reader.trim(["a"], 2) is None


# --- mapping file ------------------------------------------------------------------------


def test_mapping_file_errors_are_chinese(tmp_path):
    with pytest.raises(mapping.MappingError, match="分隔符"):
        mapping.parse({"delimiter": ";"})
    with pytest.raises(mapping.MappingError, match="columns"):
        mapping.parse({"header": False})
    with pytest.raises(mapping.MappingError, match="编码"):
        mapping.parse({"encoding": "klingon"})
    with pytest.raises(mapping.MappingError, match="无法读取"):
        mapping.load(tmp_path / "none.yaml")
    assert mapping.parse({"encoding": "GBK"}).encoding == "gbk"


def test_encoding_override(tmp_path):
    path = write_csv(tmp_path / "s.csv", STAFF_HEADER, [ROW], encoding="gbk")
    layout, rows = records(path, mapping.parse({"encoding": "gbk"}))
    assert layout.encoding == "gbk" and rows[0][1][1] == "张三"


# --- control files and names -------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "count"),
    [
        ("1234", 1234),
        ("  1234\n", 1234),
        ("rows=1234", 1234),
        ("file=staff_20250301.csv\nROWS: 1234\n", 1234),
        ("记录数=56", 56),
        ("staff_20250301.csv|20250301|1234", 1234),
        ("staff_20250301.csv 1234 20250301", 1234),
        ("staff_20250301.csv,99,1234\n8", 1234),
    ],
)
def test_control_file_parse(text, count):
    from datetime import date

    assert control.parse(text, data_date=date(2025, 3, 1)) == count


def test_control_file_without_a_number_is_an_error():
    with pytest.raises(control.ControlError):
        control.parse("ok")


@pytest.mark.parametrize("suffix", [".csv.ok", ".csv.flg", ".ok", ".flg"])
def test_control_file_is_found_beside_the_data_file(tmp_path, suffix):
    data = write_csv(tmp_path / "staff_20250301.csv", STAFF_HEADER, [ROW])
    (tmp_path / f"staff_20250301{suffix}").write_text("rows=1", encoding="utf-8")
    found = control.expected_rows(data)
    assert found is not None and found[1] == 1


def test_data_date_from_file_name(tmp_path):
    from datetime import date

    assert control.data_date_from_name(tmp_path / "credit_loan_20250301.csv") == date(2025, 3, 1)
    assert control.data_date_from_name(tmp_path / "staff_20250301.xlsx") == date(2025, 3, 1)
    assert control.data_date_from_name(tmp_path / "staff_20251301.csv") is None
    assert control.data_date_from_name(tmp_path / "staff.csv") is None
