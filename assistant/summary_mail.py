"""The weekly summary as mail: text and HTML from Jinja2 templates, the chart inline by Content-ID.

Templates are ``summary/<language>/summary.txt.j2`` (first line: the subject) and
``summary/<language>/summary.html.j2``; a ``[drafts] templates_dir`` folder is
searched first. HTML templates are autoescaped, so text taken from mail (subjects,
names) cannot inject markup.
"""
from __future__ import annotations

import unicodedata
from dataclasses import dataclass
from datetime import date, datetime
from email.headerregistry import Address
from email.message import EmailMessage
from email.utils import format_datetime, make_msgid
from importlib import resources
from zoneinfo import ZoneInfo

import jinja2

from assistant.config import Config
from assistant.summary import WeeklySummary
from assistant.summary_chart import display_size, eta_history_png

SUMMARY_HEADER = "X-Napgi-Summary"
_WEEKDAYS = {"ko": "월화수목금토일", "en": ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")}
_MONTHS_EN = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")


@dataclass(frozen=True)
class RenderedSummary:
    """The summary's subject, text and HTML, and the chart PNG the HTML refers to by ``cid:``."""

    subject: str
    text: str
    html: str
    chart_png: bytes | None
    chart_cid: str


def render_summary(summary: WeeklySummary, config: Config) -> RenderedSummary:
    """Render the summary in ``[rep] language``; the chart is drawn when an order has an ETA history."""
    language = summary.language
    env = _environment(config, language)
    domain = config.summary.sender.split("@", 1)[1] if config.summary.sender else "localhost"
    cid = f"eta-chart.{summary.iso_week}@{domain}"
    charted = summary.charted
    width, height = display_size(len(charted))
    values = {"s": summary, "charted": charted, "chart_cid": cid, "chart_width": width, "chart_height": height}
    subject, _, text = env.get_template(f"summary/{language}/summary.txt.j2").render(values).partition("\n")
    html = env.get_template(f"summary/{language}/summary.html.j2").render(values)
    chart = eta_history_png(charted, summary.today) if charted else None
    return RenderedSummary(subject.strip(), text.lstrip("\n"), html, chart, cid)


def summary_message(summary: WeeklySummary, config: Config, rendered: RenderedSummary) -> EmailMessage:
    """multipart/alternative: text/plain, then multipart/related (text/html + the chart PNG)."""
    message = EmailMessage()
    sender = config.summary.sender or config.rep.email
    message["From"] = Address(config.rep.name, addr_spec=sender)
    message["To"] = ", ".join(config.summary.to)
    message["Subject"] = rendered.subject
    message["Date"] = format_datetime(summary.now)
    message["Message-ID"] = make_msgid(f"summary.{summary.iso_week}", domain=sender.split("@", 1)[1])
    message[SUMMARY_HEADER] = summary.iso_week
    message.set_content(rendered.text)
    message.add_alternative(rendered.html, subtype="html")
    if rendered.chart_png:
        html_part = message.get_payload()[1]
        html_part.add_related(rendered.chart_png, "image", "png", cid=f"<{rendered.chart_cid}>", filename="eta-history.png")
    return message


def _environment(config: Config, language: str) -> jinja2.Environment:
    builtin = resources.files("assistant.templates")
    user_dir = config.drafting.templates_dir
    loaders = [jinja2.FileSystemLoader(str(user_dir))] if user_dir else []
    loaders.append(jinja2.FileSystemLoader(str(builtin)))
    env = jinja2.Environment(
        loader=jinja2.ChoiceLoader(loaders),
        undefined=jinja2.StrictUndefined,
        autoescape=jinja2.select_autoescape(enabled_extensions=("html.j2",), default_for_string=False, default=False),
        keep_trailing_newline=True,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.filters.update(
        day=lambda value: _day(value, language),
        moment=lambda value: _moment(value, config.rep.timezone, language),
        pct=_pct,
        num=_num,
        pad=_pad,
    )
    return env


def _day(value: date | None, language: str) -> str:
    """``11월 30일(월)`` or ``Mon 30 Nov``; ``-`` for no date."""
    if value is None:
        return "-"
    weekday = _WEEKDAYS[language][value.weekday()]
    if language == "ko":
        return f"{value.month}월 {value.day}일({weekday})"
    return f"{weekday} {value.day} {_MONTHS_EN[value.month - 1]}"


def _moment(value: datetime | None, zone: str, language: str) -> str:
    if value is None:
        return "-"
    local = value.astimezone(ZoneInfo(zone))
    return f"{_day(local.date(), language)} {local:%H:%M}"


def _pct(value: float | None) -> str:
    return "-" if value is None else f"{value * 100:.0f}%"


def _num(value: float | None) -> str:
    return "-" if value is None else f"{value:.1f}"


def _pad(text: object, width: int) -> str:
    """``text`` padded to ``width`` terminal columns (Hangul counts two)."""
    text = str(text)
    used = sum(2 if unicodedata.east_asian_width(c) in "WF" else 1 for c in text)
    return text + " " * max(0, width - used)
