"""The newsroom view: the processed stream as stories, in a browser (pure: what to show and
how it reads; adapters/web_server.py serves it)."""
