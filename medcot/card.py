"""The dataset card (README.md): YAML front matter and prose, generated from the data.

Nothing in the card is typed by hand: the configs, features, split sizes, statistics and rubric
table all come from :mod:`medcot.schema` and from the records that were exported. The same
statistics function backs ``medcot stats DIR``.

The YAML ``configs`` section lists every data file of every split explicitly, so the Hub (and
``load_dataset``) never sweeps in a stray file; ``dataset_info`` declares the features of every
config, which ``datasets`` applies on load.
"""

from __future__ import annotations

import functools
import json
import logging
import operator
import re
import statistics as pystats
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

# Light at import time (`medcot build` imports `datasets` in a thread while its workers parse):
# the constants here; `datasets`, huggingface_hub's card classes, the Features (medcot.schema)
# and the views are imported by the functions that need them.
from medcot import constants
from medcot.errors import InputError

if TYPE_CHECKING:
    from huggingface_hub import DatasetCardData

logger = logging.getLogger(__name__)

TASK_CATEGORIES = ["question-answering", "multiple-choice", "text-generation"]
TASK_IDS = ["multiple-choice-qa", "closed-domain-qa"]
TAGS = ["medical", "chinese", "chain-of-thought", "clinical-reasoning", "medical-exam", "rubric", "sft", "reasoning"]
_LICENSE_RE = re.compile(r"^[a-z0-9][a-z0-9.+\-]*$")
_TOP_N = 15
# The card's figures live here, inside the repo folder, and are linked relatively from the prose.
FIGURES_DIR = "figures"
_FIGURE_LINK_RE = re.compile(r"!\[[^\]]*\]\((" + FIGURES_DIR + r"/[^)\s]+)\)")


