#!/usr/bin/env python3
"""Train the word model (``nbwarden/models/words.json``) on the ``dev`` half of the reference set.

Development only: needs the materialised files (``eval/materialise.py``) and numpy + scikit-learn
(``pip install -e '.[train]'``).  The ``test`` half is never read.  Before writing the model it reports,
from a five-fold cross-validation grouped by repository (all on ``dev``), what each threshold would add to
the rules' findings: prohibited files found, hard negatives and ordinary notebooks flagged.  The model keeps
words only, never text, and only words seen in at least ``--min-repos`` repositories, so no project's
own names end up in it.

    python eval/train_words.py                      # report and write nbwarden/models/words.json
    python eval/train_words.py --report-only        # the cross-validation report alone

The report ends with suggested thresholds per category (:func:`suggested`); the shipped model uses them, passed
as ``--threshold`` and ``--category-threshold``, raised where the written model would flag one of the project's
hand-written look-alikes (:func:`look_alikes_flagged`).
"""

from __future__ import annotations

import argparse
import collections
import datetime
import hashlib
import json
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from nbwarden.engine import Engine  # noqa: E402
from nbwarden.engine.wordmodel import MODEL_FILE, READ_KINDS, default_model, program_words  # noqa: E402
from nbwarden.refset import SPLIT_SEED, read_refs  # noqa: E402
from nbwarden.rules import CATEGORIES  # noqa: E402
from nbwarden.sources import SourceError, units_of_file  # noqa: E402

FLAGGED = {"warn", "block"}
# the order the model file records (the engine reads it from there): the labelled categories only, since no
# reference is labelled obscured_code (hiding is a rule of its own, not an activity the set measures)
CLASSES = ("none", *sorted(c for c in CATEGORIES if c != "obscured_code"))


def documents(refs_dir: Path, data_dir: Path) -> list[dict]:
    """The ``dev`` files present: their read text, class, repository and the rules' verdict."""
    engine = Engine(disable=["*.word-model"])  # the rules alone
    docs = []
    for ref in read_refs(refs_dir):
        path = ref.data_path(data_dir)
        if ref.half != "dev" or not path.exists():
            continue
        try:
            units, notes, _ = units_of_file(path)
        except SourceError:
            continue
        code = [(source, cell) for source, kind, cell in units if kind in READ_KINDS and source]
        label = ref.category if ref.label == "prohibited" else "none"
        docs.append({"words": program_words(code), "chars": sum(len(source) for source, _ in code), "label": label,
                     "kind": ref.label, "repo": ref.repo, "action": engine.check_units(units, notes).action})
    return docs


def vocabulary(docs: list[dict], min_repos: int) -> list[str]:
    repos: dict[str, set[str]] = collections.defaultdict(set)
    for doc in docs:
        for word in doc["words"]:
            repos[word].add(doc["repo"])
    return sorted(w for w, r in repos.items() if len(r) >= min_repos)


def fit(docs: list[dict], c: float, min_repos: int):
    from sklearn.feature_extraction.text import TfidfVectorizer
    from sklearn.linear_model import LogisticRegression

    vec = TfidfVectorizer(analyzer=lambda words: words, vocabulary=vocabulary(docs, min_repos), sublinear_tf=True)
    x = vec.fit_transform([d["words"] for d in docs])
    y = [CLASSES.index(d["label"]) for d in docs]
    model = LogisticRegression(C=c, class_weight="balanced", max_iter=5000).fit(x, y)
    return vec, model


