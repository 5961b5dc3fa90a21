"""The one column alias table: source column names (English or Chinese) -> canonical fields.

Matching ignores case, spaces, underscores, hyphens and full-width forms, so "Question",
"question_text", "题 目" and "ＱＵＥＳＴＩＯＮ" all find their field. Users extend or override the
table with a dict or a JSON / TOML file, either ``{"source column": "field"}`` or
``{"field": ["alias", ...]}``. Columns no alias matches are kept in the record's ``extra``.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any, Union

from medcot.errors import InputError
from medcot.jsonguard import loads as guarded_loads

try:  # Python >= 3.11
    import tomllib
except ModuleNotFoundError:  # pragma: no cover - Python 3.10 without tomli reads JSON alias files only
    tomllib = None  # type: ignore[assignment]
from medcot.options import normalize_text
from medcot.constants import RUBRIC_DIMENSIONS  # light: no `datasets` import

logger = logging.getLogger(__name__)

__all__ = [
    "CANONICAL_FIELDS",
    "DEFAULT_ALIASES",
    "OPTION_COLUMN_PREFIX",
    "AliasTable",
    "alias_key",
    "build_alias_table",
    "load_aliases",
]

OPTION_COLUMN_PREFIX = "option_"  # canonical field of a separate option column: option_A ... option_Z

# field -> aliases (the field name itself always matches). Order matters only for documentation.
DEFAULT_ALIASES: dict[str, tuple[str, ...]] = {
    "id": ("id", "qid", "question_id", "uid", "_id", "编号", "题号", "试题编号", "题目编号", "ID号"),
    "question": ("question", "question_text", "stem", "query", "问题", "题目", "题干", "试题", "题目内容", "问题描述"),
    "options": ("options", "option", "choices", "choice", "candidates", "选项", "备选答案", "备选项", "选择项"),
    "answer": ("answer", "answers", "answer_key", "correct_answer", "gold", "label", "答案", "正确答案", "参考答案", "标准答案"),
    "cot": (
        "cot", "explanation", "rationale", "analysis", "reasoning", "chain_of_thought", "exp",
        "解析", "答案解析", "题目解析", "试题解析", "解释", "思维链", "推理过程", "分析",
    ),
    "department": (
        "department", "clinical_department", "specialty", "speciality", "subject", "subject_name", "exam_subject",
        "discipline", "科室", "临床科室", "学科", "专业", "科目",
    ),
    "question_type": ("question_type", "type", "qtype", "题型", "题目类型", "试题类型"),
    "source": ("source", "origin", "exam", "exam_type", "来源", "出处", "题目来源", "考试类型"),
    "split": ("split", "subset", "partition", "数据集划分", "划分", "数据集"),
    "rubric": ("rubric", "scores", "rubric_scores", "评分", "评分结果"),
    "medical_correctness": ("medical_correctness", "correctness", "医学正确性", "正确性"),
    "reasoning_structure": ("reasoning_structure", "structure", "推理结构", "逻辑结构"),
    "information_sufficiency": ("information_sufficiency", "sufficiency", "信息充分性", "充分性"),
    "terminology_clarity": ("terminology_clarity", "clarity", "术语清晰度", "清晰度"),
    "clinical_value": ("clinical_value", "临床价值"),
    "overall": ("overall", "overall_score", "total_score", "总分", "总评分", "综合评分", "综合得分"),
    "review": ("review", "review_info", "审核信息"),
    "review_status": ("review_status", "status", "审核状态", "状态"),
    "review_rounds": ("review_rounds", "rounds", "revision_rounds", "审核轮次", "修订轮次", "轮次"),
    "reviewers": ("reviewers", "num_reviewers", "n_reviewers", "审核人数", "审核专家数", "专家人数"),
}

# Separate option columns: "A", "选项A", "option_a", "optionA", "opa" (MedMCQA style) -> option_A.
_OPTION_COLUMN = re.compile(r"(?:选项|option|opt|op|choice)?([a-z])", flags=re.IGNORECASE)

CANONICAL_FIELDS: tuple[str, ...] = tuple(DEFAULT_ALIASES)
RUBRIC_FIELDS: tuple[str, ...] = (*RUBRIC_DIMENSIONS, "overall")
REQUIRED_FIELDS: tuple[str, ...] = ("question", "answer", "cot")

AliasSource = Union[Mapping[str, Any], str, Path, None]


def alias_key(name: Any) -> str:
    """Normalise a column name for matching: fold width and case, drop spaces, ``_`` and ``-``.

    >>> alias_key(" Question_Text ") == alias_key("questiontext") == alias_key("ＱＵＥＳＴＩＯＮ text")
    True
    """
    return re.sub(r"[\s_\-]+", "", normalize_text(name)).casefold()


def _is_field(field: str) -> bool:
    return field in DEFAULT_ALIASES or re.fullmatch(rf"{OPTION_COLUMN_PREFIX}[A-Z]", field) is not None


def load_aliases(path: str | Path) -> dict[str, str]:
    """Read a user alias file (JSON or TOML) into ``{source column: field}``.

    Args:
        path: a ``.json`` or ``.toml`` file holding ``{"column": "field"}`` and/or
            ``{"field": ["column", ...]}``.

    Returns:
        The mapping from source column name to canonical field.

    Raises:
        InputError: when the file is missing, unreadable or names an unknown field.
    """
    p = Path(path)
    try:
        text = p.read_text(encoding="utf-8-sig")
    except (OSError, UnicodeDecodeError) as exc:
        raise InputError(f"{p}: cannot read alias file ({exc})") from None
    if p.suffix.lower() == ".toml" and tomllib is None:
        raise InputError(f"{p}: TOML alias files need Python >= 3.11; use a JSON file instead")
    kind = "TOML" if p.suffix.lower() == ".toml" else "JSON"
    try:
        data = tomllib.loads(text) if kind == "TOML" else guarded_loads(text)
    except ValueError as exc:  # TOMLDecodeError and JSONGuardError (invalid, too deep) are ValueErrors
        raise InputError(f"{p}: alias file is not valid {kind} ({exc})") from None
    except RecursionError:  # tomllib parses nested arrays recursively
        raise InputError(f"{p}: alias file nests deeper than Python can parse; expected {{\"column\": \"field\"}}") from None
    if not isinstance(data, Mapping):
        raise InputError(f"{p}: alias file must hold an object {{\"column\": \"field\"}}")
    return _flatten(data, origin=str(p))


def _flatten(data: Mapping[str, Any], *, origin: str) -> dict[str, str]:
    out: dict[str, str] = {}
    for key, value in data.items():
        if isinstance(value, str):
            column, field = key, value
            pairs: Iterable[tuple[str, str]] = [(column, field)]
        elif isinstance(value, (list, tuple)) and all(isinstance(v, str) for v in value):
            pairs = [(v, key) for v in value]
        else:
            raise InputError(f"{origin}: alias {key!r} must map to a field name or a list of column names")
        for column, field in pairs:
            if not _is_field(field):
                raise InputError(
                    f"{origin}: unknown field {field!r} for column {column!r}; expected one of "
                    f"{', '.join(CANONICAL_FIELDS)} or option_A..option_Z"
                )
            out[column] = field
    return out


class AliasTable:
    """Column-name matcher built from :data:`DEFAULT_ALIASES` plus user aliases (which win).

    >>> t = AliasTable()
    >>> t.field_for("正确答案"), t.field_for("Explanation"), t.field_for("选项C"), t.field_for("备注")
    ('answer', 'cot', 'option_C', None)
    """

    def __init__(self, user: Mapping[str, str] | None = None) -> None:
        self._table: dict[str, str] = {}
        for field, aliases in DEFAULT_ALIASES.items():
            for a in (field, *aliases):
                self._table[alias_key(a)] = field
        self.user = dict(user or {})
        for column, field in self.user.items():
            self._table[alias_key(column)] = field

    def field_for(self, column: Any) -> str | None:
        """Canonical field of ``column``, or None when no alias matches."""
        key = alias_key(column)
        if key in self._table:
            return self._table[key]
        m = _OPTION_COLUMN.fullmatch(key)
        if m:
            return f"{OPTION_COLUMN_PREFIX}{m.group(1).upper()}"
        return None

    def map_columns(self, columns: Iterable[Any]) -> dict[str, str]:
        """Map source columns to fields; the first column of a field wins, later ones go to ``extra``."""
        mapping: dict[str, str] = {}
        taken: dict[str, str] = {}
        for col in columns:
            field = self.field_for(col)
            if field is None:
                continue
            if field in taken:
                logger.warning("columns %r and %r both map to %s; keeping %r, the other goes to extra", taken[field], col, field, taken[field])
                continue
            taken[field] = str(col)
            mapping[str(col)] = field
        return mapping

    def aliases_of(self, field: str) -> list[str]:
        """Every alias accepted for ``field`` (defaults and user ones), for error messages."""
        names = [field, *DEFAULT_ALIASES.get(field, ())]
        names += [c for c, f in self.user.items() if f == field]
        return list(dict.fromkeys(names))


def build_alias_table(aliases: AliasSource = None) -> AliasTable:
    """Build the alias table from ``aliases``: None, a dict, or a path to a JSON/TOML file.

    >>> build_alias_table({"题目描述": "question"}).field_for("题目描述")
    'question'
    """
    if aliases is None:
        return AliasTable()
    if isinstance(aliases, AliasTable):
        return aliases
    if isinstance(aliases, (str, Path)):
        return AliasTable(load_aliases(aliases))
    if isinstance(aliases, Mapping):
        return AliasTable(_flatten(aliases, origin="aliases"))
    raise InputError(f"aliases: expected a dict or a path to a JSON/TOML file, got {type(aliases).__name__}")
