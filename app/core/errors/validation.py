"""Validation errors in Chinese words: each pydantic error as a message naming the field by its Chinese
name, and the choices of an enum by theirs.

Each domain registers its fields' and values' names (`register_labels`) when its schemas are imported;
core knows no domain.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from enum import Enum
from typing import Any

from fastapi.exceptions import RequestValidationError

# {label}: the field's Chinese name (register_labels), else the field as sent
_FIELD_MESSAGES = {
    "missing": "请填写{label}",
    "string_too_long": "{label}太长了（最多 {max_length} 个字）",
    "string_too_short": "{label}太短了（至少 {min_length} 个字）",
    "greater_than_equal": "{label}不能小于 {ge}",
    "less_than_equal": "{label}不能大于 {le}",
    "greater_than": "{label}必须大于 {gt}",
    "less_than": "{label}必须小于 {lt}",
    "int_parsing": "{label}应为整数",
    "int_type": "{label}应为整数",
    "int_from_float": "{label}应为整数",
    "float_parsing": "{label}应为数字",
    "float_type": "{label}应为数字",
    "bool_parsing": "{label}应为“是”或“否”",
    "bool_type": "{label}应为“是”或“否”",
    "string_type": "{label}应为文字",
    "date_from_datetime_parsing": "{label}应为日期，如 2026-12-31",
    "date_from_datetime_inexact": "{label}应为日期，如 2026-12-31",
    "date_parsing": "{label}应为日期，如 2026-12-31",
    "date_type": "{label}应为日期，如 2026-12-31",
    "datetime_parsing": "{label}的时间格式不正确",
    "datetime_from_date_parsing": "{label}的时间格式不正确",
    "enum": "{label}应为{expected}",
    "literal_error": "{label}应为{expected}",
    "string_pattern_mismatch": "{label}的格式不正确",
    "json_invalid": "提交的内容不是有效的 JSON",
    "model_attributes_type": "{label}的格式不正确",
    "model_type": "{label}的格式不正确",
    "dict_type": "{label}的格式不正确",
    "list_type": "{label}应为一组值",
    "too_long": "{label}太多了（最多 {max_length} 项）",
    "too_short": "{label}太少了（至少 {min_length} 项）",
    "extra_forbidden": "不认识的内容：{field}",
    "value_error": "{msg}",
    "assertion_error": "{msg}",
}
_ID_RANGE = ("greater_than_equal", "less_than_equal", "greater_than", "less_than")

# ---------------------------------------------------------------- Chinese names in validation messages

# path prefix ("" for everywhere) → field name → its Chinese name
_FIELD_LABELS: dict[str, dict[str, str]] = {
    "": {"body": "提交的内容", "page": "页码", "size": "每页条数", "q": "搜索词"},
}
# the set of an enum's values → value → its Chinese name
_VALUE_LABELS: dict[frozenset[str], dict[str, str]] = {}
_ANY_VALUE_LABELS: dict[str, str] = {}


def register_labels(
    fields: Mapping[str, str] | None = None, *, values: Mapping[Any, str] | None = None, prefix: str = ""
) -> None:
    """Give request fields, and the values of enums, the Chinese names validation messages use.

    Each domain registers its own when its schemas are imported (core knows no domain). `fields`
    maps a field name (as sent: "title", "due_date", "member_ids") to its name ("标题"); where one
    name means different things, register the rarer one with a path `prefix` ("/api/v1/units" for
    an org unit's "name"). `values` maps enum members to their names ({PledgeCategory.post_duty:
    "岗位职责", …}): a wrong value is answered with the choices by name ("类别应为岗位职责、…或其他").
    """
    if fields:
        _FIELD_LABELS.setdefault(prefix, {}).update(fields)
    for member, label in (values or {}).items():
        value = str(member.value if isinstance(member, Enum) else member)
        if isinstance(member, Enum):
            choices = frozenset(str(m.value) for m in type(member))
            _VALUE_LABELS.setdefault(choices, {})[value] = label
        _ANY_VALUE_LABELS.setdefault(value, label)


def field_label(field: str, path: str = "") -> str:
    """The Chinese name of a field for a request to `path` (the field itself when none is known)."""
    for prefix in sorted(_FIELD_LABELS, key=len, reverse=True):
        if path.startswith(prefix) and field in _FIELD_LABELS[prefix]:
            return _FIELD_LABELS[prefix][field]
    return field


def _choices(expected: str) -> str:
    """pydantic's "'a', 'b' or 'c'" as "甲、乙或丙" where the values have names."""
    values = re.findall(r"'((?:[^'\\]|\\.)*)'", expected)
    if not values:
        return expected
    table = _VALUE_LABELS.get(frozenset(values), {})
    names = [table.get(v) or _ANY_VALUE_LABELS.get(v) or v for v in values]
    return names[0] if len(names) == 1 else "、".join(names[:-1]) + "或" + names[-1]


def field_errors(exc: RequestValidationError, path: str = "") -> list[dict[str, Any]]:
    """Each error as {field, label, message, type}: `field` as sent (for programs), the message in
    Chinese naming the field by its label."""
    out = []
    for err in exc.errors():
        kind = str(err.get("type", ""))
        parts = [p for p in err.get("loc", ()) if p not in ("body", "query", "path", "header", "form", "cookie")]
        field = ".".join(str(p) for p in parts) if kind != "json_invalid" else ""
        name = next((str(p) for p in reversed(parts) if isinstance(p, str)), "")
        label = field_label(name, path) if name else "提交的内容"
        ctx = dict(err.get("ctx") or {})
        msg = str(err.get("msg", "")).removeprefix("Value error, ").removeprefix("Assertion failed, ")
        if kind in ("enum", "literal_error") and "expected" in ctx:
            ctx["expected"] = _choices(str(ctx["expected"]))
        if kind in _ID_RANGE and name.endswith(("_id", "_ids")):
            message = f"{label}编号不正确"
        elif kind == "string_too_short" and ctx.get("min_length") == 1:
            message = f"请填写{label}"
        else:
            template = _FIELD_MESSAGES.get(kind, "{label}的格式不正确")
            try:
                message = template.format(
                    label=label, field=field, msg=msg, **{k: v for k, v in ctx.items() if k not in ("msg", "label")}
                )
            except (KeyError, IndexError, ValueError):
                message = f"{label}的格式不正确"
        out.append({"field": field or "body", "label": label, "message": message, "type": kind})
    return out


def validation_detail(errors: list[dict[str, Any]]) -> str:
    """One error: its message ("请填写原因"); several: the fields by name ("提交的内容有误：标题、内容")."""
    if len(errors) == 1:
        return str(errors[0]["message"])
    labels = list(dict.fromkeys(str(e["label"]) for e in errors))
    shown = "、".join(labels[:5]) + ("等" if len(labels) > 5 else "")
    return f"提交的内容有误：{shown}"
