"""Score an AI engine on the public dev set (--public) or the hand-written smoke set tests/data/eval_set.jsonl.

    .venv/bin/python scripts/evaluate_engine.py --public                # the offline engine, public dev data
    .venv/bin/python scripts/evaluate_engine.py --public --engine litellm --model openai/gpt-4o-mini --limit 50
    .venv/bin/python scripts/evaluate_engine.py                         # the smoke set
    .venv/bin/python scripts/evaluate_engine.py --json > report.json

Every figure is printed next to the majority-class baseline (always answering the most common
label), which is the bar any engine has to clear to be useful.
"""

from __future__ import annotations

import argparse
import asyncio
import importlib
import sys
from pathlib import Path

import msgspec

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from app.ai.interface import Engine, EngineSettings  # noqa: E402
from app.ai.local.dev_evaluation import evaluate_public, format_scores  # noqa: E402
from app.ai.local.evaluation import EVAL_SET_PATH, evaluate, format_report, load_eval_set  # noqa: E402


def build_engine(
    kind: str, model: str | None, api_base: str | None, timeout_s: float, embedding_model: str | None = None
) -> Engine:
    if kind == "local":
        from app.ai.local import LocalEngine

        return LocalEngine()
    try:
        module = importlib.import_module("app.ai.litellm_engine")
    except ModuleNotFoundError as error:
        raise SystemExit(f"--engine litellm needs app/ai/litellm_engine.py ({error})") from error
    engine: Engine = module.LitellmEngine(
        default_model=model, embedding_model=embedding_model, api_base=api_base, timeout_s=timeout_s
    )
    return engine


async def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--engine", choices=("local", "litellm"), default="local")
    parser.add_argument("--model", help="model name for --engine litellm, as litellm spells it")
    parser.add_argument("--api-base", help="OpenAI-compatible base URL for --engine litellm (keys come from the env)")
    parser.add_argument(
        "--embedding-model", help="embedding model for --engine litellm (the similar-tickets task is skipped without one)"
    )
    parser.add_argument("--timeout", type=float, default=30.0, help="seconds per hosted call")
    parser.add_argument("--data", type=Path, default=EVAL_SET_PATH, help="JSONL eval set")
    parser.add_argument("--limit", type=int, help="only the first N tickets")
    parser.add_argument("--concurrency", type=int, default=4, help="tickets in flight at once")
    parser.add_argument("--json", action="store_true", help="print the report as JSON")
    parser.add_argument(
        "--public", action="store_true",
        help="score on tests/data/public/ dev data (--limit then caps rows per language / per task)",
    )
    args = parser.parse_args()
    if args.engine == "litellm" and not args.model:
        parser.error("--engine litellm needs --model")

    engine = build_engine(args.engine, args.model, args.api_base, args.timeout, args.embedding_model)
    settings = EngineSettings(model=args.model)
    warm_up = getattr(engine, "warm_up", None)
    if warm_up is not None:
        await warm_up()
    if args.public:
        with_similar = args.engine == "local" or bool(args.embedding_model)
        scores = await evaluate_public(engine, settings, args.limit, args.concurrency, with_similar=with_similar)
        print(msgspec.json.format(msgspec.json.encode(scores)).decode() if args.json else format_scores(scores))
        return 0
    tickets = load_eval_set(args.data)[: args.limit]
    report = await evaluate(engine, settings, tickets, concurrency=args.concurrency)
    if args.json:
        print(msgspec.json.format(msgspec.json.encode(report)).decode())
    else:
        print(format_report(report))
    return 0


if __name__ == "__main__":
    raise SystemExit(asyncio.run(main()))