def cross_validate(docs: list[dict], c: float, min_repos: int, thresholds: list[float]) -> None:
    """Out-of-fold judgements of every ``dev`` document, reported overall and per category."""
    from sklearn.model_selection import GroupKFold

    judged: list[tuple[float, str]] = [(0.0, "none")] * len(docs)  # (1 - P(none), the likeliest category)
    for train, held in GroupKFold(5).split(docs, groups=[d["repo"] for d in docs]):
        vec, model = fit([docs[i] for i in train], c, min_repos)
        given = model.predict_proba(vec.transform([docs[i]["words"] for i in held]))
        # a fold may lack a class (a category from few repositories): its column is 0, not a shifted neighbour's
        proba = [[0.0] * len(CLASSES) for _ in held]
        for column, k in enumerate(model.classes_):
            for row in range(len(held)):
                proba[row][k] = float(given[row][column])
        for row, i in enumerate(held):
            best = max(range(1, len(CLASSES)), key=lambda k: proba[row][k])
            judged[i] = (1.0 - proba[row][0], CLASSES[best])
    totals = collections.Counter(d["kind"] for d in docs)
    added: dict[tuple[str, float], collections.Counter] = {}
    print(f"dev, five folds grouped by repository (C={c}); rules alone flag "
          f"{sum(d['action'] in FLAGGED for d in docs if d['kind'] == 'prohibited')}/{totals['prohibited']} "
          f"prohibited, {sum(d['action'] in FLAGGED for d in docs if d['kind'] == 'benign')}/{totals['benign']} "
          "hard negatives")
    for t in thresholds:
        over = [(d, cat) for d, (p, cat) in zip(docs, judged, strict=True) if p >= t]
        overall = collections.Counter(d["kind"] for d, _ in over if d["action"] not in FLAGGED)
        alone = sum(1 for d, _ in over if d["kind"] == "prohibited")
        print(f"  threshold {t:.2f}: model alone finds {alone}/{totals['prohibited']}; added to the rules: "
              f"{overall['prohibited']} prohibited, {overall['benign']} hard negatives, {overall['ordinary']} ordinary")
        # per category (the model's): what it would add, prohibited/hard negatives; for --category-threshold
        per = {cat: collections.Counter(d["kind"] for d, k in over if k == cat and d["action"] not in FLAGGED)
               for cat in CLASSES[1:]}
        print("    by category, added prohibited/hard negatives: "
              + ", ".join(f"{cat} {n['prohibited']}/{n['benign']}" for cat, n in per.items()))
        for cat, n in per.items():
            added[cat, t] = n
    print("  suggested thresholds: " + ", ".join(f"{cat}={t:.2f}" for cat, t in suggested(added, totals, thresholds).items()))


def suggested(added: dict, totals: collections.Counter, thresholds: list[float]) -> dict[str, float]:
    """Per category, the threshold whose additions gain the most: a prohibited file found is worth one point of
    recall (1/prohibited) and a hard negative flagged costs one point of false-positive rate (1/hard negatives), no
    ordinary notebook may be added, and ties go to the higher threshold (fewer warnings)."""
    choice = {}
    for cat in CLASSES[1:]:
        best, best_gain = max(thresholds), float("-inf")
        for t in sorted(thresholds, reverse=True):
            n = added[cat, t]
            gain = n["prohibited"] / totals["prohibited"] - n["benign"] / totals["benign"]
            if n["ordinary"] == 0 and gain > best_gain + 1e-12:
                best, best_gain = t, gain
        choice[cat] = best
    return choice


def version(bias: list[float], weights: dict, threshold: float, category_thresholds: dict[str, float]) -> str:
    """Today's date and a digest of what decides: the thresholds as much as the weights."""
    digest = hashlib.sha256(json.dumps([bias, weights, threshold, category_thresholds],
                                       sort_keys=True).encode()).hexdigest()[:8]
    return f"{datetime.date.today().isoformat()}.{digest}"


def rethreshold(model_file: Path, category_thresholds: dict[str, float]) -> None:
    """Set some categories' thresholds of the written model, weights unchanged (a choice checked on ``dev`` files
    the model was not trained on), as a new version."""
    data = json.loads(model_file.read_text(encoding="utf-8"))
    data["thresholds"] = dict(sorted({**data["thresholds"], **category_thresholds}.items()))
    data["version"] = version(data["bias"], data["weights"], data["threshold"], data["thresholds"])
    model_file.write_text(json.dumps(data, separators=(",", ":"), sort_keys=False) + "\n", encoding="utf-8")
    print(f"wrote {model_file}: version {data['version']}, thresholds {data['thresholds']}")


