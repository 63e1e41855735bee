"""cnaps_rag: grounded answers to lay questions about AI models, built only from the supplied sources."""
