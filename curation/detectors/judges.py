"""Optional model judges: contradiction candidates (NLI cross-encoder or instruction LLM)
and prompt-only paraphrase candidates (a duplicate-question cross-encoder).

None ships with the project (no hub access at run time), so all are off by default; point
``Contradictions(judge="nli"|"llm", judge_model=ID_OR_PATH)`` or
``SemanticDuplicates(paraphrase_judge_model=ID_OR_PATH)`` at a local model. Each returns a
probability: that two answers to one question contradict each other, or that two prompts
ask the same thing.

- ``NLIJudge``: any sequence-classification model whose labels include one containing
  "contradict" (e.g. an MNLI cross-encoder); scored both ways round and averaged.
- ``LLMJudge``: any causal LM; asked a yes/no question, the probability is the softmax of
  the next-token logits for "Yes" against "No" (one forward pass, no sampling).
- ``ParaphraseJudge``: any sequence-classification cross-encoder for duplicate questions or
  paraphrases (e.g. one trained on Quora question pairs): one logit (sigmoid) or a label
  naming duplicates/paraphrases/equivalence; scored both ways round and averaged.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, Protocol


class JudgeError(RuntimeError):
    """A judge model that cannot be loaded (the message names it and says why)."""


def check_model_ref(value: str | None) -> str | None:
    """Settings validator: a judge model given as a local path must exist (a hub id cannot be
    checked offline, so anything that does not look like a path passes)."""
    if value and (value.startswith((".", "/", "~")) or "\\" in value) and not Path(value).expanduser().exists():
        raise ValueError(f"model folder {value!r} does not exist")
    return value


def _loading(what: str, model: str, build):
    """Run ``build()``; a failure becomes a ``JudgeError`` naming the judge and the model."""
    try:
        return build()
    except (OSError, ValueError, KeyError) as err:
        raise JudgeError(f"the {what} judge could not load {model!r}: {err}") from err


def judge_device(device: str = "auto") -> str:
    """Where a judge model runs: the scan's ``embedding_device`` ("auto": CUDA when torch sees
    a GPU), so the judges follow the embedding onto a GPU or stay on the CPU with it."""
    from curation.embeddings import resolve_device

    return resolve_device(device, "torch")


def scan_device(ctx: Any) -> str:
    """The embedding device a scan's judges load on (its embedder's; "auto" without one)."""
    return getattr(ctx.embedder, "device", "auto")


def _pair_classifier(what: str, model: str, device: str):
    """(tokenizer, sequence-classification model in eval mode) for a cross-encoder judge."""
    from transformers import AutoModelForSequenceClassification, AutoTokenizer

    return _loading(
        what,
        model,
        lambda: (
            AutoTokenizer.from_pretrained(model),
            AutoModelForSequenceClassification.from_pretrained(model).to(device).eval(),
        ),
    )


class Judge(Protocol):
    def contradiction(self, question: str, answer_a: str, answer_b: str) -> float: ...


class NLIJudge:
    """Contradiction probability from an NLI sequence classifier."""

    def __init__(self, model: str, device: str = "cpu") -> None:
        import torch

        self.torch = torch
        device = judge_device(device)
        self.tok, self.model = _pair_classifier("nli", model, device)
        labels = {int(k): str(v).lower() for k, v in self.model.config.id2label.items()}
        hits = [k for k, v in labels.items() if "contradict" in v]
        self.index = hits[0] if hits else 0
        self.device = device

    def contradiction(self, question: str, answer_a: str, answer_b: str) -> float:
        premises = [f"{question} {answer_a}", f"{question} {answer_b}"]
        hypotheses = [f"{question} {answer_b}", f"{question} {answer_a}"]
        enc = self.tok(premises, hypotheses, return_tensors="pt", padding=True, truncation=True, max_length=256).to(
            self.device
        )
        with self.torch.no_grad():
            probs = self.model(**enc).logits.float().softmax(-1)[:, self.index]
        return float(probs.mean())


class LLMJudge:
    """Contradiction probability from a causal LM's Yes/No next-token logits."""

    PROMPT = "Question: {q}\nAnswer A: {a}\nAnswer B: {b}\nCan answer A and answer B both be true? Reply Yes or No."

    def __init__(self, model: str, device: str = "cpu") -> None:
        import torch
        from transformers import AutoModelForCausalLM, AutoTokenizer

        self.torch = torch
        device = judge_device(device)
        self.tok, self.model = _loading(
            "llm",
            model,
            lambda: (
                AutoTokenizer.from_pretrained(model),
                AutoModelForCausalLM.from_pretrained(model).to(device).eval(),
            ),
        )
        self.device = device
        self.yes = self._token_id("Yes")
        self.no = self._token_id("No")

    def _token_id(self, word: str) -> int:
        for variant in (" " + word, word):
            ids = self.tok.encode(variant, add_special_tokens=False)
            if ids:
                return ids[0]
        raise ValueError(f"tokenizer cannot encode {word!r}")

    def _prompt(self, question: str, a: str, b: str) -> str:
        text = self.PROMPT.format(q=question, a=a, b=b)
        if getattr(self.tok, "chat_template", None):
            return self.tok.apply_chat_template(
                [{"role": "user", "content": text}], tokenize=False, add_generation_prompt=True
            )
        return text + "\nAnswer:"

    def contradiction(self, question: str, answer_a: str, answer_b: str) -> float:
        enc = self.tok(self._prompt(question, answer_a, answer_b), return_tensors="pt").to(self.device)
        with self.torch.no_grad():
            logits = self.model(**enc).logits[0, -1].float()
        both = self.torch.stack([logits[self.yes], logits[self.no]]).softmax(-1)
        return float(both[1])  # "No, they cannot both be true" = contradiction


