"""Whole-stack conversation benchmark (issue 11): our assistant against a stock `rasa init` bot in one run.

Same scripts, same venv, same machine, measured alternately.

What runs:
- ours: the stack on the embedded defaults, started by tests/e2e_stack.running_stack (backend on SQLite with
  its outbox in a temp dir, the rasa-sdk action server, `rasa run` with models/assistant.tar.gz and the
  redacting SQLite tracker store);
- stock: the bot `rasa init --no-prompt` creates and trains, made once with the project's venv in a
  temporary directory and cached under var/bench/stock-bot-rasa-<version>/ (reruns do not retrain); served by
  `rasa run` with its own (in-memory) defaults.

Both get the same trilingual scripts (sv, nb, en) over the REST channel (`/webhooks/rest/webhook`): a greeting
with policy questions, a complete access request (the 6-digit code is read from the backend's outbox), and a
request that is restarted and then stopped. The stock bot answers with its own intents; that is the point:
it gives the baseline cost of one message through Rasa. For each number of concurrent conversations the two
bots are measured alternately (ours, stock, ours, stock, ...), so load from other people on the machine hits
both alike; compare the ratios, not the absolute times.

Printed per phase and summed per bot: messages/s, latency p50/p95/p99, errors (HTTP errors, timeouts), failed
filings (ours: no reference, or the code not accepted), CPU seconds per message of every process (utime +
stime from /proc/<pid>/stat, over the process and its children), RSS before and after, and the ratios ours /
stock. It asserts nothing about speed.

    .venv/bin/python bench/bench_conversations.py                  # 1, 10, 50 conversations, ~10 minutes
    .venv/bin/python bench/bench_conversations.py --quick          # ~2-3 minutes
    .venv/bin/python bench/bench_conversations.py --clients 50 --duration 300 --rounds 1   # soak with filings
    .venv/bin/python bench/bench_conversations.py --check          # play each script once, show what ours said
    .venv/bin/python bench/bench_conversations.py --py-spy /tmp/pyspy/bin/py-spy   # plus a profile of Rasa
"""

from __future__ import annotations

import argparse
import asyncio
import collections
import importlib.metadata
import json
import math
import os
import platform
import re
import resource
import shutil
import subprocess
import sys
import tempfile
import time
import uuid
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Counter, Dict, Iterator, List, Optional, Sequence, Tuple

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
os.environ.setdefault("SQLALCHEMY_SILENCE_UBER_WARNING", "1")
ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import aiohttp  # noqa: E402

from tests.actions.flow_harness import CODE_RE, body_of  # noqa: E402
from tests.e2e_stack import MODEL, RASA, RunningStack, running_stack, wait_http  # noqa: E402
from tests.support import REFERENCE, free_port, stop_process  # noqa: E402

RASA_VERSION = importlib.metadata.version("rasa")
STOCK_DIR = ROOT / "var" / "bench" / f"stock-bot-rasa-{RASA_VERSION}"
PROFILE_DIR = ROOT / "var" / "bench"
CLOCK_TICKS = os.sysconf("SC_CLK_TCK")
PAGE_KB = os.sysconf("SC_PAGE_SIZE") // 1024
STOCK_CODE = "123456"  # what the stock bot gets where ours gets the e-mailed code (same shape of message)
QUIET_ENV = {"TF_CPP_MIN_LOG_LEVEL": "2", "RASA_TELEMETRY_ENABLED": "false", "SQLALCHEMY_SILENCE_UBER_WARNING": "1"}

# --------------------------------------------------------------------------------------------- the scripts

# A step is (kind, text). Kinds: "say" sends the text; "email" sends it with {email} filled with an address
# unique to the conversation; "confirm" sends it and ours must answer with a case reference; "code" sends the
# code e-mailed for that reference (the stock bot gets STOCK_CODE) and ours must answer with the reference.
Step = Tuple[str, str]

NAMES = {"sv": "Anna Svensson", "nb": "Kari Nordmann", "en": "Jane Smith"}
YES = {"sv": "ja", "nb": "ja", "en": "yes"}

