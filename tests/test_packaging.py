"""A normal (non-editable) install carries the templates and the migrations."""
from __future__ import annotations

import shutil
import subprocess
import sys
import zipfile

from tests.conftest import REPO


def test_the_wheel_holds_templates_and_migrations(tmp_path):
    source = tmp_path / "src"
    shutil.copytree(REPO, source, ignore=shutil.ignore_patterns(".venv", ".git", "build", "*.egg-info", "__pycache__", "data"))
    subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--quiet", "--no-deps", "--no-build-isolation", str(source), "-w", str(tmp_path)],
        check=True, capture_output=True, cwd=tmp_path,
    )
    names = set(zipfile.ZipFile(next(tmp_path.glob("*.whl"))).namelist())
    for kind in ("delay_notice", "daily_update", "status_reply", "vendor_chase", "confirmed_notice", "stock_check"):
        assert f"assistant/templates/ko/{kind}.txt.j2" in names
        assert f"assistant/templates/en/{kind}.txt.j2" in names
    assert "assistant/templates/summary/ko/summary.html.j2" in names
    assert {"assistant/migrations/env.py", "assistant/migrations/versions/0001_initial_ledger_schema.py"} <= names
    assert "parsers/extract.py" in names and "assistant/cli.py" in names
