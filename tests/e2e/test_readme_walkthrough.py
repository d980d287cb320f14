"""README.md's walkthrough, run as written: the code blocks after `<!-- walkthrough … -->` markers.

The bash blocks run in order in one bash (as a reader pastes them into one shell), from a directory
laid out like the checkout after `make run` (`.mpsandbox/admin_key`, `docs/samples/`), with
MPSANDBOX_URL pointing them at this test's sandbox. A wrapper makes curl fail on any HTTP error, so a
step the README shows succeeding must succeed; `/cgi-bin` answers 200 even with an errcode, as WeChat.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

if TYPE_CHECKING:
    from tests.e2e.conftest import Sandbox

pytestmark = pytest.mark.e2e

ROOT = Path(__file__).resolve().parents[2]
MARKED_BLOCK = re.compile(r"^<!-- walkthrough\b.*?-->\n```(\w+)\n(.*?)^```$", re.MULTILINE | re.DOTALL)
STRICT_BASH = """set -euo pipefail
curl() { command curl --fail-with-body "$@"; }
"""


def walkthrough_blocks(language: str) -> list[str]:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    return [code for lang, code in MARKED_BLOCK.findall(readme) if lang == language]


@pytest.fixture
def checkout(private_sandbox: Sandbox, tmp_path: Path) -> Path:
    """A working directory like the checkout's after `make run`, but for this test's sandbox."""
    (tmp_path / ".mpsandbox").mkdir()
    (tmp_path / ".mpsandbox" / "admin_key").write_text(private_sandbox.admin_key + "\n")
    (tmp_path / "docs").symlink_to(ROOT / "docs", target_is_directory=True)
    return tmp_path


def run(command: list[str], checkout: Path, sandbox: Sandbox) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("MPSANDBOX_")}
    # `python3` in the README is the one `make` needs; the venv's is the same interpreter as ours.
    env["PATH"] = f"{Path(sys.executable).parent}{os.pathsep}{env.get('PATH', '')}"
    env["MPSANDBOX_URL"] = sandbox.url
    return subprocess.run(
        command, cwd=checkout, env=env, capture_output=True, text=True, encoding="utf-8", timeout=180,
        check=False,
    )  # fmt: skip


class TestReadmeWalkthrough:
    def test_the_markers_find_the_curl_walkthrough_the_wizard_and_the_wechatpy_script(self) -> None:
        bash = walkthrough_blocks("bash")

        assert len(bash) == 4
        assert "/_sandbox/accounts" in bash[0]
        assert "/api/v1/registrations" in bash[1]
        assert "/api/v1/certifications" in bash[2]
        assert "approved_at" in bash[3]
        assert len(walkthrough_blocks("python")) == 1
        assert not any(re.search(r"\|\s*jq\b", block) for block in bash), "a fresh machine has no jq"

    def test_curl_walkthrough_and_wizard_run_as_written(
        self, private_sandbox: Sandbox, checkout: Path
    ) -> None:
        script = STRICT_BASH + "\n".join(walkthrough_blocks("bash"))

        result = run(["bash", "-c", script], checkout, private_sandbox)

        assert result.returncode == 0, f"stdout:\n{result.stdout}\nstderr:\n{result.stderr}"
        out = result.stdout
        assert '"msg_status":"SEND_SUCCESS"' in out
        assert '"content":"台风预警：请市民减少外出。"' in out
        assert '"errcode":47003' in out
        assert '"errcode":42001' in out
        with private_sandbox.admin("demo") as admin:
            assert admin.get("/_sandbox/clock").json()["offset_seconds"] == pytest.approx(3 * 3600, abs=60)
        with private_sandbox.admin("walkthrough") as admin:
            reviews = admin.get("/_sandbox/reviews", params={"status": "approved"}).json()["items"]
        assert [review["kind"] for review in reviews] == ["registration", "certification"]
        assert '"status":"approved","step":5' in out
        assert '"login_email":"ops@dongcheng.gov.cn"' in out
        assert re.search(r'\{"appid":"wx[0-9a-f]{16}","secret":"[0-9a-f]{32}"\}', out), out[-300:]
        assert '"status":"pending","kind":"initial"' in out
        assert "东城发布（北京市东城区人民政府办公室）" in out
        assert "advanced_interfaces" in out
        assert '"kind":"deregistration_notice"' in out
        assert "R-DER-02" in out
        assert '"code":"account_terminated"' in out
        assert out.rstrip().endswith('"reason":"inactive"}}')

    def test_wechatpy_script_runs_as_written(self, private_sandbox: Sandbox, checkout: Path) -> None:
        (checkout / "demo.py").write_text(walkthrough_blocks("python")[0], encoding="utf-8")

        result = run([sys.executable, "demo.py"], checkout, private_sandbox)

        assert result.returncode == 0, result.stderr
        lines = result.stdout.splitlines()
        assert lines[:3] == ["['127.0.0.1']", "100", "{'id': 100, 'name': '市民'}"]
        assert "'errmsg': 'send job submission success'" in lines[3]
