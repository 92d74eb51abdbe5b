"""Helpers of the pack tests: one engine with the built-in packs, notebooks built from cell sources."""

from __future__ import annotations

from nbwarden.engine import Engine

ENGINE = Engine()


def notebook(*cells: str) -> dict:
    """An nbformat-4 notebook whose code cells hold ``cells``."""
    return {"nbformat": 4, "nbformat_minor": 5, "metadata": {},
            "cells": [{"cell_type": "code", "metadata": {}, "source": c, "outputs": [], "execution_count": None}
                      for c in cells]}


def acting(verdict) -> set[str]:
    """The rules of a verdict that warn or block (audit findings are only recorded)."""
    return {f.rule for f in verdict.findings if f.severity != "audit"}