class ParaphraseJudge:
    """Probability that two prompts are duplicates, from a pair classifier."""

    POSITIVE = ("dup", "paraphrase", "equivalent", "same", "similar")

    def __init__(self, model: str, device: str = "cpu", batch_size: int = 32) -> None:
        import torch

        self.torch = torch
        device = judge_device(device)
        self.tok, self.model = _pair_classifier("paraphrase", model, device)
        self.device, self.batch_size = device, batch_size
        labels = {int(k): str(v).lower() for k, v in self.model.config.id2label.items()}
        hits = [
            k
            for k, v in sorted(labels.items())
            if any(p in v for p in self.POSITIVE) and not v.startswith(("not", "non"))
        ]
        # a 2-label model without names ("LABEL_0", "LABEL_1") follows GLUE: 1 = duplicate
        self.index = hits[0] if hits else max(labels)

    def probabilities(self, pairs: list[tuple[str, str]]) -> list[float]:
        """P(same request) for each pair, averaged over both orders."""
        out = []
        for s in range(0, len(pairs), self.batch_size):
            part = pairs[s : s + self.batch_size]
            first = [a for a, b in part] + [b for a, b in part]
            second = [b for a, b in part] + [a for a, b in part]
            enc = self.tok(first, second, return_tensors="pt", padding=True, truncation=True, max_length=256).to(
                self.device
            )
            with self.torch.no_grad():
                logits = self.model(**enc).logits.float()
            probs = logits[:, 0].sigmoid() if logits.shape[1] == 1 else logits.softmax(-1)[:, self.index]
            both = probs.view(2, len(part)).mean(0)
            out.extend(float(p) for p in both)
        return out


def load_judge(kind: str, model: str | None, device: str = "cpu") -> Judge:
    """Build the judge named by ``kind`` ("nli" or "llm") from a model id or local path, on
    ``device`` ("auto": CUDA when torch sees a GPU)."""
    if not model:
        raise ValueError(f"judge={kind!r} needs judge_model (a model id or local path)")
    if kind == "nli":
        return NLIJudge(model, device)
    if kind == "llm":
        return LLMJudge(model, device)
    raise ValueError(f"unknown judge {kind!r}: use 'rules', 'nli' or 'llm'")
