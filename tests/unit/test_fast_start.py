"""`deskbot --help` and `check-config` start fast: heavy libraries load only where used."""

import subprocess
import sys

from bot.kpi import names, service
from store.kpi.queries import scope

HEAVY = ("matplotlib", "scipy", "numpy", "sqlalchemy", "slack_bolt", "knowledge.matcher")


def _modules_after(code: str) -> set[str]:
    probe = f"{code}\nimport sys\nprint('\\n'.join(sys.modules))"
    done = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True)
    return set(done.stdout.split())


def test_the_cli_parser_loads_no_heavy_library():
    loaded = _modules_after("from bot.cli.main import build_parser\nbuild_parser()")
    assert not {name for name in HEAVY if name in loaded}


def test_check_config_loads_no_heavy_library(tmp_path):
    config = tmp_path / "deskbot.yaml"
    config.write_text("agents: [UAGENT1]\ntriage_channel: C0TRIAGE\n")
    loaded = _modules_after(
        "import os\n"
        f"os.environ['DESKBOT_CONFIG'] = {str(config)!r}\n"
        "from bot.cli.main import main\n"
        "assert main(['check-config']) == 0"
    )
    assert not {name for name in HEAVY if name in loaded}


def test_the_parser_names_are_what_the_kpi_service_computes():
    assert set(names.METRICS) == set(service.METRICS)
    assert names.DIMENSIONS == scope.DIMENSIONS
