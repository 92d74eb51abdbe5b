"""The ``nbwarden`` command: one thin entry point, one subcommand per job."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from . import __version__
from .rules import SEVERITY_RANK, PackError


def _engine(args: argparse.Namespace):
    from .engine import Engine

    return Engine(extra_dirs=args.rules or [], disable=args.disable or [])


def _add_rule_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--rules", action="append", metavar="DIR",
                        help="extra rule pack directory (repeatable; later ones override earlier)")
    parser.add_argument("--disable", action="append", metavar="RULE_ID", help="turn a rule off (id or glob)")


def cmd_scan(args: argparse.Namespace) -> int:
    from . import scan

    try:
        paths = scan.expand(args.paths, include_all=args.all_files)
    except scan.UsageError as exc:
        print(f"nbwarden scan: {exc}", file=sys.stderr)
        return 2
    engine = _engine(args)
    progress = not args.no_progress and sys.stderr.isatty() and len(paths) > 1
    results = scan.run(paths, jobs=args.jobs, extra_dirs=args.rules or [], disable=args.disable or [],
                       progress=progress)
    if args.format == "json":
        output = scan.report_json(results, engine.version)
    elif args.format == "sarif":
        output = scan.report_sarif(results, engine)
    else:
        output = scan.report_text(results, "audit" if args.verbose else "warn")
    if args.output:
        Path(args.output).write_text(output + "\n", encoding="utf-8")
    else:
        print(output)
    if args.strict and any(r.error for r in results):
        return 2
    if args.fail_on == "never":
        return 0
    threshold = SEVERITY_RANK[args.fail_on]
    return 1 if any(SEVERITY_RANK[r.severity] >= threshold for r in results) else 0


def cmd_check(args: argparse.Namespace) -> int:
    engine = _engine(args)
    if args.source == "-":
        data = sys.stdin.buffer.read()
    else:
        try:
            data = Path(args.source).read_bytes()
        except OSError as exc:  # a missing or unreadable file is a usage error, not a traceback
            print(f"nbwarden check: cannot read {args.source}: {exc.strerror or exc}", file=sys.stderr)
            return 2
    from .sources import decode

    text, notes = decode(data)
    verdict = engine.check_code(text, args.kind)
    verdict.notes[:0] = notes
    print(verdict.to_json())
    return 0 if verdict.action == "allow" else 1


def cmd_rules(args: argparse.Namespace) -> int:
    from .engine import check_examples

    engine = _engine(args)
    ruleset = engine.ruleset
    if args.action == "list":
        rows = sorted(ruleset.rules.values(), key=lambda r: r.id)
        if args.json:
            print(json.dumps([r.to_dict(patterns=False) for r in rows], indent=1))
            return 0
        for rule in rows:
            state = "" if rule.enabled else " (disabled)"
            print(f"{rule.id:<48} {rule.category:<20} {rule.severity:<6} {rule.pack}{state}")
        print(f"{len(rows)} rules in {len(ruleset.packs)} packs: "
              + ", ".join(f"{p.name} {p.version}" for p in ruleset.packs))
        return 0
    if args.action == "test":
        failures = []
        count = 0
        for rule in engine.rules:
            if args.rule_id and rule.id != args.rule_id:
                continue
            count += 1
            failures += check_examples(engine, rule)
        for failure in failures:
            print(f"FAIL {failure}")
        print(f"{count} rules tested, {len(failures)} failures")
        return 1 if failures else 0
    if args.action == "explain":
        if not args.rule_id:
            print("nbwarden rules explain: give a RULE_ID", file=sys.stderr)
            return 2
        rule = ruleset.rules.get(args.rule_id)
        if rule is None:
            print(f"nbwarden rules explain: unknown rule {args.rule_id!r}", file=sys.stderr)
            return 2
        if args.json:
            print(json.dumps(rule.to_dict(), indent=1))
            return 0
        print(f"{rule.id}  [{rule.category}, {rule.severity}{'' if rule.enabled else ', disabled'}]")
        print(f"  {rule.description}")
        print(f"  pack: {rule.pack} ({rule.source})")
        for ref in rule.references:
            print(f"  see: {ref}")
        if rule.private:
            print("  patterns: (private pack)")
        else:
            for i, group in enumerate(rule.groups):
                label = "any of" if len(rule.groups) == 1 else f"group {i + 1}, any of"
                print(f"  {label}:")
                for pattern in group:
                    print(f"    - {json.dumps(pattern)}")
            for key in ("match", "no_match"):
                for example in rule.examples.get(key, []):
                    print(f"  {key}: {json.dumps(example)}")
        return 0
    return 2


def _eval_refs(args: argparse.Namespace, refs_dir: Path) -> int:
    """The reference-set layout: refs/*.tsv plus the materialised files under --data."""
    from . import refset, scan

    data = Path(args.data) if args.data else refs_dir.parent / "data"
    try:
        refs = refset.read_refs(refs_dir)
    except refset.RefError as exc:
        print(f"nbwarden eval: {exc}", file=sys.stderr)
        return 2
    present = [r for r in refs if r.data_path(data).is_file()]
    if not present:
        print(f"nbwarden eval: none of the {len(refs)} referenced files is under {data}; run "
              "eval/materialise.py first", file=sys.stderr)
        return 2
    results = scan.run([r.data_path(data) for r in present], jobs=args.jobs, extra_dirs=args.rules or [],
                       disable=args.disable or [], progress=not args.json and sys.stderr.isatty())
    by_path = {r.path: r.to_dict() for r in results}
    report = refset.score(refs, {r.source: by_path.get(str(r.data_path(data))) for r in present}, args.threshold)
    report["rules_version"] = _engine(args).version
    if not args.show_test_misses:  # tuning looks at dev only: the test half keeps measuring generalisation
        for key in ("misses", "false_positives"):
            report["halves"]["test"][key] = f"{len(report['halves']['test'][key])} (hidden; --show-test-misses)"
            report["halves"]["all"][key] = "see the halves"
    if args.json:
        print(json.dumps(report, indent=1))
        return 0
    print(refset.markdown(report, show=args.show))
    return 0


def cmd_eval(args: argparse.Namespace) -> int:
    from . import scan

    directory = Path(args.directory)
    if any(directory.glob("*.tsv")):
        return _eval_refs(args, directory)
    try:
        report = scan.evaluate(directory, _engine(args), args.threshold)
    except scan.UsageError as exc:
        print(f"nbwarden eval: {exc}", file=sys.stderr)
        return 2
    if args.json:
        print(json.dumps(report, indent=1))
        return 0
    print(f"{'category':<22} {'files':>5} {'TP':>4} {'FP':>4} {'FN':>4} {'precision':>9} {'recall':>7}")
    for category, row in report["categories"].items():
        p = "-" if row["precision"] is None else f"{row['precision']:.3f}"
        r = "-" if row["recall"] is None else f"{row['recall']:.3f}"
        print(f"{category:<22} {row['positives']:>5} {row['tp']:>4} {row['fp']:>4} {row['fn']:>4} {p:>9} {r:>7}")
    print(f"benign files: {report['benign']}, flagged: {report['benign_flagged']}; errors: {report['errors']}")
    for m in report["mistakes"][: args.show]:
        print(f"  mistake: {m['path']} label={m['label']} predicted={m['predicted']}")
    return 0


def cmd_agent(args: argparse.Namespace) -> int:
    from .agent.main import main

    return main(args)


def cmd_ledger(args: argparse.Namespace) -> int:
    import time

    from .ledger import Ledger

    ledger = Ledger(args.db)
    if args.action == "list":
        since = time.time() - args.since * 3600 if args.since else None
        rows = ledger.decisions(user=args.user, action=args.only, kind=args.kind, since=since, limit=args.limit)
        if args.json:
            print(json.dumps(rows, indent=1, ensure_ascii=False))
            return 0
        for row in reversed(rows):
            rules = ",".join(row["rules"]) or "-"
            excerpt = " ".join((row["excerpt"] or "").split())[:60]
            print(f"{row['id']:>6} {row['ref']} {row['time']} {row['user']:<12} {row['kind']:<12} "
                  f"{row['action']:<9} {row['category'] or '-':<18} {rules:<40} {excerpt}")
        print(f"{len(rows)} decisions")
        return 0
    if args.action == "show":
        if not args.target:
            print("nbwarden ledger show: give a decision id or reference, or a user name", file=sys.stderr)
            return 2
        decision = ledger.get_decision(args.target)
        if decision is not None:
            print(json.dumps(decision, indent=1, ensure_ascii=False))
            return 0
        user = args.target
        status = ledger.status(user)
        report = {
            "user": user,
            "status": "restricted" if status else "ok",
            "active_restrictions": [r.to_dict() for r in ledger.active_restrictions(user)],
            "strikes": ledger.strikes(user),
            "appeals": ledger.appeals(user),
            "recent_decisions": [{k: d[k] for k in ("id", "ref", "time", "kind", "action", "category", "rules")}
                                 for d in ledger.decisions(user=user, limit=10)],
        }
        print(json.dumps(report, indent=1, ensure_ascii=False))
        return 0
    if args.action in ("pardon", "restrict"):
        if not args.target:
            print(f"nbwarden ledger {args.action}: give a user name", file=sys.stderr)
            return 2
        if args.action == "pardon":
            lifted = ledger.pardon(args.target, by=args.by, reason=args.reason or "",
                                   clear_strikes=not args.keep_strikes)
            print(f"{args.target}: {lifted} restriction(s) lifted"
                  + ("" if args.keep_strikes else ", strikes forgiven"))
            return 0
        try:
            restriction = ledger.restrict(args.target, args.level, hours=None if args.hours <= 0 else args.hours,
                                          category=args.category, reason=args.reason or "", by=args.by)
        except ValueError as exc:
            print(f"nbwarden ledger restrict: {exc}", file=sys.stderr)
            return 2
        print(f"{args.target}: restriction {restriction.id}: {restriction.describe()}")
        return 0
    if args.action == "export":
        out = open(args.output, "w", encoding="utf-8") if args.output else sys.stdout  # noqa: SIM115
        try:
            filters = {"user": args.user} if args.user else {}
            for chunk in ledger.export(args.table, args.format, **filters):
                out.write(chunk)
        finally:
            if args.output:
                out.close()
        return 0
    return 2


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="nbwarden", description=__doc__)
    parser.add_argument("--version", action="version", version=f"nbwarden {__version__}")
    sub = parser.add_subparsers(dest="command", required=True)

    p = sub.add_parser("scan", help="check notebooks and scripts in files, directories and globs")
    p.add_argument("paths", nargs="+")
    p.add_argument("--format", choices=["text", "json", "sarif"], default="text")
    p.add_argument("--fail-on", choices=["audit", "warn", "block", "never"], default="block",
                   help="exit 1 when any finding reaches this severity (default: block)")
    p.add_argument("--strict", action="store_true", help="exit 2 when any file could not be checked")
    p.add_argument("--jobs", "-j", type=int, default=0, help="worker processes (default: all cores)")
    p.add_argument("--output", "-o", help="write the report to a file")
    p.add_argument("--all-files", action="store_true", help="in directories, check every file, not only code")
    p.add_argument("--no-progress", action="store_true")
    p.add_argument("--verbose", "-v", action="store_true", help="text format: show audit findings too")
    _add_rule_options(p)
    p.set_defaults(func=cmd_scan)

    p = sub.add_parser("check", help="check one cell (from a file or - for stdin) and print the verdict as JSON")
    p.add_argument("source")
    p.add_argument("--kind", default="cell", choices=["cell", "python", "shell", "markdown", "text", "data"])
    _add_rule_options(p)
    p.set_defaults(func=cmd_check)

    p = sub.add_parser("rules", help="list, test or explain rules")
    p.add_argument("action", choices=["list", "test", "explain"])
    p.add_argument("rule_id", nargs="?")
    p.add_argument("--json", action="store_true")
    _add_rule_options(p)
    p.set_defaults(func=cmd_rules)

    p = sub.add_parser("eval", help="precision and recall over a labelled corpus (bad/<category>/, benign/<group>/) "
                                    "or the reference set (a directory of *.tsv references)")
    p.add_argument("directory")
    p.add_argument("--threshold", choices=["warn", "block"], default="warn")
    p.add_argument("--data", help="reference set: where eval/materialise.py put the files (default: ../data)")
    p.add_argument("--jobs", type=int, default=0, help="reference set: parallel workers (default: all cores)")
    p.add_argument("--show-test-misses", action="store_true",
                   help="reference set: also list the test half's misses and false positives (do not tune on them)")
    p.add_argument("--json", action="store_true")
    p.add_argument("--show", type=int, default=20, help="list this many mistakes")
    _add_rule_options(p)
    p.set_defaults(func=cmd_eval)

    p = sub.add_parser("ledger", help="the decision ledger: list, show, pardon, restrict, export")
    p.add_argument("action", choices=["list", "show", "pardon", "restrict", "export"])
    p.add_argument("target", nargs="?", help="show: decision id, reference or user; pardon/restrict: user")
    p.add_argument("--db", help="database URL (default: $NBWARDEN_DB_URL, else the gate's default SQLite file)")
    p.add_argument("--user", help="list/export: only this user")
    p.add_argument("--only", choices=["allow", "audit", "warn", "still_run", "block", "deny"],
                   help="list: only this action")
    p.add_argument("--kind", choices=["cell", "terminal", "kernel_start", "command"], help="list: only this kind")
    p.add_argument("--since", type=float, help="list: only the last N hours")
    p.add_argument("--limit", type=int, default=50, help="list: at most N decisions (default 50)")
    p.add_argument("--json", action="store_true", help="list: JSON")
    p.add_argument("--level", choices=["block_category", "suspend", "ban"], default="suspend",
                   help="restrict: what to restrict (default suspend)")
    p.add_argument("--category", help="restrict --level block_category: the category")
    p.add_argument("--hours", type=float, default=24.0, help="restrict: duration (0: until pardoned; default 24)")
    p.add_argument("--reason", help="restrict/pardon: recorded reason")
    p.add_argument("--by", default="operator", help="restrict/pardon: who (default operator)")
    p.add_argument("--keep-strikes", action="store_true", help="pardon: lift restrictions but keep strikes")
    p.add_argument("--table", default="decisions",
                   choices=["decisions", "restrictions", "strikes", "appeals", "acknowledgements"])
    p.add_argument("--format", choices=["jsonl", "csv"], default="jsonl", help="export format")
    p.add_argument("--output", "-o", help="export: write to this file")
    p.set_defaults(func=cmd_ledger)

    p = sub.add_parser("agent", help="the host agent: watch processes, network and GPU use; kill and report")
    p.add_argument("action", nargs="?", default="run", choices=["run", "sweep", "status", "kernelspec"],
                   help="run (default): the event loop; sweep: one pass, decisions as JSON lines; "
                        "status: what this host supports; kernelspec: write a kernelspec with the sensor launcher")
    p.add_argument("target", nargs="?", help="kernelspec: directory to write (default: <prefix>/share/jupyter/kernels)")
    p.add_argument("--config", "-c", help="YAML configuration file (keys: see README, 'The agent')")
    p.add_argument("--dry-run", action="store_true", help="report only: never kill or interrupt")
    p.add_argument("--mode", choices=["auto", "netlink", "poll"], help="event source (default auto)")
    p.add_argument("--metrics-port", type=int, help="serve Prometheus metrics on this port (127.0.0.1)")
    p.add_argument("--decisions", help="also write decisions as JSON lines to this file")
    p.add_argument("--ledger", help="ledger database URL (decisions, strikes)")
    p.add_argument("--log-file", help="structured JSON logs to this file (default stderr)")
    p.add_argument("--duration", type=float, help="stop after this many seconds")
    p.add_argument("--provisioner", action="store_true", help="kernelspec: also select the nbwarden-cgroup provisioner")
    p.set_defaults(func=cmd_agent)
    return parser


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        return args.func(args)
    except PackError as exc:
        print(f"nbwarden: rule pack error: {exc}", file=sys.stderr)
        return 2
    except BrokenPipeError:
        return 0


if __name__ == "__main__":
    sys.exit(main())
