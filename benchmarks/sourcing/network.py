"""Multi-item fulfilment benchmark (Jasin & Sinha 2015; Ma 2023): Ordermesh's engine against the published policies.

Setup, data and metric: /work/shared/benchmarks/fulfillment-network/README.md (see README.md next to this file
for the interpretations). For every instance the DLP lower bound is solved once (HiGHS); on every arrival
sequence each policy starts from the instance's stock and its total cost is divided by the DLP value.

Policies (all measured in the same run, on the same instances and arrival sequences):
- myopic: each item from the closest FC that carries it, lost if that FC is out of stock (published);
- dilated rounding: Ma's correlated rounding of the DLP assignment (published);
- Ordermesh engine: `ordermesh.domain.sourcing.optimiser.solve` per order on the remaining stock;
- Ordermesh with look-ahead: the same, unit costs plus the DLP dual price of the stock used, the DLP
  re-solved on the remaining stock and horizon a few times during the sequence.

    .venv/bin/python benchmarks/sourcing/network.py --setup warmup,large --instances 10 --sequences 3 \\
        --seed 20261127 --large-instances 1 --large-sequences 1 [--json FILE]

Progress goes to stderr, the Markdown report to stdout.
"""

from __future__ import annotations

import argparse
import concurrent.futures as cf
import contextlib
import json
import math
import os
import pickle
import platform
import sys
import time
from dataclasses import asdict, dataclass, field
from functools import lru_cache
from importlib.metadata import version
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

import numpy as np
from dlp import Dlp, DlpSolution
from instances import SETUPS, Instance, draw_arrivals, generate_instance
from policies import Outcome, run_dilated, run_engine, run_myopic

POLICIES = ("myopic", "dilated", "engine", "lookahead")
POLICY_NAMES = {
    "myopic": "myopic (published)",
    "dilated": "dilated rounding (published)",
    "engine": "Ordermesh engine (per order, remaining stock)",
    "lookahead": "Ordermesh with look-ahead (DLP duals)",
}
SETUP_CODES = {"warmup": 1, "large": 2}


def derived_seed(*path: int) -> int:
    """A 64-bit seed derived from the run seed and a path (setup, instance, sequence, ...)."""
    return int(np.random.SeedSequence(list(path)).generate_state(1, dtype=np.uint64)[0])


@dataclass(frozen=True, order=True)
class Task:
    """One unit of work: the DLP of an instance (policy "dlp") or one policy on one arrival sequence."""

    priority: int
    setup: str
    instance: int
    sequence: int
    policy: str
    instance_seed: int
    sequence_seed: int
    rounding_seed: int
    resolves: int = 0
    dual_scale: float = 1.0


@dataclass
class Result:
    task: Task
    outcome: Outcome | None = None
    dlp: DlpSolution | None = None
    wall_seconds: float = 0.0
    cpu_seconds: float = 0.0


@dataclass
class Plan:
    tasks: list[Task] = field(default_factory=list)
    seeds: dict[str, Any] = field(default_factory=dict)


@lru_cache(maxsize=4)
def _instance(setup: str, seed: int) -> Instance:
    return generate_instance(SETUPS[setup], seed)


def _quiet_worker() -> None:
    """Workers never write to stdout (HiGHS prints a banner there when a solver is created)."""
    os.dup2(2, 1)


def run_task(task: Task, dlp: DlpSolution | None) -> Result:
    """Run one task in a worker process."""
    started, cpu = time.perf_counter(), time.process_time()
    instance = _instance(task.setup, task.instance_seed)
    label = f"{task.setup} #{task.instance}.{task.sequence} {task.policy}"
    result = Result(task)
    if task.policy == "dlp":
        result.dlp = Dlp(instance, verbose=task.setup == "large").solve(instance.stock, instance.horizon)
    else:
        order_type, region = draw_arrivals(instance, task.sequence_seed)
        if task.policy == "myopic":
            result.outcome = run_myopic(instance, order_type, region, label)
        elif task.policy == "dilated":
            assert dlp is not None
            result.outcome = run_dilated(instance, order_type, region, dlp, task.rounding_seed, label)
        elif task.policy == "engine":
            result.outcome = run_engine(instance, order_type, region, label=label)
        else:
            assert dlp is not None
            result.outcome = run_engine(
                instance,
                order_type,
                region,
                lookahead=dlp,
                resolves=task.resolves,
                dual_scale=task.dual_scale,
                label=label,
            )
    result.wall_seconds = time.perf_counter() - started
    result.cpu_seconds = time.process_time() - cpu
    return result


