#!/usr/bin/env python
"""Deterministic generator of a SYNTHETIC raw release — for benchmarks ONLY.

Every record this script writes is made-up text assembled from a small hand-written vocabulary of
medical words and sentence templates. It is medically meaningless and must never be used as real
data, as training data, or as a substitute for real data in correctness tests. Its only purpose is
to give the ``bench/`` scripts a raw release with the size and the shape of the real one
(31,247 Chinese exam questions with options, answer, an expert CoT and rubric scores), so that
build / load / score can be timed at full scale.

Shape of a record (JSON Lines, one object a line, English or Chinese column names):

* question ~100-300 characters (A1 knowledge, A2/A3 case vignettes, B1 shared options, X multi-answer);
* 4-5 options, as one string ``"A xx\\nB xx"`` (default) or as a list of strings;
* answer ``"C"`` or, for ~5% multi-answer questions, ``"ABD"``;
* explanation (the CoT) ~300-900 characters, ending with the final answer;
* department (15, skewed), question_type, the five rubric scores (1-5) and their overall.

The same ``--seed`` gives identical bytes (also for ``.gz``: no file name and mtime 0 in the header).

Usage::

    python bench/generate_release.py --n 31247 --seed 0 --out /tmp/release.jsonl
    python bench/generate_release.py --scale 4 --seed 0 --out /tmp/release4x.jsonl.gz
"""

from __future__ import annotations

import argparse
import contextlib
import gzip
import json
import logging
import sys
import time
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import IO, Any

import numpy as np

logger = logging.getLogger(__name__)

FULL_SCALE = 31_247
CHUNK = 2_048  # records drawn per numpy call; fixed so the output never depends on buffering
DRAWS = 160  # random integers available to one record (consumed cyclically)

RUBRIC_KEYS: tuple[str, ...] = (
    "medical_correctness",
    "reasoning_structure",
    "information_sufficiency",
    "terminology_clarity",
    "clinical_value",
)

# Column names per language. The English ones are the canonical field names; the Chinese ones are
# the common headers of Chinese exam spreadsheets. Both must be accepted by medcot.columns.
COLUMNS: dict[str, dict[str, str]] = {
    "en": {
        "id": "id",
        "question": "question",
        "options": "options",
        "answer": "answer",
        "explanation": "explanation",
        "department": "department",
        "question_type": "question_type",
        **{k: k for k in RUBRIC_KEYS},
        "overall": "overall",
    },
    "zh": {
        "id": "编号",
        "question": "问题",
        "options": "选项",
        "answer": "答案",
        "explanation": "解析",
        "department": "科室",
        "question_type": "题型",
        "medical_correctness": "医学正确性",
        "reasoning_structure": "推理结构",
        "information_sufficiency": "信息充分性",
        "terminology_clarity": "术语清晰度",
        "clinical_value": "临床价值",
        "overall": "总分",
    },
}

# ---------------------------------------------------------------------------------------------
# Vocabulary (hand-written for this generator; synthetic use only)
# ---------------------------------------------------------------------------------------------
DEPARTMENTS: tuple[tuple[str, float], ...] = (
    ("内科", 0.22), ("外科", 0.15), ("妇产科", 0.09), ("儿科", 0.09), ("药理学", 0.07),
    ("生理学", 0.06), ("病理学", 0.06), ("神经内科", 0.05), ("传染病学", 0.04), ("精神病学", 0.04),
    ("医学伦理学", 0.03), ("预防医学", 0.03), ("生物化学", 0.03), ("眼耳鼻喉科", 0.02), ("皮肤性病科", 0.02),
)
QUESTION_TYPES: tuple[tuple[str, float], ...] = (
    ("A1", 0.36), ("A2", 0.30), ("A3", 0.15), ("B1", 0.14), ("X", 0.05),
)

