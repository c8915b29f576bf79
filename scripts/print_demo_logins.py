"""Print the demo logins and a public board URL `make run` promises (from the file seed-demo wrote,
and the boards in the database it seeded)."""

from __future__ import annotations

import json
import sys
from pathlib import Path

LABELS = {
    "committee_admin": "党委管理员",
    "secretary": "支部书记",
    "group_leader": "党小组长",
    "member": "党员",
    "supervisor": "监督小组",
    "other_secretary": "另一支部书记",
}


def main() -> None:
    path, url = Path(sys.argv[1]), sys.argv[2]
    print(f"\n亮诺 Liangnuo 运行在 {url}/  （接口文档 {url}/api/docs）")
    if not path.exists():
        print("（没有找到演示账号文件；数据库不是由 seed-demo 生成的。）")
        return
    print("演示账号（手机号 / 密码）：")
    for entry in json.loads(path.read_text(encoding="utf-8")):
        print(
            f"  {LABELS.get(entry['role'], entry['role']):<8} {entry['name']:<4} {entry['phone']} / {entry['password']}  {entry['unit']}"
        )
    board = _demo_board(json.loads(path.read_text(encoding="utf-8")))
    if board is not None:
        title, token = board
        print(f"公示牌（群众扫码看到的页面）：{title}  {url}/b/{token}")
    print()


def _demo_board(entries: list[dict[str, str]]) -> tuple[str, str] | None:
    """The board of the demo member's unit (else the first board): its title and token."""
    from sqlalchemy import select
    from sqlmodel import Session, col

    from app.boards.models import Board
    from app.core.db import engine
    from app.org.models import OrgUnit

    units = [e["unit"] for e in entries if e["role"] == "member"]
    with Session(engine) as session:
        stmt = select(Board.title, Board.token).join(OrgUnit, col(OrgUnit.id) == col(Board.unit_id))
        stmt = stmt.where(col(Board.archived_at).is_(None)).order_by(col(Board.id))
        for name in units:
            row = session.execute(stmt.where(col(OrgUnit.name) == name.split("/")[-1]).limit(1)).first()
            if row is not None:
                return row[0], row[1]
        row = session.execute(stmt.limit(1)).first()
        return (row[0], row[1]) if row is not None else None


if __name__ == "__main__":
    main()
