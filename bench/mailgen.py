"""A realistic, reproducible mailbox for the benchmarks: a rep's INBOX and Sent over many orders.

``generate(n, seed)`` yields ``(folder, raw_bytes, date)`` in date order, about ``n``
messages: Korean and English customer and vendor mail across many orders, in threads
(In-Reply-To/References, quoted text), some HTML-only, some in EUC-KR labelled
``ks_c_5601-1987`` as Outlook does, and unrelated mail (newsletters, notices). About
150 messages a day, so a bigger mailbox spans more days, as a real one does; sizes
are 1-3 KB.
"""
from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from email.header import Header
from email.utils import format_datetime

KST = timezone(timedelta(hours=9))
REP = ("김민수", "minsu.kim@hanbit-it.co.kr")
END = datetime(2026, 12, 18, 18, 0, tzinfo=KST)  # the newest mail; poll with --now after it
PER_DAY = 150

VENDORS = [
    ("이성호", "sungho.lee@lenovo.com", "ko", "Lenovo Korea ISG"),
    ("Kevin Tan", "ktan@lenovo.com", "en", "Lenovo APAC"),
    ("박지은", "jieun.park@dell.com", "ko", "Dell Technologies Korea"),
    ("Mark Evans", "mark.evans@hpe.com", "en", "HPE Channel Ops"),
    ("대원디스트 물류팀", "logistics@daewon-dist.co.kr", "ko", "대원디스트"),
    ("최민호", "minho.choi@techdata-kr.com", "ko", "테크데이타코리아"),
]
CUSTOMERS = [
    ("정유진", "yujin.jung@mirae-fin.co.kr", "ko", "미래금융"),
    ("Dana Whitfield", "dana.whitfield@globex.com", "en", "Globex Korea"),
    ("한상우", "sangwoo.han@seoul-bio.kr", "ko", "서울바이오"),
    ("오세라", "sera.oh@kpharm.co.kr", "ko", "케이팜"),
    ("Peter Gibbons", "peter@initech.io", "en", "Initech"),
    ("강동원", "dongwon.kang@daehan-logis.co.kr", "ko", "대한로지스"),
]
ITEMS = ["ThinkSystem SR630 V3", "PowerEdge R760", "ProLiant DL380 Gen11", "Catalyst 9300-48P", "FortiGate 200F",
         "ThinkPad T14 Gen 5", "Latitude 7450", "Nexus 93180YC-FX3", "PowerVault ME5024", "Aruba CX 6300M"]
OTHER = [("뉴스레터", "news@itdaily.co.kr"), ("Microsoft", "no-reply@microsoft.com"), ("총무팀", "admin@hanbit-it.co.kr"),
         ("LinkedIn", "messages-noreply@linkedin.com"), ("세미나 안내", "event@kdata.or.kr")]

PAD_KO = ("본 메일은 업무상 기밀 정보를 포함하고 있으며 지정된 수신인 외에는 열람, 복사, 배포를 금합니다. "
          "잘못 수신하신 경우 즉시 발신자에게 알려주시고 삭제하여 주시기 바랍니다.")
PAD_EN = ("This e-mail and any attachments are confidential and intended solely for the addressee. "
          "If you have received it in error, please notify the sender and delete it.")


@dataclass
class _Mail:
    when: datetime
    folder: str
    sender: tuple[str, str]
    to: tuple[str, str]
    subject: str
    body: str
    lang: str
    msgid: str
    reply_to: str | None = None
    html: bool = False
    euckr: bool = False


def _ko_day(d: datetime) -> str:
    return f"{d.month}월 {d.day}일"


def _en_day(d: datetime) -> str:
    return d.strftime("%B %-d")


def _header(value: str) -> str:
    return value if value.isascii() else Header(value, "utf-8").encode()


def _address(name: str, email: str) -> str:
    return f"{_header(name)} <{email}>"


def render(m: _Mail) -> bytes:
    """The message as RFC 5322 bytes (CRLF line ends)."""
    charset = "ks_c_5601-1987" if m.euckr else "utf-8"
    body = m.body
    if m.html:
        paragraphs = "".join(f"<p>{line}</p>" for line in body.split("\n") if line.strip())
        body = f"<html><head><style>p{{margin:0}}</style></head><body><div style=\"font-family:맑은 고딕\">{paragraphs}</div></body></html>"
    encoded = body.encode("euc-kr", "replace") if m.euckr else body.encode("utf-8")
    head = [
        f"Date: {format_datetime(m.when)}",
        f"From: {_address(*m.sender)}",
        f"To: {_address(*m.to)}",
        f"Subject: {_header(m.subject) if not m.euckr else Header(m.subject, 'euc-kr').encode()}",
        f"Message-ID: {m.msgid}",
    ]
    if m.reply_to:
        head += [f"In-Reply-To: {m.reply_to}", f"References: {m.reply_to}"]
    head += [
        "MIME-Version: 1.0",
        f"Content-Type: text/{'html' if m.html else 'plain'}; charset=\"{charset}\"",
        "Content-Transfer-Encoding: 8bit",
    ]
    return ("\r\n".join(head) + "\r\n\r\n").encode("ascii") + encoded.replace(b"\r\n", b"\n").replace(b"\n", b"\r\n")


