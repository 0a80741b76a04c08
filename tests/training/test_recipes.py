"""Training recipes, and how the command line turns ``--recipe`` and its overrides into configs."""

from dataclasses import asdict

import pytest

from attnseq import cli
from attnseq.cli.training_options import training_setup
from attnseq.core.errors import AttnseqError
from attnseq.models.config import Seq2seqConfig, TransformerConfig
from attnseq.training.recipes import BOOK_TRAIN, RECIPES, get_recipe
from attnseq.training.trainer import TrainConfig


def test_the_default_recipe_is_what_the_configs_default_to():
    default = get_recipe("default")
    assert default.train == TrainConfig()
    assert default.init == Seq2seqConfig().init == "default"
    assert default.train.final_lr is not None and default.train.final_lr < default.train.lr


def test_the_book_recipe_is_the_books_experiment():
    book = get_recipe("book")
    assert book.init == "book"
    assert (book.train.epochs, book.train.batch_size, book.train.lr, book.train.max_grad_norm,
            book.train.final_lr, book.train.optimizer) == (10, 128, 1e-3, 5.0, None, "adam")
    assert book.train is BOOK_TRAIN


def test_apply_sets_init_and_train_changes_and_keeps_the_rest():
    model, train = get_recipe("book").apply(Seq2seqConfig(hidden_size=32, score="general"),
                                            seed=4, epochs=2)
    assert (model.init, model.hidden_size, model.score) == ("book", 32, "general")
    assert asdict(train) == {**asdict(BOOK_TRAIN), "seed": 4, "epochs": 2}


def test_unknown_recipe():
    with pytest.raises(AttnseqError) as info:
        get_recipe("fast")
    assert str(info.value) == ("unknown recipe 'fast'; choose from default, book, transformer, "
                               "wild")
    assert list(RECIPES) == ["default", "book", "transformer", "wild"]


def configs(*argv):
    """(model config, train config) that ``attnseq train|compare ARGV`` would use."""
    args = cli.build_parser().parse_args(["train", *argv] if argv[:1] != ("compare",)
                                         else list(argv))
    _, model, train = training_setup(args, "attention")
    return model, train


def test_cli_train_defaults_to_the_default_recipe():
    model, train = configs("--samples", "20")
    assert model.init == "default" and train == TrainConfig()


def test_cli_compare_defaults_to_the_book_recipe():
    model, train = configs("compare", "--samples", "20")
    assert model.init == "book" and train == BOOK_TRAIN


def test_cli_options_override_single_settings_of_the_recipe():
    model, train = configs("--samples", "20", "--recipe", "book", "--init", "default",
                           "--lr", "0.002", "--final-lr", "0.0001", "--epochs", "3",
                           "--batch-size", "32", "--clip", "1.5", "--seed", "7")
    assert model.init == "default"
    assert asdict(train) == {**asdict(BOOK_TRAIN), "lr": 0.002, "final_lr": 0.0001,
                             "epochs": 3, "batch_size": 32, "max_grad_norm": 1.5, "seed": 7}
    model, train = configs("--samples", "20", "--batch-size", "16")
    assert asdict(train) == {**asdict(TrainConfig()), "batch_size": 16}


@pytest.mark.parametrize("argv, message", [
    (["--recipe", "fast"], "argument --recipe: invalid choice: 'fast'"),
    (["--final-lr", "0"], "argument --final-lr: expected a positive number, got '0'"),
])
def test_bad_recipe_options_are_one_line(argv, message, capsys):
    with pytest.raises(SystemExit) as info:
        cli.build_parser().parse_args(["train", *argv])
    assert info.value.code == 2
    err = capsys.readouterr().err  # (how argparse lists the choices varies by Python version)
    assert err.startswith(f"attnseq train: error: {message}") and err.count("\n") == 1
    assert err.endswith(" (see attnseq train --help)\n")


def test_each_model_has_its_default_recipe():
    from attnseq.training.recipes import default_recipe

    assert default_recipe("transformer") == "transformer"
    assert default_recipe("attention") == default_recipe("gnmt") == "default"
    _, train = get_recipe("transformer").apply(TransformerConfig())
    assert (train.schedule, train.lr, train.final_lr, train.decay_epochs) == (
        "linear", 2e-3, 1e-4, train.epochs)  # falling over the whole run


def test_the_wild_recipe_sizes_the_model_unless_an_option_says_otherwise():
    model, train = configs("--recipe", "wild", "--samples", "20")
    assert (model.wordvec_size, model.hidden_size, model.encoder) == (64, 384, "bi")
    assert (train.epochs, train.batch_size, train.lr, train.final_lr) == (12, 128, 3e-3, 2e-4)
    model, _ = configs("--recipe", "wild", "--hidden-size", "64", "--samples", "20")
    assert (model.wordvec_size, model.hidden_size) == (64, 64)
    model, _ = configs("--samples", "20")
    assert (model.wordvec_size, model.hidden_size, model.encoder) == (16, 256, "uni")
