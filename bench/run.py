"""Run the performance suite: every target as a ratio against a baseline measured in the same run.

  python bench/run.py [--quick] [--only startup,download,purge,listing,capacity] [--runs N]

Writes bench/results.json and prints a table; exits 1 if any target is missed or any case
could not be measured.
"""

from __future__ import annotations

import argparse
import compileall
import json
import os
import platform
import shutil
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path

from harness import (
    BASELINES,
    MEDIA_CLI,
    PYTHON,
    REPO,
    BenchError,
    CaseResult,
    Emulator,
    Target,
    interleave,
    mb,
    must,
    run,
    scratch,
    table,
)

CURL = "/usr/bin/curl"
KIB = 1024
MIB = 1024 * 1024


@dataclass
class Settings:
    quick: bool
    runs: int
    slow_runs: int
    work: Path

    def size(self, full: int, quick: int) -> int:
        return quick if self.quick else full


# -- 1. start-up ---------------------------------------------------------------------------


def case_startup(cfg: Settings, result: CaseResult) -> None:
    """Cold-ish start of the console script vs the floor every typer CLI pays: importing typer."""
    with scratch(cfg.work, "config") as config_dir:
        env = _plain_env(config_dir)
        baseline = [PYTHON, "-c", "import typer"]
        commands = {
            "media-cli --help": [MEDIA_CLI, "--help"],
            "media-cli list --help": [MEDIA_CLI, "list", "--help"],
            "media-cli --version": [MEDIA_CLI, "--version"],
        }
        base = result.add('python -c "import typer"', "s")
        walls = {name: result.add(name, "s") for name in commands}
        rss = {name: result.add(f"{name} peak RSS", "MB") for name in commands}

        def side(name: str | None) -> Callable[[], None]:
            def go() -> None:
                if name is None:
                    base.values.append(must(run(baseline, env=env), "import typer").wall)
                else:
                    got = must(run(commands[name], env=env), name)
                    walls[name].values.append(got.wall)
                    rss[name].values.append(mb(got.maxrss_kb))

            return go

        sides = [side(None), *(side(name) for name in commands)]
        interleave(sides, 2)  # warm-up: page cache, .pyc files
        for series in [base, *walls.values(), *rss.values()]:
            series.values.clear()
        interleave(sides, max(cfg.runs * 2, 5))
        for name in commands:
            result.targets.append(
                Target(f"{name} / import typer", walls[name].median / base.median, 1.5, "x")
            )


# -- 2. download -----------------------------------------------------------------------------


def _listing(emu: Emulator, config_dir: Path, path: Path) -> list[dict[str, str]]:
    """`media-cli list --jsonl` into ``path``; the parsed items."""
    env = emu.cli_env(config_dir)
    with path.open("wb") as out:
        proc = subprocess.run(
            [MEDIA_CLI, "list", "--jsonl"], env=env, stdout=out, stderr=subprocess.PIPE, check=False
        )
    if proc.returncode != 0:
        raise BenchError(f"media-cli list exited {proc.returncode}: {proc.stderr.decode()[-600:]}")
    return [json.loads(line) for line in path.read_text().splitlines()]


def _files_under(directory: Path) -> tuple[int, int]:
    """Number and total size of downloaded files (the manifest and .part files excluded)."""
    count = total = 0
    for path in directory.rglob("*"):
        if path.is_file() and path.name != "manifest.jsonl" and not path.name.endswith(".part"):
            count += 1
            total += path.stat().st_size
    return count, total


def _check_files(directory: Path, count: int, size: int, who: str) -> None:
    got = _files_under(directory)
    if got != (count, count * size):
        raise BenchError(f"{who} left {got[0]} files, {got[1]} bytes; wanted {count} x {size}")