DISEASES = (
    "急性心肌梗死", "稳定型心绞痛", "慢性心力衰竭", "原发性高血压", "房颤", "感染性心内膜炎", "扩张型心肌病",
    "社区获得性肺炎", "慢性阻塞性肺疾病", "支气管哮喘", "肺结核", "肺血栓栓塞症", "支气管扩张", "原发性支气管肺癌",
    "消化性溃疡", "上消化道出血", "肝硬化", "急性胰腺炎", "溃疡性结肠炎", "克罗恩病", "胃食管反流病", "急性阑尾炎",
    "胆囊结石", "急性胆管炎", "肠梗阻", "腹股沟疝", "甲状腺功能亢进症", "甲状腺功能减退症", "2型糖尿病",
    "糖尿病酮症酸中毒", "库欣综合征", "原发性醛固酮增多症", "缺铁性贫血", "再生障碍性贫血", "急性白血病",
    "特发性血小板减少性紫癜", "系统性红斑狼疮", "类风湿关节炎", "痛风", "急性肾小球肾炎", "肾病综合征",
    "慢性肾衰竭", "尿路感染", "脑梗死", "脑出血", "蛛网膜下腔出血", "癫痫", "帕金森病", "重症肌无力",
    "病毒性肝炎", "细菌性痢疾", "流行性脑脊髓膜炎", "异位妊娠", "前置胎盘", "妊娠期高血压疾病", "子宫肌瘤",
    "新生儿黄疸", "小儿肺炎", "川崎病", "抑郁症", "精神分裂症", "骨质疏松症",
)
SYMPTOMS = (
    "胸痛", "胸闷", "心悸", "气促", "呼吸困难", "咳嗽", "咳痰", "咯血", "发热", "寒战", "乏力", "消瘦", "盗汗",
    "恶心", "呕吐", "腹痛", "腹胀", "腹泻", "便秘", "黑便", "呕血", "黄疸", "水肿", "少尿", "尿频", "尿急",
    "尿痛", "头痛", "头晕", "意识障碍", "抽搐", "肢体无力", "言语不清", "关节痛", "皮疹", "多饮", "多尿",
    "停经", "阴道流血", "食欲减退",
)
SIGNS = (
    "血压升高", "心率增快", "心界扩大", "奔马律", "肺部湿啰音", "哮鸣音", "呼吸音减弱", "桶状胸", "颈静脉怒张",
    "肝大", "脾大", "移动性浊音阳性", "腹部压痛", "反跳痛", "肌紧张", "墨菲征阳性", "麦氏点压痛",
    "肠鸣音亢进", "双下肢凹陷性水肿", "皮肤黏膜苍白", "巩膜黄染", "蜘蛛痣", "肝掌", "甲状腺肿大",
    "病理征阳性", "颈强直", "克氏征阳性", "瞳孔不等大", "杵状指", "淋巴结肿大",
)
LABS = (
    "白细胞计数", "中性粒细胞比例", "血红蛋白", "血小板计数", "C反应蛋白", "降钙素原", "血沉", "肌钙蛋白I",
    "肌酸激酶同工酶", "脑钠肽", "D-二聚体", "血肌酐", "尿素氮", "血钾", "血钠", "血糖", "糖化血红蛋白",
    "血淀粉酶", "脂肪酶", "谷丙转氨酶", "总胆红素", "白蛋白", "甲胎蛋白", "游离甲状腺素", "促甲状腺激素",
    "尿蛋白", "尿红细胞", "动脉血氧分压", "二氧化碳分压", "血乳酸",
)
DRUGS = (
    "阿司匹林", "氯吡格雷", "硝酸甘油", "美托洛尔", "卡托普利", "氯沙坦", "氨氯地平", "呋塞米", "螺内酯",
    "地高辛", "胺碘酮", "华法林", "低分子肝素", "阿托伐他汀", "二甲双胍", "胰岛素", "格列美脲", "甲巯咪唑",
    "左甲状腺素", "泼尼松", "甲氨蝶呤", "环磷酰胺", "奥美拉唑", "生长抑素", "头孢曲松", "青霉素", "阿奇霉素",
    "左氧氟沙星", "万古霉素", "异烟肼", "利福平", "甘露醇", "尿激酶", "苯妥英钠", "丙戊酸钠", "左旋多巴",
    "新斯的明", "硫酸镁", "缩宫素", "氟西汀",
)
TREATMENTS = (
    "急诊经皮冠状动脉介入治疗", "静脉溶栓", "机械通气", "胸腔闭式引流", "内镜下止血", "腹腔镜胆囊切除术",
    "阑尾切除术", "胃大部切除术", "血液透析", "补液扩容", "纠正电解质紊乱", "抗感染治疗", "抗凝治疗",
    "营养支持", "放射性碘治疗", "甲状腺次全切除术", "化疗", "骨髓移植", "输注血小板", "降颅压治疗",
    "剖宫产", "期待治疗", "心理治疗", "康复训练", "随访观察",
)
ASPECTS = (
    "最常见的病因", "典型的临床表现", "最有价值的检查", "首选的治疗", "主要的病理改变", "最常见的并发症",
    "诊断依据", "鉴别诊断要点", "发病机制", "预后相关因素",
)
MECHANISMS = (
    "冠状动脉粥样斑块破裂继发血栓形成", "心肌收缩力下降导致心排血量减少", "气道慢性炎症引起可逆性气流受限",
    "肺泡毛细血管膜受损导致弥散障碍", "胃酸和胃蛋白酶对黏膜的自身消化", "门静脉压力升高形成侧支循环",
    "胰酶在胰腺内被异常激活", "胰岛素分泌相对或绝对不足", "甲状腺激素合成和分泌过多", "肾小球滤过屏障受损",
    "脑血流中断导致局部脑组织缺血坏死", "免疫复合物沉积引起组织损伤", "骨髓造血功能衰竭", "铁摄入不足或丢失过多",
    "病原体侵入后引起全身炎症反应", "多巴胺能神经元变性丢失", "神经肌肉接头处乙酰胆碱受体减少",
    "胎盘附着位置异常", "孕卵在宫腔以外着床", "胆汁排泄受阻",
)
PREFIXES = ("临床上", "一般认为", "根据诊疗指南", "教材中指出", "大量研究表明", "从病理生理角度看")
STEM_FILLERS = (
    "既往体健，否认药物过敏史。", "既往有高血压病史十余年，服药不规律。", "有长期吸烟史，每日约20支。",
    "近一周症状明显加重，自行服药后无缓解。", "病程中无明显诱因，睡眠及饮食尚可。", "家族中无类似疾病患者。",
    "发病前曾有劳累及受凉史。", "曾在当地医院按“{d}”治疗，效果不佳。", "入院后患者神志清楚，精神较差。",
    "起病以来体重下降约5千克。",
)
COT_OPENERS = (
    "本题考查{d}的{a}。", "解答本题的关键在于把握{d}的{a}。", "这道题主要考查考生对{d}{a}的理解。",
)
COT_KNOWLEDGE = (
    "{p}，{d}的发生与{m}密切相关。", "{d}患者常出现{s}和{s2}，查体可见{g}。", "{l}对{d}的诊断具有重要价值。",
    "{d}的治疗原则是去除病因、控制症状并预防并发症，必要时可选择{t}。", "{p}，{drug}适用于{d}的治疗，但需注意其不良反应。",
    "{d}需与{d2}相鉴别，后者多表现为{s2}，{l}通常无明显异常。", "若病情进展，可出现{g}，提示预后较差。",
    "对于{d}，早期识别{s}并及时完善{l}检查可以减少误诊。", "{m}是{d}最主要的发病基础。",
    "临床工作中应动态监测{l}，并根据结果调整{drug}的剂量。",
)
OPTION_VERDICTS_WRONG = (
    "选项{L}（{o}）错误，{o}多见于{d2}，与本题表现不符。", "选项{L}（{o}）不正确，其不能解释患者的{s}。",
    "选项{L}（{o}）为干扰项，常与{d}混淆，但缺乏{g}等依据。",
)
OPTION_VERDICTS_RIGHT = (
    "选项{L}（{o}）正确，符合{d}的特点。", "选项{L}（{o}）正确，能够解释患者的{s}和{g}。",
)
COT_CLOSERS = (
    "综上所述，本题答案为{A}。", "因此，正确答案是{A}。", "结合题干与上述分析，故选{A}。",
)

