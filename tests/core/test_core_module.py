import subprocess
import sys

from rt_synth import __version__


def test_compiled_core_loads_and_matches_package_version():
    from rt_synth import _core

    assert _core.version() == __version__
    assert _core.FORMAT_VERSION == 2


def test_cli_help_runs_without_torch_import():
    # The playing side must start without torch: `rt-synth --help` must not import it.
    code = (
        "import sys; from rt_synth.cli.main import build_parser; build_parser(); "
        "sys.exit(1 if 'torch' in sys.modules else 0)"
    )
    assert subprocess.run([sys.executable, "-c", code]).returncode == 0