class _Order:
    def __init__(self, rng: random.Random, number: int, start: datetime):
        self.rng = rng
        self.customer = rng.choice(CUSTOMERS)
        self.vendor = rng.choice(VENDORS)
        self.po = f"45{number:08d}"
        self.so = f"77{number:06d}"[-7:] if number < 10**6 else str(7000000 + number)
        self.item = rng.choice(ITEMS)
        self.qty = rng.randint(1, 20)
        self.start = start
        self.due = start + timedelta(days=rng.randint(10, 30))
        self.eta = self.due - timedelta(days=rng.randint(-3, 5))
        self.n = number

    def mails(self) -> list[_Mail]:
        rng, c, v = self.rng, self.customer, self.vendor
        t = self.start
        out: list[_Mail] = []
        ids = iter(range(100))

        def msgid(domain: str) -> str:
            return f"<bench.{self.n}.{next(ids)}.{rng.getrandbits(32):08x}@{domain}>"

        def sig(name: str, company: str, lang: str) -> str:
            return f"\n\n{name} | {company}\nT. 02-{rng.randint(1000, 9999)}-{rng.randint(1000, 9999)}\n\n" + (PAD_KO + "\n" + PAD_EN + "\n" + PAD_KO if lang == "ko" else PAD_EN + "\n" + PAD_EN + "\n" + PAD_EN)

        def quoted(prev: _Mail | None) -> str:
            if prev is None:
                return ""
            lines = "\n".join("> " + line for line in prev.body.split("\n")[:6])
            return f"\n\n{prev.when:%Y-%m-%d %H:%M}, {prev.sender[0]} <{prev.sender[1]}> wrote:\n{lines}"

        po_ko = f"발주번호 {self.po}"
        if c[2] == "ko":
            body = (f"{REP[0]} 과장님, 안녕하세요. {c[3]} {c[0]}입니다.\n\n{self.item} {self.qty}대 발주드립니다. {po_ko}\n"
                    f"{_ko_day(self.due)}까지 납품 부탁드립니다. 납기 가능 여부 회신 부탁드립니다." + sig(c[0], c[3], "ko"))
            subj = f"[발주] {self.item} {self.qty}대 ({po_ko})"
        else:
            body = (f"Hi Minsu,\n\nPlease find our PO# {self.po} for {self.qty} x {self.item}. We need it by {_en_day(self.due)}.\n"
                    "Please confirm the delivery date." + sig(c[0], c[3], "en"))
            subj = f"PO# {self.po} - {self.item}"
        po_mail = _Mail(t, "INBOX", c[:2], REP, subj, body, c[2], msgid(c[1].split("@")[1]))
        out.append(po_mail)
        t += timedelta(hours=rng.uniform(0.5, 3))
        order_mail = _Mail(t, "Sent", REP, v[:2], f"주문 요청 - {self.item} x{self.qty} (고객 PO {self.po})" if v[2] == "ko" else f"Order request - {self.item} x{self.qty} (PO {self.po})",
                           (f"{v[0]}님, {self.item} {self.qty}대 주문 요청드립니다. 고객 {po_ko}, {_ko_day(self.due)} 필요합니다." if v[2] == "ko"
                            else f"Hi {v[0].split()[0]},\n\nPlease book {self.qty} x {self.item} for customer PO {self.po}, needed by {_en_day(self.due)}.")
                           + sig(REP[0], "한빛아이티", v[2]), v[2], msgid("hanbit-it.co.kr"))
        out.append(order_mail)
        t += timedelta(hours=rng.uniform(4, 30))
        html = rng.random() < 0.12
        euckr = v[2] == "ko" and not html and rng.random() < 0.25
        if v[2] == "ko":
            body = f"과장님, 요청하신 건 S/O# {self.so} 로 접수되었습니다. 입고 예정일은 {_ko_day(self.eta)}입니다. 아직 본사 확정은 아닙니다." + sig(v[0], v[3], "ko")
        else:
            body = f"Hi Minsu,\n\nBooked as SO {self.so} (PO {self.po}). Current ETA is {_en_day(self.eta)}, not yet committed by the factory." + sig(v[0], v[3], "en")
        ack = _Mail(t, "INBOX", v[:2], REP, f"RE: {order_mail.subject}", body + quoted(order_mail), v[2], msgid(v[1].split("@")[1]), order_mail.msgid, html, euckr)
        out.append(ack)
        t += timedelta(hours=rng.uniform(1, 8))
        promise = _Mail(t, "Sent", REP, c[:2], f"RE: {po_mail.subject}",
                        (f"{c[0]}님, 발주 감사합니다. {po_ko} 건 {_ko_day(self.eta)} 입고 예정으로 안내드립니다." if c[2] == "ko"
                         else f"Hi {c[0].split()[0]},\n\nThank you for PO# {self.po}. We expect delivery on {_en_day(self.eta)}.")
                        + sig(REP[0], "한빛아이티", c[2]) + quoted(po_mail), c[2], msgid("hanbit-it.co.kr"), po_mail.msgid)
        out.append(promise)
        if rng.random() < 0.35:
            t += timedelta(days=rng.uniform(1, 6))
            late = self.eta + timedelta(days=rng.randint(3, 14))
            body = (f"과장님, S/O# {self.so} 건 본사 재고 부족으로 입고가 {_ko_day(late)}로 지연될 예정입니다. 죄송합니다." if v[2] == "ko"
                    else f"Hi Minsu,\n\nSorry, SO {self.so} is delayed due to a component shortage. New ETA is {_en_day(late)}.")
            out.append(_Mail(t, "INBOX", v[:2], REP, f"RE: {ack.subject}", body + sig(v[0], v[3], v[2]) + quoted(ack), v[2], msgid(v[1].split("@")[1]), ack.msgid,
                             rng.random() < 0.1, v[2] == "ko" and rng.random() < 0.2))
            self.eta = late
        if rng.random() < 0.4:
            t += timedelta(days=rng.uniform(0.5, 4))
            body = (f"과장님, {po_ko} 건 진행 상황 어떻게 되나요? 현장 일정 때문에 확인 부탁드립니다." if c[2] == "ko"
                    else f"Minsu,\n\nAny update on PO# {self.po}? We need to plan the installation.")
            out.append(_Mail(t, "INBOX", c[:2], REP, f"RE: {po_mail.subject}", body + sig(c[0], c[3], c[2]) + quoted(promise), c[2], msgid(c[1].split("@")[1]), promise.msgid))
        t = max(t, self.eta - timedelta(days=2)) + timedelta(hours=rng.uniform(1, 10))
        body = (f"주문하신 상품이 금일 출고되었습니다.\n\n주문번호: SO {self.so}\n운송사: CJ대한통운\n송장번호: {rng.randint(1000, 9999)}-{rng.randint(1000, 9999)}-{rng.randint(1000, 9999)}"
                if v[2] == "ko" else f"Hi Minsu,\n\nSO {self.so} shipped today, tracking {rng.randint(10**9, 10**10 - 1)}.")
        out.append(_Mail(t, "INBOX", v[:2], REP, f"[출고안내] S/O# {self.so} 출고" if v[2] == "ko" else f"Shipped: SO {self.so}", body + sig(v[0], v[3], v[2]), v[2],
                         msgid(v[1].split("@")[1]), None, rng.random() < 0.15))
        t += timedelta(days=rng.uniform(1, 2))
        body = (f"S/O# {self.so} 건 오늘 납품 완료되었습니다." if v[2] == "ko" else f"SO {self.so} was delivered today.")
        out.append(_Mail(t, "INBOX", v[:2], REP, f"RE: [출고안내] S/O# {self.so}" if v[2] == "ko" else f"Delivered: SO {self.so}", body + sig(v[0], v[3], v[2]), v[2], msgid(v[1].split("@")[1])))
        return out


