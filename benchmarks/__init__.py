"""attnseq's benchmark harness (issue 5): speed, memory and time to accuracy, with targets.

Run it as ``python -m benchmarks`` from the repository root (``--help`` lists the options);
see ``benchmarks/README.md`` for what each number means. The modules, one measurement each:

    flops             analytic matmul FLOPs of a training step, and a brute-force counter
    workload          settings, the date workload, one training step, thread count
    throughput        training samples/s, s/epoch, GFLOP/s; batched vs one-at-a-time decoding
    torch_peer        the same model in PyTorch (only when torch is importable)
    memory            peak RSS of a short training run in a child process
    scaling           cost per example as input length and batch size grow, with charts
    time_to_accuracy  seconds and examples until test exact match reaches a target
    report            the table of ratios against the targets, and the JSON
    harness           runs the chosen measurements

and commands of their own: recipes, variants, beam, and transformer (the Transformer beside
its PyTorch peer, transformer_peer, with the FLOPs of transformer_flops).

This package is not part of the installed library and not part of the test suite (one smoke
test, ``tests/test_benchmarks_smoke.py``, runs it at tiny sizes).
"""