SCRIPT_TEXTS: Dict[str, Dict[str, List[Step]]] = {
    "policy": {
        "sv": [("say", "Hej!"), ("say", "hur länge sparar ni min ansökan om jag inte får jobbet?"),
               ("say", "delar ni mina uppgifter med andra företag?"),
               ("say", "vilka rättigheter har jag enligt GDPR?"), ("say", "tack, hej då")],
        "nb": [("say", "Hei!"), ("say", "hvor lenge lagrer dere søknaden min hvis jeg ikke får jobben?"),
               ("say", "deler dere opplysningene mine med andre selskaper?"),
               ("say", "hvilke rettigheter har jeg etter GDPR?"), ("say", "takk, ha det")],
        "en": [("say", "Hello!"), ("say", "how long do you keep my application if I don't get the job?"),
               ("say", "do you share my data with other companies?"),
               ("say", "what rights do I have under the GDPR?"), ("say", "thanks, bye")],
    },
    "filing": {
        "sv": [("say", "Hej"), ("say", "Jag vill ha ett registerutdrag, vilka uppgifter har ni om mig?"),
               ("say", NAMES["sv"]), ("email", "{email}"), ("confirm", YES["sv"]), ("code", "")],
        "nb": [("say", "Hei"), ("say", "Jeg vil ha innsyn i hvilke personopplysninger dere har om meg"),
               ("say", NAMES["nb"]), ("email", "{email}"), ("confirm", YES["nb"]), ("code", "")],
        "en": [("say", "Hi"), ("say", "I want a copy of all the personal data you hold about me"),
               ("say", NAMES["en"]), ("email", "{email}"), ("confirm", YES["en"]), ("code", "")],
    },
    # Start a request, answer, start over, answer again, then stop with the Cancel button (its payload, as
    # the widget sends it) and ask a question, as someone who changed their mind would.
    "stop_restart": {
        "sv": [("say", "jag vill ha en kopia av mina personuppgifter"), ("say", NAMES["sv"]), ("say", "börja om"),
               ("say", NAMES["sv"]), ("say", "avbryt"), ("say", "/stop"),
               ("say", "hur länge sparar ni mina uppgifter som kund?")],
        "nb": [("say", "jeg vil ha en kopi av personopplysningene mine"), ("say", NAMES["nb"]),
               ("say", "begynn på nytt"), ("say", NAMES["nb"]), ("say", "avbryt"), ("say", "/stop"),
               ("say", "hvor lenge lagrer dere opplysningene mine som kunde?")],
        "en": [("say", "I'd like a copy of my personal data"), ("say", NAMES["en"]), ("say", "start over"),
               ("say", NAMES["en"]), ("say", "cancel"), ("say", "/stop"),
               ("say", "how long do you keep my data as a customer?")],
    },
}
LANGUAGES = ("sv", "nb", "en")


@dataclass(frozen=True)
class Script:
    name: str
    lang: str
    steps: Tuple[Step, ...]


# Interleaved so that clients starting at consecutive offsets get every kind and language from the start.
SCRIPTS: List[Script] = [
    Script(kind, lang, tuple(SCRIPT_TEXTS[kind][lang]))
    for i in range(len(LANGUAGES))
    for kind, lang in zip(SCRIPT_TEXTS, LANGUAGES[i:] + LANGUAGES[:i])
]

# ------------------------------------------------------------------------------------- processes and /proc


def tree_pids(pid: int) -> List[int]:
    """`pid` and all its descendants (Rasa or Sanic may fork; their CPU is the server's CPU)."""
    children: Dict[int, List[int]] = collections.defaultdict(list)
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                stat = Path(f"/proc/{entry}/stat").read_text()
            except OSError:
                continue
            ppid = int(stat.rsplit(")", 1)[1].split()[1])
            children[ppid].append(int(entry))
    found, todo = [], [pid]
    while todo:
        current = todo.pop()
        found.append(current)
        todo.extend(children.get(current, []))
    return found