# ---------------------------------------------------------------------------------------------
# Statistics
# ---------------------------------------------------------------------------------------------
@dataclass
class StatsAccumulator:
    """Streaming statistics over canonical records (memory: one int per record for lengths).

    >>> acc = StatsAccumulator()
    >>> acc.add({"answer": ["A", "B"], "options": [{"label": "A", "text": "x"}] * 5, "cot": "因为",
    ...          "question": "问", "department": None, "question_type": "X", "source": None,
    ...          "rubric": None, "review": None}, split="train")
    >>> s = acc.result()
    >>> s["records"], s["multi_answer"], s["departments"]
    (1, 1, {'(unknown)': 1})
    """

    records: int = 0
    per_split: Counter = field(default_factory=Counter)
    departments: Counter = field(default_factory=Counter)
    question_types: Counter = field(default_factory=Counter)
    sources: Counter = field(default_factory=Counter)
    option_counts: Counter = field(default_factory=Counter)
    multi_answer: int = 0
    with_rubric: int = 0
    with_review: int = 0
    rubric_sums: Counter = field(default_factory=Counter)
    rubric_counts: Counter = field(default_factory=Counter)
    rubric_values: Counter = field(default_factory=Counter)  # (dimension or "overall", score) -> records
    cot_lengths: list = field(default_factory=list)
    question_lengths: list = field(default_factory=list)

    def add(self, record: Mapping[str, Any], *, split: str) -> None:
        """Count one canonical record of ``split``."""
        self.records += 1
        self.per_split[split] += 1
        self.departments[record.get("department") or "(unknown)"] += 1
        self.question_types[record.get("question_type") or "(unknown)"] += 1
        self.sources[record.get("source") or "(unknown)"] += 1
        self.option_counts[len(record["options"])] += 1
        self.multi_answer += len(record["answer"]) > 1
        rubric = record.get("rubric")
        if rubric and any(rubric.get(k) is not None for k in (*constants.RUBRIC_DIMENSIONS, "overall")):
            self.with_rubric += 1
            for key in (*constants.RUBRIC_DIMENSIONS, "overall"):
                if rubric.get(key) is not None:
                    self.rubric_sums[key] += float(rubric[key])
                    self.rubric_counts[key] += 1
                    self.rubric_values[(key, float(rubric[key]))] += 1
        self.with_review += record.get("review") is not None
        self.cot_lengths.append(len(record["cot"]))
        self.question_lengths.append(len(record["question"]))

    def add_many(self, records: Sequence[Mapping[str, Any]], *, split: str) -> None:
        """Count canonical records of ``split``: the same as :meth:`add` on each, in order, but faster.

        Each counter is updated from one list (C-level counting keeps first-seen order, so ties in
        ``most_common`` come out as with :meth:`add`); rubric sums are added record by record in the
        same order, so the float totals are identical too.

        >>> recs = [{"answer": ["A"], "options": [1, 2], "cot": "甲", "question": "问", "department": d,
        ...          "question_type": None, "source": None, "rubric": {"overall": 4.0}, "review": None} for d in ("外科", None)]
        >>> a, b = StatsAccumulator(), StatsAccumulator()
        >>> a.add_many(recs, split="train"); [b.add(r, split="train") for r in recs] and None
        >>> a == b
        True
        """
        n = len(records)
        self.records += n
        self.per_split[split] += n
        self.departments.update([r.get("department") or "(unknown)" for r in records])
        self.question_types.update([r.get("question_type") or "(unknown)" for r in records])
        self.sources.update([r.get("source") or "(unknown)" for r in records])
        self.option_counts.update([len(r["options"]) for r in records])
        self.multi_answer += sum(len(r["answer"]) > 1 for r in records)
        keys = (*constants.RUBRIC_DIMENSIONS, "overall")
        sums, counts = self.rubric_sums, self.rubric_counts
        # Column by column: the scores of one dimension in record order, summed left to right
        # (reduce, not sum(): sum() may compensate rounding, += never does).
        rubrics = [rb for rb in [r.get("rubric") for r in records] if rb]
        columns = [[rb.get(key) for rb in rubrics] for key in keys]
        for key, column in zip(keys, columns):
            values = [float(v) for v in column if v is not None]
            if values:
                sums[key] = functools.reduce(operator.add, values, sums[key])
                counts[key] += len(values)
                self.rubric_values.update([(key, v) for v in values])
        none = len(keys)
        self.with_rubric += sum(1 for row in zip(*columns) if row.count(None) != none)
        self.with_review += sum(r.get("review") is not None for r in records)
        self.cot_lengths.extend([len(r["cot"]) for r in records])
        self.question_lengths.extend([len(r["question"]) for r in records])

    def merge(self, other: "StatsAccumulator") -> None:
        """Add ``other``'s counts, as if its records had been added after this one's.

        >>> a, b = StatsAccumulator(), StatsAccumulator()
        >>> a.departments["内科"] += 1; b.departments["外科"] += 2; b.cot_lengths.append(9)
        >>> a.merge(b); dict(a.departments), a.cot_lengths
        ({'内科': 1, '外科': 2}, [9])
        """
        self.records += other.records
        for name in ("per_split", "departments", "question_types", "sources", "option_counts", "rubric_sums", "rubric_counts",
                     "rubric_values"):
            getattr(self, name).update(getattr(other, name))
        self.multi_answer += other.multi_answer
        self.with_rubric += other.with_rubric
        self.with_review += other.with_review
        self.cot_lengths.extend(other.cot_lengths)
        self.question_lengths.extend(other.question_lengths)

    def result(self) -> dict[str, Any]:
        """The statistics as a JSON-ready dict."""
        return {
            "records": self.records,
            "per_split": dict(self.per_split),
            "departments": dict(self.departments.most_common()),
            "question_types": dict(self.question_types.most_common()),
            "sources": dict(self.sources.most_common()),
            "option_counts": {str(k): v for k, v in sorted(self.option_counts.items())},
            "multi_answer": self.multi_answer,
            "with_rubric": self.with_rubric,
            "with_review": self.with_review,
            "rubric_means": {
                k: round(self.rubric_sums[k] / self.rubric_counts[k], 3)
                for k in (*constants.RUBRIC_DIMENSIONS, "overall")
                if self.rubric_counts[k]
            },
            "cot_length": _quantiles(self.cot_lengths),
            "question_length": _quantiles(self.question_lengths),
        }


def _quantiles(values: list[int]) -> dict[str, float]:
    """Min, quartiles, p95 and max of ``values`` (empty dict for no values).

    >>> _quantiles([1, 2, 3, 4, 5])
    {'min': 1, 'p25': 2.0, 'median': 3.0, 'p75': 4.0, 'p95': 4.8, 'max': 5}
    """
    if not values:
        return {}
    ordered = sorted(values)
    if len(ordered) == 1:
        q = [float(ordered[0])] * 99
    else:
        q = pystats.quantiles(ordered, n=100, method="inclusive")
    return {
        "min": ordered[0],
        "p25": round(q[24], 1),
        "median": round(q[49], 1),
        "p75": round(q[74], 1),
        "p95": round(q[94], 1),
        "max": ordered[-1],
    }


