"""A newcomer's first hour with the `flowlab` command: every mistake is one line and exit 2,
`--wait` says how the run ended, `show` lists every input, `workflows` reads whole, and the
servers print their URL once they listen. Real subprocesses; a real cluster where runs run."""

from __future__ import annotations

import json
import re
import socket
import subprocess
import sys

import httpx
import pytest

from tests.cli.conftest import CLI, ROOT

FLOWS = "tests.cli.first_hour_flows"


@pytest.fixture(scope="module")
def bare(tmp_path_factory):
    """The command in a FLOWLAB_HOME of its own, no cluster: for what is refused before any run."""
    return CLI(tmp_path_factory.mktemp("first-hour-home"))


def _count(cli) -> int:
    from flowlab.store import open_store
    from flowlab.store.search import count

    return count("", store=open_store(f"tinydb://{cli.home}"))


def _one_line(done) -> str:
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1, done.stderr
    assert "Traceback" not in done.stderr
    return lines[0]


@pytest.mark.parametrize(
    ("flags", "message"),
    [
        (["--array", "x="], "flowlab: --array 'x=': no values; give x=V1,V2,…"),
        (["--array", "x=1,,2"], "flowlab: --array 'x=1,,2': value 2 of 3 is empty"),
        (["--array", "x=1,2,"], "flowlab: --array 'x=1,2,': value 3 of 3 is empty"),
        (["--input", "x="], "flowlab: --input 'x=': no value after '='; give x=VALUE"),
        (["--input", "x=  "], "flowlab: --input 'x=  ': no value after '='"),
        (["--input", "x=2", "--input", "mode="], "flowlab: --input 'mode=': no value"),
    ],
)
def test_an_empty_flag_value_is_refused_naming_the_flag_and_value(bare, flags, message):
    before = _count(bare)
    done = bare("submit", f"{FLOWS}:halved", *flags)
    assert done.returncode == 2, (done.stdout, done.stderr)
    assert _one_line(done).startswith(message)
    assert _count(bare) == before  # nothing launched, nothing recorded


def _write(tmp_path, name: str, text: str):
    path = tmp_path / name
    path.write_text(text)
    return path


def test_a_target_file_with_a_syntax_error_is_one_line_naming_file_and_line(bare, tmp_path):
    flows = _write(tmp_path, "broken.py", "from flowlab import workflow\n\n@workflow\ndef wf(x:\n")
    done = bare("submit", f"{flows}:wf")
    assert done.returncode == 2
    assert _one_line(done).startswith(f"flowlab: cannot load file '{flows}': line 4: SyntaxError: ")
    # the flags are read first: a bad one is named even when the file is broken too
    flagged = bare("submit", f"{flows}:wf", "--array", "x=")
    assert flagged.returncode == 2
    assert _one_line(flagged).startswith("flowlab: --array 'x=': no values")


@pytest.mark.parametrize(
    ("files", "where", "error"),
    [
        (
            {"flows.py": "import os\nimport no_such_module_zz\n"},
            "line 2",
            "ModuleNotFoundError: No module named 'no_such_module_zz'",
        ),
        (
            {
                "flows.py": "import helper_zz\n",
                "helper_zz.py": "x = 1\nraise RuntimeError('no\\ndb')\n",
            },
            "'{dir}/helper_zz.py', line 2",
            "RuntimeError: no db",
        ),
        (
            {
                "flows.py": "import pandas as pd\nfrom flowlab import operator\n\n"
                "@operator\ndef f(x: int) -> pd.DataFrame:\n    return x\n"
            },
            "line 4",
            "SchemaError: operator 'f': its return annotation DataFrame is not a flowlab type; "
            "declare the outputs with returns=",
        ),
    ],
)
def test_a_target_file_that_fails_to_import_is_one_line_naming_file_line_and_error(
    bare, tmp_path, files, where, error
):
    for name, text in files.items():
        _write(tmp_path, name, text)
    flows = tmp_path / "flows.py"
    for command in (["submit", f"{flows}:wf"], ["workflows", str(flows)]):
        done = bare(*command)
        assert done.returncode == 2, done.stderr
        line = _one_line(done)
        assert line.startswith(f"flowlab: cannot load file '{flows}': ")
        assert f"{where.format(dir=tmp_path)}: {error}" in line


def test_a_module_target_that_fails_to_import_is_one_line_too(bare, tmp_path):
    _write(tmp_path, "first_hour_broken_zz.py", "x = (\n")
    done = subprocess.run(
        [sys.executable, "-m", "flowlab", "submit", "first_hour_broken_zz:wf"],
        cwd=tmp_path,
        env=bare.env,
        capture_output=True,
        text=True,
        timeout=180,
    )
    assert done.returncode == 2
    line = _one_line(done)
    assert line.startswith("flowlab: cannot load module 'first_hour_broken_zz': ")
    assert f"'{tmp_path}/first_hour_broken_zz.py', line 1: SyntaxError" in line


