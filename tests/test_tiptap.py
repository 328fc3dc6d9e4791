"""app.helpdesk.tiptap.plain_text: every node type a TipTap editor produces, and whatever a client sends."""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from app.helpdesk.tiptap import MAX_DEPTH, plain_text


def text(value: str, **extra: Any) -> dict[str, Any]:
    return {"type": "text", "text": value, **extra}


def paragraph(*content: Any) -> dict[str, Any]:
    return {"type": "paragraph", "content": list(content)}


def item(*content: Any, kind: str = "listItem", **attrs: Any) -> dict[str, Any]:
    node: dict[str, Any] = {"type": kind, "content": list(content)}
    if attrs:
        node["attrs"] = attrs
    return node


def doc(*content: Any) -> dict[str, Any]:
    return {"type": "doc", "content": list(content)}


def test_a_string_passes_through_unchanged():
    assert plain_text("  already plain\n\ttext ") == "  already plain\n\ttext "


def test_paragraphs_and_headings_are_blocks_separated_by_a_blank_line():
    value = doc(
        {"type": "heading", "attrs": {"level": 2}, "content": [text("Refund request")]},
        paragraph(text("Hello, "), text("I was charged twice", marks=[{"type": "bold"}]), text(".")),
        paragraph(),
        paragraph(text("Thanks")),
    )
    assert plain_text(value) == "Refund request\n\nHello, I was charged twice.\n\nThanks"


def test_inline_nodes():
    value = doc(
        paragraph(
            text("Hi "),
            {"type": "mention", "attrs": {"id": "u-42", "label": "Alice"}},
            text(" and "),
            {"type": "mention", "attrs": {"id": "u-43"}},
            {"type": "hardBreak"},
            {"type": "emoji", "attrs": {"name": "tada"}},
            text(" "),
            {"type": "emoji", "attrs": {"name": "smile", "emoji": "😄"}},
            text(" "),
            {"type": "image", "attrs": {"src": "https://x.test/a.png", "alt": "error dialog"}},
        )
    )
    assert plain_text(value) == "Hi @Alice and @u-43\n:tada: 😄 error dialog"


def test_lists_nested_ordered_and_tasks():
    value = doc(
        {"type": "bulletList", "content": [
            item(paragraph(text("Router")), {"type": "bulletList", "content": [item(paragraph(text("reset it")))]}),
            item(paragraph(text("Modem"))),
        ]},
        {"type": "orderedList", "attrs": {"start": 3}, "content": [item(paragraph(text("three"))), item(paragraph(text("four")))]},
        {"type": "taskList", "content": [
            item(paragraph(text("done")), kind="taskItem", checked=True),
            item(paragraph(text("todo")), kind="taskItem", checked=False),
        ]},
    )  # fmt: skip
    assert plain_text(value) == (
        "- Router\n  - reset it\n- Modem\n\n3. three\n4. four\n\n- [x] done\n- [ ] todo"
    )


def test_blockquote_code_rule_and_table():
    value = doc(
        {"type": "blockquote", "content": [paragraph(text("They said")), paragraph(text("wait"))]},
        {"type": "codeBlock", "attrs": {"language": "bash"}, "content": [text("curl -X POST \\\n  https://api.test")]},
        {"type": "horizontalRule"},
        {"type": "table", "content": [
            {"type": "tableRow", "content": [
                {"type": "tableHeader", "content": [paragraph(text("Plan"))]},
                {"type": "tableHeader", "content": [paragraph(text("Price"))]},
            ]},
            {"type": "tableRow", "content": [
                {"type": "tableCell", "content": [paragraph(text("Pro"))]},
                {"type": "tableCell", "content": [paragraph(text("$10"), text(" / month"))]},
            ]},
        ]},
    )  # fmt: skip
    assert plain_text(value) == (
        "> They said\n> wait\n\ncurl -X POST \\\n  https://api.test\n\n---\n\nPlan | Price\nPro | $10 / month"
    )


