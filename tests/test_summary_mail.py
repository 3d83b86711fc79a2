"""Rendering the weekly summary from its figures alone (no database, no server)."""
from __future__ import annotations

from datetime import date, datetime, timezone
from pathlib import Path

from assistant.config import Config, Drafting, Extraction, Mailbox, Parties, Rep
from assistant.summary import DraftFates, EtaGiven, OrderLine, UnmatchedMail, VendorStats, WeeklySummary
from assistant.summary_mail import render_summary, summary_message

NOW = datetime(2026, 11, 30, 0, 0, tzinfo=timezone.utc)


def config(language: str) -> Config:
    rep = Rep(name="Minsu Kim", email="minsu.kim@hanbit-it.co.kr", language=language)
    box = Mailbox(name="work", host="127.0.0.1", username="rep", password="x")
    return Config(Path("config.toml"), rep, "sqlite://", (box,), Parties(), Parties(), Drafting(), Extraction(), Path("lock"))


def summary(language: str, lines: tuple[OrderLine, ...]) -> WeeklySummary:
    return WeeklySummary(
        now=NOW, today=date(2026, 11, 30), iso_week="2026-W49", period_start=date(2026, 11, 24), language=language,
        rep_name="Minsu Kim", horizon_business_days=5, vendor_silence_business_days=3,
        status_counts=(("delayed", len(lines)),), at_risk=lines, delayed=lines,
        vendors=(VendorStats("<b>Acme</b>", 90, 1, 1, 0, 4.0, 4, 1.0, 0, 1),),
        drafts=DraftFates(2, 1, 0, 1, (("daily_update", 2),)),
        unmatched=(UnmatchedMail(NOW, "x@example.com", '<script>alert("hi")</script>'),), unmatched_total=1,
    )


def line(history: tuple[EtaGiven, ...]) -> OrderLine:
    return OrderLine(
        1, "PO-1", "Globex <Intl>", "<b>Acme</b>", "delayed", date(2026, 12, 1), None, date(2026, 12, 5), False, history,
        None, 4, 1, 3, 2, ("eta_after_promised",),
    )


def test_mail_text_is_escaped_in_html_and_kept_in_text():
    history = (EtaGiven(NOW, date(2026, 12, 1), True), EtaGiven(NOW, date(2026, 12, 5), False))
    rendered = render_summary(summary("en", (line(history),)), config("en"))
    assert "<script>" not in rendered.html and "&lt;script&gt;" in rendered.html
    assert "&lt;b&gt;Acme&lt;/b&gt;" in rendered.html
    assert '<script>alert("hi")</script>' in rendered.text
    assert "vendor ETA Sat 5 Dec is after the date the customer was told (Tue 1 Dec)" in rendered.text
    assert rendered.chart_png and f"cid:{rendered.chart_cid}" in rendered.html


def test_no_eta_history_means_no_chart():
    s = summary("ko", (line(()),))
    rendered = render_summary(s, config("ko"))
    assert rendered.chart_png is None and "cid:" not in rendered.html
    msg = summary_message(s, config("ko"), rendered)
    assert [p.get_content_type() for p in msg.walk()] == ["multipart/alternative", "text/plain", "text/html"]
    assert "벤더 예정일 아직 없음" in rendered.text
