"""YAML loading that remembers where every value came from.

Profile errors name the key path *and* the line, so the loader keeps a map from key paths
(``("onprem", "subnets", 1)``) to 1-based (line, column).  Only plain data is built (SafeLoader
nodes: mappings, sequences, scalars); duplicate keys, non-string keys, recursive aliases and
absurdly large documents are reported as :class:`YamlProblem`, never as a traceback.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import yaml

Path = tuple[str | int, ...]

#: Alias expansion can make a tiny document enormous ("billion laughs"); a profile has ~60 values.
MAX_NODES = 20_000
MAX_DEPTH = 64


@dataclass(frozen=True)
class YamlProblem(Exception):
    message: str
    line: int | None = None
    column: int | None = None

    def __str__(self) -> str:
        where = f"line {self.line}, column {self.column}: " if self.line else ""
        return f"{where}{self.message}"


@dataclass
class Located:
    """A parsed document and the position of every value in it."""

    data: Any
    marks: dict[Path, tuple[int, int]]

    def where(self, path: Path) -> tuple[int, int] | None:
        # The nearest known ancestor, so a missing key points at its parent mapping.
        while True:
            if path in self.marks:
                return self.marks[path]
            if not path:
                return None
            path = path[:-1]


def load(text: str) -> Located:
    try:
        node = yaml.compose(text, Loader=yaml.SafeLoader)
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        problem = exc.problem or exc.context or "invalid YAML"
        if mark is not None:
            raise YamlProblem(f"YAML syntax error: {problem}", mark.line + 1, mark.column + 1) from None
        raise YamlProblem(f"YAML syntax error: {problem}") from None
    except yaml.YAMLError as exc:
        raise YamlProblem(f"YAML syntax error: {exc}") from None
    except (ValueError, UnicodeError) as exc:  # e.g. NUL bytes, bad surrogates
        raise YamlProblem(f"unreadable YAML: {exc}") from None
    if node is None:
        return Located(None, {})
    builder = _Builder()
    data = builder.build(node, ())
    return Located(data, builder.marks)


class _Builder:
    def __init__(self) -> None:
        self.marks: dict[Path, tuple[int, int]] = {}
        self.count = 0
        self.active: set[int] = set()

    def build(self, node: yaml.Node, path: Path) -> Any:
        self.count += 1
        if self.count > MAX_NODES:
            raise YamlProblem(f"document too large (more than {MAX_NODES} values)")
        if len(path) > MAX_DEPTH or id(node) in self.active:
            raise YamlProblem("document nests too deep (recursive alias?)", *_pos(node))
        self.marks.setdefault(path, _pos(node))
        self.active.add(id(node))
        try:
            if isinstance(node, yaml.MappingNode):
                return self._mapping(node, path)
            if isinstance(node, yaml.SequenceNode):
                return [self.build(item, path + (i,)) for i, item in enumerate(node.value)]
            return self._scalar(node)
        finally:
            self.active.discard(id(node))

    def _mapping(self, node: yaml.MappingNode, path: Path) -> dict[str, Any]:
        out: dict[str, Any] = {}
        for key_node, value_node in node.value:
            if key_node.tag == "tag:yaml.org,2002:merge":
                raise YamlProblem("YAML merge keys (<<) are not supported in profiles", *_pos(key_node))
            if not isinstance(key_node, yaml.ScalarNode):
                raise YamlProblem("mapping keys must be plain names", *_pos(key_node))
            key = self._scalar(key_node)
            if not isinstance(key, str):
                # `1: x`, `true: x`, `null: x` — YAML reads them as non-strings; keep the text.
                key = str(key_node.value)
            if key in out:
                where = _path_text(path + (key,))
                raise YamlProblem(f"{where}: key appears twice", *_pos(key_node))
            self.marks[path + (key,)] = _pos(key_node)
            out[key] = self.build(value_node, path + (key,))
        return out

    @staticmethod
    def _scalar(node: yaml.Node) -> Any:
        loader = yaml.SafeLoader("")
        try:
            return loader.construct_object(node, deep=True)
        except yaml.YAMLError as exc:
            raise YamlProblem(f"bad value: {getattr(exc, 'problem', exc)}", *_pos(node)) from None
        except (ValueError, OverflowError) as exc:  # e.g. a timestamp like 2024-99-99
            raise YamlProblem(f"bad value {node.value!r}: {exc}", *_pos(node)) from None
        finally:
            loader.dispose()


def _pos(node: yaml.Node) -> tuple[int, int]:
    return node.start_mark.line + 1, node.start_mark.column + 1


def _path_text(path: Path) -> str:
    out = ""
    for part in path:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else str(part))
    return out or "(top level)"


path_text = _path_text
