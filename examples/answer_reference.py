"""Answer the reference prompt and show how the answer is grounded.

Run from the repository root:  python examples/answer_reference.py
"""

from pathlib import Path

import cnaps_rag

prompt = (Path(__file__).parent / "seed_prompt.txt").read_text(encoding="utf-8")
answer = cnaps_rag.answer_prompt(prompt)

print(answer.to_markdown())

check = cnaps_rag.verify(answer)
print(f"verified: {check.ok} ({check.urls_checked} links, {check.citations_checked} citations, "
      f"{check.numbers_checked} numbers, {check.statements_checked} sentences checked)")
print("ranking:")
for hit in answer.hits:
    print("  ", hit)
