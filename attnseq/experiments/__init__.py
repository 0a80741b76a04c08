"""The chapter's evaluation as runs, comparisons and figures.

    run.py        Task (what to learn) and run (one training run, saved)
    compare.py    several models trained alike (Figure 8-26)
    converter.py  Converter: a saved model with its vocabulary, converting strings
    viz.py        figures: accuracy curves, attention heatmaps (Figure 8-27), heads
"""