def cpu_seconds(pid: int) -> float:
    """utime + stime of the process tree, in seconds."""
    total = 0
    for one in tree_pids(pid):
        try:
            fields = Path(f"/proc/{one}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        total += int(fields[11]) + int(fields[12])  # utime, stime (fields 14 and 15 of stat)
    return total / CLOCK_TICKS


def rss_mb(pid: int) -> float:
    total_kb = 0
    for one in tree_pids(pid):
        try:
            total_kb += int(Path(f"/proc/{one}/statm").read_text().split()[1]) * PAGE_KB
        except OSError:
            continue
    return total_kb / 1024


def machine_busy_seconds() -> float:
    """CPU seconds all cores spent busy since boot (/proc/stat: everything but idle and iowait)."""
    values = [int(v) for v in Path("/proc/stat").read_text().splitlines()[0].split()[1:]]
    return (sum(values[:8]) - values[3] - values[4]) / CLOCK_TICKS  # user..steal, minus idle, iowait


def own_cpu_seconds() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def child_pid(port: int, marker: str) -> int:
    """The pid of our child process whose command line has `marker` and `port` (running_stack keeps its Popen
    objects to itself; it starts each server with its port on the command line)."""
    me = os.getpid()
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            stat = Path(f"/proc/{entry}/stat").read_text()
            argv = Path(f"/proc/{entry}/cmdline").read_bytes().decode(errors="replace").split("\0")
        except OSError:
            continue
        if int(stat.rsplit(")", 1)[1].split()[1]) == me and marker in argv and str(port) in argv:
            return int(entry)
    raise RuntimeError(f"no child process with {marker!r} on port {port}")


# ---------------------------------------------------------------------------------------------- the bots


class OutboxReader:
    """The 6-digit codes the backend e-mailed, read from its outbox the way tests/actions/flow_harness reads
    them (CODE_RE, body_of), but parsing each file once: the outbox grows by one file per filing, and
    re-reading all of it for every code would make the client, not the stack, the cost at 50 conversations."""

    def __init__(self, directory: Path) -> None:
        self.directory = directory
        self.parsed: Dict[str, Tuple[str, str]] = {}  # file name -> (subject, plain body)

    def _scan(self) -> None:
        import email
        import email.policy

        parser = email.parser.BytesParser(policy=email.policy.default)
        if not self.directory.is_dir():
            return
        for path in self.directory.glob("*.eml"):  # written to a temp name and renamed: never half a file
            if path.name not in self.parsed:
                with path.open("rb") as handle:
                    message = parser.parse(handle)
                self.parsed[path.name] = (str(message["Subject"]), body_of(message))

    async def code_for(self, reference: str, timeout: float = 30.0) -> Optional[str]:
        """The code e-mailed for `reference` (the backend sends in the background, so wait for it)."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            self._scan()
            for subject, body in self.parsed.values():
                if reference in subject or reference in body:
                    match = CODE_RE.search(body)
                    if match:
                        return match.group(1)
            await asyncio.sleep(0.1)
        return None


@dataclass
class Bot:
    name: str  # "ours" or "stock"
    rasa_port: int
    processes: Dict[str, int]  # process name -> pid, for CPU and RSS
    outbox: Optional[OutboxReader] = None  # ours: where the codes are; the stock bot files nothing

    @property
    def webhook(self) -> str:
        return f"http://127.0.0.1:{self.rasa_port}/webhooks/rest/webhook"


def ensure_stock_bot() -> Path:
    """The stock bot's project directory with a trained model, cached per Rasa version under var/bench/."""
    if list((STOCK_DIR / "models").glob("*.tar.gz")):
        return STOCK_DIR
    print(f"Creating and training the stock `rasa init` bot (once per Rasa version; cached in {STOCK_DIR}) ...",
          flush=True)
    env = {**os.environ, **QUIET_ENV}
    with tempfile.TemporaryDirectory(prefix="stock-bot-") as tmp:
        project = Path(tmp) / "stock"
        project.mkdir()  # with --no-prompt, `rasa init` refuses a directory that does not exist
        log = Path(tmp) / "train.log"
        # `rasa init --no-prompt` writes the project and trains it; `rasa train` is the fallback in case a
        # version stops training on init.
        commands = [([RASA, "init", "--no-prompt", "--init-dir", str(project)], Path(tmp)), ([RASA, "train"], project)]
        for command, cwd in commands:
            if list((project / "models").glob("*.tar.gz")):
                break
            with log.open("ab") as out:
                done = subprocess.run(command, cwd=cwd, env=env, stdout=out, stderr=subprocess.STDOUT,
                                      stdin=subprocess.DEVNULL, timeout=3600)
            if done.returncode != 0:
                raise RuntimeError(f"{' '.join(command[1:])} failed:\n{log.read_text(errors='replace')[-3000:]}")
        staging = STOCK_DIR.with_name(STOCK_DIR.name + ".partial")
        shutil.rmtree(staging, ignore_errors=True)
        shutil.copytree(project, staging, ignore=shutil.ignore_patterns(".rasa", "__pycache__"))
        shutil.rmtree(STOCK_DIR, ignore_errors=True)
        staging.rename(STOCK_DIR)  # complete or absent: an interrupted run retrains instead of using half a bot
    return STOCK_DIR


@contextmanager
def stock_rasa(work: Path) -> Iterator[Tuple[int, int]]:
    """`rasa run` of the stock bot (its own endpoints and credentials: in-memory tracker and lock stores,
    REST channel); yields (port, pid). Started before our stack so the two load in parallel; waited for
    with `wait_for_stock`."""
    project = ensure_stock_bot()
    model = max((project / "models").glob("*.tar.gz"), key=lambda p: p.stat().st_mtime)
    port = free_port()
    log = work / "stock-rasa.log"
    process = subprocess.Popen(
        [RASA, "run", "--enable-api", "-m", str(model), "--endpoints", "endpoints.yml",
         "--credentials", "credentials.yml", "-p", str(port), "-i", "127.0.0.1"],
        cwd=project, env={**os.environ, **QUIET_ENV}, stdout=log.open("wb"), stderr=subprocess.STDOUT)
    try:
        yield port, process.pid
        if process.poll() is not None:
            raise RuntimeError(f"the stock bot exited:\n{log.read_text(errors='replace')[-3000:]}")
    finally:
        stop_process(process)


def wait_for_stock(port: int, pid: int, work: Path) -> None:
    class _Pid:  # wait_http wants something with poll()
        def poll(self) -> Optional[int]:
            return None if Path(f"/proc/{pid}").exists() else 1

    wait_http(f"http://127.0.0.1:{port}/status", _Pid(), work / "stock-rasa.log", 600.0)  # type: ignore[arg-type]


# ------------------------------------------------------------------------------------------- the clients


@dataclass
class Tally:
    """What one phase saw from the clients' side."""

    latencies: List[float] = field(default_factory=list)
    by_step: Dict[str, List[float]] = field(default_factory=lambda: collections.defaultdict(list))
    errors: Counter[str] = field(default_factory=collections.Counter)
    empty: int = 0  # 200 with no message at all
    filings: int = 0  # ours: filings that ended with the code accepted
    failed_filings: int = 0  # ours: no reference after confirming, no code e-mail, or the code not accepted
    conversations: int = 0
    transcripts: List[str] = field(default_factory=list)  # --check only


async def send(session: aiohttp.ClientSession, bot: Bot, sender: str, text: str, lang: str,
               tally: Tally, step: str = "") -> Optional[str]:
    """One message; returns the bot's replies as one text, or None when the request failed."""
    body = {"sender": sender, "message": text, "metadata": {"language": lang}}
    started = time.perf_counter()
    try:
        async with session.post(bot.webhook, json=body) as response:
            raw = await response.read()
            status = response.status
    except asyncio.TimeoutError:
        tally.errors["timeout"] += 1
        return None
    except aiohttp.ClientError as error:
        tally.errors[type(error).__name__] += 1
        return None
    tally.latencies.append(time.perf_counter() - started)
    if step:
        tally.by_step[step].append(tally.latencies[-1])
    if status != 200:
        tally.errors[f"http {status}"] += 1
        return None
    try:
        replies = json.loads(raw)
    except ValueError:
        tally.errors["bad json"] += 1
        return None
    if not replies:
        tally.empty += 1
    return "\n".join(str(r.get("text") or "") for r in replies)


async def play(session: aiohttp.ClientSession, bot: Bot, script: Script, sender: str, deadline: float,
               tally: Tally, keep_transcript: bool = False) -> None:
    """Play `script` until it ends or the phase's deadline passes (no message is started after it)."""
    lines = [f"--- {bot.name} {script.name} {script.lang} ---"]
    try:
        await _play_steps(session, bot, script, sender, deadline, tally, lines if keep_transcript else None)
    finally:
        if keep_transcript:
            tally.transcripts.append("\n".join(lines))


async def _play_steps(session: aiohttp.ClientSession, bot: Bot, script: Script, sender: str, deadline: float,
                      tally: Tally, lines: Optional[List[str]]) -> None:
    reference: Optional[str] = None
    address = f"bench.{uuid.uuid4().hex[:10]}@example.com"  # synthetic, unique: each filing is a new case
    for number, (kind, text) in enumerate(script.steps, 1):
        if time.monotonic() >= deadline:
            return
        if kind == "email":
            text = text.format(email=address)
        elif kind == "code":
            if bot.outbox is None:
                text = STOCK_CODE
            else:
                code = await bot.outbox.code_for(reference) if reference else None
                if code is None:
                    tally.failed_filings += 1
                    return
                text = code
        said = await send(session, bot, sender, text, script.lang, tally, f"{script.name} {number}: {kind}")
        if lines is not None:
            lines.append(f"  user: {text}\n  bot : " + (said or "(failed)").replace("\n", "\n        "))
        if said is None:
            return  # counted as an error; the rest of this conversation would measure a broken state
        if bot.outbox is not None and kind == "confirm":
            found = REFERENCE.findall(said)
            if not found:
                tally.failed_filings += 1
                return
            reference = found[-1]
        if bot.outbox is not None and kind == "code":
            if reference not in said:
                tally.failed_filings += 1
                return
            tally.filings += 1
    tally.conversations += 1


async def run_clients(bot: Bot, clients: int, seconds: float, label: str, timeout: float,
                      scripts: Sequence[Script] = SCRIPTS) -> Tuple[Tally, float]:
    """`clients` concurrent conversations, each looping over the scripts, for `seconds`; (tally, elapsed)."""
    tally = Tally()
    deadline = time.monotonic() + seconds

    async def client(number: int, session: aiohttp.ClientSession) -> None:
        turn = number
        while time.monotonic() < deadline:
            script = scripts[turn % len(scripts)]
            sender = f"bench-{label}-{number}-{turn}-{uuid.uuid4().hex[:6]}"
            await play(session, bot, script, sender, deadline, tally)
            turn += 1

    connector = aiohttp.TCPConnector(limit=0)
    async with aiohttp.ClientSession(connector=connector, timeout=aiohttp.ClientTimeout(total=timeout)) as session:
        started = time.monotonic()
        await asyncio.gather(*(client(n, session) for n in range(clients)))
        elapsed = time.monotonic() - started
    return tally, elapsed


# ---------------------------------------------------------------------------------------------- phases


@dataclass
class Phase:
    bot: str
    clients: int
    round: int
    seconds: float
    tally: Tally
    cpu: Dict[str, float]  # process -> CPU seconds during the phase ("client" is this benchmark)
    others: float  # CPU seconds used on the machine by everything outside both bots and this benchmark
    rss_before: Dict[str, float]
    rss_after: Dict[str, float]

    @property
    def messages(self) -> int:
        return len(self.tally.latencies)

    @property
    def errors(self) -> int:
        return sum(self.tally.errors.values())


async def measure(bot: Bot, clients: int, round_number: int, seconds: float, timeout: float,
                  every_pid: Sequence[int]) -> Phase:
    """One measured phase; `every_pid`: the processes of both bots (the rest of the machine's CPU is others')."""
    rss_before = {name: rss_mb(pid) for name, pid in bot.processes.items()}
    cpu_before = {name: cpu_seconds(pid) for name, pid in bot.processes.items()}
    ours_before = sum(cpu_seconds(pid) for pid in every_pid) + own_cpu_seconds()
    client_before, busy_before = own_cpu_seconds(), machine_busy_seconds()
    tally, elapsed = await run_clients(bot, clients, seconds, f"{bot.name[:2]}{clients}r{round_number}", timeout)
    cpu = {name: cpu_seconds(pid) - cpu_before[name] for name, pid in bot.processes.items()}
    cpu["client"] = own_cpu_seconds() - client_before
    ours = sum(cpu_seconds(pid) for pid in every_pid) + own_cpu_seconds() - ours_before
    others = max(0.0, machine_busy_seconds() - busy_before - ours)
    rss_after = {name: rss_mb(pid) for name, pid in bot.processes.items()}
    return Phase(bot.name, clients, round_number, elapsed, tally, cpu, others, rss_before, rss_after)


def percentile(values: Sequence[float], fraction: float) -> float:
    """Nearest-rank percentile (NaN for no values)."""
    if not values:
        return float("nan")
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, math.ceil(fraction * len(ordered)) - 1))]


