"""``attnseq import-book``: load parameters that the book's own code trained.

The work is ``attnseq.experiments.book_import.import_book``; a user error is one line and exit
code 2 (``AttnseqError``, reported by ``attnseq.cli.main``).
"""

from __future__ import annotations

from attnseq.cli.options import path_option


def add_parser(sub) -> None:
    """Add the ``import-book`` command to ``sub`` (``attnseq.cli``'s subparsers)."""
    from attnseq.experiments.book_import import BOOK_MODELS

    p = sub.add_parser(
        "import-book", help="load the parameters the book's own code trained",
        description="Read PARAMS.pkl, the pickle that the book's BaseModel.save_params writes "
        "(ch08/train.py of Deep Learning from Scratch 2), and save it as an attnseq model "
        "directory that 'attnseq convert' and 'attnseq eval' run as the book's code does "
        "(reversed input, greedy decoding of the answer's fixed width). Only NumPy arrays are "
        "read from the pickle: any other object it names is refused and nothing in it is "
        "executed. The vocabulary is rebuilt from DATA.txt, the file the model was trained on, "
        "as the book's dataset/sequence.py builds it.")
    p.add_argument("params", metavar="PARAMS.pkl", type=path_option,
                   help="the book's saved parameters")
    p.add_argument("--data", metavar="DATA.txt", type=path_option, required=True,
                   help="the data file the model was trained on (the book's format)")
    p.add_argument("--out", metavar="DIR", type=path_option, required=True,
                   help="model directory to write")
    p.add_argument("--model", choices=BOOK_MODELS, default=BOOK_MODELS[0],
                   help="which of the book's models saved PARAMS.pkl (default: %(default)s)")
    p.set_defaults(func=run)


def run(args) -> int:
    from attnseq.experiments.book_import import import_book
    from attnseq.models.config import Seq2seqConfig
    from attnseq.tasks.vocab import SPECIAL_TOKENS

    conv = import_book(args.params, args.data, args.out, model=args.model)
    config, V = conv.config, len(conv.vocab) - len(SPECIAL_TOKENS)
    if not isinstance(config, Seq2seqConfig):  # the book's models are all of this family
        raise TypeError(f"import_book built a {config.family} model")
    print(f"saved the book's {config.model} model (V={V} characters, "
          f"D={config.wordvec_size}, H={config.hidden_size}) to {args.out}")
    return 0
