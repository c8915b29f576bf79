"""What the demo town's pledges say (app/pledges/demo.py): titles and contents by post, general and
collective pledges, progress reports by keyword, the helped households (placeholders, never a real
name) and the closing comments."""

from __future__ import annotations

from app.pledges.models import PledgeCategory

# post → (title, content, category); the first fits the post, a member's second pledge is often general
BY_POST: dict[str, list[tuple[str, str, PledgeCategory]]] = {
    "政策宣传岗": [
        (
            "宣传惠民政策",
            "每月到组里宣讲一次惠农补贴、医保和养老保险政策，帮助群众把该办的手续办好。",
            PledgeCategory.post_duty,
        ),
    ],
    "环境卫生监督岗": [
        (
            "义务清扫组内道路卫生",
            "每周义务清扫组内主干道一次，督促农户做好门前三包，垃圾不落地。",
            PledgeCategory.post_duty,
        ),
    ],
    "矛盾纠纷调解岗": [
        (
            "协调村民组矛盾",
            "组内邻里纠纷、土地纠纷第一时间到场调解，做到小事不出组、大事不出村。",
            PledgeCategory.post_duty,
        ),
    ],
    "帮扶济困岗": [
        (
            "定点帮扶一户低保户",
            "每月至少上门两次，帮助解决生产生活中的实际困难，年底前帮助增收。",
            PledgeCategory.pairing,
        ),
    ],
    "安全生产监督岗": [
        (
            "排查组内安全隐患",
            "每季度排查一次组内用电、用火和危房隐患，发现问题当天上报、跟踪整改。",
            PledgeCategory.post_duty,
        ),
    ],
    "文明新风岗": [
        ("倡导移风易俗", "带头红白喜事从简，劝导组内群众不大操大办、不搞封建迷信。", PledgeCategory.post_duty),
    ],
    "产业发展岗": [
        (
            "带头发展特色种养",
            "带动组内 3 户农户发展稻虾共养，免费提供技术指导，帮助联系销路。",
            PledgeCategory.post_duty,
        ),
    ],
    "治安巡逻岗": [
        (
            "参加夜间治安巡逻",
            "每周参加两次夜间治安巡逻，重点看护空巢老人和留守儿童家庭。",
            PledgeCategory.public_service,
        ),
    ],
    "关爱留守老人岗": [
        (
            "关爱空巢老人",
            "每周看望组内空巢老人一次，帮助买药、代办事务，节假日上门陪伴。",
            PledgeCategory.public_service,
        ),
    ],
    "村务监督岗": [
        ("监督村务公开", "每季度参与一次村务公开监督，把群众的意见和建议带到支委会。", PledgeCategory.post_duty),
    ],
    "防汛抗旱岗": [
        (
            "汛期巡堤查险",
            "汛期每天巡查一次组内塘坝和沟渠，发现险情第一时间报告并组织群众转移。",
            PledgeCategory.post_duty,
        ),
    ],
    "党员先锋岗": [
        (
            "义务维修组内路灯",
            "组内路灯坏了当周修好，每月检查一次线路，确保群众夜间出行方便。",
            PledgeCategory.public_service,
        ),
    ],
}
GENERAL = [
    ("处理好组内各项事务", "配合党小组长处理好组内各项事务，群众有事随叫随到。", PledgeCategory.other),
    (
        "帮助群众代办事务",
        "为行动不便的群众代办社保、医保、养老认证等事务，每月不少于两次。",
        PledgeCategory.public_service,
    ),
    ("义务清扫组内道路卫生", "每周清扫组内道路一次，带动邻居一起搞好环境卫生。", PledgeCategory.public_service),
    ("协调村民组矛盾", "及时了解邻里之间的矛盾，主动上门做工作，化解在萌芽状态。", PledgeCategory.post_duty),
    ("关爱留守儿童", "结对 2 名留守儿童，每月辅导一次作业，寒暑假组织一次活动。", PledgeCategory.public_service),
]
COLLECTIVE = [
    ("修通组内水泥路", "年内修通组内 1.2 公里通组水泥路，党员带头义务出工，群众出行不再走泥巴路。"),
    ("换路灯", "把组内老旧路灯全部更换为太阳能路灯，做到主干道夜间全覆盖。"),
    ("村民组绿化", "在组内道路两旁和塘埂边植树 300 棵，党员分片包干管护。"),
    ("清理组内沟渠", "汛期前清理组内沟渠淤泥，保证排水畅通，党员每人包一段。"),
    ("整治塘埂环境", "清理塘埂垃圾和杂草，建好护栏，打造干净整洁的村民组环境。"),
    ("建设村民组文化广场", "利用闲置空地建设文化广场，配齐健身器材，方便群众休闲娱乐。"),
]
PROGRESS = {
    "default": ["已按承诺完成本月任务，群众反映良好。", "本月上门走访 {n} 次，收集意见 {m} 条，已逐条回应。"],
    "路灯": ["本月修好路灯 {n} 盏，更换灯泡 {m} 个。", "检查组内线路一遍，排除隐患 {n} 处。"],
    "清扫": ["本月清扫主干道 {n} 次，清运垃圾 {m} 车。", "组织 {n} 户群众一起清扫了村道。"],
    "低保户": ["上门 {n} 次，帮助联系了务工岗位。", "帮助申请临时救助，并送去米油。"],
    "老人": ["本月看望空巢老人 {n} 次，代买药品 {m} 次。", "陪同一位老人到镇卫生院体检。"],
    "矛盾": ["本月调解邻里纠纷 {n} 起，均已化解。", "上门调解一起宅基地纠纷，双方签了协议。"],
    "路": ["已完成路基 {n}0%，党员义务出工 {m} 人次。", "水泥路面已浇筑 {n} 百米。"],
    "绿化": ["本月植树 {n}0 棵，成活率九成以上。", "组织党员给新栽的树浇水、扶正。"],
}
HOUSEHOLDS = ["程某某户", "汪某某户", "胡某某户", "檀某某户", "王某某户", "李某某户"]
CLOSE_COMMENTS = ["经核实已按承诺兑现，群众满意。", "经走访群众核实，承诺事项已完成。"]
PARTLY_COMMENT = "大部分已完成，剩余部分因天气原因推迟，转入明年承诺。"