def compute_statistics(splits: Mapping[str, Iterable[Mapping[str, Any]]]) -> dict[str, Any]:
    """Statistics of canonical records grouped by split (see :class:`StatsAccumulator`)."""
    acc = StatsAccumulator()
    for split, records in splits.items():
        for record in records:
            acc.add(record, split=split)
    return acc.result()


def read_card_data(folder: str | Path) -> DatasetCardData:
    """The YAML front matter of ``folder/README.md``; :class:`InputError` if absent or malformed."""
    from huggingface_hub import DatasetCard

    readme = Path(folder) / "README.md"
    if not readme.is_file():
        raise InputError(f"{readme}: no README.md; expected a folder written by `medcot build`")
    try:
        data = DatasetCard.load(readme).data
    except Exception as exc:  # yaml errors come in several types
        raise InputError(f"{readme}: unreadable YAML front matter ({exc})") from exc
    if not data.get("configs"):
        raise InputError(f"{readme}: YAML has no `configs` section; expected one per config with data_files")
    return data


def config_files(card_data: DatasetCardData) -> dict[str, dict[str, list[str]]]:
    """``{config: {split: [relative paths]}}`` from the card's ``configs`` section.

    Raises:
        InputError: a ``configs`` section of another shape (a hand-edited or foreign README).

    >>> config_files({"configs": [{"config_name": "qa", "data_files": [{"split": "test", "path": "data/qa/t.parquet"}]}]})
    {'qa': {'test': ['data/qa/t.parquet']}}
    >>> config_files({"configs": 5})
    Traceback (most recent call last):
    medcot.errors.InputError: README.md: `configs` must be a list of {config_name, data_files: [{split, path}]}, got 5
    """
    configs = card_data["configs"]
    expected = "`configs` must be a list of {config_name, data_files: [{split, path}]}"
    if not isinstance(configs, list):
        raise InputError(f"README.md: {expected}, got {str(configs)[:80]}")
    out: dict[str, dict[str, list[str]]] = {}
    for cfg in configs:
        data_files = cfg.get("data_files") if isinstance(cfg, Mapping) else None
        if not isinstance(cfg, Mapping) or not isinstance(cfg.get("config_name"), str) \
                or not isinstance(data_files or [], list):
            raise InputError(f"README.md: {expected}, got {str(cfg)[:80]}")
        splits: dict[str, list[str]] = {}
        for entry in data_files or []:
            paths = entry.get("path") if isinstance(entry, Mapping) else None
            if not isinstance(entry, Mapping) or not isinstance(entry.get("split"), str) or not (
                    isinstance(paths, str) or (isinstance(paths, list) and all(isinstance(x, str) for x in paths))):
                raise InputError(f"README.md: {expected}, got {str(entry)[:80]}")
            splits[entry["split"]] = [paths] if isinstance(paths, str) else list(paths)
        out[cfg["config_name"]] = splits
    # Schema order (the YAML is sorted by name), then any config the schema does not know.
    order = {name: i for i, name in enumerate(constants.CONFIG_NAMES)}
    return dict(sorted(out.items(), key=lambda kv: (order.get(kv[0], len(order)), kv[0])))


def statistics_from_folder(folder: str | Path, *, batch_size: int = 1000) -> dict[str, Any]:
    """Statistics of a built folder, read back from its ``default`` config's Parquet files.

    Reads in batches so memory stays bounded by the lengths lists.
    """
    return accumulate_folder(folder, batch_size=batch_size).result()


def accumulate_folder(folder: str | Path, *, batch_size: int = 1000) -> StatsAccumulator:
    """The :class:`StatsAccumulator` of a built folder's ``default`` config (what its figures are drawn from)."""
    import pyarrow.parquet as pq

    folder = Path(folder)
    files = config_files(read_card_data(folder)).get("default")
    if not files:
        raise InputError(f"{folder / 'README.md'}: no `default` config in `configs`")
    acc = StatsAccumulator()
    for split, paths in files.items():
        for rel in paths:
            path = folder / rel
            if not path.is_file():
                raise InputError(f"{path}: listed in README.md configs but missing")
            for batch in pq.ParquetFile(path).iter_batches(batch_size=batch_size):
                acc.add_many(batch.to_pylist(), split=split)
    return acc


