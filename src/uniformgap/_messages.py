"""One pydantic validation error as ONE line naming the key path: "key.path: must be <allowed>, got <value>".

The single formatter of configuration mistakes (experiment configs, `robust train` configs); it
imports no configuration model, so every config module can use it.
"""

from __future__ import annotations

import types
import typing
from dataclasses import dataclass
from typing import Any, Union

from pydantic import BaseModel

# (owner model, field) -> (tag -> model, an example value): discriminated unions tagged by ``kind``
Unions = dict[tuple[type, str], tuple[dict[str, type[BaseModel]], str]]


def one_line(err: dict, root: type[BaseModel], unions: Unions | None = None) -> str:
    """One pydantic error of validating ``root`` as "key.path: must be <allowed>, got <value>"."""
    unions = unions or {}
    path, model, union = _locate(err["loc"], root, unions)
    kind, ctx, value = err["type"], err.get("ctx") or {}, err.get("input")
    if kind == "extra_forbidden":
        allowed = ", ".join(model.model_fields) if model is not None else "?"
        return f"unknown key {path!r} (allowed: {allowed})"
    if kind == "missing":
        return f"missing required key {path!r}"
    if kind in ("union_tag_not_found", "union_tag_invalid") and union is not None:
        tags = ", ".join(repr(t) for t in union[0])
        if kind == "union_tag_not_found":
            return f"missing required key '{path}.kind' (one of {tags}; e.g. {path}: {union[1]})"
        got = value.get("kind") if isinstance(value, dict) else value
        return f"{path}.kind: must be one of {tags}, got {got!r}"
    allowed = _ALLOWED.get(kind)
    if allowed is None and kind in _BOUNDS:
        (name, bound), = ((k, v) for k, v in ctx.items() if k in ("ge", "gt", "le", "lt"))
        noun = "an integer" if isinstance(bound, int) else "a number"
        allowed = f"must be {noun} {_BOUNDS[kind]} {bound:g}"
    elif kind == "literal_error":
        allowed = f"must be one of {ctx.get('expected')}"
    elif kind == "value_error":
        allowed = str(ctx.get("error", err["msg"]))
    elif allowed is None:
        allowed = err["msg"][0].lower() + err["msg"][1:]
    return f"{path}: {allowed}, got {value!r}"


_BOUNDS = {"greater_than_equal": ">=", "greater_than": ">", "less_than_equal": "<=", "less_than": "<"}
_ALLOWED = {
    "int_type": "must be an integer",
    "int_parsing": "must be an integer",
    "int_from_float": "must be an integer",
    "float_type": "must be a number",
    "float_parsing": "must be a number",
    "bool_type": "must be true or false",
    "bool_parsing": "must be true or false",
    "string_type": "must be a string",
    "list_type": "must be a list",
    "dict_type": "must be a mapping",
    "model_type": "must be a mapping",
    "too_short": "must be a non-empty list",
    "finite_number": "must be a finite number",
}


class _Tag:
    """Marker: inside a tagged union the location holds the tag before the field."""

    model_fields: dict = {}  # a key that is no tag: unknown, nothing allowed

    def __init__(self, union: tuple[dict[str, type[BaseModel]], str]):
        self.union = union


def key_path(loc: tuple, root: type[BaseModel], unions: Unions | None = None) -> tuple[str, type[BaseModel] | None]:
    """The user's key path of a pydantic location (union tags and type labels dropped) and
    the model that owns its last key."""
    path, owner, _ = _locate(loc, root, unions or {})
    return path, owner


def _locate(loc: tuple, root: type[BaseModel], unions: Unions) -> tuple[str, Any, Any]:
    model: Any = root
    owner = model
    union = None
    parts: list[str] = []
    for elem in loc:
        if isinstance(elem, int):
            if parts:
                parts[-1] += f"[{elem}]"
            else:
                parts.append(f"[{elem}]")
            continue
        if model is None:
            continue  # pydantic's labels inside unions ("constrained-float", ...)
        if isinstance(model, _DictOf):
            owner, model = model.value, model.value
            parts.append(elem)  # a mapping's key (e.g. search.space.student.lr)
            continue
        if isinstance(model, _Tag):
            if elem in model.union[0]:
                model = model.union[0][elem]
                continue
            owner, model = model, None
            parts.append(elem)
            continue
        if elem in model.model_fields:
            owner = model
            parts.append(elem)
            model = _model_of(model.model_fields[elem].annotation)
            if (owner, elem) in unions:
                union = unions[(owner, elem)]
                model = _Tag(union)  # next loc element is the discriminator tag
        else:
            owner = model
            parts.append(elem)
            model = None
    return ".".join(parts), owner, union


def _model_of(ann: Any) -> Any:
    """The model a field holds: ``M``, ``M | None``, or a :class:`_DictOf` for ``dict[str, M]``."""
    args = [a for a in typing.get_args(ann) if a is not type(None)]
    if typing.get_origin(ann) is dict and len(args) == 2:
        value = _model_of(args[1])
        return _DictOf(value) if isinstance(value, type) and issubclass(value, BaseModel) else None
    if typing.get_origin(ann) in (Union, types.UnionType) and len(args) == 1:
        ann = args[0]
    return ann if isinstance(ann, type) and issubclass(ann, BaseModel) else None


@dataclass(frozen=True)
class _DictOf:
    """Marker: the next location element is a mapping's key, then a ``value`` model."""

    value: type[BaseModel]