def plan(args: argparse.Namespace) -> Plan:
    """All tasks of the run, the most expensive first (large engine runs, then the warm-up)."""
    out = Plan()
    cost_rank = {"dlp": 0, "engine": 1, "lookahead": 1, "dilated": 2, "myopic": 2}
    for setup in args.setup:
        code = SETUP_CODES[setup]
        large = setup == "large"
        instances = args.large_instances if large else args.instances
        sequences = args.large_sequences if large else args.sequences
        resolves = args.large_resolves if large else args.resolves
        base = 0 if large else 10
        out.seeds[setup] = []
        for n in range(instances):
            instance_seed = derived_seed(args.seed, code, n)
            seeds: dict[str, Any] = {"instance": n, "instance_seed": instance_seed, "sequences": []}
            out.tasks.append(Task(base, setup, n, -1, "dlp", instance_seed, 0, 0))
            for m in range(sequences):
                sequence_seed = derived_seed(args.seed, code, n, 1 + m)
                rounding_seed = derived_seed(args.seed, code, n, 1 + m, 7)
                seeds["sequences"].append(
                    {"sequence": m, "arrival_seed": sequence_seed, "rounding_seed": rounding_seed}
                )
                for policy in args.policies:
                    out.tasks.append(
                        Task(
                            base + cost_rank[policy],
                            setup,
                            n,
                            m,
                            policy,
                            instance_seed,
                            sequence_seed,
                            rounding_seed,
                            resolves if policy == "lookahead" else 0,
                            args.dual_scale if policy == "lookahead" else 1.0,
                        )
                    )
            out.seeds[setup].append(seeds)
    out.tasks.sort()
    return out


def load_checkpoint(path: Path | None, tasks: list[Task]) -> list[Result]:
    """Results of these tasks saved by an earlier (interrupted) run with the same arguments."""
    if path is None or not path.exists():
        return []
    wanted = set(tasks)
    loaded: list[Result] = []
    with path.open("rb") as handle:
        while True:
            try:
                result = pickle.load(handle)
            except EOFError:
                break
            if isinstance(result, Result) and result.task in wanted:
                loaded.append(result)
    return loaded


def execute(tasks: list[Task], workers: int, checkpoint: Path | None = None) -> list[Result]:
    """Run the tasks on `workers` processes; a policy that needs the DLP waits for its instance's DLP.

    With `checkpoint`, every result is appended to that file as it comes, and the tasks whose results are
    already there are not run again (an interrupted run resumes).
    """
    results = load_checkpoint(checkpoint, tasks)
    done_tasks = {r.task for r in results}
    pending = [t for t in tasks if t not in done_tasks]
    dlps: dict[tuple[str, int], DlpSolution] = {
        (r.task.setup, r.task.instance): r.dlp for r in results if r.dlp is not None
    }
    if results:
        print(f"{len(results)} results loaded from {checkpoint}", file=sys.stderr, flush=True)
    running: dict[cf.Future[Result], Task] = {}
    total = len(tasks)
    started = time.perf_counter()
    with cf.ProcessPoolExecutor(max_workers=workers, initializer=_quiet_worker) as pool:
        while pending or running:
            while len(running) < workers:
                ready = next(
                    (t for t in pending if t.policy not in ("dilated", "lookahead") or (t.setup, t.instance) in dlps),
                    None,
                )
                if ready is None:
                    break
                pending.remove(ready)
                running[pool.submit(run_task, ready, dlps.get((ready.setup, ready.instance)))] = ready
            done, _ = cf.wait(running, return_when=cf.FIRST_COMPLETED)
            for future in done:
                task = running.pop(future)
                result = future.result()
                results.append(result)
                if checkpoint is not None:
                    with checkpoint.open("ab") as handle:
                        pickle.dump(result, handle)
                if result.dlp is not None:
                    dlps[(task.setup, task.instance)] = result.dlp
                what = (
                    f"DLP {result.dlp.value:,.0f}"
                    if result.dlp is not None
                    else f"cost {result.outcome.cost:,.0f}"
                    if result.outcome is not None
                    else "?"
                )
                print(
                    f"[{len(results)}/{total}, {time.perf_counter() - started:.0f}s] {task.setup}"
                    f" instance {task.instance} seq {task.sequence} {task.policy}: {what}"
                    f" in {result.wall_seconds:.1f}s",
                    file=sys.stderr,
                    flush=True,
                )
    return results