_STRUCT_OPTIONS = {"string", "list"}


# ---------------------------------------------------------------------------------------------
# Record assembly
# ---------------------------------------------------------------------------------------------
class _Draws:
    """Cycles through one record's pre-drawn random integers (cheap, deterministic)."""

    __slots__ = ("_i", "_n", "_v")

    def __init__(self, values: Sequence[int]) -> None:
        self._v = values
        self._i = 0
        self._n = len(values)

    def next(self, k: int) -> int:
        v = self._v[self._i % self._n]
        # Mix in the cursor so a wrap-around does not repeat the same choices.
        self._i += 1
        return (v + self._i // self._n) % k

    def pick(self, items: Sequence[Any]) -> Any:
        # Same arithmetic as next(), inlined: this is the generator's innermost call.
        i = self._i
        self._i = i + 1
        return items[(self._v[i % self._n] + (i + 1) // self._n) % len(items)]


def _distinct(d: _Draws, items: Sequence[str], k: int, avoid: str = "") -> list[str]:
    """k distinct items of ``items`` (stride 1, or 2 when that still reaches k distinct items)."""
    start = d.next(len(items))
    stride = 1 + d.next(2) if len(items) > 2 * k else 1
    out: list[str] = []
    j = 0
    while len(out) < k:
        item = items[(start + j * stride) % len(items)]
        if item != avoid and item not in out:
            out.append(item)
        j += 1
    return out


def _fill(d: _Draws, templates: Sequence[str], target: int, base: str, ctx: dict[str, str]) -> str:
    """Append template sentences to ``base`` until it reaches ``target`` characters."""
    parts = [base]
    length = len(base)
    while length < target:
        ctx["d2"] = d.pick(DISEASES)
        ctx["s2"] = d.pick(SYMPTOMS)
        ctx["l"] = d.pick(LABS)
        ctx["drug"] = d.pick(DRUGS)
        ctx["p"] = d.pick(PREFIXES)
        s = d.pick(templates).format(**ctx)
        parts.append(s)
        length += len(s)
    return "".join(parts)


def _question(d: _Draws, qtype: str, ctx: dict[str, str], target: int) -> tuple[str, Sequence[str]]:
    """The stem and the vocabulary its options are drawn from."""
    aspect = ctx["a"]
    pool: Sequence[str]
    if qtype in ("A2", "A3"):
        sex, age = d.pick(("男", "女")), 18 + d.next(70)
        head = "（共用题干）" if qtype == "A3" else ""
        base = (
            f"{head}患者，{sex}，{age}岁。因“{ctx['s']}{1 + d.next(14)}天，加重{1 + d.next(48)}小时”就诊。"
            f"查体：{ctx['g']}，{d.pick(SIGNS)}。实验室检查：{ctx['l']}{d.pick(('升高', '降低', '明显升高', '正常'))}。"
        )
        stem = _fill(d, STEM_FILLERS, target - 12, base, ctx)
        kind = d.next(3)
        ask, pool = (("该患者最可能的诊断是", DISEASES), ("首选的治疗药物是", DRUGS), ("下一步最适宜的处理是", TREATMENTS))[kind]
        return stem + ask, pool
    if qtype == "X":
        base = f"（多选题）{d.pick(PREFIXES)}，关于{ctx['d']}，"
        stem = _fill(d, COT_KNOWLEDGE, target - 14, base, ctx)
        return stem + f"下列属于其{aspect}的有", SYMPTOMS
    head = "（共用备选答案）" if qtype == "B1" else ""
    base = f"{head}{d.pick(PREFIXES)}，"
    stem = _fill(d, COT_KNOWLEDGE, target - 20, base, ctx)
    kind = d.next(3)
    ask, pool = ((f"{ctx['d']}{aspect}是", MECHANISMS), (f"治疗{ctx['d']}首选", DRUGS), (f"下列最符合{ctx['d']}表现的是", SIGNS))[kind]
    return stem + ask, pool


def _cot(d: _Draws, ctx: dict[str, str], labels: Sequence[str], texts: Sequence[str],
         answer: Sequence[str], target: int) -> str:
    parts = [d.pick(COT_OPENERS).format(**ctx)]
    parts.append(f"题干中{ctx['s']}、{ctx['g']}提示{ctx['m']}。")
    for lab, text in zip(labels, texts):
        tmpl = d.pick(OPTION_VERDICTS_RIGHT if lab in answer else OPTION_VERDICTS_WRONG)
        parts.append(tmpl.format(L=lab, o=text, d=ctx["d"], d2=d.pick(DISEASES), s=ctx["s"], g=ctx["g"]))
    closer = d.pick(COT_CLOSERS).format(A="".join(answer))
    body = _fill(d, COT_KNOWLEDGE, target - len(closer), "".join(parts), ctx)
    return body + closer


def _rubric(d: _Draws) -> list[int]:
    # Expert-revised explanations: mostly 4-5, a tail of low scores.
    table = (5, 5, 5, 5, 4, 4, 4, 3, 3, 2, 5, 4, 4, 5, 1, 4)
    return [table[d.next(len(table))] for _ in RUBRIC_KEYS]


def _options_string(d: _Draws, labels: Sequence[str], texts: Sequence[str]) -> str:
    # Mostly "A xx" with a real newline; some "A．xx" / "A、xx" and literal "\n" as in real exports.
    style = d.next(10)
    sep = "、" if style == 8 else ("．" if style == 9 else " ")
    joiner = "\\n" if style == 7 else "\n"
    return joiner.join(f"{lab}{sep}{t}" for lab, t in zip(labels, texts))


def _record(i: int, draws: Sequence[int], qtype: str, dept: str, *, options_format: str,
            q_len: int, cot_len: int) -> dict[str, Any]:
    d = _Draws(draws)
    ctx = {
        "d": d.pick(DISEASES), "a": d.pick(ASPECTS), "s": d.pick(SYMPTOMS), "g": d.pick(SIGNS),
        "l": d.pick(LABS), "m": d.pick(MECHANISMS), "t": d.pick(TREATMENTS), "drug": d.pick(DRUGS),
        "p": d.pick(PREFIXES), "d2": d.pick(DISEASES), "s2": d.pick(SYMPTOMS),
    }
    question, pool = _question(d, qtype, ctx, q_len)
    n_opt = 5 if d.next(4) else 4
    labels = "ABCDE"[:n_opt]
    texts = _distinct(d, pool, n_opt)
    if qtype == "X":
        k = 2 + d.next(n_opt - 2)  # 2 .. n_opt-1 correct options
        answer = sorted(_distinct(d, labels, k))
    else:
        answer = [labels[d.next(n_opt)]]
    cot = _cot(d, ctx, labels, texts, answer, cot_len)
    scores = _rubric(d)
    options: Any = _options_string(d, labels, texts) if options_format == "string" else list(texts)
    rec: dict[str, Any] = {
        "id": f"SYN-{i:07d}",
        "question": question,
        "options": options,
        "answer": "".join(answer),
        "explanation": cot,
        "department": dept,
        "question_type": qtype,
    }
    for key, s in zip(RUBRIC_KEYS, scores):
        rec[key] = s
    rec["overall"] = round(sum(scores) / len(scores), 2)
    return rec


def iter_records(n: int, *, seed: int, options_format: str = "string", columns: str = "en") -> Iterator[dict[str, Any]]:
    """Yield ``n`` synthetic raw records, deterministically for a given ``seed``.

    Args:
        n: number of records.
        seed: seed of the numpy ``Generator``; the same seed yields the same records.
        options_format: ``"string"`` ("A xx\\nB xx") or ``"list"`` (list of option texts).
        columns: ``"en"`` or ``"zh"`` column names.

    Returns:
        An iterator of dicts keyed by the chosen column names.

    >>> recs = list(iter_records(3, seed=1))
    >>> len(recs), recs[0]["id"], recs[0]["answer"] in ("A", "B", "C", "D", "E") or len(recs[0]["answer"]) > 1
    (3, 'SYN-0000000', True)
    >>> recs == list(iter_records(3, seed=1))
    True
    """
    if options_format not in _STRUCT_OPTIONS:
        raise ValueError(f"options_format must be one of {sorted(_STRUCT_OPTIONS)}, got {options_format!r}")
    names = COLUMNS[columns]
    rng = np.random.Generator(np.random.PCG64(seed))
    dept_names = [x for x, _ in DEPARTMENTS]
    dept_p = np.array([w for _, w in DEPARTMENTS], dtype=float)
    type_names = [x for x, _ in QUESTION_TYPES]
    type_p = np.array([w for _, w in QUESTION_TYPES], dtype=float)
    for start in range(0, n, CHUNK):
        m = min(CHUNK, n - start)
        # Always draw a full chunk so a prefix of a larger run equals a smaller run.
        depts = rng.choice(len(dept_names), size=CHUNK, p=dept_p / dept_p.sum())
        types = rng.choice(len(type_names), size=CHUNK, p=type_p / type_p.sum())
        q_lens = rng.integers(100, 301, size=CHUNK)
        cot_lens = rng.integers(300, 901, size=CHUNK)
        draws = rng.integers(0, 2**31 - 1, size=(CHUNK, DRAWS)).tolist()
        for j in range(m):
            rec = _record(
                start + j, draws[j], type_names[types[j]], dept_names[depts[j]],
                options_format=options_format, q_len=int(q_lens[j]), cot_len=int(cot_lens[j]),
            )
            yield rec if columns == "en" else {names[k]: v for k, v in rec.items()}


def _open_out(stack: contextlib.ExitStack, path: Path, gz_level: int) -> IO[bytes]:
    """Open ``path`` for writing on ``stack``; ``.gz`` gets a deterministic gzip layer (closed first)."""
    raw: IO[bytes] = stack.enter_context(open(path, "wb"))  # noqa: SIM115 - owned by the ExitStack
    if path.name.endswith(".gz"):
        # filename="" and mtime=0 keep the gzip header identical across runs.
        return stack.enter_context(
            gzip.GzipFile(filename="", mode="wb", fileobj=raw, mtime=0, compresslevel=gz_level))
    return raw


def write_release(out: str | Path, *, n: int, seed: int, options_format: str = "string",
                  columns: str = "en", gz_level: int = 1) -> dict[str, Any]:
    """Stream ``n`` synthetic records to ``out`` (``.jsonl`` or ``.jsonl.gz``) and return statistics.

    Args:
        out: output path; a ``.gz`` suffix compresses deterministically.
        n: number of records.
        seed: generator seed.
        options_format: ``"string"`` or ``"list"``.
        columns: ``"en"`` or ``"zh"`` column names.
        gz_level: gzip compression level for ``.gz`` output.

    Returns:
        ``{"path", "records", "bytes", "seconds"}``.

    >>> import tempfile, os
    >>> p = os.path.join(tempfile.mkdtemp(), "r.jsonl")
    >>> write_release(p, n=5, seed=0)["records"]
    5
    """
    path = Path(out)
    path.parent.mkdir(parents=True, exist_ok=True)
    t0 = time.perf_counter()
    count = 0
    buf: list[str] = []
    with contextlib.ExitStack() as stack:
        fh = _open_out(stack, path, gz_level)
        for rec in iter_records(n, seed=seed, options_format=options_format, columns=columns):
            buf.append(json.dumps(rec, ensure_ascii=False))
            count += 1
            if len(buf) >= CHUNK:
                fh.write(("\n".join(buf) + "\n").encode("utf-8"))
                buf.clear()
        if buf:
            fh.write(("\n".join(buf) + "\n").encode("utf-8"))
    return {"path": str(path), "records": count, "bytes": path.stat().st_size,
            "seconds": round(time.perf_counter() - t0, 3)}


# ---------------------------------------------------------------------------------------------
# Predictions for the scoring benchmark
# ---------------------------------------------------------------------------------------------
PREDICTION_KINDS: tuple[str, ...] = (
    "copy", "drop_sentences", "shuffle_sentences", "swap_terms", "wrong_answer", "truncate", "other_record",
)
_KIND_P = (0.05, 0.20, 0.15, 0.20, 0.10, 0.10, 0.20)


def _sentences(text: str) -> list[str]:
    out, cur = [], []
    for ch in text:
        cur.append(ch)
        if ch in "。；！？":
            out.append("".join(cur))
            cur = []
    if cur:
        out.append("".join(cur))
    return out


def make_prediction(reference: str, other: str, kind: str, draws: Sequence[int]) -> str:
    """Deterministically corrupt ``reference`` (or use ``other``) according to ``kind``.

    Args:
        reference: the expert CoT.
        other: another record's CoT (used by ``"other_record"``).
        kind: one of :data:`PREDICTION_KINDS`.
        draws: random integers driving the corruption.

    Returns:
        The prediction text.

    >>> make_prediction("甲。乙。丙。故选A。", "丁。", "copy", [1, 2, 3])
    '甲。乙。丙。故选A。'
    >>> make_prediction("甲。乙。丙。故选A。", "丁。", "other_record", [1])
    '丁。'
    """
    d = _Draws(draws)
    if kind == "copy":
        return reference
    if kind == "other_record":
        return other
    sents = _sentences(reference)
    if kind == "drop_sentences":
        kept = [s for s in sents[:-1] if d.next(10) >= 3] + sents[-1:]
        return "".join(kept)
    if kind == "shuffle_sentences":
        body = sents[:-1]
        order = sorted(range(len(body)), key=lambda _: d.next(1 << 20))
        return "".join(body[k] for k in order) + "".join(sents[-1:])
    if kind == "swap_terms":
        text = reference
        for vocab in (DISEASES, SYMPTOMS, DRUGS, SIGNS):
            for term in vocab:
                if term in text and d.next(2):
                    text = text.replace(term, d.pick(vocab))
        return text
    if kind == "wrong_answer":
        last = sents[-1] if sents else ""
        wrong = "".join(ch if ch not in "ABCDE" else "ABCDE"[("ABCDE".index(ch) + 1 + d.next(4)) % 5] for ch in last)
        return "".join(sents[:-1]) + wrong
    if kind == "truncate":
        return reference[: max(1, len(reference) * (30 + d.next(50)) // 100)]
    raise ValueError(f"unknown prediction kind {kind!r}")


def iter_pairs(records: Sequence[dict[str, Any]], *, seed: int) -> Iterator[dict[str, Any]]:
    """Scoring items (prediction/reference/question/options/answers/kind) for ``records``.

    ``records`` are English-column raw records from :func:`iter_records` with list or string options.

    >>> recs = list(iter_records(4, seed=0, options_format="list"))
    >>> items = list(iter_pairs(recs, seed=0))
    >>> sorted(items[0])
    ['answers', 'id', 'kind', 'options', 'prediction', 'question', 'reference']
    """
    rng = np.random.Generator(np.random.PCG64(seed + 7919))
    n = len(records)
    kinds = rng.choice(len(PREDICTION_KINDS), size=n, p=_KIND_P)
    others = rng.integers(0, max(n, 1), size=n)
    draws = rng.integers(0, 2**31 - 1, size=(n, 64)).tolist()
    for i, rec in enumerate(records):
        opts = rec["options"]
        if isinstance(opts, str):
            lines = opts.replace("\\n", "\n").split("\n")
            texts = [ln[2:] for ln in lines]
        else:
            texts = list(opts)
        options = [{"label": "ABCDE"[k], "text": t} for k, t in enumerate(texts)]
        kind = PREDICTION_KINDS[kinds[i]]
        other = records[(int(others[i]) if int(others[i]) != i else i + 1) % n]["explanation"]
        yield {
            "id": rec["id"],
            "prediction": make_prediction(rec["explanation"], other, kind, draws[i]),
            "reference": rec["explanation"],
            "question": rec["question"],
            "options": options,
            "answers": list(rec["answer"]),
            "kind": kind,
        }


def write_pairs(out: str | Path, *, n: int, seed: int) -> dict[str, Any]:
    """Write ``n`` scoring items (JSONL) built from a synthetic release of ``n`` records.

    >>> import tempfile, os
    >>> write_pairs(os.path.join(tempfile.mkdtemp(), "p.jsonl"), n=5, seed=0)["records"]
    5
    """
    path = Path(out)
    path.parent.mkdir(parents=True, exist_ok=True)
    t0 = time.perf_counter()
    recs = list(iter_records(n, seed=seed, options_format="list"))
    count = 0
    with open(path, "w", encoding="utf-8") as fh:
        for item in iter_pairs(recs, seed=seed):
            fh.write(json.dumps(item, ensure_ascii=False) + "\n")
            count += 1
    return {"path": str(path), "records": count, "bytes": path.stat().st_size,
            "seconds": round(time.perf_counter() - t0, 3)}


def main(argv: list[str] | None = None) -> int:
    """Command line: write a synthetic release (or scoring pairs with ``--pairs``)."""
    ap = argparse.ArgumentParser(description="Deterministic SYNTHETIC raw release for benchmarks only.")
    ap.add_argument("--n", type=int, default=None, help=f"records (default {FULL_SCALE:,})")
    ap.add_argument("--scale", type=float, default=None, help="multiple of the full scale (4 => 124,988)")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--out", required=True, help=".jsonl or .jsonl.gz")
    ap.add_argument("--options-format", choices=sorted(_STRUCT_OPTIONS), default="string")
    ap.add_argument("--columns", choices=sorted(COLUMNS), default="en")
    ap.add_argument("--pairs", action="store_true", help="write scoring items instead of a release")
    args = ap.parse_args(argv)
    if args.n is not None and args.scale is not None:
        ap.error("give --n or --scale, not both")
    n = args.n if args.n is not None else round(FULL_SCALE * (args.scale or 1))
    if n < 1:
        ap.error("--n must be >= 1")
    if args.pairs:
        stats = write_pairs(args.out, n=n, seed=args.seed)
    else:
        stats = write_release(args.out, n=n, seed=args.seed, options_format=args.options_format, columns=args.columns)
    print(json.dumps(stats))
    return 0


if __name__ == "__main__":
    sys.exit(main())