def test_workflows_shows_the_whole_first_paragraph_and_enum_choices(bare):
    done = bare("workflows", FLOWS)
    assert done.returncode == 0, done.stderr
    assert (
        f"{FLOWS}:rows  Count the rows of data, a dataset given by catalog name or path.\n"
        in done.stdout
    )
    halved = done.stdout.split(f"{FLOWS}:halved")[1].split("\n\n")[0]
    header, *rows = halved.strip().splitlines()  # it has no description
    assert header.split() == ["INPUT", "TYPE", "REQUIRED", "DEFAULT", "CHOICES"]
    assert rows[1].split() == ["mode", "ENUM", "False", "fast", "fast,exact"]
    described = {w["name"]: w for w in bare.json("workflows", FLOWS)}
    assert described["rows"]["description"] == (
        "Count the rows of data, a dataset given by catalog name or path."
    )
    assert described["halved"]["inputs"]["mode"]["choices"] == ["fast", "exact"]


# -- runs on a real cluster -------------------------------------------------------------------------
def _id(done) -> str:
    assert done.returncode == 0, done.stderr
    return done.stdout.strip()


def test_wait_prints_the_final_status_with_the_scalar_outputs(cli):
    done = cli("submit", f"{FLOWS}:halved", "--input", "x=3", "--wait")
    run_id = _id(done)
    assert done.stderr.strip().splitlines()[-1] == f"{run_id} succeeded: result=1.5"


def test_wait_of_a_failing_run_prints_the_operator_and_its_error(cli):
    done = cli("submit", f"{FLOWS}:refused", "--input", "x=3", "--wait")
    assert done.returncode == 1
    run_id = done.stdout.strip()
    last = done.stderr.strip().splitlines()[-1]
    assert last.startswith(f"{run_id} failed: ")
    assert "'refuse'" in last and "ValueError: cannot halve 3.0" in last


def test_wait_json_prints_the_final_record(cli):
    done = cli("submit", f"{FLOWS}:halved", "--input", "x=5", "--wait", "--json")
    assert done.returncode == 0, done.stderr
    record = json.loads(done.stdout)
    assert record["status"] == "succeeded" and record["outputs"] == {"result": 2.5}
    assert record["inputs"] == {"x": 5.0, "mode": "fast"}
    shown = cli.json("show", record["id"])
    assert record == {k: shown[k] for k in record}  # what show --json says of it
    failed = cli("submit", f"{FLOWS}:refused", "--input", "x=1", "--wait", "--json")
    assert failed.returncode == 1
    record = json.loads(failed.stdout)
    assert record["status"] == "failed" and "cannot halve 1.0" in record["error"]


def test_show_lists_every_input_a_dataset_by_catalog_name_or_uri(cli, tmp_path):
    csv = tmp_path / "points.csv"
    csv.write_text("x,y\n1,2\n3,4\n5,6\n")
    assert cli("datasets", "register", "first-hour-points", str(csv)).returncode == 0
    by_name = _id(
        cli(
            "submit", f"{FLOWS}:rows", "--input", "data=first-hour-points",
            "--input", "flags=a,b", "--wait",
        )
    )  # fmt: skip
    by_path = _id(cli("submit", f"{FLOWS}:rows", "--input", f"data={csv}", "--wait"))
    named = cli.json("show", by_name)
    assert named["inputs"] == {"data": "first-hour-points", "flags": ["a", "b"]}
    assert named["outputs"] == {"result": 3}
    assert cli.json("show", by_path)["inputs"] == {"data": str(csv), "flags": None}
    text = cli("show", by_name).stdout
    assert "  data = first-hour-points\n" in text and "  flags = " in text


# -- servers ----------------------------------------------------------------------------------------
def _first_line_with(process, text: str) -> tuple[str, list[str]]:
    """The first line of ``process``'s output holding ``text``, and the lines before it."""
    before = []
    for line in process.stdout:
        if text in line:
            return line, before
        before.append(line)
    raise AssertionError(f"the process ended without saying {text!r}: {''.join(before)}")


@pytest.mark.parametrize(
    ("command", "says"),
    [
        (["serve", "--port", "0"], "flowlab serving on "),
        (["ui", "--no-show", "--port", "0"], "flowlab dashboard: "),
    ],
)
def test_a_server_prints_its_url_once_it_listens(bare, command, says):
    process = subprocess.Popen(
        [sys.executable, "-m", "flowlab", *command],
        cwd=ROOT,
        env={**bare.env, "PYTHONUNBUFFERED": "1"},
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:
        line, before = _first_line_with(process, says)
        assert not [b for b in before if "http://" in b]  # no other URL said first
        url = re.search(r"(http://\S+)", line).group(1)
        port = int(re.search(r":(\d+)/", url).group(1))
        # connected at once, never refused: the server listens before it says where
        socket.create_connection(("127.0.0.1", port), timeout=10).close()
        # and answered once it is ready (the request waits meanwhile)
        assert httpx.get(url, timeout=300, follow_redirects=True).status_code == 200
    finally:
        process.terminate()
        process.wait(timeout=60)


def test_a_server_whose_port_is_taken_says_so_in_one_line(bare):
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = str(taken.getsockname()[1])
        for command in (["serve", "--port", port], ["ui", "--no-show", "--port", port]):
            done = bare(*command)
            assert done.returncode == 1
            assert _one_line(done) == (
                f"flowlab: cannot listen on 127.0.0.1:{port}: Address already in use"
            )