# ---------------------------------------------------------------------------------------------
# YAML
# ---------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class SplitLayout:
    """What was written for one (config, split): relative file paths, rows and in-memory bytes."""

    files: tuple[str, ...]
    num_examples: int
    num_bytes: int
    download_bytes: int = 0


def size_category(n: int) -> str:
    """The Hub's ``size_categories`` bucket for ``n`` records.

    >>> size_category(40), size_category(31247), size_category(125000)
    ('n<1K', '10K<n<100K', '100K<n<1M')
    """
    for limit, label in ((1_000, "n<1K"), (10_000, "1K<n<10K"), (100_000, "10K<n<100K"), (1_000_000, "100K<n<1M")):
        if n < limit:
            return label
    return "1M<n<10M"


def check_license(license_id: str) -> str:
    """Validate a licence identifier as the Hub spells them (lower case, e.g. ``cc-by-4.0``).

    >>> check_license("CC-BY-4.0")
    'cc-by-4.0'
    """
    value = license_id.strip().lower()
    if not _LICENSE_RE.match(value):
        raise InputError(f"--license {license_id!r}: expected a Hub licence id such as 'cc-by-4.0' or 'unknown'")
    return value


def build_card_data(
    layout: Mapping[str, Mapping[str, SplitLayout]],
    *,
    license_id: str = constants.DEFAULT_DATA_LICENSE,
    synthetic: bool = False,
) -> DatasetCardData:
    """The YAML front matter: metadata, ``configs`` (explicit data files) and ``dataset_info``.

    Args:
        layout: ``{config: {split: SplitLayout}}`` of what was written.
        license_id: The data licence id for the ``license`` field.
        synthetic: True when the data is the bundled synthetic dummy release.

    Returns:
        The card data (``str()`` renders the YAML).
    """
    import datasets
    from datasets.info import DatasetInfosDict
    from datasets.utils.metadata import MetadataConfigs
    from huggingface_hub import DatasetCardData

    from medcot import schema

    n = max((sum(s.num_examples for s in splits.values()) for splits in layout.values()), default=0)
    tags = [*TAGS, "synthetic"] if synthetic else list(TAGS)
    card_data = DatasetCardData(
        pretty_name=constants.PRETTY_NAME + (" - SYNTHETIC DUMMY DATA" if synthetic else ""),
        language=["zh"],
        license=check_license(license_id),
        multilinguality="monolingual",
        annotations_creators=["machine-generated", "expert-generated"],
        language_creators=["expert-generated"],
        source_datasets=["original"],
        task_categories=list(TASK_CATEGORIES),
        task_ids=list(TASK_IDS),
        size_categories=[size_category(n)],
        tags=tags,
    )
    configs = {}
    infos = {}
    for spec in schema.CONFIGS:
        splits = layout.get(spec.name)
        if splits is None:
            continue
        entry: dict[str, Any] = {
            "data_files": [
                {"split": split, "path": list(s.files) if len(s.files) > 1 else s.files[0]}
                for split, s in splits.items()
            ]
        }
        if spec.name == "default":
            entry["default"] = True
        configs[spec.name] = entry
        split_dict = datasets.SplitDict()
        for split, s in splits.items():
            split_dict.add(datasets.SplitInfo(name=split, num_bytes=s.num_bytes, num_examples=s.num_examples))
        infos[spec.name] = datasets.DatasetInfo(
            features=spec.features,
            splits=split_dict,
            config_name=spec.name,
            download_size=sum(s.download_bytes for s in splits.values()),
            dataset_size=sum(s.num_bytes for s in splits.values()),
        )
    MetadataConfigs(configs).to_dataset_card_data(card_data)
    DatasetInfosDict(infos).to_dataset_card_data(card_data)
    return card_data


# ---------------------------------------------------------------------------------------------
# Prose
# ---------------------------------------------------------------------------------------------
def _feature_type(feature: Any) -> str:
    """A short human-readable type of a datasets feature.

    >>> import datasets
    >>> _feature_type(datasets.List(datasets.Value("string")))
    'list[string]'
    """
    import datasets

    if isinstance(feature, datasets.Value):
        return feature.dtype
    if isinstance(feature, datasets.List):
        return f"list[{_feature_type(feature.feature)}]"
    if isinstance(feature, dict):
        return "{" + ", ".join(f"{k}: {_feature_type(v)}" for k, v in feature.items()) + "}"
    return type(feature).__name__


