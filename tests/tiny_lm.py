"""A tiny randomly initialised causal LM with a tokenizer trained here, offline (no download).

Used by the lm-eval, lighteval and TRL tests: a Qwen2 config (hidden 64, 2 layers) and a byte-level
BPE tokenizer trained with ``tokenizers`` on the dataset's own text, wrapped in
``PreTrainedTokenizerFast`` with a ChatML-style chat template.
"""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

CHAT_TEMPLATE = (
    "{% for m in messages %}<|im_start|>{{ m['role'] }}\n"
    "{% if m['role'] == 'assistant' %}{% generation %}{{ m['content'] }}<|im_end|>{% endgeneration %}"
    "{% else %}{{ m['content'] }}<|im_end|>{% endif %}\n{% endfor %}"
    "{% if add_generation_prompt %}<|im_start|>assistant\n{% endif %}"
)
SPECIALS = ["<|endoftext|>", "<|im_start|>", "<|im_end|>", "<pad>"]


def dataset_texts(build_dir: Path) -> list[str]:
    """Every prompt and completion of a built folder's ``prompt_completion`` config."""
    import pyarrow.parquet as pq

    texts: list[str] = []
    for path in sorted((build_dir / "data" / "prompt_completion").glob("*.parquet")):
        for row in pq.read_table(path).to_pylist():
            texts += [m["content"] for m in row["prompt"] + row["completion"]]
    return texts


def build_tiny_lm(out_dir: Path, texts: Iterable[str], *, vocab_size: int = 1500, seed: int = 0) -> Path:
    """Write a random 2-layer Qwen2 model + trained tokenizer to ``out_dir`` and return it."""
    import torch
    from tokenizers import Tokenizer, decoders, models, pre_tokenizers, trainers
    from transformers import PreTrainedTokenizerFast, Qwen2Config, Qwen2ForCausalLM

    raw = Tokenizer(models.BPE())
    raw.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False)
    raw.decoder = decoders.ByteLevel()
    trainer = trainers.BpeTrainer(vocab_size=vocab_size, special_tokens=SPECIALS,
                                  initial_alphabet=pre_tokenizers.ByteLevel.alphabet(), show_progress=False)
    raw.train_from_iterator(list(texts), trainer=trainer)
    tok = PreTrainedTokenizerFast(tokenizer_object=raw, bos_token=None, eos_token="<|im_end|>",
                                  pad_token="<pad>", unk_token=None)
    tok.chat_template = CHAT_TEMPLATE
    torch.manual_seed(seed)
    config = Qwen2Config(vocab_size=len(tok), hidden_size=64, intermediate_size=128, num_hidden_layers=2,
                         num_attention_heads=4, num_key_value_heads=2, max_position_embeddings=4096,
                         tie_word_embeddings=True, eos_token_id=tok.eos_token_id, pad_token_id=tok.pad_token_id,
                         bos_token_id=None)
    model = Qwen2ForCausalLM(config)
    out_dir.mkdir(parents=True, exist_ok=True)
    model.save_pretrained(out_dir)
    tok.save_pretrained(out_dir)
    return out_dir
