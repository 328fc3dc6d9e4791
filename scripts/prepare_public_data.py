"""Build the public development data in tests/data/public/ from local clones of the source repositories.

    .venv/bin/python scripts/prepare_public_data.py --xlmt DIR --dstc11 DIR --multidogo DIR --hint3 DIR

Each DIR is a git directory (bare or not) of the repository named in tests/data/SOURCES.md; files are
read at the commit recorded there with `git show`, so the output is reproducible. The output is small
JSON Lines, split into train and dev by a hash of the text (stable whatever the order of the input):

- sentiment_{train,dev}.jsonl: {"text", "label" (negative|neutral|positive), "language"}
- intent_{train,dev}.jsonl:    {"text", "intent" (source intent), "cancel" (bool), "source"}
- similar_dev.jsonl:           {"text", "intent"}: 20 intents x 10 questions, for precision@5

Only the labelled text is kept; no code from those repositories is copied.
"""

from __future__ import annotations

import argparse
import csv
import hashlib
import io
import json
import subprocess
from collections import defaultdict
from pathlib import Path

OUT = Path(__file__).resolve().parents[1] / "tests" / "data" / "public"

XLMT_COMMIT = "874214d64d96599eb869a033c22ec2cc57d19256"
DSTC11_COMMIT = "ff28564020d69109d2352edb5bc07429544d5292"
MULTIDOGO_COMMIT = "baa30639c4b271f394b81443c842193407cdf26d"
HINT3_COMMIT = "99965c892ea9a6801a87083d3861b0b04c91a4e7"

XLMT_LANGUAGES = {"english": "en", "german": "de", "spanish": "es", "french": "fr", "italian": "it", "portuguese": "pt"}
XLMT_LABELS = {"0": "negative", "1": "neutral", "2": "positive"}
# Source intents that mean the customer wants to stop something they pay for or hold.
CANCEL_INTENTS = {
    "dstc11": {"CancelPlan", "CancelAutomaticBilling"},
    "multidogo": {"closeaccount", "cancelserviceintent", "stoporder"},
    "hint3": {"CANCEL_ORDER"},
}
# MultiDoGO turn labels that are dialogue acts, not requests: left out.
MULTIDOGO_ACTS = {"contentonly", "confirmation", "rejection", "openinggreeting", "closinggreeting", "thankyou",
                  "outofdomain", "intent", ""}
MULTIDOGO_PER_INTENT = 120
DEV_SHARE = 0.4
SIMILAR_INTENTS = 20
SIMILAR_PER_INTENT = 10


def git_show(git_dir: Path, commit: str, path: str) -> str:
    return subprocess.run(
        ["git", f"--git-dir={git_dir}", "show", f"{commit}:{path}"], check=True, capture_output=True, text=True
    ).stdout


def bucket(text: str) -> float:
    """A stable number in [0, 1) per text: the train/dev split."""
    return int(hashlib.sha256(text.encode()).hexdigest()[:8], 16) / 16**8


def write(name: str, rows: list[dict[str, object]]) -> None:
    OUT.mkdir(parents=True, exist_ok=True)
    with (OUT / name).open("w", encoding="utf-8") as out:
        for row in rows:
            out.write(json.dumps(row, ensure_ascii=False) + "\n")
    print(f"{name}: {len(rows)} rows")


def sentiment_rows(xlmt: Path) -> tuple[list[dict[str, object]], list[dict[str, object]]]:
    """XLM-T's own train split (plus val) for training, its test split as dev."""
    train: list[dict[str, object]] = []
    dev: list[dict[str, object]] = []
    for folder, language in XLMT_LANGUAGES.items():
        for split, target in (("train", train), ("val", train), ("test", dev)):
            texts = git_show(xlmt, XLMT_COMMIT, f"data/sentiment/{folder}/{split}_text.txt").split("\n")
            labels = git_show(xlmt, XLMT_COMMIT, f"data/sentiment/{folder}/{split}_labels.txt").split("\n")
            for text, label in zip(texts, labels, strict=False):
                text = text.strip().strip('"').replace("\\u2019", "’").replace("\\u002c", ",")
                if text and label.strip() in XLMT_LABELS:
                    target.append({"text": text, "label": XLMT_LABELS[label.strip()], "language": language})
    return train, dev