def ms(seconds: float) -> str:
    return "-" if seconds != seconds else f"{seconds * 1000:.0f} ms"


def phase_line(phase: Phase) -> str:
    t = phase.tally
    lat = t.latencies
    cpu = " ".join(f"{name} {phase.cpu[name] / max(1, phase.messages):.4f}" for name in phase.cpu)
    errors = ",".join(f"{k}:{v}" for k, v in t.errors.items()) or "0"
    return (f"  {phase.bot:<5} c={phase.clients:<3} r{phase.round}  {phase.messages:>5} msgs in {phase.seconds:5.1f} s"
            f"  {phase.messages / phase.seconds:6.1f} msg/s  p50 {ms(percentile(lat, .5)):>8}  p95"
            f" {ms(percentile(lat, .95)):>8}  p99 {ms(percentile(lat, .99)):>8}  errors {errors}  empty {t.empty}"
            f"  filings {t.filings} failed {t.failed_filings}  CPU s/msg: {cpu}"
            f"  others {phase.others / phase.seconds:.2f} cores")


@dataclass
class Pooled:
    """The phases of one bot at one client count, pooled."""

    phases: List[Phase]

    @property
    def messages(self) -> int:
        return sum(p.messages for p in self.phases)

    @property
    def rate(self) -> float:
        return self.messages / sum(p.seconds for p in self.phases)

    @property
    def rates(self) -> List[float]:
        return [p.messages / p.seconds for p in self.phases]

    def latency(self, fraction: float) -> float:
        return percentile([x for p in self.phases for x in p.tally.latencies], fraction)

    def cpu_per_message(self, name: str) -> float:
        return sum(p.cpu.get(name, 0.0) for p in self.phases) / max(1, self.messages)

    @property
    def errors(self) -> int:
        return sum(p.errors for p in self.phases)

    @property
    def others(self) -> float:
        """Other people's CPU on the machine meanwhile, in cores (1.0 = one core busy all the time)."""
        return sum(p.others for p in self.phases) / sum(p.seconds for p in self.phases)

    @property
    def filings(self) -> Tuple[int, int]:
        return sum(p.tally.filings for p in self.phases), sum(p.tally.failed_filings for p in self.phases)


