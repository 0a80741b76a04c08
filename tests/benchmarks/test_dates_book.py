"""benchmarks/dates_book.py: its counting, and a bad model name in one line."""

from benchmarks.dates_book import exact_match, main


def test_exact_match_counts_right_abstained_and_keeps_examples_of_the_wrong():
    pairs = [("9/8/97", "1997-09-08", "f"), ("8/9/97", "1997-08-09", "f"),
             ("jun 1, 2001", "2001-06-01", "g"), ("x", "2001-01-01", "h")]
    table = {"9/8/97": "1997-09-08", "8/9/97": "1997-09-08", "jun 1, 2001": "2001-06-01"}
    result = exact_match(lambda texts: [table.get(t) for t in texts], pairs)
    assert (result["right"], result["total"], result["abstained"]) == (2, 4, 1)
    assert result["wrong"] == [("8/9/97", "1997-08-09", "1997-09-08"),
                               ("x", "2001-01-01", None)]


def test_a_model_that_is_not_there_is_one_line_and_exit_2(tmp_path, capsys):
    assert main(["--model", str(tmp_path / "nowhere"), "--samples", "5"]) == 2
    assert capsys.readouterr().err == (f"python -m benchmarks.dates_book: error: no model "
                                       f"directory at {tmp_path / 'nowhere'}\n")