_FIELD_DOCS = {
    "id": "stable identifier: the release's own id, else a content hash",
    "question": "question stem",
    "options": "ordered options, each `{label, text}` (labels A, B, C, ...)",
    "answer": "gold option label(s), sorted; more than one for multiple-answer questions",
    "cot": "the expert-validated chain-of-thought explanation",
    "question_type": "the release's question type, else `single_choice` / `multiple_choice`",
    "department": "clinical department / specialty when the release gives it (nullable)",
    "source": "source exam or file when known (nullable)",
    "rubric": "expert rubric scores, five dimensions + overall, 1-5 (nullable when the release has none)",
    "review": "review metadata `{status, rounds, reviewers}` when known (nullable)",
    "extra": "JSON object of source columns no alias matched, so nothing is dropped (nullable)",
}


def render_statistics(stats: Mapping[str, Any]) -> str:
    """Markdown statistics section body (used by the card and by ``medcot stats``)."""
    n = stats["records"] or 1
    out = [f"Computed from the {stats['records']:,} records of the `default` config.", ""]
    out += ["| statistic | value |", "|---|---|"]
    out.append(f"| multiple-answer questions | {stats['multi_answer']:,} ({stats['multi_answer'] / n:.1%}) |")
    out.append(f"| records with rubric scores | {stats['with_rubric']:,} ({stats['with_rubric'] / n:.1%}) |")
    out.append(f"| records with review metadata | {stats['with_review']:,} ({stats['with_review'] / n:.1%}) |")
    opts = ", ".join(f"{k} options: {v:,}" for k, v in stats["option_counts"].items())
    out.append(f"| options per question | {opts} |")
    for key, label in (("cot_length", "CoT length (characters)"), ("question_length", "question length (characters)")):
        q = stats[key]
        if q:
            out.append(
                f"| {label} | min {q['min']}, p25 {q['p25']}, median {q['median']}, p75 {q['p75']}, "
                f"p95 {q['p95']}, max {q['max']} |"
            )
    if stats["rubric_means"]:
        means = ", ".join(f"{k} {v}" for k, v in stats["rubric_means"].items())
        out.append(f"| mean rubric scores | {means} |")
    for key, title in (("departments", "Departments"), ("question_types", "Question types"), ("sources", "Sources")):
        counts = stats[key]
        out += ["", f"**{title}** ({len(counts)} distinct{', top ' + str(_TOP_N) if len(counts) > _TOP_N else ''}):", ""]
        out += ["| value | records | share |", "|---|---:|---:|"]
        for value, count in list(counts.items())[:_TOP_N]:
            out.append(f"| {_md(value)} | {count:,} | {count / n:.1%} |")
    return "\n".join(out)


def _md(text: Any) -> str:
    """Escape a value for a Markdown table cell.

    >>> _md("a|b")
    'a\\\\|b'
    """
    return str(text).replace("|", "\\|").replace("\n", " ")


def render_counts(layout: Mapping[str, Mapping[str, int]]) -> str:
    """Markdown table config x split -> rows.

    >>> print(render_counts({"default": {"train": 8, "test": 1}}))
    | config | train | test | total |
    |---|---:|---:|---:|
    | default | 8 | 1 | 9 |
    """
    split_names: list[str] = []
    for splits in layout.values():
        for split in splits:
            if split not in split_names:
                split_names.append(split)
    out = ["| config | " + " | ".join(split_names) + " | total |", "|---|" + "---:|" * (len(split_names) + 1)]
    for cfg, splits in layout.items():
        cells = [f"{splits.get(s, 0):,}" for s in split_names]
        out.append(f"| {cfg} | " + " | ".join(cells) + f" | {sum(splits.values()):,} |")
    return "\n".join(out)


def _example_prompt() -> str:
    example = {
        "question": "（示例）患者发热3天伴咳嗽，最可能的诊断是",
        "options": [{"label": "A", "text": "……"}, {"label": "B", "text": "……"}],
        "answer": ["A"],
        "question_type": constants.SINGLE_CHOICE,
    }
    from medcot import views

    return views.record_prompt(example)


