"""Kernel launcher: install the audit-hook sensor, then run the kernel as usual.

Kernelspec ``argv``::

    ["python", "-m", "nbwarden.agent.launcher", "-m", "ipykernel_launcher", "-f", "{connection_file}"]

Options before ``-m``: ``--no-veto`` (report only), ``--sensor-dir DIR``.
``python -m nbwarden.agent.launcher --write-kernelspec DIR`` writes such a kernelspec.
"""

from __future__ import annotations

import json
import os
import re
import runpy
import sys
from pathlib import Path

KERNEL_ID = re.compile(r"kernel-([0-9A-Za-z-]+)\.json")


def kernelspec(python: str | None = None, *, display_name: str = "Python 3 (nbwarden)", veto: bool = True,
               provisioner: str | None = None) -> dict:
    argv = [python or sys.executable, "-m", "nbwarden.agent.launcher"]
    if not veto:
        argv.append("--no-veto")
    argv += ["-m", "ipykernel_launcher", "-f", "{connection_file}"]
    spec = {"argv": argv, "display_name": display_name, "language": "python",
            "metadata": {"debugger": True}}
    if provisioner:
        spec["metadata"]["kernel_provisioner"] = {"provisioner_name": provisioner}
    return spec


def write_kernelspec(directory: str | Path, **kwargs) -> Path:
    path = Path(directory)
    path.mkdir(parents=True, exist_ok=True)
    (path / "kernel.json").write_text(json.dumps(kernelspec(**kwargs), indent=1) + "\n", encoding="utf-8")
    return path / "kernel.json"


def main(argv: list[str] | None = None) -> None:
    args = list(sys.argv[1:] if argv is None else argv)
    veto = True
    directory = None
    while args and args[0] != "-m":
        opt = args.pop(0)
        if opt == "--no-veto":
            veto = False
        elif opt == "--sensor-dir" and args:
            directory = args.pop(0)
        elif opt == "--write-kernelspec" and args:
            print(write_kernelspec(args.pop(0), provisioner=os.environ.get("NBWARDEN_PROVISIONER") or None))
            return
        else:
            sys.exit(f"nbwarden.agent.launcher: unknown option {opt!r}")
    if len(args) < 2:
        sys.exit("usage: python -m nbwarden.agent.launcher [--no-veto] -m MODULE [ARGS...]")
    module, rest = args[1], args[2:]
    kernel_id = os.environ.get("NBWARDEN_KERNEL_ID", "")
    m = KERNEL_ID.search(" ".join(rest))
    if m:
        kernel_id = m.group(1)
        os.environ["NBWARDEN_KERNEL_ID"] = kernel_id  # children inherit it: attribution for the agent
    from .sensor import install

    install(directory=directory, veto=veto, kernel_id=kernel_id)
    sys.argv = [module, *rest]
    runpy.run_module(module, run_name="__main__", alter_sys=True)


if __name__ == "__main__":
    main()