def case_download(cfg: Settings, result: CaseResult) -> None:
    many = cfg.size(500, 100)
    size = 256 * KIB
    big = cfg.size(512 * MIB, 64 * MIB)
    with (
        Emulator(latency_ms=20) as emu,
        scratch(cfg.work, "download") as work,
        scratch(cfg.work, "config") as config_dir,
    ):
        env = emu.cli_env(config_dir)
        auth = f"{emu.account_sid}:{emu.auth_token}"
        emu.generate(many // 2, 2, size)
        jsonl = work / "list.jsonl"
        items = _listing(emu, config_dir, jsonl)
        if len(items) != many:
            raise BenchError(f"list --jsonl gave {len(items)} media, wanted {many}")
        pairs = work / "pairs.txt"
        pairs.write_text("".join(f"{m['sid']}.jpg {m['content_url']}\n" for m in items))
        curl_series = result.add(f"xargs -P 8 curl: {many} x 256 KiB", "s")
        mc_series = result.add(f"media-cli download -j 8 --from-list: {many} x 256 KiB", "s")
        mc_rss = result.add("media-cli download (many) peak RSS", "MB")
        req_series = result.add(f"sequential requests.get loop: {many} x 256 KiB", "s")
        recorded = True

        def curl_side() -> None:
            with scratch(work, "curl") as out:
                argv = ["xargs", "-P", "8", "-n", "2", CURL, "-sfL", "-u", auth, "-o"]
                got = must(run(argv, stdin_path=pairs, cwd=out), "xargs curl")
                _check_files(out, many, size, "xargs curl")
                if recorded:
                    curl_series.values.append(got.wall)

        def mc_side() -> None:
            with scratch(work, "media-cli") as out:
                argv = [MEDIA_CLI, "download", "--from-list", str(jsonl), "-d", str(out)]
                got = must(run([*argv, "-j", "8"], env=env), "media-cli download")
                _check_files(out, many, size, "media-cli download")
                if recorded:
                    mc_series.values.append(got.wall)
                    mc_rss.values.append(mb(got.maxrss_kb))

        def requests_side() -> None:
            with scratch(work, "requests") as out:
                argv = [PYTHON, BASELINES, "requests-loop", str(pairs), str(out)]
                got = must(run(argv, env=env), "requests loop")
                _check_files(out, many, size, "requests loop")
                if recorded:
                    req_series.values.append(got.wall)

        recorded = False
        interleave([curl_side, mc_side], 1)  # warm-up
        recorded = True
        interleave([curl_side, mc_side, requests_side], [cfg.runs, cfg.runs, cfg.slow_runs])
        # Start-up is a fixed cost, so speed ratios depend on the size: at --quick sizes they
        # are shown, not judged (absolute memory bounds hold at any size and stay binding).
        result.targets.append(
            Target(
                "media-cli / xargs curl (many)",
                mc_series.median / curl_series.median,
                1.2,
                "x",
                indicative=cfg.quick,
            )
        )
        result.targets.append(
            Target(
                "requests loop / media-cli (many)",
                req_series.median / mc_series.median,
                6.0,
                "x",
                at_most=False,
                indicative=cfg.quick,
            )
        )

        # One big media: memory must not grow with the file.
        emu.generate(1, 1, big)
        (item,) = _listing(emu, config_dir, jsonl)
        label = f"{big // MIB} MiB"
        curl_big = result.add(f"curl -sfL -o: 1 x {label}", "s")
        mc_big = result.add(f"media-cli download MM ME -d: 1 x {label}", "s")
        mc_big_rss = result.add(f"media-cli download (1 x {label}) peak RSS", "MB")
        curl_big_cpu = result.add(f"curl CPU (user + sys): 1 x {label}", "s")
        mc_big_cpu = result.add(f"media-cli CPU (user + sys): 1 x {label}", "s")
        url = item["content_url"]

        def curl_big_side() -> None:
            with scratch(work, "curl") as out:
                got = must(run([CURL, "-sfL", "-u", auth, "-o", str(out / "big"), url]), "curl")
                _check_files(out, 1, big, "curl")
                if recorded:
                    curl_big.values.append(got.wall)
                    curl_big_cpu.values.append(got.cpu)

        def mc_big_side() -> None:
            with scratch(work, "media-cli") as out:
                argv = [MEDIA_CLI, "download", item["message_sid"], item["sid"], "-d", str(out)]
                got = must(run(argv, env=env), "media-cli download (big)")
                _check_files(out, 1, big, "media-cli download (big)")
                if recorded:
                    mc_big.values.append(got.wall)
                    mc_big_rss.values.append(mb(got.maxrss_kb))
                    mc_big_cpu.values.append(got.cpu)

        recorded = False
        interleave([curl_big_side, mc_big_side], 1)
        recorded = True
        # A run takes about a second and its time swings with the VM's disk and page cache
        # (0.7-1.2 s seen for the same command): more runs make the median steadier.
        interleave([curl_big_side, mc_big_side], max(cfg.runs, 3 if cfg.quick else 9))
        result.targets.append(
            Target(
                f"media-cli / curl (1 x {label})",
                mc_big.median / curl_big.median,
                1.5,
                "x",
                indicative=cfg.quick,
            )
        )
        result.targets.append(
            Target(f"media-cli peak RSS (1 x {label})", max(mc_big_rss.values), 100, "MB")
        )


# -- 3. purge --------------------------------------------------------------------------------


def case_purge(cfg: Settings, result: CaseResult) -> None:
    messages = cfg.size(1000, 100)
    total = messages * 2
    with (
        Emulator(latency_ms=20, max_concurrency=16) as emu,
        scratch(cfg.work, "config") as config_dir,
    ):
        env = emu.cli_env(config_dir)
        mc_series = result.add(f"media-cli purge -j 16: {total} media / {messages} msgs", "s")
        mc_rss = result.add("media-cli purge peak RSS", "MB")
        tw_series = result.add(f"sequential twilio library loop: {total} media", "s")
        # -j counts every request in flight (message media lists and deletes share it): 16 is
        # what the emulator's --max-concurrency 16 allows, as a user would set it for an
        # account whose limit they know. Any 429 would show in the note below.
        argv = [MEDIA_CLI, "purge", "--older-than", "1d", "--yes", "-j", "16"]
        throttled: list[int] = []

        def seeded(count: int) -> None:
            emu.generate(count, 2, 1024)

        def mc_side(count: int, record: bool) -> None:
            seeded(count)
            got = must(run(argv, env=env), "media-cli purge")
            left = emu.media_left()
            if left:
                raise BenchError(f"media-cli purge left {left} media behind")
            if record:
                mc_series.values.append(got.wall)
                mc_rss.values.append(mb(got.maxrss_kb))
                throttled.append(int(emu.control("stats").get("throttled", 0)))

        def twilio_side(count: int, record: bool) -> None:
            seeded(count)
            got = must(run([PYTHON, BASELINES, "twilio-purge", emu.api_url], env=env), "twilio")
            left = emu.media_left()
            if left:
                raise BenchError(f"the twilio loop left {left} media behind")
            if record:
                tw_series.values.append(got.wall)

        interleave([lambda: mc_side(20, False), lambda: twilio_side(20, False)], 1)
        interleave(
            [lambda: mc_side(messages, True), lambda: twilio_side(messages, True)],
            [cfg.runs, cfg.slow_runs],
        )
        result.targets.append(
            Target(
                "twilio loop / media-cli purge",
                tw_series.median / mc_series.median,
                8.0,
                "x",
                at_most=False,
                indicative=cfg.quick,
            )
        )
        result.targets.append(Target("media-cli purge peak RSS", max(mc_rss.values), 100, "MB"))
        result.notes.append(
            f"every run: exit 0 and 0 media left (GET /__emulator__/state); "
            f"429s served to media-cli per run: {throttled}"
        )


# -- 4. listing ------------------------------------------------------------------------------


def case_listing(cfg: Settings, result: CaseResult) -> None:
    big = cfg.size(20_000, 2_000)
    small = big // 10
    with (
        Emulator(latency_ms=5) as emu_big,
        Emulator(latency_ms=5) as emu_small,
        scratch(cfg.work, "config") as config_dir,
    ):
        emu_big.generate(big, 2, 100)
        emu_small.generate(small, 2, 100)
        argv = [MEDIA_CLI, "list", "--jsonl", "-j", "8"]
        named = {}
        for count in (small, big):
            named[count] = (
                result.add(f"list --jsonl, {count} msgs: first line", "s"),
                result.add(f"list --jsonl, {count} msgs: total", "s"),
                result.add(f"list --jsonl, {count} msgs: messages/s", "msg/s"),
                result.add(f"list --jsonl, {count} msgs: peak RSS", "MB"),
            )
        recorded = False

        def side(count: int, emu: Emulator) -> Callable[[], None]:
            def go() -> None:
                got = must(run(argv, env=emu.cli_env(config_dir), count_lines=True), "list")
                if got.lines != 2 * count:
                    raise BenchError(f"list printed {got.lines} lines, wanted {2 * count}")
                if recorded:
                    first, total, rate, rss = named[count]
                    assert got.first_line is not None
                    first.values.append(got.first_line)
                    total.values.append(got.wall)
                    rate.values.append(count / got.wall)
                    rss.values.append(mb(got.maxrss_kb))

            return go

        sides = [side(small, emu_small), side(big, emu_big)]
        interleave(sides[:1], 1)  # warm-up on the small set
        recorded = True
        interleave(sides, [cfg.runs, cfg.slow_runs])
        result.targets.append(
            Target(f"first line out ({big} msgs)", named[big][0].median, 1.0, "s")
        )
        ratio = named[big][3].median / named[small][3].median
        result.targets.append(
            Target(
                f"peak RSS {big} msgs / {small} msgs",
                ratio,
                1.10,
                "x",
                note="streaming",
                indicative=cfg.quick,  # 200 messages are too few to reach a steady state
            )
        )


# -- 5. emulator capacity --------------------------------------------------------------------


def case_capacity(cfg: Settings, result: CaseResult) -> None:
    seconds = 2.0 if cfg.quick else 4.0
    threads = 16
    with Emulator() as emu, scratch(cfg.work, "config") as config_dir:
        emu.generate(1, 1, 1024)
        state = emu.control("state")
        message = state["messages"][0]
        media = message["media"][0]["sid"]
        url = (
            f"{emu.api_url}/2010-04-01/Accounts/{emu.account_sid}/Messages/"
            f"{message['sid']}/Media/{media}.json"
        )
        env = emu.cli_env(config_dir)
        rate = result.add(f"{threads} connections GET Media .json for {seconds:.0f} s", "req/s")
        argv = [PYTHON, BASELINES, "capacity", url, str(threads), str(seconds)]
        must(run([PYTHON, BASELINES, "capacity", url, str(threads), "0.5"], env=env), "warm-up")
        for _ in range(cfg.runs):
            got = must(run(argv, env=env, count_lines=True), "capacity")
            answer = json.loads(got.last_line)
            if answer["errors"]:
                raise BenchError(f"{answer['errors']} requests failed")
            rate.values.append(answer["ok"] / answer["seconds"])
        result.targets.append(
            Target(
                f"emulator requests/s, {threads} clients",
                rate.median,
                1000,
                "req/s",
                at_most=False,
            )
        )
        result.notes.append(
            "16 keep-alive http.client connections (threads of one process) on the same "
            "2 cores as the server"
        )


# -- driver ----------------------------------------------------------------------------------


def _plain_env(config_dir: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("TWILIO_", "MEDIA_CLI_"))}
    env["MEDIA_CLI_CONFIG_DIR"] = str(config_dir)
    return env


