"""What a model name means: the one place a name (or its absence) is read.

`model_named` turns what a caller gave (`--model`, `model=`, `ServerConfig.model`) into a
`ModelName`: the embedded model, a GGUF file (`gguf:PATH`), or a pydantic-ai model name, and
whether $JSOLVE_MODEL named it. The loop, the MCP server, `jsolve serve`, the Ray backend and
`resolve_model` (`agent.models.client`, which builds the model) all ask it. Standard library only,
so that naming a model costs nothing (`jsolve serve` never imports pydantic-ai).
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from agent.errors import UsageError

__all__ = ["GGUF_PREFIX", "MODEL_ENV", "ModelKind", "ModelName", "model_named"]

MODEL_ENV = "JSOLVE_MODEL"
"""The environment variable naming the model when the caller names none."""

GGUF_PREFIX = "gguf:"
"""The prefix of a model name that is the path of a GGUF file (`gguf:/path/model.gguf`)."""

ModelKind = Literal["embedded", "gguf", "provider"]
"""What a model name means: the embedded model (the `local` extra), a GGUF file run the same way,
or a model pydantic-ai reaches through a provider."""


@dataclass(frozen=True, slots=True, kw_only=True)
class ModelName:
    """What a model name means, read without building, starting or reaching anything."""

    kind: ModelKind
    """`embedded`, `gguf` or `provider` (see `ModelKind`)."""
    name: str
    """The name as given, or as $JSOLVE_MODEL gives it, without surrounding blanks; "" for the
    embedded model named by neither."""
    path: Path | None = None
    """The GGUF file of a `gguf` name (`~` expanded); None for the others."""
    provider: str | None = None
    """The provider prefix of a `provider` name (`openai-chat` of `openai-chat:qwen`); None for a
    name without one (pydantic-ai's `test`)."""
    from_env: bool = False
    """Whether $JSOLVE_MODEL named it (the caller named none)."""


def model_named(model: str | None, environ: Mapping[str, str] = os.environ) -> ModelName:
    """What `model` names: a blank or None name is $JSOLVE_MODEL's (read from `environ`), else the
    embedded model; `gguf:PATH` a GGUF file; anything else a pydantic-ai model name, which only
    `resolve_model` can tell known or not. Raises `UsageError` for a `model` that is not a str
    (a pydantic-ai `Model` is taken as it is before a name is read) and for `gguf:` without a path."""
    if model is not None and not isinstance(model, str):
        raise UsageError(f"model must be a model name or a pydantic-ai Model, got {type(model).__name__}")
    name, from_env = (model or "").strip(), False
    if not name:
        name = environ.get(MODEL_ENV, "").strip()
        from_env = bool(name)
    if not name:
        return ModelName(kind="embedded", name="")
    if name.startswith(GGUF_PREFIX):
        file = name.removeprefix(GGUF_PREFIX).strip()
        if not file:
            raise UsageError(f"{name!r} names no file: give the GGUF file's path, as in gguf:/path/model.gguf")
        return ModelName(kind="gguf", name=name, path=Path(file).expanduser(), from_env=from_env)
    provider = name.split(":", 1)[0] if ":" in name else None
    return ModelName(kind="provider", name=name, provider=provider, from_env=from_env)
