from parsers.items import find_items


def test_a_labelled_line_wins():
    text = "견적번호 Q-2026-0345 기준으로 발주서 송부드립니다.\n\n- 발주번호: PO-2026-0412\n- 품목: Lenovo ThinkSystem SR650 (7X06A0E4WW) 8대\n- 금액: ₩89,760,000"
    assert find_items(text) == "Lenovo ThinkSystem SR650 (7X06A0E4WW) 8대"


def test_a_line_with_a_model_and_a_quantity():
    assert find_items("Hi Mark,\nPlease quote 4x HPE ProLiant DL380 Gen11.\nThanks") == "Please quote 4x HPE ProLiant DL380 Gen11"
    assert find_items("Item: Cisco C9300-48P switch\nQty: 4") == "Cisco C9300-48P switch"


def test_no_items_in_plain_questions_amounts_or_references():
    assert find_items("과장님, 서버 언제 들어와요?") is None
    assert find_items("PO-2026-0412 8대 금액 ₩89,760,000") is None
    assert find_items("Call me at 010-1234-5678 x2") is None