def intent_rows(dstc11: Path, multidogo: Path, hint3: Path) -> list[dict[str, object]]:
    rows: list[dict[str, object]] = []
    seen: set[str] = set()

    def add(text: str, intent: str, source: str) -> None:
        text = " ".join(text.split())
        if len(text) < 3 or text.lower() in seen:
            return
        seen.add(text.lower())
        rows.append({"text": text, "intent": intent, "cancel": intent in CANCEL_INTENTS[source], "source": source})

    for line in git_show(dstc11, DSTC11_COMMIT, "dstc11/development/test-utterances.jsonl").splitlines():
        item = json.loads(line)
        add(item["utterance"], item["intent"], "dstc11")

    by_intent: dict[str, list[str]] = defaultdict(list)
    for domain in ("airline", "fastfood", "finance", "insurance", "media", "software"):
        for split in ("train", "dev", "test"):
            table = git_show(multidogo, MULTIDOGO_COMMIT,
                             f"data/paper_splits/splits_annotated_at_turn_level/{domain}/{split}.tsv")
            for record in csv.reader(io.StringIO(table), delimiter="\t", quoting=csv.QUOTE_NONE):
                if len(record) < 6 or "<div>" in record[5] or record[5] in MULTIDOGO_ACTS:
                    continue
                by_intent[record[5]].append(record[3])
    for intent, texts in sorted(by_intent.items()):
        # Deterministic sample, drawn with a salted hash so that it does not skew the train/dev split.
        for text in sorted(set(texts), key=lambda text: bucket("sample:" + text))[:MULTIDOGO_PER_INTENT]:
            add(text, intent, "multidogo")

    for bot in ("curekart", "sofmattress", "powerplay11"):
        for path in (f"dataset/v2/train/{bot}_train.csv", f"dataset/v2/test/{bot}_test.csv"):
            for labelled in csv.DictReader(io.StringIO(git_show(hint3, HINT3_COMMIT, path))):
                if labelled["label"] != "NO_NODES_DETECTED":
                    add(labelled["sentence"], labelled["label"], "hint3")
    return rows


def similar_rows(intents: list[dict[str, object]]) -> list[dict[str, object]]:
    """DSTC11 insurance questions: the 20 intents with most examples, 10 each, like a ticket archive."""
    by_intent: dict[str, list[str]] = defaultdict(list)
    for row in intents:
        if row["source"] == "dstc11":
            by_intent[str(row["intent"])].append(str(row["text"]))
    chosen = sorted(by_intent, key=lambda intent: (-len(by_intent[intent]), intent))[:SIMILAR_INTENTS]
    return [
        {"text": text, "intent": intent}
        for intent in sorted(chosen)
        for text in sorted(by_intent[intent], key=bucket)[:SIMILAR_PER_INTENT]
    ]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--xlmt", type=Path, required=True)
    parser.add_argument("--dstc11", type=Path, required=True)
    parser.add_argument("--multidogo", type=Path, required=True)
    parser.add_argument("--hint3", type=Path, required=True)
    args = parser.parse_args()

    sentiment_train, sentiment_dev = sentiment_rows(args.xlmt)
    write("sentiment_train.jsonl", sentiment_train)
    write("sentiment_dev.jsonl", sentiment_dev)
    intents = intent_rows(args.dstc11, args.multidogo, args.hint3)
    write("intent_train.jsonl", [row for row in intents if bucket(str(row["text"])) >= DEV_SHARE])
    write("intent_dev.jsonl", [row for row in intents if bucket(str(row["text"])) < DEV_SHARE])
    write("similar_dev.jsonl", similar_rows(intents))


if __name__ == "__main__":
    main()
