"""TRL recipes on the dummy build with a tiny random model: SFT on prompt_completion, GRPO with answer_reward."""

from __future__ import annotations

from pathlib import Path

import pytest

pytest.importorskip("torch")
pytest.importorskip("transformers")
trl = pytest.importorskip("trl")

from medcot import rewards  # noqa: E402

pytestmark = pytest.mark.filterwarnings("ignore::DeprecationWarning", "ignore::UserWarning")




def _load(build, config: str):
    from datasets import load_dataset

    return load_dataset(str(build.out_dir), config, split="train")


def _common_args(tmp_path: Path) -> dict:
    return dict(output_dir=str(tmp_path / "run"), max_steps=2, per_device_train_batch_size=2, learning_rate=1e-3,
                logging_steps=1, save_strategy="no", report_to="none", use_cpu=True, seed=0, dataloader_num_workers=0)


def test_sft_two_steps_on_prompt_completion_trains_the_completion_only(dummy_build, tiny_model, tmp_path, hf_offline):
    from transformers import AutoModelForCausalLM, AutoTokenizer
    from trl import SFTConfig, SFTTrainer

    ds = _load(dummy_build, "prompt_completion")
    assert set(ds.column_names) == {"id", "prompt", "completion", "answer"}
    tok = AutoTokenizer.from_pretrained(tiny_model)
    model = AutoModelForCausalLM.from_pretrained(tiny_model)
    args = SFTConfig(**_common_args(tmp_path), max_length=512)
    trainer = SFTTrainer(model=model, args=args, train_dataset=ds, processing_class=tok)
    row = trainer.train_dataset[0]
    # completion-only loss: the prompt's tokens are masked out, the completion's are kept
    mask = [label != -100 for label in row["labels"]]
    assert 0 < sum(mask) < len(mask) and not mask[0]
    kept = tok.decode([t for t, m in zip(row["input_ids"], mask) if m])
    assert "答案：" in kept and "以下是一道医学考试" not in kept
    before = [p.detach().clone() for p in model.parameters()]
    result = trainer.train()
    assert result.global_step == 2
    losses = [h["loss"] for h in trainer.state.log_history if "loss" in h]
    assert len(losses) == 2 and all(loss > 0 for loss in losses)
    assert any((a != b).any() for a, b in zip(before, model.parameters()))


def test_grpo_two_steps_with_answer_reward(dummy_build, tiny_model, tmp_path, hf_offline):
    from transformers import AutoModelForCausalLM, AutoTokenizer
    from trl import GRPOConfig, GRPOTrainer

    # GRPOTrainer does not hand the dataset's `completion` column to reward functions; a `reference`
    # column does reach them (rubric_reward scores against it)
    ds = _load(dummy_build, "prompt_completion")
    ds = ds.map(lambda row: {"reference": row["completion"][0]["content"]})
    tok = AutoTokenizer.from_pretrained(tiny_model)
    model = AutoModelForCausalLM.from_pretrained(tiny_model)
    calls: list[tuple[int, list[str]]] = []
    references: list[str] = []

    def answer_reward(completions, answer, **kwargs):
        out = rewards.answer_reward(completions, answer, **kwargs)
        calls.append((len(completions), list(answer)))
        assert "completion" not in kwargs
        references.extend(kwargs["reference"])
        return out

    args = GRPOConfig(**_common_args(tmp_path), num_generations=2, max_completion_length=16,
                      generation_batch_size=2)
    trainer = GRPOTrainer(model=model, reward_funcs=[answer_reward, rewards.rubric_reward], args=args,
                          train_dataset=ds, processing_class=tok)
    result = trainer.train()
    assert result.global_step == 2
    assert calls and all(n == len(gold) for n, gold in calls)
    assert all(g and set(g) <= set("ABCDE") for _, gold in calls for g in gold)
    assert references and all("\n\n答案：" in ref for ref in references)
    logged = [h for h in trainer.state.log_history if "rewards/answer_reward/mean" in h]
    assert logged and all(0.0 <= h["rewards/answer_reward/mean"] <= 1.0 for h in logged)
    assert all(0.0 <= h["rewards/rubric_reward/mean"] <= 1.0 for h in logged)