def render_prose(
    layout: Mapping[str, Mapping[str, SplitLayout]],
    stats: Mapping[str, Any],
    *,
    license_id: str,
    synthetic: bool,
    split_method: str,
    repo_id: str = "org/medcot",
    rows_in: int | None = None,
    rejects: int | None = None,
    figures: Sequence[tuple[str, str]] = (),
) -> str:
    """The Markdown body of the card (everything after the YAML front matter).

    ``figures`` are ``(relative path, alt text)`` pairs, shown at the top of the statistics.
    """
    from medcot import schema, views

    counts = {cfg: {split: s.num_examples for split, s in splits.items()} for cfg, splits in layout.items()}
    out: list[str] = [f"# {constants.PRETTY_NAME}", ""]
    if synthetic:
        out += [
            "> **WARNING: SYNTHETIC DUMMY DATA.** The records in this folder are synthetic: `medcot` recognised",
            "> records of its bundled, hand-written dummy release among them (by their content, wherever the files",
            "> were copied), or the build was marked `--synthetic`. The questions, options, answers and",
            "> explanations are illustrative only, are NOT the real dataset, and must not be used for training,",
            "> evaluation or any medical purpose.",
            "",
        ]
    out += [
        "## Dataset summary",
        "",
        constants.DESCRIPTION,
        "",
        f"Paper: [{constants.PAPER_URL}]({constants.PAPER_URL}). Original release: [{constants.HOMEPAGE}]({constants.HOMEPAGE}).",
        "The release's own card gives 31,247 question-answer pairs in its overview and \"30,000 QA pairs\" in its",
        f"size field; this build contains **{stats['records']:,}** records.",
        "",
        "This repository holds Parquet files and this card only (no loading script): it loads with plain",
        "`datasets.load_dataset` in any recent version and is browsable in the dataset viewer.",
        "",
        "## Configs and how to load them",
        "",
        "| config | description |",
        "|---|---|",
    ]
    out += [f"| `{c.name}` | {c.description} |" for c in schema.CONFIGS if c.name in layout]
    out += ["", "```python", "from datasets import load_dataset", ""]
    for spec in schema.CONFIGS:
        if spec.name in layout:
            out.append(f'{spec.name} = load_dataset("{repo_id}", "{spec.name}")')
    out += [
        "```",
        "",
        "The `sft` config is in the conversational format TRL's `SFTTrainer` accepts directly. Its user turn is",
        "the prompt below (the instruction says whether one or several answers are expected and asks for a",
        "final answer line); the assistant turn is the expert CoT, a blank line, then the final answer line",
        f"(`{views.format_final_answer(['C'])}`). `prompt_completion` holds the same two turns as a conversational",
        "`prompt` and `completion`, plus the gold `answer`. The `reasoning` config carries the same prompt as plain",
        "text, the CoT as a separate reasoning trace and the answer labels (e.g. `C`, `ABD`).",
        "",
        "```text",
        _example_prompt(),
        "```",
        "",
        "### Which trainer reads which config",
        "",
        "| config | trainer | what happens |",
        "|---|---|---|",
        "| `sft` | TRL `SFTTrainer` | `messages` is trained as a chat; with `assistant_only_loss=True` only the CoT and the answer line are in the loss |",
        "| `prompt_completion` | TRL `SFTTrainer` | prompt/completion layout: the loss is on the completion only (TRL's default) |",
        "| `prompt_completion` | TRL `GRPOTrainer` | generates from the conversational `prompt`; `answer` reaches reward functions as a keyword (`medcot.rewards.answer_reward`, `rubric_reward`) |",
        "| `reasoning` | TRL `GRPOTrainer`, reasoning-model pipelines | plain-text `prompt`, `answer` for rewards; not for `SFTTrainer` (it takes a `prompt` column for prompt/completion and fails with `KeyError: 'completion'`) |",
        "| `qa` | lm-evaluation-harness, lighteval, OpenCompass | multiple-choice evaluation; see the caveat below |",
        "",
        "### Multiple-answer questions in evaluation tools",
        "",
        "Some questions have several correct options (gold `ABD`). The multiple-choice modes of common tools do",
        "not score them as exam graders do:",
        "",
        "- lm-evaluation-harness (0.4.13), `output_type: multiple_choice` with a list of gold indices: the",
        "  question counts as correct when the top-scoring option is *any* gold option, so picking only `A` on",
        "  gold `ABD` scores 1.0. A list of letter strings as the target crashes.",
        "- lighteval (0.13) loglikelihood multiple choice: the same lenient rule (any gold index).",
        "- OpenCompass (0.5.4) custom multiple-choice datasets: a multi-letter gold can never match its",
        "  single-letter prediction, so such questions always score 0; option columns are read from the first",
        "  row, so a file mixing four- and five-option questions shows an empty `E.`.",
        "",
        "The `medcot` integrations avoid both: the loglikelihood task `medcot_qa_mc` holds single-answer questions",
        "only, and the generative task `medcot_cot` counts a multiple-answer question as correct only on an exact",
        "match of the answer set (`medcot export --format opencompass` writes one file per option count, single-",
        "and multiple-answer questions apart). See the `medcot` README for the commands.",
        "",
        "## Data fields",
        "",
    ]
    for spec in schema.CONFIGS:
        if spec.name not in layout:
            continue
        out += [f"### `{spec.name}`", "", "| field | type | description |", "|---|---|---|"]
        for name, feature in spec.features.items():
            doc = _DERIVED_DOCS.get((spec.name, name)) or _FIELD_DOCS.get(name, "")
            out.append(f"| `{name}` | `{_feature_type(feature)}` | {doc} |")
        out.append("")
    out += ["## Splits", "", render_counts(counts), "", split_method, ""]
    if rows_in is not None and rejects is not None:
        out += [
            f"Ingestion read {rows_in:,} source rows: {rows_in - rejects:,} records and {rejects:,} rejected rows",
            "(each reject is listed with file, line and reason in the rejects report written by `medcot build`).",
            "",
        ]
    out += [
        "## The rubric",
        "",
        "Explanations are judged on five dimensions, each scored 1-5 (higher is better):",
        "",
        "| key | 维度 | dimension | what a 5 means |",
        "|---|---|---|---|",
    ]
    out += [f"| `{d.key}` | {d.zh} | {d.en} | {d.five_means} |" for d in constants.RUBRIC]
    out += [
        "",
        "`rubric.overall` summarises the five. The `rubric` column is null when the release carries no scores",
        "for a record; see the statistics below for how many records have them.",
        "",
        "## Statistics",
        "",
        *render_figures(figures),
        render_statistics(stats),
        "",
        "## Dataset creation",
        "",
        "### Curation (as described by the authors)",
        "",
        "According to the paper and the release's card, the questions come from Chinese medical examinations.",
        "Chain-of-thought explanations were generated with large language models and then validated by",
        "medical experts: experts scored the rationales on the five-dimension rubric above and revised them,",
        "in iterative review rounds involving several medical professionals, until consensus. The release's",
        "card lists expert validation, AI validation and human review as its methods. This card repeats those",
        "claims; the `medcot` tooling did not re-verify them.",
        "",
        "### This build",
        "",
        "`medcot build` read the raw release files, mapped English or Chinese column names onto the canonical",
        "schema, parsed options and answers, normalised text (full-width letters and digits folded, whitespace tidied; Chinese punctuation kept as written), rejected",
        "rows that fail validation (empty question or explanation, answer not among the options, duplicates,",
        "unreadable rows) and derived the `qa`, `sft`, `prompt_completion` and `reasoning` configs from the same records.",
        "",
        "### Personal and sensitive information",
        "",
        "Exam questions describe fictional patients. No personal data is expected, but the records were not",
        "audited for it by this tooling.",
        "",
        "## Uses",
        "",
        "**Direct use:** fine-tuning and evaluating Chinese medical language models on multiple-choice",
        "questions with explicit reasoning; studying and scoring the quality of medical chain-of-thought",
        "explanations (for example with the `medcot` rubric scorer); auditing model reasoning.",
        "",
        "**Out of scope:** clinical decision making, diagnosis or treatment of real patients, or any use",
        "where a model's output reaches a patient without review by a qualified clinician.",
        "",
        "## Bias, risks, limitations and safety",
        "",
        "- **Not for clinical decisions.** Exam-style questions are a narrow proxy for clinical practice;",
        "  correct answers here do not make a model safe for patient care.",
        "- The data is Chinese and reflects Chinese medical examinations, guidelines and practice; it may",
        "  not transfer to other languages, countries or standards of care, and guidelines change over time.",
        "- Explanations were written by LLMs and revised by experts; residual errors are possible, and the",
        "  rubric scores are expert judgements, not ground truth.",
        "- The original card names bias, trustworthiness and safety as risk categories and gives no",
        "  demographic analysis.",
        "",
        "## Licence",
        "",
    ]
    if license_id == constants.DEFAULT_DATA_LICENSE:
        out += [
            "The original release publishes no data licence (its card says \"Data Licensing: Not Applicable\"),",
            "so this card declares `license: unknown`. Check the terms of the data station before using or",
            "redistributing the data. The `medcot` code is Apache-2.0.",
        ]
    else:
        out += [
            f"`license: {license_id}` was set by whoever built this folder (`medcot build --license {license_id}`).",
            "The original release publishes no data licence; make sure this one matches the data owner's terms.",
            "The `medcot` code is Apache-2.0.",
        ]
    out += ["", "## Citation", "", "```bibtex", constants.CITATION.rstrip(), "```", ""]
    return "\n".join(out)


