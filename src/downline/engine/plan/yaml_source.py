"""YAML that remembers where every value came from, and never turns a number into a float.

Scalars keep their exact text when YAML would read them as floats (``2.5`` stays ``"2.5"``), so
money and rates are parsed exactly. :func:`load_yaml` returns the data and a map from each
value's path (a tuple of keys and list indices) to its 1-based line.

A plan file may come from anyone with the plan designer's role, through a web form, so the text
is composed by :class:`LimitedLoader` (``yaml.SafeLoader``'s reader, scanner and parser, never
the full loader) whose composer counts while it builds the node graph, before any Python object
exists:

* at most :data:`MAX_DEPTH` levels of nesting (a 5,000-deep list would exhaust Python's stack);
* at most :data:`MAX_ALIASES` aliases (``*name``), none of them inside the node its anchor names
  (a recursive alias would expand forever);
* at most :data:`MAX_NODES` nodes once every alias is expanded (a "billion laughs" document of a
  few hundred bytes whose aliases nest 9 × 9 × … would otherwise build billions of values);
* only the plain tags of YAML's core schema (``!!str``, ``!!int`` …); ``!!python/…`` and other
  tags are refused.

The size of the text is limited by the caller (``load.MAX_PLAN_BYTES``). Each refusal is a
:class:`YamlSyntaxError` with the line it concerns.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import yaml

from downline.i18n import gettext as _

Path = tuple[str | int, ...]

MAX_DEPTH = 64
"""The deepest nesting of lists and mappings in a plan file (real plans use fewer than 10)."""
MAX_ALIASES = 200
"""The most aliases (``*name``) in a plan file."""
MAX_NODES = 10_000
"""The most values (scalars, lists, mappings) in a plan file once every alias is expanded; the
largest sample plan has about 400."""
CORE_TAGS = frozenset(
    f"tag:yaml.org,2002:{name}"
    for name in ("null", "bool", "int", "float", "str", "seq", "map", "timestamp")
)
"""The tags a plan file may name explicitly (``!!str 10``); every other tag is refused."""


@dataclass(frozen=True)
class YamlSyntaxError(ValueError):
    line: int
    message: str

    def __str__(self) -> str:
        return f"line {self.line}: {self.message}"


def load_yaml(text: str) -> tuple[Any, dict[Path, int]]:
    """Parse ``text``; return ``(data, lines)``. Raises :class:`YamlSyntaxError`."""
    loader: LimitedLoader | None = None
    try:
        loader = LimitedLoader(text)
        node = loader.get_single_node()
    except yaml.MarkedYAMLError as error:
        mark = error.problem_mark or error.context_mark
        line = mark.line + 1 if mark else 1
        raise YamlSyntaxError(line, str(error.problem or error)) from error
    except yaml.reader.ReaderError as error:
        raise YamlSyntaxError(
            text.count("\n", 0, error.position) + 1,
            _("the character U+%(code)04X is not allowed in a plan file")
            % {"code": error.character if isinstance(error.character, int) else 0},
        ) from error
    finally:
        if loader is not None:
            loader.dispose()
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
    except (yaml.YAMLError, ValueError, KeyError, TypeError) as error:
        raise YamlSyntaxError(
            node.start_mark.line + 1,
            _("%(value)r cannot be read as %(tag)s")
            % {"value": _preview(node), "tag": node.tag.rpartition(":")[2]},
        ) from error
    finally:
        loader.dispose()


def _preview(node: yaml.Node) -> str:
    """A short text of a node for a message."""
    text = node.value if isinstance(node, yaml.ScalarNode) else type(node).__name__
    return text if len(text) <= 40 else text[:39] + "…"


def _refusal(message: str, event: yaml.Event) -> yaml.composer.ComposerError:
    return yaml.composer.ComposerError(None, None, message, event.start_mark)


class LimitedLoader(yaml.SafeLoader):
    """``yaml.SafeLoader`` whose composer refuses, while it composes, documents deeper than
    :data:`MAX_DEPTH`, with more than :data:`MAX_ALIASES` aliases or an alias inside its own
    anchor, larger than :data:`MAX_NODES` nodes with aliases expanded, or with a tag outside
    :data:`CORE_TAGS`. Use ``get_single_node()``; constructing Python objects is left to
    :func:`load_yaml`, which only ever sees a node graph that passed."""

    def __init__(self, stream: str) -> None:
        super().__init__(stream)
        self._depth = 0
        self._aliases = 0
        self._nodes = 0  # nodes so far, each alias counted as the size of what it names
        self._sizes: dict[int, int] = {}  # id(anchored node) -> its expanded size, once complete

    def fetch_flow_collection_start(self, TokenClass: type) -> None:
        """Refuse a ``[`` or ``{`` nested too deep while scanning: the scanner reads a flow
        collection to its end before the composer sees it, in time that grows with the square
        of its depth."""
        if self.flow_level >= MAX_DEPTH:
            raise yaml.scanner.ScannerError(
                None,
                None,
                _("nested more than %(limit)d levels deep") % {"limit": MAX_DEPTH},
                self.get_mark(),
            )
        super().fetch_flow_collection_start(TokenClass)

    def compose_node(self, parent: yaml.Node | None, index: Any) -> yaml.Node:
        event = self.peek_event()
        if isinstance(event, yaml.AliasEvent):
            return self._compose_alias(parent, index, event)
        tag = getattr(event, "tag", None)
        if tag not in (None, "!") and tag not in CORE_TAGS:
            raise _refusal(
                _("the tag %(tag)s is not allowed in a plan file")
                % {"tag": tag.replace("tag:yaml.org,2002:", "!!", 1)},
                event,
            )
        self._depth += 1
        if self._depth > MAX_DEPTH:
            raise _refusal(
                _("nested more than %(limit)d levels deep") % {"limit": MAX_DEPTH}, event
            )
        self._count(1, event)
        before = self._nodes - 1
        node = super().compose_node(parent, index)
        self._depth -= 1
        if event.anchor is not None:
            self._sizes[id(node)] = self._nodes - before
        return node

    def _compose_alias(
        self, parent: yaml.Node | None, index: Any, event: yaml.AliasEvent
    ) -> yaml.Node:
        self._aliases += 1
        if self._aliases > MAX_ALIASES:
            raise _refusal(
                _("more than %(limit)d aliases (*name) in one plan file") % {"limit": MAX_ALIASES},
                event,
            )
        node = super().compose_node(parent, index)  # refuses an undefined alias
        size = self._sizes.get(id(node))
        if size is None:
            raise _refusal(
                _("the alias *%(name)s is inside the value it names (a recursive alias)")
                % {"name": event.anchor},
                event,
            )
        self._count(size, event)
        return node

    def _count(self, nodes: int, event: yaml.Event) -> None:
        self._nodes += nodes
        if self._nodes > MAX_NODES:
            raise _refusal(
                _(
                    "more than %(limit)s values once aliases are expanded; "
                    "a plan file is far smaller (is an alias repeated many times?)"
                )
                % {"limit": f"{MAX_NODES:,}"},
                event,
            )