CASES: dict[str, Callable[[Settings, CaseResult], None]] = {
    "startup": case_startup,
    "download": case_download,
    "purge": case_purge,
    "listing": case_listing,
    "capacity": case_capacity,
}


def _available(command: str) -> bool:
    got = run([MEDIA_CLI, command, "--help"])
    return got.returncode == 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="bench/run.py", description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="smaller sizes, fewer runs")
    parser.add_argument("--only", default="", help="comma-separated cases: " + ",".join(CASES))
    parser.add_argument(
        "--runs", type=int, default=0, help="measured runs per side (default 5; quick 3)"
    )
    parser.add_argument(
        "--slow-runs",
        type=int,
        default=3,
        help="runs of the slowest sides: sequential baselines, the big listing (default 3)",
    )
    parser.add_argument("--output", type=Path, default=REPO / "bench" / "results.json")
    args = parser.parse_args(argv)
    names = [n.strip() for n in args.only.split(",") if n.strip()] or list(CASES)
    unknown = [n for n in names if n not in CASES]
    if unknown:
        parser.error(f"unknown case(s) {', '.join(unknown)}; known: {', '.join(CASES)}")
    runs = args.runs or (3 if args.quick else 5)
    # An installed package has its bytecode compiled at install time; an editable checkout
    # may not (PYTHONDONTWRITEBYTECODE=1 keeps every run compiling edited modules anew).
    compileall.compile_dir(str(REPO / "media_cli"), quiet=1)
    work = REPO / "bench" / "_work"
    work.mkdir(exist_ok=True)
    cfg = Settings(quick=args.quick, runs=runs, slow_runs=min(args.slow_runs, runs), work=work)
    started = time.perf_counter()
    results: list[CaseResult] = []

    def save() -> dict[str, object]:
        document = {
            "date": datetime.now(timezone.utc).isoformat(timespec="seconds"),
            "mode": "quick" if args.quick else "full",
            "runs": runs,
            "slow_runs": cfg.slow_runs,
            "seconds": time.perf_counter() - started,
            "machine": {
                "python": platform.python_version(),
                "platform": platform.platform(),
                "cpus": len(os.sched_getaffinity(0)),
                "loadavg_1min": os.getloadavg()[0],
            },
            "ok": all(r.ok for r in results),
            "cases": [r.as_dict() for r in results],
        }
        args.output.write_text(json.dumps(document, indent=2) + "\n")
        return document

    for name in names:
        result = CaseResult(name)
        results.append(result)
        began = time.perf_counter()
        print(f"running {name} …", file=sys.stderr, flush=True)
        needs = {"download": "download", "purge": "purge"}.get(name)
        try:
            if needs and not _available(needs):
                result.error = f"`media-cli {needs}` does not exist yet: not measured"
            else:
                CASES[name](cfg, result)
        except (BenchError, OSError, ValueError, KeyError) as exc:
            result.error = f"{type(exc).__name__}: {exc}"
        result.seconds = time.perf_counter() - began
        print(table([result]), file=sys.stderr, flush=True)
        save()  # partial results survive an interrupted run
    shutil.rmtree(work, ignore_errors=True)
    elapsed = time.perf_counter() - started
    save()
    print(table(results))
    missed = [t.name for r in results for t in r.targets if not t.ok]
    broken = [r.name for r in results if r.error]
    print(f"{len(names)} case(s) in {elapsed:.0f} s; results in {args.output}")
    if missed or broken:
        for name in missed:
            print(f"MISSED: {name}")
        for name in broken:
            print(f"NOT MEASURED: {name}")
        return 1
    shown = sum(1 for r in results for t in r.targets if t.indicative)
    print(
        "every target met"
        + (f" ({shown} size-dependent ratios shown, not judged, at --quick sizes)" if shown else "")
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
