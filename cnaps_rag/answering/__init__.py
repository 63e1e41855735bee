"""The three-part answer: result types, fixed phrases, composition, workflows, verification, rendering."""

from .model import Answer, Evidence, Node, Reference, Statement, TaskPart, Workflow
from .verify import Verification, verify

__all__ = ["Answer", "Evidence", "Node", "Reference", "Statement", "TaskPart", "Verification", "Workflow", "verify"]
