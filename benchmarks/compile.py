"""Compiling a workflow (body run once with futures, every channel type-checked) against
building the same graph with raw ``dask.delayed``, in one run. Nothing executes on either side.

    python benchmarks/compile.py [--sizes 100 1000] [--repeat 5]
"""

from __future__ import annotations

import argparse
import time

from dask import delayed

from flowlab import Output, operator, types, workflow


@operator(
    input_schema=types.Schema(a=types.INTEGER, b=types.INTEGER),
    returns=types.Schema(total=types.INTEGER),
)
def add(a, b):
    return Output(total=a + b)


@workflow(returns=types.Schema(total=types.INTEGER))
def chain(n: int = 10):
    x = add(a=1, b=2).total
    for _ in range(n - 1):
        x = add(a=x, b=1).total
    return Output(total=x)


def plain_add(a, b):
    return a + b


def raw_chain(n: int):
    x = delayed(plain_add)(1, 2)
    for _ in range(n - 1):
        x = delayed(plain_add)(x, 1)
    return x


def best_of(repeat: int, fn) -> float:
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return min(times)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--sizes", type=int, nargs="+", default=[100, 1000])
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()
    chain.compile(n=2)  # warm up: operator versions are hashed once
    print(f"{'operators':>10} {'flowlab compile ms':>19} {'dask.delayed ms':>16} {'per op µs':>10}")
    for n in args.sizes:
        flow = best_of(args.repeat, lambda n=n: chain.compile(n=n))
        raw = best_of(args.repeat, lambda n=n: raw_chain(n))
        print(f"{n:>10} {flow * 1e3:>19.1f} {raw * 1e3:>16.1f} {flow / n * 1e6:>10.1f}")


if __name__ == "__main__":
    main()
