"""nbwarden: acceptable-use enforcement for shared notebook compute."""

__version__ = "0.1.0"

__all__ = ["__version__", "Engine", "Verdict", "Finding"]


def _jupyter_server_extension_points() -> list[dict[str, str]]:
    """``jupyter server extension enable nbwarden`` loads the gate (:mod:`nbwarden.gate`)."""
    return [{"module": "nbwarden.gate"}]


def __getattr__(name: str):
    # Lazy, so that `import nbwarden` inside a kernel or a Jupyter server stays cheap.
    if name in {"Engine", "Verdict", "Finding"}:
        from . import engine

        return getattr(engine, name)
    raise AttributeError(name)
