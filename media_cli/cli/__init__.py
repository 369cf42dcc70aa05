"""The Typer layer: parse, validate, call the core, render."""