def test_unknown_and_malformed_nodes_still_give_up_their_text():
    value = doc(
        {"type": "callout", "content": [paragraph(text("Heads up"))]},
        {"type": "fancyInline", "content": [text("wrapped words")]},
        {"type": "paragraph", "content": "not a list"},
        {"type": "paragraph", "text": "text where content was expected"},
        paragraph(text("a"), 7, None, ["nested", text(" list")], text("b")),
        {"no": "type", "content": [paragraph(text("typeless"))]},
        {"type": 5, "text": "numeric type"},
        3.5,
        {"type": "mention", "attrs": "not a dict"},
        {"type": "text", "text": None},
        {"type": "bulletList", "content": [paragraph(text("item without listItem")), "loose"]},
        "a bare string",
        " next to a text node",
    )
    assert plain_text(value) == (
        "Heads up\n\nwrapped words\n\ntext where content was expected\n\na\nnested list\nb\n\ntypeless\n\n"
        "numeric type\n\n- item without listItem\n- loose\n\na bare string next to a text node"
    )


@pytest.mark.parametrize("value", [None, 42, 1.5, True, [], {}, {"type": "doc"}, {"type": "doc", "content": None}])
def test_values_without_text_give_the_empty_string(value):
    assert plain_text(value) == ""


def test_a_list_of_nodes_is_read_like_a_document():
    assert plain_text([paragraph(text("one")), paragraph(text("two"))]) == "one\n\ntwo"


@pytest.mark.parametrize("wrapper", ["blockquote", "bulletList", "listItem", "unknownBlock", "table"])
def test_hostile_nesting_neither_raises_nor_loses_the_words(wrapper):
    node: Any = paragraph(text("bottom"), text(" words"))
    for _ in range(50_000):
        node = {"type": wrapper, "content": [node]}
    result = plain_text(doc(node))
    assert result.endswith("bottom words")
    assert len(result) < 50 * MAX_DEPTH  # the structure past MAX_DEPTH was flattened, not rendered


def test_deeply_nested_plain_lists_do_not_raise():
    value: Any = ["core"]
    for _ in range(100_000):
        value = [value]
    assert plain_text(value) == "core"


JSON = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=True) | st.text(max_size=20),
    lambda children: st.lists(children, max_size=5) | st.dictionaries(st.text(max_size=10), children, max_size=5),
    max_leaves=60,
)
NODE_KEYS = st.sampled_from(["type", "content", "text", "attrs", "marks"])
NODE_TYPES = st.sampled_from(
    ["doc", "paragraph", "heading", "text", "bulletList", "orderedList", "listItem", "taskList", "taskItem",
     "blockquote", "codeBlock", "hardBreak", "mention", "emoji", "image", "table", "tableRow", "tableCell",
     "tableHeader", "horizontalRule", "mystery"]
)  # fmt: skip
# Node-shaped JSON: the keys and type names TipTap uses, with arbitrary values mixed in, so the
# generator reaches the renderer's branches rather than only its "not a node" exits.
NODE_LIKE = st.recursive(
    st.none() | st.integers() | st.text(max_size=10) | NODE_TYPES,
    lambda children: st.lists(children, max_size=4)
    | st.dictionaries(NODE_KEYS, children | NODE_TYPES, max_size=5)
    | st.fixed_dictionaries({"type": NODE_TYPES}, optional={"content": st.lists(children, max_size=4), "text": children, "attrs": st.dictionaries(st.sampled_from(["label", "id", "alt", "name", "start", "checked", "emoji"]), children)}),
    max_leaves=80,
)  # fmt: skip


@settings(max_examples=400, deadline=None)
@given(JSON)
def test_never_raises_on_arbitrary_json(value):
    assert isinstance(plain_text(value), str)


@settings(max_examples=600, deadline=None)
@given(NODE_LIKE)
def test_never_raises_on_node_shaped_json_and_keeps_every_text_node(value):
    result = plain_text(value)
    assert isinstance(result, str)
    for node_text in _text_node_strings(value):
        for word in node_text.split():
            assert word in result


# Leaf nodes: TipTap never gives them content, and their text is their attributes.
ATOMS = ("text", "mention", "emoji", "image", "hardBreak", "horizontalRule")


def _text_node_strings(value: Any) -> list[str]:
    """The `text` of every text node reached through `content` from the root (not inside atoms)."""
    found: list[str] = []
    stack = [value]
    while stack:
        current = stack.pop()
        if isinstance(current, list):
            stack.extend(current)
        elif isinstance(current, dict):
            if current.get("type") == "text" and isinstance(current.get("text"), str):
                found.append(current["text"])
            content = current.get("content")
            if isinstance(content, (list, dict)) and current.get("type") not in ATOMS:
                stack.append(content)
    return found
