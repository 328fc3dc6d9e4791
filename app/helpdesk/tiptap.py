"""Plain text from a TipTap (ProseMirror) document, for search, embeddings and AI prompts.

    plain_text({"type": "doc", "content": [{"type": "paragraph", "content": [{"type": "text", "text": "Hi"}]}]})
    == "Hi"

Blocks (paragraphs, headings, code blocks, list items, table rows) each start on a new line;
top-level blocks are separated by a blank line, as TipTap's own `getText()` does. Lists keep a
`- ` or `1. ` marker, block quotes a `> `, table cells are joined with ` | `, a mention becomes
`@label`, an emoji its character (or `:name:`), an image its alt text.

The input comes from clients, so nothing about its shape is trusted: unknown node types still give
up their text, a missing or malformed `content` is skipped, and a non-dict item is ignored (a bare
string is taken as text). Nesting deeper than `MAX_DEPTH` is flattened to its words instead of being
walked recursively, so a hostile document cannot exhaust the stack. A plain string passes through.
"""

from __future__ import annotations

import re
from typing import Annotated, Any

import msgspec

from app.helpdesk.validation import invalid

# A ticket description's plain text, whatever its form, holds at most this many characters; the
# AI procedures that take a description apply the same limit.
MAX_DESCRIPTION_CHARS = 100_000
# As a description is sent: plain text or a TipTap (ProseMirror) JSON document. The string's limit
# shows in the API; a document's is checked on its plain text (`description_text`).
Description = (
    Annotated[str, msgspec.Meta(max_length=MAX_DESCRIPTION_CHARS, description="Plain text, at most 100,000 characters")]
    | Annotated[dict[str, Any], msgspec.Meta(description="A TipTap document of at most 100,000 characters of text")]
)

# Real documents nest a few levels (doc > list > item > paragraph > text, lists in lists); past this
# the structure is ignored and only the words are kept.
MAX_DEPTH = 64

# Nodes that render inline, within a line of text.
_INLINE_TYPES = frozenset({"text", "hardBreak", "mention", "emoji", "hashtag", "image", "inlineMath"})
_LIST_TYPES = frozenset({"bulletList", "orderedList", "taskList"})
_LIST_ITEM_TYPES = frozenset({"listItem", "taskItem"})
_CELL_TYPES = frozenset({"tableCell", "tableHeader"})
_KNOWN_BLOCK_TYPES = frozenset(
    {
        "doc",
        "paragraph",
        "heading",
        "title",
        "blockquote",
        "codeBlock",
        "horizontalRule",
        "table",
        "tableRow",
        *_LIST_TYPES,
        *_LIST_ITEM_TYPES,
        *_CELL_TYPES,
        "details",
        "detailsSummary",
        "detailsContent",
        "callout",
    }
)
_BLANK_LINES = re.compile(r"\n{3,}")


def plain_text(value: Any) -> str:
    """The plain text of a TipTap document (or of a list of nodes); a string is returned as is."""
    if isinstance(value, str):
        return value
    if not isinstance(value, (dict, list)):
        return ""
    blocks = _render_blocks(value if isinstance(value, list) else [value], 0)
    return _tidy("\n\n".join(block for block in blocks if block.strip()))


def _tidy(text: str) -> str:
    lines = [line.rstrip() for line in text.split("\n")]
    return _BLANK_LINES.sub("\n\n", "\n".join(lines)).strip("\n")


def _node_type(node: dict[str, Any]) -> str:
    kind = node.get("type")
    return kind if isinstance(kind, str) else ""


def _attrs(node: dict[str, Any]) -> dict[str, Any]:
    attrs = node.get("attrs")
    return attrs if isinstance(attrs, dict) else {}


def _children(node: dict[str, Any]) -> list[Any]:
    content = node.get("content")
    if isinstance(content, list):
        return content
    if isinstance(content, dict):  # a single node where a list was expected
        return [content]
    return []


def _is_inline(item: Any) -> bool:
    if isinstance(item, str):
        return True
    if not isinstance(item, dict):
        return False
    kind = _node_type(item)
    if kind in _INLINE_TYPES:
        return True
    if kind in _KNOWN_BLOCK_TYPES:
        return False
    # An unknown node is inline when it carries text itself or wraps only inline nodes (checked one
    # level down only, so that this test never recurses).
    if isinstance(item.get("text"), str):
        return True
    children = _children(item)
    return bool(children) and all(
        isinstance(child, str)
        or (isinstance(child, dict) and (_node_type(child) in _INLINE_TYPES or isinstance(child.get("text"), str)))
        for child in children
    )


def _inline_text(item: Any, depth: int) -> str:
    if isinstance(item, str):
        return item
    if not isinstance(item, dict):
        return ""
    if depth > MAX_DEPTH:
        return _flat_words(item)
    kind = _node_type(item)
    attrs = _attrs(item)
    if kind == "hardBreak":
        return "\n"
    if kind == "mention":
        label = _first_text(attrs.get("label"), attrs.get("id"))
        return f"@{label}" if label else ""
    if kind == "hashtag":
        label = _first_text(attrs.get("label"), attrs.get("id"))
        return f"#{label}" if label else ""
    if kind == "emoji":
        character = _first_text(attrs.get("emoji"), attrs.get("char"))
        if character:
            return character
        name = _first_text(attrs.get("name"))
        return f":{name}:" if name else ""
    if kind == "image":
        return _first_text(attrs.get("alt"), attrs.get("title"))
    if kind == "inlineMath":
        return _first_text(attrs.get("latex"), item.get("text"))
    text = item.get("text")
    own = text if isinstance(text, str) else ""
    if kind == "text":
        return own
    return own + "".join(_inline_text(child, depth + 1) for child in _children(item))