def ratio(a: float, b: float) -> str:
    return f"{a / b:.2f}" if b and a == a and b == b else "-"


def report(phases: List[Phase], processes: Dict[str, List[str]]) -> str:
    """The markdown tables docs/PERFORMANCE.md keeps."""
    counts = sorted({p.clients for p in phases})
    lines = ["| conversations | bot | msg/s (per run) | p50 | p95 | p99 | errors | filings ok / failed |"
             " CPU s/msg: rasa | actions | backend | client | msg/s ours/stock | p95 ours/stock |"
             " rasa CPU/msg ours/stock | others' CPU, cores |",
             "| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |"]
    for count in counts:
        pooled = {name: Pooled([p for p in phases if p.clients == count and p.bot == name])
                  for name in ("ours", "stock")}
        for name in ("ours", "stock"):
            pool = pooled[name]
            if not pool.phases:
                continue
            other = pooled["stock"]
            ok, failed = pool.filings
            cpu = [f"{pool.cpu_per_message(proc):.4f}" if proc in processes[name] else "-"
                   for proc in ("rasa", "actions", "backend")] + [f"{pool.cpu_per_message('client'):.4f}"]
            ratios = (["-", "-", "-"] if name == "stock" or not other.phases else
                      [ratio(pool.rate, other.rate), ratio(pool.latency(.95), other.latency(.95)),
                       ratio(pool.cpu_per_message("rasa"), other.cpu_per_message("rasa"))])
            lines.append(
                f"| {count} | {name} | {pool.rate:.1f} ({' / '.join(f'{r:.1f}' for r in pool.rates)}) |"
                f" {ms(pool.latency(.5))} | {ms(pool.latency(.95))} | {ms(pool.latency(.99))} | {pool.errors} |"
                + (f" {ok} / {failed} |" if name == "ours" else " - |")
                + "".join(f" {c} |" for c in cpu) + "".join(f" {r} |" for r in ratios)
                + f" {pool.others:.2f} |")
    lines += ["", "| process | RSS MB before the first phase | after the last phase | largest after a phase |",
              "| --- | --- | --- | --- |"]
    for name in ("ours", "stock"):
        mine = [p for p in phases if p.bot == name]
        if not mine:
            continue
        for proc in processes[name]:
            lines.append(f"| {name} {proc} | {mine[0].rss_before[proc]:.0f} | {mine[-1].rss_after[proc]:.0f} |"
                         f" {max(p.rss_after[proc] for p in mine):.0f} |")
    return "\n".join(lines + ["", steps_report(phases)])


