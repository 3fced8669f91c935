"""Message contracts: one JSON Schema per topic (the source of truth), Python types checked
against them, topic names, and a golden example per topic in examples/.

This package imports nothing else from the project.
"""
