"""Hugging Face Space of the MedCoT rubric metric: score one chain-of-thought in the browser.

A gradio Blocks app (current gradio; evaluate's own widget needs gradio 3.x and takes only
predictions and references). It takes the prediction, an optional reference CoT, the question, its
options and the gold answer, runs the metric module next to this file (so the Space works under any
repo id) and shows the five rubric scores with their evidence, the overall score, the extracted
answer and character ROUGE-L.

Run locally: ``pip install "medcot-verified[space]"`` then ``python app.py`` (GRADIO_SERVER_NAME and
GRADIO_SERVER_PORT choose the address; the default is http://127.0.0.1:7860).
"""

from __future__ import annotations

from pathlib import Path

import evaluate
import gradio as gr

from medcot.constants import RUBRIC  # From: medcot-verified
from medcot.errors import MedcotError  # From: medcot-verified

MODULE_FILE = "medcot_rubric.py"  # `medcot push-metric` names it after the Space
METRIC = evaluate.load(str(Path(__file__).with_name(MODULE_FILE)))

EXAMPLE = [
    "患者突发胸痛伴ST段抬高，心肌酶升高，符合急性心肌梗死的诊断依据。主动脉夹层多为撕裂样痛且双上肢血压不等，可排除。故选B。",
    "",
    "男，60岁，突发胸痛2小时。最可能的诊断是",
    "A 主动脉夹层\nB 急性心肌梗死",
    "B",
]


def _cell(text: object) -> str:
    """One Markdown table cell: no pipes or line breaks from untrusted text."""
    return str(text).replace("|", "\\|").replace("\r", " ").replace("\n", " ")


def _fmt(value: object) -> str:
    return "—" if value is None else f"{value:.2f}" if isinstance(value, float) else str(value)


def render(row: dict) -> str:
    """The Markdown shown for one scored row (``per_sample`` entry of the metric)."""
    lines = ["| dimension | 维度 | score | evidence |", "|---|---|---:|---|"]
    for dim in RUBRIC:
        evidence = "; ".join(_cell(e) for e in (row.get("evidence") or {}).get(dim.key, []))
        lines.append(f"| `{dim.key}` | {dim.zh} | {_fmt(row.get(dim.key))} | {evidence} |")
    extracted = row.get("extracted_answer")
    lines += [
        "",
        f"**overall**: {_fmt(row.get('overall'))} · **extracted answer**: "
        f"{_cell(''.join(extracted)) if extracted else 'none found'} · **answer correct**: "
        f"{_fmt(row.get('answer_correct'))} · **char ROUGE-L**: {_fmt(row.get('char_rouge_l'))}",
    ]
    if row.get("error"):
        lines += ["", f"error: {_cell(row['error'])}"]
    return "\n".join(lines)


def score(prediction: str, reference: str, question: str, options: str, answer: str) -> str:
    """Score one chain-of-thought; empty optional fields are left out."""
    if not (prediction or "").strip():
        raise gr.Error("Enter the chain-of-thought to score (prediction).")

    def one(text: str) -> list[str] | None:
        return [text] if (text or "").strip() else None

    try:
        result = METRIC.compute(
            predictions=[prediction], references=[reference or ""], questions=one(question),
            options=one(options), answers=one(answer), return_per_sample=True,
        )
    except (MedcotError, ValueError) as exc:
        raise gr.Error(str(exc)) from exc
    return render(result["per_sample"][0])


def build_demo() -> gr.Blocks:
    """The Blocks app (not launched)."""
    with gr.Blocks(title="MedCoT Rubric", analytics_enabled=False) as demo:
        gr.Markdown(
            "# MedCoT Rubric\n"
            "Scores a Chinese medical chain-of-thought on five dimensions (1-5, higher is better) with the "
            "offline, deterministic scorer of `medcot`. The question, options and gold answer give context; "
            "the reference CoT adds character ROUGE-L. A proxy for expert judgement, not a substitute."
        )
        with gr.Row():
            with gr.Column():
                prediction = gr.Textbox(label="Prediction (chain-of-thought to score)", lines=6, elem_id="prediction")
                reference = gr.Textbox(label="Reference CoT (optional)", lines=3, elem_id="reference")
                question = gr.Textbox(label="Question", lines=2, elem_id="question")
                options = gr.Textbox(label="Options, one per line (A ... / B ...)", lines=4, elem_id="options")
                answer = gr.Textbox(label="Gold answer (e.g. B or ABD)", elem_id="answer")
                button = gr.Button("Score", variant="primary", elem_id="score-button")
            with gr.Column():
                output = gr.Markdown("Scores appear here.", elem_id="scores")
        inputs = [prediction, reference, question, options, answer]
        gr.Examples([EXAMPLE], inputs=inputs)
        button.click(score, inputs=inputs, outputs=output)
    return demo


# System fonts only: the default theme would fetch web fonts from the internet.
THEME = gr.themes.Default(font=["system-ui", "sans-serif"], font_mono=["ui-monospace", "monospace"])
# Scores (1-5) stay on one line however long the evidence is.
CSS = "#scores td:nth-child(3), #scores th:nth-child(3) { white-space: nowrap; }"

if __name__ == "__main__":
    build_demo().launch(theme=THEME, css=CSS, ssr_mode=False)
