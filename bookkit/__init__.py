"""bookkit: the model code and the book machinery of 'How neural systems learn', an executable book.

Chapters import from here; nothing a chapter needs that is not specific to its paper is written twice.
"""

__version__ = "0.1.0"

from bookkit.claims import ClaimsFailed  # noqa: E402
from bookkit.notebook import NotebookSession, start_notebook  # noqa: E402
from bookkit.scales import SCALES, Presets  # noqa: E402
from bookkit.widgets import explore  # noqa: E402

__all__ = ["ClaimsFailed", "NotebookSession", "Presets", "SCALES", "explore", "start_notebook", "__version__"]
