"""Regenerate `expected.json`: the value of every program in `programs/`, as the TypeScript
compiler's own output (`ts.transpileModule`, target ES2022, module ESNext) gives it under node.

`tests/test_typescript.py` holds the erased programs to these values. Needs node and npm (the
npm registry); the compiler is installed into a temporary folder, nothing is kept but the JSON.

    python tests/typescript_corpus/make_expected.py
"""

from __future__ import annotations

import json
import subprocess
import sys
import tempfile
from pathlib import Path

HERE = Path(__file__).parent
PROGRAMS = HERE / "programs"
EXPECTED = HERE / "expected.json"
TYPESCRIPT = "typescript@5.9.3"
"""The reference compiler, pinned so that the expected values do not move with its releases."""


def main() -> int:
    with tempfile.TemporaryDirectory() as folder:
        root = Path(folder)
        subprocess.run(["npm", "install", "--no-save", "--no-audit", "--no-fund", "--prefix", str(root), TYPESCRIPT],
                       check=True, stdout=subprocess.DEVNULL)
        out = root / "out"
        out.mkdir()
        version = subprocess.run(["node", str(HERE / "transpile.mjs"), str(root / "node_modules" / "typescript"), str(PROGRAMS), str(out)],
                                 check=True, capture_output=True, text=True).stdout
        results = json.loads(subprocess.run(["node", str(HERE / "run_modules.mjs"), str(out)],
                                            check=True, capture_output=True, text=True).stdout)
    failed = {name: result["error"] for name, result in results.items() if "error" in result}
    if failed:
        print(f"programs that failed under the reference compiler: {failed}", file=sys.stderr)
        return 1
    values = ",\n".join(f"  {json.dumps(name)}: {json.dumps(result['value'], ensure_ascii=False)}" for name, result in sorted(results.items()))
    EXPECTED.write_text(f'{{\n "transpiler": "typescript {version}",\n "values": {{\n{values}\n }}\n}}\n', encoding="utf-8")
    print(f"{len(results)} programs, {EXPECTED}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