def steps_report(phases: List[Phase]) -> str:
    """Where the tail is: ours' latency by step of the scripts (all languages), at the largest client count,
    slowest p95 first, with the stock bot's for the same step."""
    count = max(p.clients for p in phases)
    by_bot: Dict[str, Dict[str, List[float]]] = {"ours": collections.defaultdict(list),
                                                  "stock": collections.defaultdict(list)}
    for phase in phases:
        if phase.clients == count:
            for step, values in phase.tally.by_step.items():
                by_bot[phase.bot][step].extend(values)
    ours = by_bot["ours"]
    lines = [f"Latency by step at {count} conversations (ours; stock for the same texts):", "",
             "| step | messages | p50 ours / stock | p95 ours / stock |", "| --- | --- | --- | --- |"]
    for step in sorted(ours, key=lambda s: -percentile(ours[s], .95)):
        stock = by_bot["stock"].get(step) or []
        lines.append(f"| {step} | {len(ours[step])} | {ms(percentile(ours[step], .5))} / "
                     f"{ms(percentile(stock, .5)) if stock else '-'} | {ms(percentile(ours[step], .95))} / "
                     f"{ms(percentile(stock, .95)) if stock else '-'} |")
    return "\n".join(lines)


# ------------------------------------------------------------------------------------------------ py-spy


async def profile(pyspy: str, bot: Bot, clients: int, seconds: int, timeout: float, process: str = "rasa") -> Path:
    """Record one of our processes (Rasa by default) with py-spy while `clients` conversations run (not part
    of the table)."""
    PROFILE_DIR.mkdir(parents=True, exist_ok=True)
    out = PROFILE_DIR / f"profile-{process}-{clients}.txt"
    spy = await asyncio.create_subprocess_exec(
        pyspy, "record", "--pid", str(bot.processes[process]), "--duration", str(seconds), "--rate", "100",
        "--format", "raw", "--output", str(out), stdout=asyncio.subprocess.DEVNULL, stderr=asyncio.subprocess.PIPE)
    _, (_, spy_errors) = await asyncio.gather(run_clients(bot, clients, seconds + 5, "prof", timeout),
                                               spy.communicate())
    if spy.returncode != 0:
        raise RuntimeError(f"py-spy failed: {spy_errors.decode(errors='replace')[-2000:]}")
    return out


FRAME = re.compile(r"^(?P<func>.*?) \((?P<file>[^():]+)(?::\d+)?\)$")
SITE = re.compile(r".*/site-packages/|.*/work/main/|.*/lib/python3\.\d+/")
# Where a message's time goes, by the steps of Rasa's MessageProcessor and the components under them. A sample
# counts for the deepest of these frames on its stack (an HTTP call to the action server inside a form's
# validation counts as the HTTP call). Frames are "function (file)", line numbers dropped.
BREAKDOWN: List[Tuple[str, Tuple[str, ...]]] = [
    ("NLU: DIETClassifier", ("process (rasa/nlu/classifiers/diet_classifier.py)",)),
    ("NLU: ResponseSelector", ("process (rasa/nlu/selectors/response_selector.py)",)),
    ("NLU: featurizers", ("process (rasa/nlu/featurizers/sparse_featurizer/count_vectors_featurizer.py)",
                          "process (rasa/nlu/featurizers/sparse_featurizer/lexical_syntactic_featurizer.py)",
                          "process (rasa/nlu/featurizers/sparse_featurizer/regex_featurizer.py)",
                          "process (rasa/nlu/tokenizers/tokenizer.py)")),
    ("NLU: bot.intent_classifier (ours)", ("process (bot/intent_classifier.py)",)),
    ("NLU: bot.faq_topics (ours)", ("process (bot/faq_topics.py)",)),
    ("NLU: bot.language_component (ours)", ("process (bot/language_component.py)",)),
    ("NLU: bot.request_guard (ours)", ("process (bot/request_guard.py)",)),
    ("NLU: the rest of parse_message", ("parse_message (rasa/core/processor.py)",)),
    ("policy: TEDPolicy", ("predict_action_probabilities (rasa/core/policies/ted_policy.py)",)),
    ("policy: UnexpecTEDIntentPolicy",
     ("predict_action_probabilities (rasa/core/policies/unexpected_intent_policy.py)",)),
    ("policy: RulePolicy", ("predict_action_probabilities (rasa/core/policies/rule_policy.py)",)),
    ("policy: MemoizationPolicy", ("predict_action_probabilities (rasa/core/policies/memoization.py)",)),
    ("policy: the rest of predicting the next action",
     ("predict_next_with_tracker_if_should (rasa/core/processor.py)",)),
    ("action server: HTTP call (incl. JSON of tracker + domain)", ("request (rasa/utils/endpoints.py)",)),
    ("action server: response validation", ("_validate_action_result (rasa/core/actions/action.py)",
                                            "_validate_action_result (bot/rasa_patches.py)")),
    ("actions: the rest (forms, slots, events)", ("_run_action (rasa/core/processor.py)",
                                                 "run_action_extract_slots (rasa/core/processor.py)")),
    ("tracker store: save", ("save_tracker (rasa/core/processor.py)",)),
    ("tracker store: load", ("get_tracker (rasa/core/processor.py)",)),
    ("lock store", ("lock (rasa/core/lock_store.py)",)),
]


