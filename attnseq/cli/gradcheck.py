"""``attnseq gradcheck``: every layer's and model's gradients against central differences."""

from __future__ import annotations

from attnseq.cli.options import non_negative_int_option, positive_float_option


def add_parser(sub) -> None:
    p = sub.add_parser("gradcheck", help="check every layer's and model's gradients",
                       description="Compare every layer's and model's backward pass with "
                       "central differences in float64; print the worst relative error of "
                       "each, and fail if any is above --tol.")
    p.add_argument("--tol", type=positive_float_option, default=1e-6, help="default: 1e-6")
    p.add_argument("--seed", type=non_negative_int_option, default=0,
                   help="seed of the checks' random inputs and weights (default: %(default)s)")
    p.set_defaults(func=run)


def run(args) -> int:
    from attnseq.gradcheck.cases import all_cases
    from attnseq.gradcheck.checker import check

    worst_all = 0.0
    cases = all_cases(args.seed)
    width = max(len(case.name) for case in cases)  # names in one column
    for case in cases:
        errors = check(case)
        worst = max(errors.values(), default=0.0)
        worst_all = max(worst_all, worst)
        status = "ok" if worst < args.tol else "FAIL"
        print(f"{case.name:<{width}} worst relative error {worst:.2e}  {status}")
    print(f"worst overall {worst_all:.2e} (tolerance {args.tol:.0e})")
    return 0 if worst_all < args.tol else 1
