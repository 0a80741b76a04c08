"""``attnseq serve``: the attention explorer in the browser (the optional serve extra)."""

from __future__ import annotations

from attnseq.cli.options import path_option
from attnseq.core.errors import AttnseqError
from attnseq.core.option_types import option_type


def _port_number(name: str, value: int) -> int:
    if not 0 <= value <= 65535:
        raise ValueError(f"{name} must be from 0 to 65535")
    return value


# A TCP port number, else a one-line usage error.
port = option_type(int, _port_number, "a port from 0 to 65535")


def add_parser(sub) -> None:
    p = sub.add_parser("serve", help="explore models' attention in the browser",
                       description="Serve the attention explorer: a local web page that "
                       "converts what you type with each MODEL_DIR's model and shows the "
                       "outputs, their attention heatmaps (per layer and head for a "
                       "Transformer) and beam-search alternatives, beside a JSON API "
                       "(POST /api/convert). Needs the serve extra: pip install "
                       "'attnseq[serve]'. Ctrl-C stops it.")
    p.add_argument("model_dirs", metavar="MODEL_DIR", nargs="+", type=path_option)
    p.add_argument("--host", default="127.0.0.1",
                   help="address to listen on (default: %(default)s, this machine only)")
    p.add_argument("--port", type=port, default=8000,
                   help="TCP port, 0 for any free one (default: %(default)s)")
    p.add_argument("--allow-host", action="append", default=[], metavar="NAME",
                   help="also answer requests addressed to NAME (a host name or address, "
                   "the part of the URL before the port): for a deliberate --host other "
                   "than loopback; repeatable. Loopback names and the --host address are "
                   "always answered, any other Host is refused (DNS rebinding)")
    p.set_defaults(func=run)


def run(args) -> int:
    from attnseq.serve import missing_dependency

    missing = missing_dependency()
    if missing:
        raise AttnseqError(f"serve needs {missing}, which is not installed: "
                           "pip install 'attnseq[serve]'")
    from attnseq.serve.explorer import load_explorers
    from attnseq.serve.server import serve

    serve(load_explorers(args.model_dirs), args.host, args.port, allow_hosts=args.allow_host)
    return 0
