"""Every fixed sentence cnaps_rag writes in its own voice, in one place.

Fixed phrases cite nothing (``verify`` accepts exactly these as uncited); sentence templates are
filled with the question's words and the sources' text, and their result cites its sources.
"""

from __future__ import annotations

NOT_COVERED = "The supplied sources do not cover this question."
NO_WORKFLOW = "The supplied sources describe no model for this question, so there is no workflow to show."
NAME_ONLY = "The sources give this model's name and links only; they do not describe how it works."
NONE_BEARS = "No supplied source bears on this question; they are listed for completeness."

NO_TASK_SENTENCE = "The sources name this model but say nothing that could be checked about the task; see the references."
LISTED_ONLY = "Listed with the question; no reason could be drawn from its text."
STEP_UNCHECKED = "The source's sentence for this step could not be checked, so it is left out."

TEMPLATE_PHRASES = frozenset({NOT_COVERED, NO_WORKFLOW, NAME_ONLY, NONE_BEARS, NO_TASK_SENTENCE, LISTED_ONLY,
                              STEP_UNCHECKED})

VARIANT_OPEN = ("{name} is one of several released variants of its family; your question gives no hint which "
                "setting fits, so the choice among them is open.")

LISTED = {"recommended": "listed as a recommended model", "related": "listed as a related paper"}