def _frames(stack: str) -> List[str]:
    names = []
    for frame in stack.split(";")[1:]:  # the first entry is the thread (or <module>)
        match = FRAME.match(frame.strip())
        names.append(f"{match['func']} ({SITE.sub('', match['file'])})" if match else frame.strip())
    return names


def summarise_profile(path: Path, top: int = 30) -> str:
    """From py-spy's raw (collapsed) output: the share of samples per step of a message (BREAKDOWN), the
    inclusive share of the functions below the server plumbing, and the self share."""
    steps = {key: label for label, keys in BREAKDOWN for key in keys}
    by_step: Counter[str] = collections.Counter()
    inclusive: Counter[str] = collections.Counter()
    own: Counter[str] = collections.Counter()
    total = 0
    for line in path.read_text(errors="replace").splitlines():
        stack, _, count_text = line.rpartition(" ")
        if not stack or not count_text.isdigit():
            continue
        count, names = int(count_text), _frames(stack)
        total += count
        label = next((steps[name] for name in reversed(names) if name in steps), "other (server, event loop)")
        by_step[label] += count
        for name in set(names):
            inclusive[name] += count
        if names:
            own[names[-1]] += count
    if not total:
        return "no samples"
    plumbing = ("dask/", "sanic/", "asyncio/", "rasa/__main__.py", "rasa/api.py", "rasa/cli/", "(<module>")
    lines = [f"{total} samples", "", "| share | step |", "| --- | --- |"]
    lines += [f"| {n / total:.1%} | {label} |" for label, n in by_step.most_common()]
    lines += ["", "| inclusive | function |", "| --- | --- |"]
    shown = [(name, n) for name, n in inclusive.most_common()
             if n < 0.9 * total and not any(p in name for p in plumbing)][:top]
    lines += [f"| {n / total:.1%} | `{name}` |" for name, n in shown]
    lines += ["", "| self | function |", "| --- | --- |"]
    lines += [f"| {n / total:.1%} | `{name}` |" for name, n in own.most_common(15)]
    return "\n".join(lines)


# -------------------------------------------------------------------------------------------------- main


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--clients", default="1,10,50", help="comma-separated numbers of concurrent conversations")
    parser.add_argument("--duration", type=float, default=30.0, help="seconds of each measured phase")
    parser.add_argument("--rounds", type=int, default=2, help="ours+stock pairs per client count (alternated)")
    parser.add_argument("--quick", action="store_true", help="5-second phases (about 2-3 minutes in all)")
    parser.add_argument("--only-ours", action="store_true", help="skip the stock bot (no ratios)")
    parser.add_argument("--timeout", type=float, default=120.0, help="seconds before a request counts as an error")
    parser.add_argument("--check", action="store_true", help="play every script once on each bot, print the"
                        " transcripts, and stop")
    parser.add_argument("--py-spy", metavar="PATH", help="py-spy binary: profile Rasa under load after the table")
    parser.add_argument("--profile-clients", type=int, default=10)
    parser.add_argument("--profile-process", default="rasa", choices=("rasa", "actions", "backend"),
                        help="which of our processes py-spy records")
    parser.add_argument("--profile-seconds", type=int, default=25)
    parser.add_argument("--summarise-profile", metavar="RAW", help="only summarise a py-spy raw profile and exit")
    args = parser.parse_args()
    if args.quick:
        args.duration = 5.0
    args.client_counts = [int(c) for c in args.clients.split(",") if c.strip()]
    return args


