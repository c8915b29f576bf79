"""The columns of the two imports (members, org units) and their xlsx templates.

A column has its Chinese header (and the other headers people write for it), whether it is required
and the values a drop-down offers. The template is a workbook with those headers (bold, frozen), one
example row the import skips (its first cell starts with 示例), drop-downs for the fixed choices and
for the importer's own branches and groups (on a hidden 选项 sheet), and a sheet of instructions.
"""

from __future__ import annotations

import io
from dataclasses import dataclass

from openpyxl import Workbook
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.datavalidation import DataValidation

from app.core.permissions import ROLE_LABELS, Role
from app.members.models import GENDER_LABELS, MEMBER_STATUS_LABELS
from app.org.models import UNIT_KIND_LABELS

EXAMPLE_PREFIX = "示例"
TEMPLATE_ROWS = 2000  # rows that carry the drop-downs


@dataclass(frozen=True)
class Column:
    key: str
    header: str
    aliases: tuple[str, ...] = ()
    required: bool = False
    choices: tuple[str, ...] = ()
    width: int = 14
    text: bool = False  # formatted as text in the template (phones keep their digits)
    hint: str = ""


# roles an import hands out: the ones a secretary may give inside their branch
IMPORT_ROLES: dict[str, Role] = {ROLE_LABELS[r]: r for r in (Role.member, Role.group_leader, Role.supervisor)}
YES = ("是", "同意", "Y", "YES", "TRUE", "1", "√")
NO = ("否", "不同意", "N", "NO", "FALSE", "0", "×")

MEMBER_COLUMNS: tuple[Column, ...] = (
    Column("name", "姓名", required=True, width=12, hint="必填"),
    Column("gender", "性别", choices=tuple(GENDER_LABELS.values()), width=8),
    Column(
        "phone",
        "手机号",
        ("手机", "手机号码", "联系电话", "登录手机号"),
        required=True,
        width=16,
        text=True,
        hint="必填，11 位；也是登录账号，按手机号识别同一人",
    ),
    Column("branch", "党支部", ("所在党支部", "支部"), width=26, hint="名称或完整路径，如 平山镇党委/大洼社区党支部"),
    Column("group", "党小组", ("所在党小组",), width=16),
    Column("post", "岗位", ("设岗", "党员岗位"), width=18),
    Column("public_title", "公示职务", ("职务",), width=12),
    Column("joined_date", "入党日期", ("入党时间",), width=13, hint="如 2001-07-01"),
    Column("role", "角色", choices=tuple(IMPORT_ROLES), width=14),
    Column("board_consent", "同意公示", ("是否同意公示", "同意上公示牌"), choices=("是", "否"), width=10),
    Column("status", "状态", ("党员状态",), choices=tuple(MEMBER_STATUS_LABELS.values()), width=10),
)

UNIT_COLUMNS: tuple[Column, ...] = (
    Column("name", "名称", ("组织名称",), required=True, width=22, hint="必填"),
    Column("kind", "类型", ("组织类型",), required=True, choices=tuple(UNIT_KIND_LABELS.values()), width=10),
    Column(
        "parent",
        "上级组织",
        ("上级", "上级组织路径"),
        required=True,
        width=40,
        hint="完整路径，如 平山镇党委/大洼社区党支部",
    ),
    Column("sort_order", "排序", ("顺序",), width=8),
)

_EXAMPLES = {
    "members": [
        "示例：张三",
        "男",
        "13800000000",
        "平山镇党委/大洼社区党支部",
        "司山党小组",
        "环境卫生监督岗",
        "",
        "2001-07-01",
        "党员",
        "是",
        "在册",
    ],
    "units": ["示例：司山党小组", "党小组", "平山镇党委/大洼社区党支部", "1"],
}

