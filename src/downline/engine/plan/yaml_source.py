"""YAML that remembers where every value came from, and never turns a number into a float.

Scalars keep their exact text when YAML would read them as floats (``2.5`` stays ``"2.5"``), so
money and rates are parsed exactly. :func:`load_yaml` returns the data and a map from each
value's path (a tuple of keys and list indices) to its 1-based line.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import yaml

Path = tuple[str | int, ...]


@dataclass(frozen=True)
class YamlSyntaxError(ValueError):
    line: int
    message: str

    def __str__(self) -> str:
        return f"line {self.line}: {self.message}"


def load_yaml(text: str) -> tuple[Any, dict[Path, int]]:
    """Parse ``text``; return ``(data, lines)``. Raises :class:`YamlSyntaxError`."""
    try:
        node = yaml.compose(text, Loader=yaml.SafeLoader)
    except yaml.MarkedYAMLError as error:
        mark = error.problem_mark or error.context_mark
        line = mark.line + 1 if mark else 1
        raise YamlSyntaxError(line, str(error.problem or error)) from error
    lines: dict[Path, int] = {}
    if node is None:
        return {}, lines
    return _construct(node, (), lines), lines


def _construct(node: yaml.Node, path: Path, lines: dict[Path, int]) -> Any:
    lines[path] = node.start_mark.line + 1
    if isinstance(node, yaml.MappingNode):
        result: dict[str, Any] = {}
        for key_node, value_node in node.value:
            key = str(_scalar(key_node))
            if key in result:
                raise YamlSyntaxError(key_node.start_mark.line + 1, f"duplicate key {key!r}")
            result[key] = _construct(value_node, (*path, key), lines)
            lines[(*path, key)] = key_node.start_mark.line + 1
        return result
    if isinstance(node, yaml.SequenceNode):
        return [_construct(item, (*path, index), lines) for index, item in enumerate(node.value)]
    return _scalar(node)


def _scalar(node: yaml.Node) -> Any:
    if node.tag == "tag:yaml.org,2002:float":
        return node.value  # exact text; parsed later as a decimal
    if node.tag == "tag:yaml.org,2002:merge":
        raise YamlSyntaxError(node.start_mark.line + 1, "merge keys (<<) are not supported")
    loader = yaml.SafeLoader("")
    try:
        return loader.construct_object(node, deep=True)
    finally:
        loader.dispose()
