"""Tokens per analyzeTicket on the hosted-model path: one combined call against four separate ones.

    .venv/bin/python scripts/bench/llm_tokens.py [--tickets 40] [--encoding o200k_base]

Runs the real LitellmEngine over real HTTP against the fake OpenAI server (tests/support/fake_openai.py)
for the first N tickets of tests/data/eval_set.jsonl. The fake answers each call with the offline
engine's own answer for that ticket (a realistic length, in the schema the call asked for), so both
sides of the bill are measured: the prompt is every message the engine sent, the completion is the
JSON it got back, both counted with tiktoken (the encodings litellm bundles, so it works offline).
"Four calls" is what a client without analyzeTicket pays: summarize, sentiment, priority and tags.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import statistics
import sys
from pathlib import Path

os.environ.setdefault("LITELLM_LOCAL_MODEL_COST_MAP", "True")
os.environ.setdefault("LITELLM_MODE", "PRODUCTION")
sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

# Points TIKTOKEN_CACHE_DIR at the BPE files litellm bundles, so no encoding is downloaded.
import litellm.litellm_core_utils.default_encoding  # noqa: E402,F401
import msgspec  # noqa: E402
import tiktoken  # noqa: E402

from app.ai.interface import EngineSettings, TicketText  # noqa: E402
from app.ai.litellm_engine import LitellmEngine  # noqa: E402
from app.ai.local import LocalEngine  # noqa: E402
from app.ai.local.evaluation import load_eval_set  # noqa: E402
from tests.support.fake_openai import json_answer, shared_fake_openai  # noqa: E402

MODEL = "openai/fake-model"


def count_messages(encoding: tiktoken.Encoding, body: dict[str, object]) -> int:
    """Message contents plus the JSON schema sent as response_format (providers bill both)."""
    total = 0
    messages = body.get("messages", [])
    assert isinstance(messages, list)
    for message in messages:
        content = message["content"] if isinstance(message["content"], str) else json.dumps(message["content"])
        total += len(encoding.encode(content)) + 4  # role and separators, as OpenAI counts chat messages
    if body.get("response_format"):
        total += len(encoding.encode(json.dumps(body["response_format"])))
    return total + 3


async def measure(tickets: int, encoding_name: str) -> dict[str, dict[str, float]]:
    encoding = tiktoken.get_encoding(encoding_name)
    fake = shared_fake_openai()
    hosted = LitellmEngine(default_model=MODEL, api_base=fake.base_url, api_key="x", num_retries=0, timeout_s=30)
    local = LocalEngine()
    settings = EngineSettings(model=MODEL)
    rows = load_eval_set()[:tickets]
    vocabulary = sorted({tag for row in rows for tag in row.tags})
    results: dict[str, list[tuple[int, int]]] = {"one combined call (analyze)": [], "four calls": []}
    for row in rows:
        ticket = TicketText(subject=row.subject, description=row.description)
        text = f"{row.subject}\n{row.description}"
        analysis = (await local.analyze(ticket, vocabulary, settings)).value
        answers = {
            "analyze": msgspec.to_builtins(analysis),
            "summarize": msgspec.to_builtins((await local.summarize(ticket, settings)).value),
            "sentiment": msgspec.to_builtins((await local.sentiment(text, settings)).value),
            "priority": msgspec.to_builtins((await local.priority(ticket, settings)).value),
            "tags": msgspec.to_builtins((await local.tags(ticket, vocabulary, settings)).value),
        }
        for label, operations in (("one combined call (analyze)", ["analyze"]),
                                  ("four calls", ["summarize", "sentiment", "priority", "tags"])):
            fake.reset()
            fake.queue_chat(*(json_answer(answers[operation]) for operation in operations))
            if operations == ["analyze"]:
                await hosted.analyze(ticket, vocabulary, settings)
            else:
                await hosted.summarize(ticket, settings)
                await hosted.sentiment(text, settings)
                await hosted.priority(ticket, settings)
                await hosted.tags(ticket, vocabulary, settings)
            prompt = sum(count_messages(encoding, body) for body in fake.chat_requests)
            completion = sum(len(encoding.encode(json.dumps(answers[operation]))) for operation in operations)
            if len(fake.chat_requests) != len(operations):
                raise SystemExit(f"expected {len(operations)} calls, the fake saw {len(fake.chat_requests)}")
            results[label].append((prompt, completion))
    return {
        label: {
            "prompt_mean": round(statistics.mean(p for p, _ in pairs), 1),
            "completion_mean": round(statistics.mean(c for _, c in pairs), 1),
            "total_mean": round(statistics.mean(p + c for p, c in pairs), 1),
            "calls": 1 if label.startswith("one") else 4,
        }
        for label, pairs in results.items()
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--tickets", type=int, default=40)
    parser.add_argument("--encoding", default="o200k_base", help="tiktoken encoding (o200k_base: gpt-4o family)")
    args = parser.parse_args()
    report = asyncio.run(measure(args.tickets, args.encoding))
    print(f"{args.tickets} tickets of tests/data/eval_set.jsonl, tiktoken {args.encoding}, per analyzeTicket:")
    print(f"{'path':<30} {'calls':>5} {'prompt':>8} {'completion':>11} {'total':>8}")
    for label, row in report.items():
        print(f"{label:<30} {row['calls']:>5} {row['prompt_mean']:>8} {row['completion_mean']:>11} {row['total_mean']:>8}")


if __name__ == "__main__":
    main()