def _machine() -> dict[str, Any]:
    model = "unknown"
    with contextlib.suppress(OSError):
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    return {
        "nproc": os.cpu_count(),
        "cpu": model,
        "python": platform.python_version(),
        "highspy": version("highspy"),
        "numpy": np.__version__,
        "platform": platform.platform(),
    }


def _mean_std(values: list[float]) -> tuple[float, float]:
    array = np.asarray(values)
    return float(array.mean()), float(array.std(ddof=1)) if array.size > 1 else 0.0


def report(args: argparse.Namespace, the_plan: Plan, results: list[Result], wall: float) -> tuple[str, dict[str, Any]]:
    """The Markdown report and the raw results; asserts the sanity checks."""
    dlp = {(r.task.setup, r.task.instance): r for r in results if r.dlp is not None}
    machine = _machine()
    lines = [
        f"Multi-item fulfilment benchmark, seed {args.seed}, {machine['nproc']} CPUs ({machine['cpu']}), "
        f"Python {machine['python']}, highspy {machine['highspy']}, {args.workers} worker processes, "
        f"total wall time {wall / 60:.1f} min.",
        "",
        "| setup | policy | cost / DLP mean | std | sequences | lost items | packages / order |"
        " wall s per sequence | CPU s total | optimiser ms / call |",
        "|---|---|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    raw: dict[str, Any] = {"machine": machine, "args": vars(args), "seeds": the_plan.seeds, "wall_seconds": wall}
    raw["dlp"] = [
        {
            "setup": s,
            "instance": n,
            "value": r.dlp.value,
            "lower_bound": r.dlp.lower_bound,
            "seconds": r.dlp.seconds,
            "cpu_seconds": r.cpu_seconds,
            "rounds": r.dlp.rounds,
            "columns": r.dlp.columns,
            "fractional_columns": r.dlp.fractional_columns,
            "full_columns": r.dlp.full_columns,
        }
        for (s, n), r in sorted(dlp.items())
        if r.dlp is not None
    ]
    raw["runs"] = []
    for setup in args.setup:
        dlp_results = [r for (s, _), r in dlp.items() if s == setup and r.dlp is not None]
        dlp_wall = [r.wall_seconds for r in dlp_results]
        lines.append(
            f"| {setup} | DLP bound (HiGHS, column generation) | 1 | | {len(dlp_results)} instances | | |"
            f" {np.mean(dlp_wall):.1f} per instance | {sum(r.cpu_seconds for r in dlp_results):.0f} | |"
        )
        for policy in args.policies:
            runs = [r for r in results if r.task.setup == setup and r.task.policy == policy and r.outcome]
            ratios = []
            for r in runs:
                assert r.outcome is not None
                bound = dlp[(setup, r.task.instance)].dlp
                assert bound is not None
                ratios.append(r.outcome.cost / bound.value)
                raw["runs"].append(
                    {
                        "setup": setup,
                        "policy": policy,
                        "instance": r.task.instance,
                        "sequence": r.task.sequence,
                        "dlp": bound.value,
                        "ratio": r.outcome.cost / bound.value,
                        "outcome": {**asdict(r.outcome), "methods": dict(r.outcome.methods)},
                        "task": asdict(r.task),
                        "wall_seconds": r.wall_seconds,
                        "cpu_seconds": r.cpu_seconds,
                    }
                )
            if not runs:
                continue
            mean, std = _mean_std(ratios)
            # sanity: the DLP bounds the expected cost; allow the sampling noise of the mean
            tolerance = max(1e-6, 3 * std / math.sqrt(len(ratios))) if len(ratios) > 1 else 0.02
            assert mean >= 1 - tolerance, f"{setup} {policy}: mean cost/DLP {mean:.4f} below the bound"
            outcomes = [r.outcome for r in runs if r.outcome is not None]
            lost = sum(o.lost_items for o in outcomes) / max(1, sum(o.items for o in outcomes))
            packages = sum(o.packages for o in outcomes) / max(1, sum(o.orders for o in outcomes))
            solves = sum(o.solves for o in outcomes)
            per_call = f"{1e3 * sum(o.solve_seconds for o in outcomes) / solves:.2f}" if solves else ""
            lines.append(
                f"| {setup} | {POLICY_NAMES[policy]} | {mean:.4f} | {std:.4f} | {len(ratios)} | {100 * lost:.2f}% |"
                f" {packages:.3f} | {np.mean([r.wall_seconds for r in runs]):.2f} |"
                f" {sum(r.cpu_seconds for r in runs):.1f} | {per_call} |"
            )
    lines += ["", "DLP per instance (value; Lagrangian lower bound from the last exact pricing; solve):", ""]
    for entry in raw["dlp"]:
        lines.append(
            f"- {entry['setup']} instance {entry['instance']}: {entry['value']:,.4f};"
            f" bound {entry['lower_bound']:,.4f};"
            f" {entry['seconds']:.1f}s wall, {entry['cpu_seconds']:.1f}s CPU, {entry['rounds']} rounds,"
            f" {entry['columns']:,} patterns ({entry['fractional_columns']:,} fractional) for a full LP of"
            f" {entry['full_columns']:,} columns"
        )
    lines += ["", "Seeds (instance seed; arrival seeds per sequence):", ""]
    for setup, entries in the_plan.seeds.items():
        for entry in entries:
            arrivals = ", ".join(str(s["arrival_seed"]) for s in entry["sequences"])
            lines.append(f"- {setup} instance {entry['instance']}: {entry['instance_seed']}; arrivals {arrivals}")
    methods: dict[str, dict[str, int]] = {}
    for r in results:
        if r.outcome is not None and r.outcome.solves:
            key = f"{r.task.setup} {r.task.policy}"
            for method, count in r.outcome.methods.items():
                methods.setdefault(key, {}).setdefault(method, 0)
                methods[key][method] += count
    if methods:
        lines += ["", "Optimiser paths taken (solve calls):", ""]
        lines += [f"- {key}: {dict(sorted(value.items()))}" for key, value in methods.items()]
    return "\n".join(lines), raw


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--setup", default="warmup,large", type=lambda s: s.split(","))
    parser.add_argument("--instances", type=int, default=10, help="warm-up instances")
    parser.add_argument("--sequences", type=int, default=3, help="warm-up arrival sequences per instance")
    parser.add_argument("--large-instances", type=int, default=1)
    parser.add_argument("--large-sequences", type=int, default=1)
    parser.add_argument("--seed", type=int, default=20261127)
    parser.add_argument("--policies", default=",".join(POLICIES), type=lambda s: s.split(","))
    parser.add_argument("--resolves", type=int, default=4, help="DLP re-solves per warm-up sequence (look-ahead)")
    parser.add_argument("--large-resolves", type=int, default=4, help="DLP re-solves per large sequence")
    parser.add_argument("--dual-scale", type=float, default=1.0, help="multiplier of the DLP dual prices")
    parser.add_argument("--workers", type=int, default=os.cpu_count() or 1)
    parser.add_argument("--json", type=Path, default=None, help="dump the raw results here")
    parser.add_argument(
        "--checkpoint", type=Path, default=None, help="append each result here; a re-run with it skips those tasks"
    )
    args = parser.parse_args()
    for setup in args.setup:
        assert setup in SETUPS, f"unknown setup {setup}"
    for policy in args.policies:
        assert policy in POLICIES, f"unknown policy {policy}"
    started = time.perf_counter()
    the_plan = plan(args)
    results = execute(the_plan.tasks, args.workers, args.checkpoint)
    wall = time.perf_counter() - started
    text, raw = report(args, the_plan, results, wall)
    print(text)
    if args.json is not None:
        args.json.write_text(json.dumps(raw, indent=1, default=str))


if __name__ == "__main__":
    main()