def _unrelated(rng: random.Random, when: datetime, n: int) -> _Mail:
    name, email = rng.choice(OTHER)
    ko = email.endswith((".kr",))
    body = ("이번 주 IT 업계 소식을 전해드립니다. 클라우드 전환, 보안 규제, 신규 제품 출시 소식을 확인하세요.\n" * 4 if ko
            else "Here is your weekly digest: new features, security updates and events near you.\n" * 4) + (PAD_KO if ko else PAD_EN)
    return _Mail(when, "INBOX", (name, email), REP, "[뉴스레터] 이번 주 IT 소식" if ko else "Your weekly digest", body, "ko" if ko else "en",
                 f"<bench.other.{n}.{rng.getrandbits(32):08x}@{email.split('@')[1]}>", None, html=rng.random() < 0.6, euckr=ko and rng.random() < 0.3)


def generate(n: int, seed: int = 9, end: datetime = END):
    """About ``n`` messages (exactly ``n``), oldest first, ending at ``end``."""
    rng = random.Random(seed)
    days = max(n / PER_DAY, 1.0)
    start = end - timedelta(days=days + 20)
    mails: list[_Mail] = []
    number = 0
    span = (end - timedelta(days=3) - start).total_seconds()
    count = 0
    while count < n:
        number += 1
        begin = start + timedelta(seconds=rng.uniform(0, span))
        new = _Order(rng, number, begin).mails()
        if rng.random() < 0.9:
            new.append(_unrelated(rng, start + timedelta(seconds=rng.uniform(0, span)), number))
        mails += new
        count += sum(1 for m in new if m.when <= end)
    mails = [m for m in mails if m.when <= end]
    mails.sort(key=lambda m: m.when)
    mails = mails[-n:]
    for m in mails:
        yield m.folder, render(m), m.when


if __name__ == "__main__":
    import sys
    import statistics

    sample = list(generate(int(sys.argv[1]) if len(sys.argv) > 1 else 1000))
    sizes = [len(r) for _, r, _ in sample]
    print(len(sample), "messages;", sum(f == "Sent" for f, _, _ in sample), "in Sent; median", statistics.median(sizes), "bytes; min", min(sizes), "max", max(sizes))
