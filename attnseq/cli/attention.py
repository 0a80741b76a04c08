"""``attnseq attention``: draw a saved attention model's weights as heatmaps."""

from __future__ import annotations

from attnseq.cli.options import add_beam_options, beam_search, path_option


def add_parser(sub) -> None:
    p = sub.add_parser("attention", help="draw an attention model's weights as heatmaps",
                       description="Convert each TEXT with an attention model and draw its "
                       "attention weights (the book's Figure 8-27): input characters along x "
                       "in reading order, output characters along y, one panel per TEXT.")
    p.add_argument("model_dir", metavar="MODEL_DIR", type=path_option)
    p.add_argument("texts", metavar="TEXT", nargs="+")
    p.add_argument("--out", metavar="FILE", type=path_option, required=True,
                   help="image to write: .png (or .svg, .pdf)")
    p.add_argument("--heads-grid", metavar="FILE", type=path_option, default=None,
                   help="transformer only: also draw the first TEXT's attention per layer and "
                        "per head into FILE (greedy decoding): a row per layer of encoder "
                        "self-attention, decoder self-attention and cross-attention, a column "
                        "per head. --out shows the last decoder layer's cross-attention "
                        "averaged over heads")
    add_beam_options(p)
    p.set_defaults(func=run)


def run(args) -> int:
    from attnseq.experiments.converter import Converter
    from attnseq.experiments.viz import attention_figure, heads_figure, save_figure

    conv = Converter.load(args.model_dir)
    heads = conv.attention_heads(args.texts[:1]) if args.heads_grid else None  # refuse early
    fig, maps = attention_figure(conv, args.texts, search=beam_search(args, conv))
    save_figure(fig, args.out)
    if heads:
        save_figure(heads_figure(heads[0], f"{args.texts[0]!r}"), args.heads_grid)
        print(f"wrote {args.heads_grid}")
    for text, m in zip(args.texts, maps, strict=True):
        print(f"{text} -> {conv.vocab.join(m.outputs)}")
    print(f"wrote {args.out}")
    return 0
