"""What each entry point imports: a sandbox worker and `jsolve run` start without the model side
(pydantic-ai, the HTTP client, the local model), and `import agent` costs nothing until used."""

from __future__ import annotations

import json
import subprocess
import sys

MODEL_SIDE = {"pydantic_ai", "openai", "httpx", "xllamacpp", "structlog", "tree_sitter", "jsonschema", "genson", "yaml"}


def top_level_modules(code: str) -> set[str]:
    probe = code + "\nimport sys, json\nprint(json.dumps(sorted({m.split('.')[0] for m in sys.modules})))"
    done = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    return set(json.loads(done.stdout.splitlines()[-1]))


def test_a_worker_imports_only_the_engine_and_its_protocol():
    loaded = top_level_modules("import agent.sandbox.worker")
    assert "_quickjs" in loaded and "quickjs" not in loaded
    assert not loaded & (MODEL_SIDE | {"pydantic", "pydantic_core", "rich", "typer"}), loaded & (MODEL_SIDE | {"pydantic", "rich", "typer"})


def jsolve_modules(argv: list[str]) -> set[str]:
    """The top-level modules the `jsolve` command imports for `argv`."""
    return top_level_modules(f"import sys\nsys.argv = {['jsolve', *argv]!r}\nfrom agent.__main__ import main\n"
                             "try:\n    main()\nexcept SystemExit:\n    pass")


def test_jsolve_run_imports_neither_the_model_side_nor_the_command_line_framework(tmp_path):
    module = tmp_path / "one.js"
    module.write_text("export default 1")
    for argv in (["run", str(module)], ["run", str(module), "--json"], ["run", "--help"]):
        loaded = jsolve_modules(argv)
        assert not loaded & (MODEL_SIDE | {"typer", "click", "rich", "pydantic", "pydantic_core", "asyncio"}), (argv, loaded & (MODEL_SIDE | {"typer", "click", "rich", "pydantic", "asyncio"}))


def test_jsolve_help_imports_nothing_of_the_model_side():
    loaded = jsolve_modules(["--help"])
    assert "typer" in loaded and not loaded & MODEL_SIDE, loaded & MODEL_SIDE


def test_import_agent_defers_everything_and_still_exports_it():
    assert not top_level_modules("import agent, agent.sandbox, agent.evals") & (MODEL_SIDE | {"pydantic", "quickjs"})
    loaded = top_level_modules("from agent import solve, SolveFailed, UsageError\nfrom agent.sandbox import Sandbox, Inputs, RunResult\n"
                               "from agent.evals import run_cases, load_suite\nassert callable(solve) and issubclass(SolveFailed, Exception)")
    assert "pydantic_ai" in loaded


def test_ray_is_imported_only_when_a_run_asks_for_it():
    loaded = top_level_modules("from agent.evals import run_cases\nfrom agent.evals.ray_backend import RayBackend\nRayBackend('local')")
    assert "pydantic_ai" in loaded and "ray" not in loaded


def test_a_name_a_package_does_not_export_is_an_attribute_error():
    import agent

    try:
        agent.nope  # noqa: B018
    except AttributeError as exc:
        assert "module 'agent' has no attribute 'nope'" in str(exc)
    else:
        raise AssertionError("agent.nope resolved")


def test_the_solve_function_is_the_export_whatever_is_imported_first():
    probe = ("import agent.core.loop\nimport agent\nassert callable(agent.solve) and agent.solve is agent.core.loop.solve\n"
             "from agent import solve, SolveSettings\nassert solve is agent.core.loop.solve\n"
             "import agent.core\nassert agent.solve is solve")
    done = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
