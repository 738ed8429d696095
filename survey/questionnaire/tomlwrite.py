"""Write a questionnaire as TOML in the layout people author by hand.

Only what ``Questionnaire`` needs: strings, numbers, booleans, lists, inline tables for
small structs, and ``[[sections]]``/``[[items]]``/``[[constructs]]`` arrays of tables.
Round-trip is checked by the importer (the written file is loaded back).
"""

from __future__ import annotations

import json
from typing import Any

import msgspec

from survey.questionnaire.model import Questionnaire

_ARRAYS_OF_TABLES = ("sections", "items", "constructs")


def _value(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return repr(value)
    if isinstance(value, str):
        # JSON string escapes are valid TOML basic-string escapes.
        return json.dumps(value, ensure_ascii=False)
    if isinstance(value, list):
        if value and all(isinstance(v, dict) for v in value):
            return "[\n" + "".join(f"  {_value(v)},\n" for v in value) + "]"
        return "[" + ", ".join(_value(v) for v in value) + "]"
    if isinstance(value, dict):
        return "{ " + ", ".join(f"{_key(k)} = {_value(v)}" for k, v in value.items()) + " }"
    raise TypeError(f"cannot write {type(value).__name__} as TOML")


def _key(key: str) -> str:
    return key if key.replace("_", "").replace("-", "").isalnum() else json.dumps(key)


def to_toml(q: Questionnaire, header: str = "") -> str:
    """TOML text for ``q``; ``header`` lines become ``#`` comments at the top."""
    data = msgspec.to_builtins(q)
    # Points copied from a named scale are written once, under [scales].
    for item in data.get("items", []):
        if item.get("scale"):
            item.pop("points", None)
    lines = [f"# {line}".rstrip() for line in header.splitlines()]
    if lines:
        lines.append("")
    for key, value in data.items():
        if key in _ARRAYS_OF_TABLES or key == "scales" or isinstance(value, dict):
            continue
        lines.append(f"{_key(key)} = {_value(value)}")
    for key, value in data.items():
        if isinstance(value, dict) and key != "scales":
            lines += ["", f"[{key}]"] + [f"{_key(k)} = {_value(v)}" for k, v in value.items()]
    for name, scale in data.get("scales", {}).items():
        lines += ["", f"[scales.{_key(name)}]", f"points = {_value(scale['points'])}"]
    for array in _ARRAYS_OF_TABLES:
        for table in data.get(array, []):
            lines += ["", f"[[{array}]]"]
            lines += [f"{_key(k)} = {_value(v)}" for k, v in table.items()]
    return "\n".join(lines) + "\n"
