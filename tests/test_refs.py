"""Order reference detection and normalisation."""
import pytest

from parsers.refs import find_refs


@pytest.mark.parametrize(
    "text, value, kind",
    [
        ("SO 7712345", "SO7712345", "so"),
        ("S/O# 7712399", "SO7712399", "so"),
        ("Sales Order 7712400", "SO7712400", "so"),
        ("PO# 4500012345", "PO4500012345", "po"),
        ("PO No. 4500012399", "PO4500012399", "po"),
        ("P.O. 4500012399", "PO4500012399", "po"),
        ("po#4500012345 건", "PO4500012345", "po"),
        ("발주번호: 4500012346", "PO4500012346", "po"),
        ("발주 번호 4500012346", "PO4500012346", "po"),
        ("주문번호 4500012346 건 확인 부탁드립니다", "PO4500012346", "po"),
        ("오더번호: 4500012346", "PO4500012346", "po"),
        ("Order No. 4500012346", "PO4500012346", "po"),
        ("견적번호: 2026-0350", "Q2026-0350", "quote"),
        ("Quote #2026-0350", "Q2026-0350", "quote"),
        ("Quotation No. 2026-0350", "Q2026-0350", "quote"),
        ("PO-2026-0412", "PO-2026-0412", "po"),
        ("Q-2026-0345 건 회신", "Q-2026-0345", "quote"),
        ("SO-2026-0101", "SO-2026-0101", "so"),
        ("PO4500012345를 확인했습니다", "PO4500012345", "po"),
    ],
)
def test_positive(text, value, kind):
    refs = find_refs(text)
    assert [(r.kind, r.value) for r in refs] == [(kind, value)]


@pytest.mark.parametrize(
    "text",
    [
        "연락처 010-1234-5678",
        "Tel +82-2-123-4567",
        "02-123-4567",
        "서울시 강남구 테헤란로 123 (06236)",
        "금액 ₩30,000,000 입니다",
        "3,000만원",
        "total $12,400.00",
        "S/N J30ABC12",
        "P/N 7X06A0E4WW",
        "2026-12-16 입고",
        "2026.12.16 입고",
        "tracking 1Z999AA10123456784",
        "server 192.168.10.21",
        "firmware v2.3.1 / version 10.4.2",
        "we placed an order of 5000 units",
        "so 2026 was a good year",
    ],
)
def test_negative(text):
    assert find_refs(text) == []


def test_dedup_keeps_first_appearance_order():
    text = "SO 7712345 관련, PO# 4500012345 / SO7712345 그리고 PO 4500012345"
    assert [r.value for r in find_refs(text)] == ["SO7712345", "PO4500012345"]


def test_list_after_keyword():
    assert [r.value for r in find_refs("PO# 4500012345, 4500012346 및 4500012347")] == [
        "PO4500012345",
        "PO4500012346",
        "PO4500012347",
    ]


def test_extra_patterns():
    refs = find_refs("운송장 1Z999AA10123456784 / PO 4500012345", (("custom", r"\b(1Z[0-9A-Z]{16})\b"),))
    assert [(r.kind, r.value) for r in refs] == [("custom", "1Z999AA10123456784"), ("po", "PO4500012345")]


def test_empty():
    assert find_refs("") == []


@pytest.mark.parametrize(
    "text, value",
    [("Order Number: | 1038472915", "PO1038472915"), ("HPE Order No.      | 4012399887", "PO4012399887"),
     ("Sales Order | 98130022", "SO98130022")],
)
def test_keyword_and_number_in_table_cells(text, value):
    assert [r.value for r in find_refs(text)] == [value]


def test_a_table_header_is_not_a_reference():
    assert find_refs("Sales Order | Qty | Status\nC9300 | 4 | Booked") == []


def test_numbers_under_a_reference_column_header():
    text = ("Sales Order | Purchase Order | Line | Status\n98140011    | 4500013020     | 1.1  | Scheduled\n"
            "98140012    | 4500013021     | 1.1  | Delayed")
    assert [r.value for r in find_refs(text)] == ["SO98140011", "PO4500013020", "SO98140012", "PO4500013021"]
    text = "발주번호        품목          수량\n4500012346      SR650 V3      2"
    assert [r.value for r in find_refs(text)] == ["PO4500012346"]


@pytest.mark.parametrize(
    "text, values",
    [("Sales Order | Qty | Line\n1.1 | 4 | 10", []), ("Order Date | Status | Qty\n20261216 | Open | 4", []),
     ("Sales Order | Line\n98140011 | 1.1\nTotal 4 | units | 20261216", ["SO98140011"])],
)
def test_other_columns_short_numbers_and_other_tables_are_not_references(text, values):
    assert [r.value for r in find_refs(text)] == values
