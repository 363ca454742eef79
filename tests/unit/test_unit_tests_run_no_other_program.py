"""tests/unit needs nothing but the interpreter running it: no module of it runs, or looks for, another program.

Tests that run ``kubectl``, ``nameko run`` or a fresh interpreter live in tests/deployment.
"""

import ast
from pathlib import Path

UNIT_TESTS = Path(__file__).parent
RUNNING_A_PROGRAM = {"shutil.which", "os.system"}  # called by these dotted names, or imported from their module


def programs_run(source):
    """The lines of ``source`` that import ``subprocess`` or use ``shutil.which`` or ``os.system``, as written."""
    found = []
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            names = [alias.name for alias in node.names]
            runs = any(name == "subprocess" or name.startswith("subprocess.") for name in names)
        elif isinstance(node, ast.ImportFrom):
            names = [f"{node.module}.{alias.name}" for alias in node.names]
            runs = node.module == "subprocess" or any(name in RUNNING_A_PROGRAM for name in names)
        elif isinstance(node, ast.Call):
            runs = ast.unparse(node.func) in RUNNING_A_PROGRAM
        else:
            continue
        if runs:
            found.append(f"line {node.lineno}: {ast.unparse(node)}")
    return found


def test_no_unit_test_module_imports_subprocess_or_calls_shutil_which_or_os_system():
    offenders = {
        str(path.relative_to(UNIT_TESTS.parent.parent)): found
        for path in sorted(UNIT_TESTS.rglob("*.py"))
        if (found := programs_run(path.read_text()))
    }
    assert offenders == {}, "move these tests to tests/deployment"


def test_each_way_of_running_a_program_is_found():
    assert programs_run(
        "import subprocess\nimport subprocess as sp\nfrom subprocess import run\n"
        "from shutil import which\nfrom os import system\n"
        "shutil.which('kubectl')\nos.system('ls')\n"
    ) == [
        "line 1: import subprocess",
        "line 2: import subprocess as sp",
        "line 3: from subprocess import run",
        "line 4: from shutil import which",
        "line 5: from os import system",
        "line 6: shutil.which('kubectl')",
        "line 7: os.system('ls')",
    ]


def test_plain_python_is_not_taken_for_running_a_program():
    assert (
        programs_run(
            "import os\nimport shutil\nimport sys\nos.path.join('a', 'b')\nshutil.copy('a', 'b')\n"
            "subprocess_free = sys.executable\n"
        )
        == []
    )
