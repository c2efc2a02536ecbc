"""bookkit: the model code and the book machinery of 'How neural systems learn', an executable book.

Chapters import from here; nothing a chapter needs that is not specific to its paper is written twice.
"""

__version__ = "0.1.0"

from bookkit.claims import ClaimsFailed
from bookkit.notebook import NotebookSession, start_notebook
from bookkit.scales import SCALES, Presets
from bookkit.widgets import explore

__all__ = ["SCALES", "ClaimsFailed", "NotebookSession", "Presets", "__version__", "explore", "start_notebook"]
