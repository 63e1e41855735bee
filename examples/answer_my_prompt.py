"""Answer a prompt file of your own (default: examples/my_prompt.txt) in any format.

    python examples/answer_my_prompt.py [PROMPT_FILE] [markdown|text|html|json]
"""

import sys
from pathlib import Path

import cnaps_rag

path = Path(sys.argv[1]) if len(sys.argv) > 1 else Path(__file__).parent / "my_prompt.txt"
fmt = sys.argv[2] if len(sys.argv) > 2 else "text"

try:
    answer = cnaps_rag.answer_prompt(path.read_text(encoding="utf-8"))
except cnaps_rag.CnapsError as error:  # a bad prompt says what is wrong and on which line
    sys.exit(f"{path}: {error}")

rendered = {"markdown": answer.to_markdown, "text": answer.to_text, "html": answer.to_html,
            "json": lambda: answer.model_dump_json(indent=2)}[fmt]()
print(rendered)
sys.exit(3 if answer.abstained else 0)
