"""The ledger's commands: import, unmatched, link, orders, order show; and every command's help."""
from __future__ import annotations

import json
from datetime import datetime, timezone

import click
import pytest
from click.testing import CliRunner

from assistant.cli import cli
from assistant.config import load_config
from assistant.db import open_database
from assistant.models import Message
from tests.conftest import CONFIG, REPO

NOW = "2026-12-01T10:00:00+09:00"


@pytest.fixture
def config_file(tmp_path):
    path = tmp_path / "config.toml"
    path.write_text(CONFIG.format(database=f"sqlite:///{tmp_path / 'a.db'}", port=143, user="rep"))
    return path


def run(config_file, *args, code=0):
    result = CliRunner().invoke(cli, ["--config", str(config_file), *args], catch_exceptions=False)
    assert result.exit_code == code, result.output
    return result


def json_lines(output: str) -> list[dict]:
    return [json.loads(line) for line in output.splitlines()]


def test_import_creates_orders_with_traceable_values(config_file, tmp_path):
    csv_file = tmp_path / "orders.csv"
    csv_file.write_text(
        "refs,customer,vendor,items,promised,vendor_eta,vendor_eta_confirmed,status\n"
        "PO-2026-0412 Q-2026-0345,jh.park@mirae-fin.co.kr,lenovo.com,ThinkSystem SR650 x8,2026-12-04,2026-12-04,no,open\n"
        "SO 8812001,globex.com,hpe.com,DL380 Gen11 x4,,2026-12-10,yes,confirmed\n",
        encoding="utf-8",
    )
    assert run(config_file, "import", str(csv_file), "--now", NOW).output.strip() == "2 orders created, 0 updated from orders.csv"
    rows = {r["reference"]: r for r in json_lines(run(config_file, "orders", "--json", "--now", NOW).output)}
    first = rows["PO-2026-0412"]
    assert first["refs"] == ["PO-2026-0412", "Q-2026-0345"]
    assert (first["customer"], first["vendor"], first["items"]) == ("미래금융", "Lenovo", "ThinkSystem SR650 x8")
    assert (first["promised"], first["vendor_eta"], first["vendor_eta_confirmed"]) == ("2026-12-04", "2026-12-04", False)
    second = rows["SO8812001"]
    assert (second["status"], second["vendor_eta_confirmed"]) == ("confirmed", True)
    shown = json.loads(run(config_file, "order", "show", "po-2026-0412", "--json").output)
    assert {"field": "promised", "new": "2026-12-04", "sentence": "imported from orders.csv line 2"}.items() <= next(
        e for e in shown["timeline"] if e["field"] == "promised").items()
    assert shown["customer_contact"] == "jh.park@mirae-fin.co.kr"
    again = run(config_file, "import", str(csv_file), "--now", NOW)
    assert again.output.strip() == "0 orders created, 2 updated from orders.csv"


def test_a_bad_csv_imports_nothing_and_names_each_problem(config_file, tmp_path):
    csv_file = tmp_path / "orders.csv"
    csv_file.write_text("refs,promised,vendor_eta_confirmed\nPO-1,2026-12-04,no\nPO-2,12/16,maybe\n,2026-12-01,no\n")
    result = run(config_file, "import", str(csv_file), code=1)
    assert "Error: nothing imported:" in result.output
    assert "orders.csv line 3: promised: expected a date as YYYY-MM-DD, got '12/16'" in result.output
    assert "orders.csv line 3: vendor_eta_confirmed: expected yes or no, got 'maybe'" in result.output
    assert "orders.csv line 4: refs: no order reference" in result.output
    assert run(config_file, "orders", "--json").output == ""


def test_an_unmatched_message_is_listed_and_can_be_linked(config_file, tmp_path):
    csv_file = tmp_path / "orders.csv"
    csv_file.write_text("refs,customer,vendor,promised\nPO-2026-0412,jh.park@mirae-fin.co.kr,lenovo.com,2026-12-04\n")
    run(config_file, "import", str(csv_file), "--now", NOW)
    config = load_config(config_file)
    db = open_database(config.database_url)
    with db.session() as session:
        session.add(Message(
            mailbox="work", folder="INBOX", uidvalidity=1, uid=7, message_id="<late@lenovo.com>", sha256="x",
            sender="sungho.lee@lenovo.com", recipients="minsu.kim@hanbit-it.co.kr", subject="납기 관련",
            sent_at=datetime(2026, 11, 30, 1, 0, tzinfo=timezone.utc), role="vendor", status="unmatched",
            reason="no reference, thread or single open order", processed_at=datetime(2026, 11, 30, tzinfo=timezone.utc),
            extraction={"event": "delay", "eta": "2026-12-14", "eta_confirmed": False, "language": "ko", "order_refs": [],
                        "reason": "본사 재고 부족", "evidence": {"eta": "2주 지연 예상됩니다."}},
        ))
    db.dispose()
    listed = json_lines(run(config_file, "unmatched", "--json").output)
    assert [(r["message_id"], r["event"], r["sender"]) for r in listed] == [("<late@lenovo.com>", "delay", "sungho.lee@lenovo.com")]
    linked = run(config_file, "link", "late@lenovo.com", "PO-2026-0412", "--now", NOW)
    assert linked.output.startswith("linked <late@lenovo.com> to PO-2026-0412; changed")
    order = json_lines(run(config_file, "orders", "--json", "--now", NOW).output)[0]
    assert (order["status"], order["vendor_eta"], order["slipped"]) == ("delayed", "2026-12-14", 10)
    assert run(config_file, "unmatched", "--json").output == ""
    eta = next(e for e in json.loads(run(config_file, "order", "show", "PO-2026-0412", "--json").output)["timeline"] if e["field"] == "vendor_eta")
    assert (eta["sentence"], eta["sender"], eta["message_id"]) == ("2주 지연 예상됩니다.", "sungho.lee@lenovo.com", "<late@lenovo.com>")


def test_unknown_order_is_a_clean_error(config_file):
    result = run(config_file, "order", "show", "PO-404", code=6)
    assert result.output == "Error: no order with reference 'PO-404'; see `assistant orders`\n"


def _commands(group: click.Group, prefix: str = ""):
    for name, command in group.commands.items():
        yield f"{prefix}{name}", command
        if isinstance(command, click.Group):
            yield from _commands(command, f"{prefix}{name} ")


@pytest.mark.parametrize("name,command", list(_commands(cli)))
def test_every_command_has_help_and_is_in_the_readme(name, command):
    assert command.help and command.help.strip(), f"{name} has no help text"
    assert f"assistant {name}" in (REPO / "README.md").read_text(), f"README does not mention `assistant {name}`"
