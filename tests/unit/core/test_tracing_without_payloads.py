"""No trace carries a response: every tracer decorator in the core and the handlers says capture_response=False.

Responses hold transcripts, translations and synthesized audio of what a tenant sent (CONVENTIONS 14); a
decorator without the argument would put them in X-Ray. Read from the source, so a new one cannot slip by.
"""

from __future__ import annotations

import ast
from pathlib import Path

import speech_core

ROOTS = [Path(speech_core.__file__).parent, Path(__file__).resolve().parents[3] / "functions"]
TRACER_DECORATORS = {"capture_method", "capture_lambda_handler"}


def _tracer_decorators() -> list[tuple[str, ast.expr]]:
    found = []
    for root in ROOTS:
        for path in sorted(root.rglob("*.py")):
            for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
                if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
                    for decorator in node.decorator_list:
                        target = decorator.func if isinstance(decorator, ast.Call) else decorator
                        if isinstance(target, ast.Attribute) and target.attr in TRACER_DECORATORS:
                            found.append((f"{path.name}:{node.name}", decorator))
    return found


def test_every_traced_function_leaves_its_response_out():
    decorators = _tracer_decorators()
    # the HTTP entry, the services and the adapters are traced (not a vacuous pass)
    names = {name for name, _ in decorators}
    assert {"http_app.py:handler", "client.py:transcribe", "object_store.py:put", "asr.py:transcribe"} <= names
    leaking = [
        name
        for name, decorator in decorators
        if not (
            isinstance(decorator, ast.Call)
            and any(
                k.arg == "capture_response" and isinstance(k.value, ast.Constant) and k.value.value is False
                for k in decorator.keywords
            )
        )
    ]
    assert leaking == [], f"traced without capture_response=False: {leaking}"
