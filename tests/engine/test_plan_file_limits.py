"""Hostile plan files are refused with the plan error format before they cost time or memory.

A "billion laughs" document (each alias level repeats the one before many times), a recursive
alias, nesting thousands of levels deep, ``!!python/...`` tags, control characters and files over
the size limit each end in ``PlanError`` naming the line and the reason, from the library and
from ``downline plan check`` (exit 2), never in a Python exception or an exhausted machine.
"""

from __future__ import annotations

import pytest

from downline.calc.cli import plan_main
from downline.engine.plan import PlanError, load_plan_text
from downline.engine.plan.load import MAX_PLAN_BYTES
from downline.engine.plan.yaml_source import (
    MAX_ALIASES,
    MAX_DEPTH,
    MAX_NODES,
    YamlSyntaxError,
    load_yaml,
)


def laughs(levels: int, width: int) -> str:
    """``levels`` lines, each a list of ``width`` aliases of the line before: ``width**levels``
    values once expanded, in a few hundred bytes."""
    lines = ["l0: &l0 [" + ",".join(["lol"] * width) + "]"]
    for level in range(1, levels):
        lines.append(f"l{level}: &l{level} [" + ",".join([f"*l{level - 1}"] * width) + "]")
    return "\n".join(lines) + "\n"


def refusal(text: str) -> str:
    with pytest.raises(PlanError) as caught:
        load_plan_text(text, "plan.yaml")
    return caught.value.summary()


def test_a_billion_laughs_document_is_refused_at_the_line_where_it_grows_too_large():
    text = laughs(levels=9, width=9)  # 9**9 = 387,420,489 values once expanded
    assert len(text) < 420  # the 340-byte attack of the review, give or take names
    assert refusal(text) == (
        f"plan.yaml:5: more than {MAX_NODES:,} values once aliases are expanded; a plan file "
        "is far smaller (is an alias repeated many times?)"
    )


def test_growth_is_refused_whatever_the_shape_of_the_laughs():
    # wide and shallow, narrow and deep: each document alone expands past the limit
    for levels, width in ((3, 30), (14, 2), (5, 8)):
        assert width**levels > MAX_NODES
        assert "values once aliases are expanded" in refusal(laughs(levels, width))


def test_anchors_and_aliases_of_modest_size_still_work():
    data, lines = load_yaml("shared: &levels [10%, 5%]\nfirst: *levels\nsecond: *levels\n")
    assert data == {"shared": ["10%", "5%"], "first": ["10%", "5%"], "second": ["10%", "5%"]}
    assert lines[("second",)] == 3


def test_too_many_aliases_are_refused_even_when_each_names_a_scalar():
    text = "a: &a 1\nb: [" + ", ".join(["*a"] * (MAX_ALIASES + 1)) + "]\n"
    assert refusal(text) == (
        f"plan.yaml:2: more than {MAX_ALIASES} aliases (*name) in one plan file"
    )


@pytest.mark.parametrize(
    "text",
    ["name: &a [x, *a]\n", "name: &a {inner: *a}\n", "top:\n  name: &a\n    - 1\n    - *a\n"],
)
def test_a_recursive_alias_is_refused(text):
    assert "the alias *a is inside the value it names (a recursive alias)" in refusal(text)


@pytest.mark.parametrize(
    "text",
    [
        "name: " + "[" * 5000 + "]" * 5000 + "\n",
        "name: " + "{a: " * 5000 + "1" + "}" * 5000 + "\n",
        "".join(" " * depth + "-\n" for depth in range(600)),  # 180 KB: block style is wide
    ],
    ids=["flow list", "flow mapping", "block list"],
)
def test_nesting_thousands_of_levels_deep_is_refused(text):
    assert f"nested more than {MAX_DEPTH} levels deep" in refusal(text)


@pytest.mark.parametrize(
    ("text", "tag"),
    [
        ("name: !!python/object/apply:os.system ['true']\n", "!!python/object/apply:os.system"),
        ("name: !!python/name:os.system\n", "!!python/name:os.system"),
        ("name: !!python/object:collections.OrderedDict {a: 1}\n", "!!python/object:collections"),
        ("name: !custom 1\n", "!custom"),
    ],
)
def test_python_and_unknown_tags_are_refused(text, tag):
    summary = refusal(text)
    assert summary.startswith("plan.yaml:1: the tag " + tag)
    assert summary.endswith("is not allowed in a plan file")


def test_core_tags_are_read_and_a_value_that_does_not_fit_its_tag_is_a_plan_error():
    assert load_yaml("a: !!str 10\nb: !!int 7\n")[0] == {"a": "10", "b": 7}
    with pytest.raises(YamlSyntaxError) as caught:
        load_yaml("a: 1\nb: !!int seven\n")
    assert (caught.value.line, caught.value.message) == (2, "'seven' cannot be read as int")


def test_a_control_character_is_a_plan_error_on_its_line():
    assert refusal("name: x\ncurrency: E\x00UR\n") == (
        "plan.yaml:2: the character U+0000 is not allowed in a plan file"
    )


def test_a_text_over_the_size_limit_is_refused_unread():
    text = "# " + "x" * MAX_PLAN_BYTES + "\nname: big\n"
    assert refusal(text) == "plan.yaml: the file has 257 KiB; a plan file has at most 256 KiB"


def test_plan_check_answers_each_hostile_file_with_its_error_and_exit_2(tmp_path, capsys):
    files = {
        "laughs.yaml": laughs(9, 9).encode(),
        "python.yaml": b"name: !!python/object/apply:os.system ['true']\n",
        "big.yaml": b"# " + b"x" * MAX_PLAN_BYTES + b"\n",
        "latin1.yaml": "name: Caf\u00e9\n".encode("latin-1"),
    }
    for name, content in files.items():
        (tmp_path / name).write_bytes(content)
    status = plan_main(["check", *(str(tmp_path / name) for name in files)])
    assert status == 2
    err = capsys.readouterr().err.splitlines()
    assert err == [
        f"laughs.yaml:5: more than {MAX_NODES:,} values once aliases are expanded; a plan file "
        "is far smaller (is an alias repeated many times?)",
        "python.yaml:1: the tag !!python/object/apply:os.system is not allowed in a plan file",
        "big.yaml: the file has 257 KiB; a plan file has at most 256 KiB",
        "latin1.yaml: the file is not UTF-8 text (byte 9)",
    ]
