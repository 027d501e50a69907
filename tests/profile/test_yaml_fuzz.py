"""Whatever text a person (or a broken editor) puts in a profile, the answer is a ProfileError with
problems, never a traceback."""

from __future__ import annotations

import copy
from pathlib import Path

import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from vpnconsole.profile import Profile, ProfileError, parse_profile

BASE = yaml.safe_load((Path(__file__).resolve().parents[2] / "profiles" / "classic.yaml").read_text())

scalars = st.one_of(st.none(), st.booleans(), st.integers(), st.floats(allow_nan=True), st.text(max_size=40),
                    st.sampled_from(["192.168.0.0/24", "0.0.0.0/0", "aes", "group2", "ikev2", "-", "1-2", "?"]))
values = st.recursive(scalars, lambda inner: st.one_of(st.lists(inner, max_size=4),
                                                        st.dictionaries(st.text(max_size=12), inner, max_size=4)),
                      max_leaves=12)


def _check(text: str) -> None:
    try:
        result = parse_profile(text)
    except ProfileError as exc:
        assert exc.problems, "a ProfileError must say why"
        for problem in exc.problems:
            assert problem.path and problem.message
    else:
        assert isinstance(result, Profile)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.text(max_size=300))
def test_arbitrary_text_never_raises_anything_else(text):
    _check(text)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(values)
def test_arbitrary_yaml_documents_never_raise_anything_else(doc):
    _check(yaml.safe_dump(doc))


def _paths(node, prefix=()):
    if isinstance(node, dict):
        for k, v in node.items():
            yield prefix + (k,)
            yield from _paths(v, prefix + (k,))
    elif isinstance(node, list):
        for i, v in enumerate(node):
            yield prefix + (i,)
            yield from _paths(v, prefix + (i,))


PATHS = list(_paths(BASE))


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(st.tuples(st.sampled_from(PATHS), values), min_size=1, max_size=3))
def test_a_valid_profile_with_any_value_replaced_never_raises_anything_else(changes):
    doc = copy.deepcopy(BASE)
    for path, value in changes:
        node = doc
        try:
            for key in path[:-1]:
                node = node[key]
            node[path[-1]] = value
        except (KeyError, IndexError, TypeError):
            continue
    _check(yaml.safe_dump(doc))


def test_alias_bombs_are_refused():
    bomb = "a: &a [x, x, x, x, x, x, x, x, x]\n" + "".join(
        f"{chr(98 + i)}: &{chr(98 + i)} [" + ", ".join([f"*{chr(97 + i)}"] * 9) + "]\n" for i in range(8))
    try:
        parse_profile(bomb)
    except ProfileError as exc:
        assert "too large" in str(exc.problems[0].message)
    else:  # pragma: no cover
        raise AssertionError("an alias bomb must be refused")
