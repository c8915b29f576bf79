"""Print what `make run` promises before the server starts: the demo logins (from the file seed-demo
wrote), the public board of the demo member's party group and the town's star board (from the
database it seeded). The README's persona table is this printout's; keep the two alike."""

from __future__ import annotations

import json
import sys
import unicodedata
from pathlib import Path

LABELS = {
    "committee_admin": "党委管理员",
    "secretary": "支部书记",
    "group_leader": "党小组长",
    "member": "党员",
    "supervisor": "监督小组",
    "other_secretary": "另一支部书记",
    "new_member": "首次登录党员",
}


def width(text: str) -> int:
    """Columns on a terminal: a Chinese character takes two."""
    return sum(2 if unicodedata.east_asian_width(c) in "WF" else 1 for c in text)


def pad(text: str, columns: int) -> str:
    return text + " " * max(0, columns - width(text))


def main() -> None:
    path, url = Path(sys.argv[1]), sys.argv[2].rstrip("/")
    print(f"\n亮诺 Liangnuo 运行在 {url}/  （接口文档 {url}/api/docs）")
    if not path.exists():
        print("（没有找到演示账号文件；数据库不是由 seed-demo 生成的。）")
        return
    entries = json.loads(path.read_text(encoding="utf-8"))
    print("演示账号（手机号 / 密码，登录后在“我的”里找公示牌）：")
    for e in entries:
        role = e["role"]
        print(
            f"  {pad(LABELS.get(role, role), 12)} {pad(role, 16)} {pad(e['name'], 7)}"
            f" {e['phone']} / {pad(e['password'], 16)} {e['unit']}"
        )
    if any(e["role"] == "new_member" for e in entries):
        print("  （首次登录党员的账号刚开通：第一次登录须先设置自己的密码，之后上面印的密码不再有效。）")
    member = next((e for e in entries if e["role"] == "member"), None)
    board, stars = _demo_boards(member["phone"] if member else None)
    if board is not None:
        print(f"公示牌（群众扫码看到的页面）：{board[0]}  {url}/b/{board[1]}")
    if stars is not None:
        print(f"创星榜（已公布的星级）：{stars[0]}  {url}/s/{stars[1]}")
    print()


def _demo_boards(member_phone: str | None) -> tuple[tuple[str, str] | None, tuple[str, str] | None]:
    """The pledge board of the demo member's group (else their branch's, else the first one) and
    the first star board: each as (title, token), or None."""
    from sqlalchemy import case, select
    from sqlmodel import Session, col

    from app.boards.models import Board, BoardKind
    from app.core.db import engine
    from app.members.models import Member

    with Session(engine) as session:
        live = select(Board.title, Board.token).where(col(Board.archived_at).is_(None))
        board = None
        if member_phone:
            found = session.execute(
                select(Member.group_id, Member.branch_id).where(col(Member.phone) == member_phone)
            ).first()
            if found is not None:
                group_id, branch_id = found
                board = session.execute(
                    live.where(col(Board.kind) == BoardKind.pledges, col(Board.unit_id).in_([group_id, branch_id]))
                    .order_by(case((col(Board.unit_id) == group_id, 0), else_=1), col(Board.id))
                    .limit(1)
                ).first()
        if board is None:
            board = session.execute(
                live.where(col(Board.kind) == BoardKind.pledges).order_by(col(Board.id)).limit(1)
            ).first()
        stars = session.execute(live.where(col(Board.kind) == BoardKind.stars).order_by(col(Board.id)).limit(1)).first()
    return (
        (board[0], board[1]) if board is not None else None,
        (stars[0], stars[1]) if stars is not None else None,
    )


if __name__ == "__main__":
    main()