_INSTRUCTIONS = {
    "members": [
        "党员名册导入说明",
        "1. 第 1 行是表头，请勿修改；第 2 行是示例（“示例”开头的行导入时自动跳过），可以删除。",
        "2. 姓名、手机号必填；党支部填名称或完整路径（如 平山镇党委/大洼社区党支部），书记导入本支部时可以不填。",
        "3. 按手机号识别同一名党员：已登记的党员会按表格更新（转到其他党支部按“转出”处理），没登记的新增。",
        "4. 新登记的党员自动开通登录账号（手机号登录）和一次性初始密码；导入后打印凭条交给本人，首次登录须改密码。",
        "5. 角色可填：党员、党小组长、监督小组成员；党小组长须同时填党小组。状态可填：在册、已转出、不在册。",
        "6. 请不要使用公式和合并单元格；日期写成 2001-07-01。",
        "7. 先“检查”，看过检查结果再“确认导入”：有任何问题时一行也不会写入。",
    ],
    "units": [
        "组织导入说明",
        "1. 第 1 行是表头，请勿修改；“示例”开头的行导入时自动跳过。",
        "2. 类型可填：党委、党总支、党支部、党小组。上级组织填完整路径，如 平山镇党委/大洼社区党支部。",
        "3. 上级组织可以是系统里已有的，也可以是本表中其他行新建的。已存在的同名组织不会重复建立。",
        "4. 先“检查”，看过检查结果再“确认导入”：有任何问题时一行也不会写入。",
    ],
}


def columns_for(kind: str) -> tuple[Column, ...]:
    return MEMBER_COLUMNS if kind == "members" else UNIT_COLUMNS


def template(kind: str, *, units: list[str] | None = None, groups: list[str] | None = None) -> bytes:
    """The xlsx template of an import; `units` and `groups` fill the drop-downs of the branch (or, for
    org units, the parent) and group columns with the importer's own."""
    columns = columns_for(kind)
    workbook = Workbook()
    sheet = workbook.active
    assert sheet is not None
    sheet.title = "党员名册" if kind == "members" else "组织"
    header_fill = PatternFill("solid", fgColor="C8161D")
    for index, column in enumerate(columns, start=1):
        cell = sheet.cell(row=1, column=index, value=column.header)
        cell.font = Font(bold=True, color="FFFFFF")
        cell.fill = header_fill
        cell.alignment = Alignment(horizontal="center", vertical="center")
        letter = get_column_letter(index)
        sheet.column_dimensions[letter].width = column.width
        if column.text:
            for row in range(2, TEMPLATE_ROWS + 2):
                sheet.cell(row=row, column=index).number_format = "@"
    for index, value in enumerate(_EXAMPLES[kind], start=1):
        cell = sheet.cell(row=2, column=index, value=value)
        cell.font = Font(color="555555", italic=True)
    sheet.freeze_panes = "A2"

    options = workbook.create_sheet("选项")
    options.sheet_state = "hidden"
    lists: dict[str, tuple[str, ...]] = {c.key: c.choices for c in columns if c.choices}
    if units:
        lists["branch" if kind == "members" else "parent"] = tuple(units)
    if groups and kind == "members":
        lists["group"] = tuple(groups)
    for offset, (key, values) in enumerate(lists.items(), start=1):
        options.cell(row=1, column=offset, value=key)
        for row, value in enumerate(values, start=2):
            options.cell(row=row, column=offset, value=value)
        index = next(i for i, c in enumerate(columns, start=1) if c.key == key)
        column = columns[index - 1]
        source = f"选项!${get_column_letter(offset)}$2:${get_column_letter(offset)}${len(values) + 1}"
        validation = DataValidation(
            type="list",
            formula1=source,
            # a branch or group may also be typed (a full path), so only the fixed choices are strict
            allow_blank=True,
            showErrorMessage=bool(column.choices),
            errorTitle="请从下拉列表中选择",
            error=f"{column.header}只能填：{'、'.join(values[:8])}",
        )
        letter = get_column_letter(index)
        validation.add(f"{letter}2:{letter}{TEMPLATE_ROWS + 1}")
        sheet.add_data_validation(validation)

    notes = workbook.create_sheet("填写说明")
    for row, line in enumerate(_INSTRUCTIONS[kind], start=1):
        notes.cell(row=row, column=1, value=line).font = Font(bold=row == 1, size=13 if row == 1 else 11)
    notes.column_dimensions["A"].width = 110
    for row, column in enumerate(columns, start=len(_INSTRUCTIONS[kind]) + 2):
        notes.cell(
            row=row, column=1, value=f"{column.header}：{column.hint or ('必填' if column.required else '选填')}"
        )
    out = io.BytesIO()
    workbook.save(out)
    return out.getvalue()