_DERIVED_DOCS = {
    ("qa", "choices"): "option texts, in label order",
    ("qa", "choice_labels"): "option labels (A, B, ...)",
    ("qa", "answer"): "gold labels",
    ("qa", "answer_idx"): "indices of the gold labels in `choices`",
    ("sft", "messages"): "chat turns: user (instruction + question + options), assistant (CoT + final answer line)",
    ("prompt_completion", "prompt"): "one user turn: instruction + question + options",
    ("prompt_completion", "completion"): "one assistant turn: CoT + final answer line",
    ("prompt_completion", "answer"): "gold labels joined, e.g. `C` or `ABD` (passed to GRPO reward functions)",
    ("reasoning", "prompt"): "instruction + question + options",
    ("reasoning", "reasoning"): "the expert-validated CoT",
    ("reasoning", "answer"): "gold labels joined, e.g. `C` or `ABD`",
}


def render_figures(figures: Sequence[tuple[str, str]]) -> list[str]:
    """Markdown lines embedding the card's figures with relative links (none: no lines).

    >>> render_figures([("figures/splits.png", "Records per split")])
    ['![Records per split](figures/splits.png)', '']
    """
    out: list[str] = []
    for rel, alt in figures:
        if not rel.startswith(FIGURES_DIR + "/") or any(c in rel for c in " ()"):
            raise ValueError(f"figure path {rel!r}: expected {FIGURES_DIR}/<name>.png")
        out += [f"![{alt.replace(']', ')')}]({rel})", ""]
    return out


