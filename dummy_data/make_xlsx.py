"""Regenerate dummy_data/test.xlsx from the hand-written rows below (synthetic, illustrative).

The workbook exercises: Chinese column names, separate option columns 选项A..选项E (one question
has only four), English rubric column names, fully blank rows between records (not data rows),
a number-typed id cell, and a second "说明" (notes) sheet without a question column, which
ingestion skips with a warning. Row X009 has a non-numeric rubric score and must be rejected.

Run: ``python dummy_data/make_xlsx.py`` (needs openpyxl). The result is committed; do not edit
the .xlsx by hand. openpyxl stamps the save time into the file, so the bytes change on every run
while the cells do not.
"""

from __future__ import annotations

import logging
from pathlib import Path

import openpyxl

logger = logging.getLogger(__name__)

HEADER = [
    "题号", "题目", "选项A", "选项B", "选项C", "选项D", "选项E", "正确答案", "答案解析", "学科", "题型",
    "medical_correctness", "reasoning_structure", "information_sufficiency", "terminology_clarity",
    "clinical_value", "审核状态",
]

# None = empty cell. Rubric scores only on some rows.
ROWS: list[list[object] | None] = [
    ["X001", "心脏骤停后判断患者无反应、无正常呼吸时，首先应采取的措施是", "立即行胸外按压", "先测量血压", "先建立静脉通路",
     "先做12导联心电图", "先给予肾上腺素", "A",
     "对无反应且无正常呼吸者应立即呼救并开始高质量胸外按压，尽早除颤（A对）。测血压、建立静脉通路、做心电图都会延误按压（B、C、D错）；肾上腺素在按压和除颤基础上使用，不是首要措施（E错）。",
     "急诊科", "A1", 5, 5, 4, 5, 5, "已通过"],
    None,
    ["X002", "支气管哮喘急性发作时，缓解症状首选的药物是", "吸入糖皮质激素", "吸入短效β2受体激动剂", "口服白三烯受体拮抗剂",
     "口服茶碱缓释片", "色甘酸钠", "B",
     "短效β2受体激动剂（如沙丁胺醇）吸入后数分钟起效，是缓解哮喘急性发作的首选（B对）。吸入糖皮质激素是长期控制的基础药物，起效慢（A错）；白三烯受体拮抗剂、茶碱缓释片和色甘酸钠主要用于预防和维持治疗（C、D、E错）。",
     "呼吸内科", "A1", None, None, None, None, None, None],
    ["X003", "消化性溃疡最常见的并发症是", "穿孔", "幽门梗阻", "上消化道出血", "癌变", "胃瘘", "C",
     "上消化道出血是消化性溃疡最常见的并发症，约见于15%～25%的患者，也是上消化道出血最常见的病因（C对）。穿孔和幽门梗阻较少见（A、B错）；胃溃疡癌变率低于1%，十二指肠溃疡一般不癌变（D错）；胃瘘罕见（E错）。",
     "消化内科", "A1", 4, 4, 4, 5, 4, None],
    None,
    None,
    ["X004", "诊断甲状腺功能亢进症最敏感的实验室指标是", "血清TSH", "血清总T4", "血清总T3", "甲状腺摄碘率", "甲状腺球蛋白", "A",
     "TSH由垂体分泌，对甲状腺激素变化最敏感，原发性甲亢时TSH降低往往先于T3、T4升高，是筛查和诊断甲亢最敏感的指标（A对）。总T3、总T4受甲状腺结合球蛋白影响（B、C错）；摄碘率用于鉴别病因（D错）；甲状腺球蛋白主要用于甲状腺癌术后随访（E错）。",
     "内分泌科", "A1", None, None, None, None, None, "已通过"],
    ["X005", "女，25岁。停经45天，下腹剧痛伴晕厥1小时。血压80/50 mmHg，后穹隆穿刺抽出不凝血。最可能的诊断是",
     "急性阑尾炎", "异位妊娠破裂", "卵巢囊肿蒂扭转", "先兆流产", "急性盆腔炎", "B",
     "育龄女性停经后突发下腹剧痛、晕厥，出现休克表现，后穹隆穿刺抽出不凝血提示腹腔内出血，首先考虑输卵管妊娠破裂（B对），应立即抗休克并手术。阑尾炎和盆腔炎以发热、压痛为主，不会抽出不凝血（A、E错）；卵巢囊肿蒂扭转无停经史和内出血（C错）；先兆流产为少量阴道出血、轻微腹痛（D错）。",
     "妇产科", "A2", 5, 5, 5, 4, 5, "已通过"],
    ["X006", "儿童缺铁性贫血的治疗措施包括", "口服二价铁剂", "同时服用维生素C促进吸收", "血红蛋白正常后即停药",
     "去除病因，纠正不合理喂养", None, "ABD",
     "缺铁性贫血首选口服二价铁剂（A对），同服维生素C可促进铁吸收（B对），同时应去除病因、改善喂养（D对）。血红蛋白恢复正常后还需继续服铁剂6～8周以补足贮存铁，不能立即停药（C错）。",
     "儿科", "X", None, None, None, None, None, None],
    None,
    [1024, "腰椎间盘突出症最常见的突出节段是", "L1-2", "L2-3", "L3-4", "L4-5与L5-S1", "T12-L1", "D",
     "腰椎间盘突出症以L4-5和L5-S1节段最多见，占90%以上，因该处活动度大、承受应力最大（D对）；其余节段较少受累（A、B、C、E错）。",
     "骨科", "A1", None, None, None, None, None, None],
    ["X008", "长期服用血管紧张素转换酶抑制剂最常见的不良反应是", "干咳", "心动过速", "低钾血症", "踝部水肿", "高血糖", "A",
     "ACEI抑制缓激肽降解，缓激肽在呼吸道蓄积可引起刺激性干咳，是最常见的不良反应（A对），不能耐受者可换用ARB。ACEI可致高钾而非低钾（C错）；踝部水肿多见于二氢吡啶类钙通道阻滞剂（D错）；心动过速和高血糖不是其典型不良反应（B、E错）。",
     "药理学", "A1", 4, 3, 4, 4, 3, None],
    ["X009", "肾病综合征最基本的诊断条件是", "大量蛋白尿和低白蛋白血症", "血尿", "高血压", "肾功能减退", "高尿酸血症", "A",
     "肾病综合征诊断标准为大量蛋白尿（＞3.5 g/d）和低白蛋白血症（＜30 g/L），两者为必备条件；水肿和高脂血症为次要条件。",
     "肾内科", "A1", "优", 4, 4, 4, 4, None],
]

NOTES = [
    ["说明"],
    ["本工作簿为合成的示例数据（illustrative, synthetic），仅用于测试数据导入流程，不可用于临床。"],
]


def build(path: Path) -> Path:
    """Write the workbook to ``path`` and return it."""
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "试题"
    ws.append(HEADER)
    for row in ROWS:
        ws.append(row if row is not None else [])
    notes = wb.create_sheet("说明")
    for row in NOTES:
        notes.append(row)
    wb.save(path)
    return path


if __name__ == "__main__":
    out = build(Path(__file__).with_name("test.xlsx"))
    print(f"wrote {out}")
