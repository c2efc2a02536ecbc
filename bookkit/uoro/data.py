r"""Character streams: the authors' synthetic tasks (anbn, distant brackets), a fixed stretch of Shakespeare,
and the entropy lines that tell what a model has learnt.

The generators follow the descriptions of ctallec/uoro's data scripts (rewritten, not ported):

- anbn($a$, $b$): repeat { $k\sim\mathcal U\{a..b\}$; ``a``$\times k$, newline, ``b``$\times k$, newline };
- distant brackets(save, min, max, alphabet): repeat { ``[``, ``save`` random symbols, ``]``,
  $r\sim\mathcal U\{\min..\max\}$ random filler symbols, ``[``, the same saved symbols, ``]``, newline },
  symbols being ASCII 33 to 32 + alphabet.
"""

from __future__ import annotations

import dataclasses
import math
import random
from collections import Counter
from collections.abc import Hashable, Sequence

import torch

from bookkit.datasets.shakespeare import shakespeare


def anbn_text(num_chars: int, rng: random.Random, low: int = 1, high: int = 32) -> str:
    r"""At least ``num_chars`` characters of anbn(``low``, ``high``)."""
    pieces, length = [], 0
    while length < num_chars:
        k = rng.randint(low, high)
        line = "a" * k + "\n" + "b" * k + "\n"
        pieces.append(line)
        length += len(line)
    return "".join(pieces)


def brackets_text(
    num_chars: int,
    rng: random.Random,
    save: int = 1,
    min_filler: int = 5,
    max_filler: int = 5,
    alphabet: int = 10,
) -> str:
    r"""At least ``num_chars`` characters of distant brackets(``save``, ``min_filler``, ``max_filler``,
    ``alphabet``)."""
    symbols = [chr(33 + i) for i in range(alphabet)]
    pieces, length = [], 0
    while length < num_chars:
        saved = "".join(rng.choice(symbols) for _ in range(save))
        filler = "".join(rng.choice(symbols) for _ in range(rng.randint(min_filler, max_filler)))
        line = f"[{saved}]{filler}[{saved}]\n"
        pieces.append(line)
        length += len(line)
    return "".join(pieces)


def shakespeare_text(num_chars: int) -> str:
    r"""The first ``num_chars`` characters of Shakespeare's works in modern spelling
    (:func:`bookkit.datasets.shakespeare`: the works in file-name order, *All's Well That Ends Well* first,
    with title pages, speaker names and stage directions as printed). The stretch is fixed: seeds change the
    model and its training, not the text."""
    text = shakespeare().text
    if num_chars > len(text):
        raise ValueError(f"the modern-spelling works hold only {len(text)} characters, {num_chars} asked")
    return text[:num_chars]


@dataclasses.dataclass(frozen=True)
class Vocabulary:
    r"""Symbols in a fixed order; with ``other`` set, characters outside ``symbols`` map to it."""

    symbols: str
    other: str | None = None

    @classmethod
    def from_text(cls, text: str, max_size: int | None = None, other: str = "\x00") -> Vocabulary:
        r"""Every character of ``text`` (sorted), or its ``max_size - 1`` most frequent ones plus
        ``other``."""
        counts = Counter(text)
        if max_size is None or len(counts) <= max_size:
            return cls("".join(sorted(counts)))
        kept = sorted(char for char, _ in counts.most_common(max_size - 1))
        return cls("".join(kept) + other, other)

    def __len__(self) -> int:
        return len(self.symbols)

    def encode(self, text: str) -> torch.Tensor:
        index = {char: i for i, char in enumerate(self.symbols)}
        fallback = index.get(self.other) if self.other is not None else None
        try:
            return torch.tensor(
                [index[c] if c in index or fallback is None else fallback for c in text], dtype=torch.long
            )
        except KeyError as error:
            raise ValueError(f"character {error.args[0]!r} is not in the vocabulary") from None


def unigram_entropy(text: Sequence[Hashable]) -> float:
    r"""Entropy in bits/symbol of the symbol frequencies of ``text`` (a string or a list of symbols)."""
    counts = Counter(text)
    total = sum(counts.values())
    return -sum(c / total * math.log2(c / total) for c in counts.values())


@dataclasses.dataclass(frozen=True)
class EntropyLines:
    r"""Reference levels in bits/char: the best achievable, the best without the long dependency."""

    optimal: float
    no_memory: float
    mean_line_length: float


def anbn_entropy_lines(low: int = 1, high: int = 32) -> EntropyLines:
    r"""Optimal: only $k$ is random, $\log_2(b-a+1)$ bits per line of mean length $2\,\mathbb E[k]+2$.
    Without counting, the end of the b-run is about as uncertain as the end of the a-run (about twice the
    bits); this line is approximate."""
    mean_length = 2 * (low + high) / 2 + 2
    bits = math.log2(high - low + 1)
    return EntropyLines(bits / mean_length, 2 * bits / mean_length, mean_length)


def brackets_entropy_lines(
    save: int = 1, min_filler: int = 5, max_filler: int = 5, alphabet: int = 10
) -> EntropyLines:
    r"""Per line: saved and filler symbols ($\log_2$ alphabet each) and the filler length; a model that
    cannot carry the saved symbols pays their $\log_2$ alphabet a second time at the closing bracket."""
    mean_filler = (min_filler + max_filler) / 2
    mean_length = 2 * save + mean_filler + 5
    length_bits = math.log2(max_filler - min_filler + 1)
    symbol_bits = math.log2(alphabet)
    optimal = (save + mean_filler) * symbol_bits + length_bits
    no_memory = (2 * save + mean_filler) * symbol_bits + length_bits
    return EntropyLines(optimal / mean_length, no_memory / mean_length, mean_length)


def anbn_memoryless_dependency_bits(low: int = 1, high: int = 32) -> float:
    r"""Loss in bits at the end of a b-run of the best predictor that sees only the current symbol: after a
    ``b`` it gives the newline the probability $1/\mathbb E[k]$ (one newline per $\mathbb E[k]$ b's), so it
    pays $\log_2\mathbb E[k]=\log_2\frac{a+b}{2}$ bits there."""
    return math.log2((low + high) / 2)


def brackets_memoryless_dependency_bits(alphabet: int = 10) -> float:
    r"""Loss in bits at a repeated saved symbol of the best predictor that sees only the current symbol
    (``[`` or a saved symbol): chance, $\log_2(\text{alphabet})$."""
    return math.log2(alphabet)


def anbn_dependency_mask(text: str) -> torch.Tensor:
    """True at each newline that ends a b-run: predicting it needs the count of the a-run."""
    return torch.tensor([c == "\n" and i > 0 and text[i - 1] == "b" for i, c in enumerate(text)])


def brackets_dependency_mask(text: str, save: int = 1) -> torch.Tensor:
    """True at the repeated saved symbols (inside each line's second bracket pair): predicting them needs
    the symbols seen before the filler."""
    mask = torch.zeros(len(text), dtype=torch.bool)
    start = 0
    for line in text.split("\n"):
        end = start + len(line)
        if len(line) >= 2 * save + 4:  # a complete line; a cut last line is skipped
            mask[end - 1 - save : end - 1] = True
        start = end + 1
    return mask
