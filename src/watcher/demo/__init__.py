"""`watcher demo`: the bundled 2022–2025 METI/IPA timeline imported, checked live and shown, offline."""

from watcher.demo.run import DemoOptions, DemoResult, run_demo, serve_admin

__all__ = ["DemoOptions", "DemoResult", "run_demo", "serve_admin"]
