"""The sandbox's URL (whatwg-url, bundles/node/whatwg_url.js) on the web-platform-tests URL parser
data (`urltestdata.json` of web-platform-tests/wpt, url/resources/, BSD-3-Clause): each case parsed
in the sandbox and in node, the oracle. The data is not part of this repository: point
$JSOLVE_WPT_URLTESTDATA at a copy to run it (skipped otherwise). The sandbox gives node's result for every case (node 20 follows an earlier URL
standard than the data in 7 cases, and so does the sandbox); passed/total for both is printed."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest

from agent.sandbox import Inputs, Limits, Sandbox

DATA = Path(os.environ.get("JSOLVE_WPT_URLTESTDATA") or "urltestdata.json is not given")
FIELDS = ("href", "origin", "protocol", "username", "password", "host", "hostname", "port", "pathname", "search", "hash")

PARSE_ALL = """
const fields = FIELDS;
const results = cases.filter((test) => typeof test !== "string").map((test) => {
  let url;
  try { url = test.base === null ? new URL(test.input) : new URL(test.input, test.base); } catch (e) { return e instanceof TypeError ? null : String(e); }
  return Object.fromEntries(fields.map((f) => [f, url[f]]));
});
""".replace("FIELDS", json.dumps(FIELDS))

NODE_SCRIPT = ('import { readFileSync } from "node:fs";\nconst cases = JSON.parse(readFileSync(process.argv[1], "utf8"));\n'
               + PARSE_ALL + "\nprocess.stdout.write(JSON.stringify(results));")


def _cases() -> list[dict[str, Any]]:
    return [case for case in json.loads(DATA.read_text(encoding="utf-8")) if isinstance(case, dict)]


def passed(cases: list[dict[str, Any]], results: list[Any]) -> int:
    """How many results are what the data expects: a failure, or every field it names."""
    return sum(1 for case, got in zip(cases, results, strict=True)
               if (got is None if case.get("failure") else got is not None and all(got[f] == case[f] for f in FIELDS if f in case)))


@pytest.mark.skipif(not DATA.exists(), reason="set JSOLVE_WPT_URLTESTDATA to a copy of WPT's url/resources/urltestdata.json")
def test_the_url_parser_gives_nodes_result_for_every_wpt_case(sandbox: Sandbox) -> None:
    cases = _cases()
    result = sandbox.run(PARSE_ALL + "\nexport default results;", inputs=Inputs({"cases": json.loads(DATA.read_text(encoding="utf-8"))}),
                         limits=Limits(timeout=60))
    assert result.ok, result.error
    mine = result.value
    assert isinstance(mine, list) and len(mine) == len(cases)
    print(f"\nWPT urltestdata.json, sandbox: {passed(cases, mine)}/{len(cases)} passed")
    if shutil.which("node") is None:
        pytest.skip("node is not on PATH: it is the oracle")
    done = subprocess.run(["node", "--input-type=module", "-e", NODE_SCRIPT, str(DATA)], capture_output=True, text=True, check=True, timeout=120)
    theirs = json.loads(done.stdout)
    print(f"WPT urltestdata.json, node: {passed(cases, theirs)}/{len(cases)} passed")
    different = [(case["input"], case.get("base"), got, want) for case, got, want in zip(cases, mine, theirs, strict=True) if got != want]
    assert not different, different[:10]
