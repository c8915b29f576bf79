"""Print the demo logins `make run` promises (from the file seed-demo wrote)."""

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
        print(f"  {LABELS.get(entry['role'], entry['role']):<8} {entry['name']:<4} {entry['phone']} / {entry['password']}  {entry['unit']}")
    print()


if __name__ == "__main__":
    main()
