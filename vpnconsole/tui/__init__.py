"""The Textual console: thin views over the engine (DESIGN.md; only this package imports Textual)."""