def _first_text(*candidates: Any) -> str:
    for candidate in candidates:
        if isinstance(candidate, str) and candidate:
            return candidate
        if isinstance(candidate, (int, float)) and not isinstance(candidate, bool):
            return str(candidate)
    return ""


def _render_blocks(items: list[Any], depth: int) -> list[str]:
    """Each block's text, in order; runs of inline items (malformed, but common) form one block."""
    blocks: list[str] = []
    inline_run: list[str] = []
    for item in items:
        if _is_inline(item):
            inline_run.append(_inline_text(item, depth + 1))
            continue
        if inline_run:
            blocks.append("".join(inline_run))
            inline_run = []
        if isinstance(item, dict):
            blocks.extend(_render_node_blocks(item, depth + 1))
        elif isinstance(item, list):  # a nested list where a node was expected
            blocks.extend(_render_blocks(item, depth + 1) if depth < MAX_DEPTH else [_flat_words(item)])
    if inline_run:
        blocks.append("".join(inline_run))
    return blocks


def _render_node_blocks(node: dict[str, Any], depth: int) -> list[str]:
    if depth > MAX_DEPTH:
        return [_flat_words(node)]
    kind = _node_type(node)
    children = _children(node)
    if kind in ("paragraph", "heading", "codeBlock", "title"):
        if not children and isinstance(node.get("text"), str):
            return [node["text"]]
        return ["\n".join(_render_blocks(children, depth))]
    if kind == "horizontalRule":
        return ["---"]
    if kind == "blockquote":
        quoted = "\n".join(_render_blocks(children, depth))
        return ["\n".join(f"> {line}" if line else ">" for line in quoted.split("\n"))]
    if kind in _LIST_TYPES:
        return ["\n".join(_render_list(node, depth))]
    if kind == "tableRow":
        return [_render_row(node, depth + 1)]
    if kind == "table":
        rows = [
            _render_row(row, depth + 1) if isinstance(row, dict) else " ".join(_render_blocks([row], depth + 1))
            for row in children
        ]
        return ["\n".join(rows)]
    # doc, listItem outside a list, details, callout, columns and every unknown container.
    return _render_blocks(children, depth)


def _render_list(node: dict[str, Any], depth: int) -> list[str]:
    kind = _node_type(node)
    start = _attrs(node).get("start", 1)
    number = start if isinstance(start, int) and not isinstance(start, bool) else 1
    lines: list[str] = []
    for item in _children(node):
        if isinstance(item, dict) and _node_type(item) in _LIST_ITEM_TYPES:
            body = "\n".join(block for block in _render_blocks(_children(item), depth + 1) if block)
        else:
            body = "\n".join(_render_blocks([item], depth + 1))
        if kind == "orderedList":
            marker = f"{number}. "
            number += 1
        elif kind == "taskList" or (isinstance(item, dict) and _node_type(item) == "taskItem"):
            marker = "- [x] " if isinstance(item, dict) and _attrs(item).get("checked") is True else "- [ ] "
        else:
            marker = "- "
        indent = " " * len(marker)
        body_lines = body.split("\n")
        lines.append(marker + body_lines[0])
        lines.extend(indent + line if line else "" for line in body_lines[1:])
    return lines


def _render_row(row: dict[str, Any], depth: int) -> str:
    if depth > MAX_DEPTH:
        return _flat_words(row)
    cells: list[str] = []
    for cell in _children(row):
        if isinstance(cell, dict) and _node_type(cell) in _CELL_TYPES:
            cells.append(" ".join(" ".join(_render_blocks(_children(cell), depth + 1)).split()))
        else:
            cells.append(" ".join(" ".join(_render_blocks([cell], depth + 1)).split()))
    return " | ".join(cells)


def _flat_words(value: Any) -> str:
    """Every text string under `value`, space-separated, walked without recursion."""
    words: list[str] = []
    stack: list[Any] = [value]
    while stack:
        item = stack.pop()
        if isinstance(item, str):
            words.append(item)
        elif isinstance(item, list):
            stack.extend(reversed(item))
        elif isinstance(item, dict):
            text = item.get("text")
            if isinstance(text, str):
                words.append(text)
            content = item.get("content")
            if isinstance(content, (list, dict)):
                stack.append(content)
    return " ".join(" ".join(words).split())



def description_text(description: Any, path: str = "description") -> str:
    """The description's plain text, trimmed; BAD_REQUEST at `path` past MAX_DESCRIPTION_CHARS."""
    text = plain_text(description).strip()
    if len(text) > MAX_DESCRIPTION_CHARS:
        raise invalid(path, f"Expected text of at most {MAX_DESCRIPTION_CHARS} characters")
    return text