async def benchmark(args: argparse.Namespace, bots: List[Bot]) -> None:
    processes = {bot.name: list(bot.processes) for bot in bots}
    commit = subprocess.run(["git", "describe", "--always", "--dirty"], cwd=ROOT, capture_output=True,
                            text=True).stdout.strip() or "unknown"
    print(f"commit {commit}, Rasa {RASA_VERSION}, {os.cpu_count()} CPUs, load average {os.getloadavg()[0]:.2f}"
          f" at the start; {args.duration:.0f} s per phase, {args.rounds} rounds, scripts: "
          + ", ".join(sorted({s.name for s in SCRIPTS})) + f" in {', '.join(LANGUAGES)}", flush=True)
    print(f"model {model_identity()} (Rasa loaded it at start-up)", flush=True)
    # Warm-up, not measured: TensorFlow builds its graphs and the SQLite store its tables on the first messages.
    for bot in bots:
        tally = await warm_up(bot, args.timeout)
        problems = sum(tally.errors.values()) + tally.failed_filings
        print(f"warm-up {bot.name}: {len(tally.latencies)} messages, {problems} errors or failed filings", flush=True)
    every_pid = [pid for bot in bots for pid in bot.processes.values()]
    phases: List[Phase] = []
    for count in args.client_counts:
        print(f"\n{count} concurrent conversation{'s' if count > 1 else ''}:", flush=True)
        for round_number in range(1, args.rounds + 1):
            for bot in bots:  # alternated: ours, stock, ours, stock
                phase = await measure(bot, count, round_number, args.duration, args.timeout, every_pid)
                phases.append(phase)
                print(phase_line(phase), flush=True)
    print(f"\nload average {os.getloadavg()[0]:.2f} at the end; model file now {model_identity()}\n")
    print(report(phases, processes), flush=True)
    if args.py_spy:
        ours = bots[0]
        print(f"\npy-spy: {args.profile_process} under {args.profile_clients} conversations for "
              f"{args.profile_seconds} s ...", flush=True)
        out = await profile(args.py_spy, ours, args.profile_clients, args.profile_seconds, args.timeout,
                            args.profile_process)
        print(f"raw profile: {out}\n")
        print(summarise_profile(out), flush=True)


def model_identity() -> str:
    """Which model file was measured: other sessions may retrain models/assistant.tar.gz in place."""
    stat = MODEL.stat()
    when = time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime(stat.st_mtime))
    return f"{MODEL} ({stat.st_size / 1e6:.1f} MB, {when})"


async def warm_up(bot: Bot, timeout: float) -> Tally:
    """Every script once, all at the same time (also shows that the scripts still work)."""
    tally = Tally()
    async with aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=timeout)) as session:
        await asyncio.gather(*(play(session, bot, script, f"bench-warm-{bot.name}-{i}-{uuid.uuid4().hex[:6]}",
                                    time.monotonic() + 3600, tally) for i, script in enumerate(SCRIPTS)))
    return tally


async def check(bots: List[Bot], timeout: float) -> None:
    for bot in bots:
        async with aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=timeout)) as session:
            for i, script in enumerate(SCRIPTS):
                tally = Tally()
                await play(session, bot, script, f"bench-check-{bot.name}-{i}-{uuid.uuid4().hex[:6]}",
                           time.monotonic() + 3600, tally, keep_transcript=True)
                print("\n".join(tally.transcripts))
                print(f"  => errors {dict(tally.errors)} empty {tally.empty} filings {tally.filings}"
                      f" failed {tally.failed_filings}\n", flush=True)


def main() -> int:
    args = parse_args()
    if args.summarise_profile:
        print(summarise_profile(Path(args.summarise_profile)))
        return 0
    print(f"{platform.node()}: whole-stack conversation benchmark", flush=True)
    if not MODEL.exists():
        print(f"no trained model at {MODEL}: run `make train` (or set E2E_MODEL to a model path)")
        return 1
    if not args.only_ours:
        ensure_stock_bot()  # before anything starts: training must not compete with the measurement
    with tempfile.TemporaryDirectory(prefix="bench-conv-") as tmp:
        work = Path(tmp)
        with (stock_rasa(work) if not args.only_ours else _nothing()) as stock:
            ours_dir = work / "ours"
            ours_dir.mkdir()
            with running_stack(ours_dir, ROOT / "credentials.yml") as stack:
                bots = [ours_bot(stack)]
                if stock is not None:
                    wait_for_stock(stock[0], stock[1], work)
                    bots.append(Bot("stock", stock[0], {"rasa": stock[1]}))
                if args.check:
                    asyncio.run(check(bots, args.timeout))
                else:
                    asyncio.run(benchmark(args, bots))
    return 0


def ours_bot(stack: RunningStack) -> Bot:
    assert stack.backend.process is not None
    return Bot("ours", stack.rasa_port, {
        "rasa": child_pid(stack.rasa_port, "--enable-api"),
        "actions": child_pid(stack.action_port, "actions"),
        "backend": stack.backend.process.pid,
    }, OutboxReader(stack.backend.outbox))


@contextmanager
def _nothing() -> Iterator[None]:
    yield None


if __name__ == "__main__":
    sys.exit(main())
