"""A tiny randomly-initialised Llama-shaped model with a character tokenizer, for fast tests.

It has the same chat template as SmolLM2 (ChatML with ``<|im_end|>`` as end of turn), so every
code path of the real model runs in milliseconds. Its answers are gibberish by design.
"""

from __future__ import annotations

from typing import Any

from training.config import RunConfig

CHATML = (
    "{% for message in messages %}{{'<|im_start|>' + message['role'] + '\n' + message['content']"
    " + '<|im_end|>' + '\n'}}{% endfor %}{% if add_generation_prompt %}{{ '<|im_start|>assistant\n' }}{% endif %}"
)
SPECIALS = ["<pad>", "<unk>", "<|im_start|>", "<|im_end|>"]
CHARS = [chr(c) for c in range(32, 127)] + ["\n", "\t"] + list("áéíóúñüöäß¿¡ÁÉÍÓÚÑÜÖÄ€")


def tiny_tokenizer() -> Any:
    """A character-level fast tokenizer with ChatML special tokens (pad id 0, eos <|im_end|>)."""
    from tokenizers import Regex, Tokenizer, decoders, models, pre_tokenizers
    from transformers import PreTrainedTokenizerFast

    vocab = {tok: i for i, tok in enumerate(SPECIALS + CHARS)}
    core = Tokenizer(models.WordLevel(vocab=vocab, unk_token="<unk>"))
    core.pre_tokenizer = pre_tokenizers.Split(Regex(r"[\s\S]"), behavior="isolated")
    core.decoder = decoders.Fuse()
    core.add_special_tokens(SPECIALS)
    tok = PreTrainedTokenizerFast(
        tokenizer_object=core,
        pad_token="<pad>",
        unk_token="<unk>",
        bos_token="<|im_start|>",
        eos_token="<|im_end|>",
    )
    tok.chat_template = CHATML
    return tok


def tiny_model(
    vocab_size: int,
    seed: int = 0,
    hidden: int = 32,
    layers: int = 2,
    heads: int = 4,
    kv_heads: int = 2,
    intermediate: int | None = None,
) -> Any:
    """A randomly initialised Llama (SDPA attention); small by default, any shape on request
    (``bench/probe_cuda_attention.py`` builds one of SmolLM2-135M's shape)."""
    import torch
    from transformers import LlamaConfig, LlamaForCausalLM

    torch.manual_seed(seed)
    cfg = LlamaConfig(
        vocab_size=vocab_size,
        hidden_size=hidden,
        intermediate_size=intermediate or 2 * hidden,
        num_hidden_layers=layers,
        num_attention_heads=heads,
        num_key_value_heads=kv_heads,
        max_position_embeddings=1024,
        tie_word_embeddings=True,
        pad_token_id=0,
        bos_token_id=2,
        eos_token_id=3,
    )
    model = LlamaForCausalLM(cfg)
    model.generation_config.pad_token_id = 0
    model.generation_config.eos_token_id = 3
    return model.eval().requires_grad_(False)


def tiny_loader(config: RunConfig) -> tuple[Any, Any]:
    """A ``model_loader`` for ``trainer.train`` / ``compare.run_comparison``: same weights every call."""
    tok = tiny_tokenizer()
    return tiny_model(len(tok), seed=1234), tok