def figure_links(card_text: str) -> list[str]:
    """The relative figure paths a card embeds, in order.

    >>> figure_links("x ![a](figures/splits.png) ![b](https://e.org/x.png) ![c](figures/lengths.png)")
    ['figures/splits.png', 'figures/lengths.png']
    """
    return _FIGURE_LINK_RE.findall(card_text)


def render_card(
    layout: Mapping[str, Mapping[str, SplitLayout]],
    stats: Mapping[str, Any],
    *,
    license_id: str = constants.DEFAULT_DATA_LICENSE,
    synthetic: bool = False,
    split_method: str,
    repo_id: str = "org/medcot",
    rows_in: int | None = None,
    rejects: int | None = None,
    figures: Sequence[tuple[str, str]] = (),
) -> str:
    """The whole README.md: YAML front matter + prose.

    Args:
        layout: ``{config: {split: SplitLayout}}`` of what was written.
        stats: :func:`compute_statistics` / :class:`StatsAccumulator` result.
        license_id: Data licence id.
        synthetic: Add the loud synthetic-data warning and tag.
        split_method: One paragraph saying how the splits were made.
        repo_id: Repo id used in the loading examples.
        rows_in: Source rows read (for the rows in = records + rejects sentence).
        rejects: Rejected rows.
        figures: ``(relative path, alt text)`` of the figures under ``figures/`` to embed.

    Returns:
        The card text.
    """
    license_id = check_license(license_id)
    card_data = build_card_data(layout, license_id=license_id, synthetic=synthetic)
    prose = render_prose(
        layout, stats, license_id=license_id, synthetic=synthetic, split_method=split_method,
        repo_id=repo_id, rows_in=rows_in, rejects=rejects, figures=figures,
    )
    return f"---\n{card_data.to_yaml()}\n---\n\n{prose}"


def stats_json(stats: Mapping[str, Any]) -> str:
    """Statistics as pretty JSON (``medcot stats --json``)."""
    return json.dumps(stats, ensure_ascii=False, indent=2)