def export(docs: list[dict], c: float, min_repos: int, threshold: float, min_words: int, min_chars: int,
           prune: float, category_thresholds: dict[str, float]) -> dict:
    vec, model = fit(docs, c, min_repos)
    names = vec.get_feature_names_out()
    idf = {w: round(float(v), 4) for w, v in zip(names, vec.idf_, strict=True)}
    weights = {}
    for j, word in enumerate(names):
        row = [float(model.coef_[k][j]) * idf[word] for k in range(len(CLASSES))]
        if max(abs(v) for v in row) >= prune:
            weights[word] = [round(v, 4) for v in row]
    counts = collections.Counter(d["label"] for d in docs)
    bias = [round(float(b), 4) for b in model.intercept_]
    return {
        "model": "words",
        "version": version(bias, weights, threshold, category_thresholds),  # a retrained model is another version
        "about": "Multinomial logistic regression over a program's word set (tf-idf, l2), trained by "
                 "eval/train_words.py on the dev half of eval/refs only.",
        "training": {"half": "dev", "split_seed": SPLIT_SEED, "files": dict(sorted(counts.items())), "C": c,
                     "min_repos": min_repos, "prune": prune},
        "classes": list(CLASSES),
        "threshold": threshold,
        "thresholds": category_thresholds,
        "min_words": min_words,
        "min_chars": min_chars,
        "bias": bias,
        "idf": idf,
        "weights": weights,
    }


def look_alikes_flagged(model_file: Path) -> None:
    """The project's own hand-written look-alikes (``tests/corpus/benign``) that the written model's rules flag.
    They state policy (a GFPGAN restoration is allowed), so a category that flags one gets its threshold raised to
    the next reported threshold above that file's probability, and the model is written again."""
    if model_file != MODEL_FILE:
        return
    default_model.cache_clear()
    engine = Engine()  # the shipped model, just written
    for path in sorted((ROOT / "tests" / "corpus" / "benign").glob("*/*")):
        units, notes, _ = units_of_file(path)
        for finding in engine.check_units(units, notes).findings:
            if finding.rule.endswith(".word-model"):
                print(f"  look-alike flagged: {path.relative_to(ROOT)}: {finding.evidence[:90]}")


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--refs", type=Path, default=ROOT / "eval" / "refs")
    ap.add_argument("--data", type=Path, default=ROOT / "eval" / "data")
    ap.add_argument("--c", type=float, default=10.0, help="inverse regularisation strength")
    ap.add_argument("--min-repos", type=int, default=3)
    ap.add_argument("--threshold", type=float, default=0.9)
    ap.add_argument("--category-threshold", action="append", default=[], metavar="CATEGORY=T",
                    help="another threshold for one category, chosen from the per-category report (repeatable)")
    ap.add_argument("--min-words", type=int, default=12, help="fewer known words: the model says nothing")
    ap.add_argument("--min-chars", type=int, default=400, help="shorter code: not even read (keeps cells cheap)")
    ap.add_argument("--prune", type=float, default=0.03, help="drop the weights of words that weigh less")
    ap.add_argument("--report-only", action="store_true")
    ap.add_argument("--rethreshold", action="store_true",
                    help="only set the written model's --category-threshold values (no training, no files read)")
    ap.add_argument("--out", type=Path, default=MODEL_FILE)
    args = ap.parse_args()
    category_thresholds = {}
    for item in args.category_threshold:
        category, _, value = item.partition("=")
        if category not in CLASSES[1:] or not value:
            ap.error(f"--category-threshold {item!r}: expected CATEGORY=T with one of {', '.join(CLASSES[1:])}")
        category_thresholds[category] = float(value)
    if args.rethreshold:
        rethreshold(args.out, category_thresholds)
        return 0
    docs = [d for d in documents(args.refs, args.data)
            if len(d["words"]) >= args.min_words and d["chars"] >= args.min_chars]
    cross_validate(docs, args.c, args.min_repos, [0.8, 0.85, 0.9, 0.93, 0.95, 0.97])
    if not args.report_only:
        data = export(docs, args.c, args.min_repos, args.threshold, args.min_words, args.min_chars, args.prune,
                      dict(sorted(category_thresholds.items())))
        args.out.parent.mkdir(parents=True, exist_ok=True)
        args.out.write_text(json.dumps(data, separators=(",", ":"), sort_keys=False) + "\n", encoding="utf-8")
        print(f"wrote {args.out}: {len(data['idf'])} words, {len(data['weights'])} weighted")
        look_alikes_flagged(args.out)
    return 0


if __name__ == "__main__":
    sys.exit(main())
