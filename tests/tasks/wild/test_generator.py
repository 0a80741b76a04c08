"""The wild date generator (attnseq.tasks.wild): every question reads back to its answer,
every label is right, the same seed gives the same pairs, every locale Babel ships writes."""

import datetime as dt
import re
import unicodedata
from collections import Counter

import numpy as np
import pytest

pytest.importorskip("babel", reason="the locales extra (Babel) is not installed: "
                                    "pip install 'attnseq[locales]'")

from babel.dates import parse_date  # noqa: E402 - after the skip

from attnseq.core.errors import AttnseqError  # noqa: E402
from attnseq.tasks.cldr import LocaleFormat, parse_locale_question  # noqa: E402
from attnseq.tasks.dataset import encode_pairs  # noqa: E402
from attnseq.tasks.dates import FORMAT_NAMES, parse_question  # noqa: E402
from attnseq.tasks.wild import (  # noqa: E402
    MAX_QUESTION,
    WILD_LOCALES,
    generate_wild_dates,
    parse_wild_locales,
    relabel,
    wild_vocab,
)
from attnseq.tasks.wild.additions import (  # noqa: E402
    ADDITIONS,
    FILE_TYPES,
    Context,
    _clock,
    place_names,
    restyle_case,
)
from attnseq.tasks.wild.hints import pattern_order  # noqa: E402
from attnseq.tasks.wild.patterns import (  # noqa: E402
    BOOK,
    ERA,
    MACHINE,
    has_names,
    pattern_named,
    wild_patterns,
)

ISO = re.compile(r"\d{4}-\d{2}-\d{2}")


@pytest.fixture(scope="module")
def pairs():
    return generate_wild_dates(4000, seed=11)


@pytest.fixture(scope="module")
def new_forms():
    """The locales of the forms added for the wild test set's misses."""
    return generate_wild_dates(3000, ("en", "ja", "zh", "ko", "ar", "hi", "de"), seed=12)


def is_book(pair) -> bool:
    return pair.fmt.startswith("en_book_")


# The first day of each Japanese era (the facts, written here apart from the generator's).
ERA_STARTS = {"明治": dt.date(1868, 10, 23), "大正": dt.date(1912, 7, 30),
              "昭和": dt.date(1926, 12, 25), "平成": dt.date(1989, 1, 8),
              "令和": dt.date(2019, 5, 1)}
ERA_DATE = re.compile(r"(明治|大正|昭和|平成|令和)(元|\d+)年(\d+)月(\d+)日(?:\((.)\))?")
ERA_INITIAL = re.compile(r"([MTSHR])(\d{1,2})([./])(\d{1,2})\3(\d{1,2})")
INITIALS = {"M": "明治", "T": "大正", "S": "昭和", "H": "平成", "R": "令和"}
JA_WEEKDAYS = "月火水木金土日"


def read_era(body: str) -> dt.date:
    """A Japanese era date, checked to lie within its era."""
    m, short = ERA_DATE.fullmatch(body), ERA_INITIAL.fullmatch(body)
    assert m is not None or short is not None, body
    if m is not None:
        era, year, month, day, weekday = m.groups()
    else:
        era, year, _, month, day = short.groups()
        era, weekday = INITIALS[era], None
    start = ERA_STARTS[era]
    date = dt.date(start.year + (1 if year == "元" else int(year)) - 1, int(month), int(day))
    later = [s for s in ERA_STARTS.values() if s > start]
    assert start <= date < min(later, default=dt.date.max), body
    assert int(year if year != "元" else 1) <= 99, body
    assert weekday is None or JA_WEEKDAYS.index(weekday) == date.weekday(), body
    return date


def read_back(pair) -> dt.date:
    """The date the pair's body names, read by an implementation apart from the writer:
    strptime for the book's formats and the machines', the pattern's regular expression for
    CLDR's (with the names of the locale it writes them of), the era table above for eras."""
    pattern = pattern_named(pair.locale, pair.fmt)
    if pattern.kind == BOOK:
        return parse_question(pair.body, pair.fmt[len("en_book_"):])
    if pattern.kind == MACHINE:
        return dt.datetime.strptime(pair.body, pair.pattern).date()
    if pattern.kind == ERA:
        return read_era(pair.body)
    return parse_locale_question(pair.body, LocaleFormat(pair.fmt, pattern.names or pair.locale,
                                                         pair.pattern))


CJK_VALUES = {ch: k for k, ch in enumerate("〇一二三四五六七八九")} | {"零": 0}


def _cjk_number(m: re.Match) -> str:
    text = m.group(0)
    if "十" not in text:  # digit by digit
        return "".join(str(CJK_VALUES[ch]) for ch in text)
    tens, _, ones = text.partition("十")
    return str(10 * (CJK_VALUES[tens] if tens else 1) + (CJK_VALUES[ones] if ones else 0))


def ascii_numbers(text: str) -> str:
    """``text`` with native digits and CJK numerals as ASCII digits."""
    text = "".join(str(unicodedata.digit(ch)) if unicodedata.digit(ch, None) is not None
                   else ch for ch in text)
    return re.sub("[〇一二三四五六七八九零十]+(?=[年月日])", _cjk_number, text)


def fold(text: str) -> str:
    return " ".join(text.casefold().split())


def test_every_body_reads_back_to_the_answer_and_stands_in_its_question(pairs, new_forms):
    for p in [*pairs, *new_forms]:
        assert read_back(p).isoformat() == p.answer, p
        question = ascii_numbers(p.question) if {"numerals", "native_digits"} & set(p.added) \
            else p.question
        assert fold(p.body) in fold(question), p


def test_babels_parser_agrees_on_the_numeric_bodies(pairs):
    checked = 0
    for p in pairs:
        if pattern_named(p.locale, p.fmt).kind != "cldr" or pattern_order(p.pattern) is None \
                or "yy" in p.pattern or not p.body.isascii() or p.body.isdigit():
            continue
        back = parse_date(p.body, locale="en_US" if p.locale == "en" else p.locale,
                          format=p.pattern)
        assert back.isoformat() == p.answer, p
        checked += 1
    assert checked > 200


def test_labels_say_where_each_pair_came_from(pairs):
    names = {loc: {w.name for w in wild_patterns(loc)} for loc in WILD_LOCALES}
    for p in pairs:
        assert ISO.fullmatch(p.answer)
        assert p.fmt in names[p.locale]
        assert set(p.added) <= set(ADDITIONS) and len(set(p.added)) == len(p.added)
        assert (p.question == p.body) == (not p.added), p
        assert p.hint in (None, p.locale)
        assert 0 < len(p.question) <= MAX_QUESTION
    assert {p.locale for p in pairs} == set(WILD_LOCALES)
    assert set(ADDITIONS) == {a for p in pairs for a in p.added}


def test_years_span_1000_to_2999_and_two_digit_years_keep_the_window(pairs):
    years = [int(p.answer[:4]) for p in pairs]
    assert min(years) < 1100 and max(years) > 2900 and all(1000 <= y <= 2999 for y in years)
    for p in pairs:
        if re.search(r"(?<!y)yy(?!y)", p.pattern) or "%y" in p.pattern:
            assert 1969 <= int(p.answer[:4]) <= 2068, p


def test_the_forms_people_use_are_there(pairs):
    fmts = {p.fmt for p in pairs}
    added = " ".join(p.question for p in pairs if "time" in p.added or "iso_time" in p.added)
    english = {p.fmt for p in generate_wild_dates(2000, ("en",), seed=3)}
    assert {"en_ordinal5", "en_yyyymmdd", "en_yymmdd", "en_y-mmm-dd", "en_y_mmm_d"} <= english
    assert any(f.startswith("en_book_") for f in fmts)
    for piece in (r"\d:\d\d\b", r"\d:\d\d:\d\d", r"(?i)\d ?[ap]\.?m\.?", r"\dh\d\d",
                  r"\d時\d+分", r"\d (Uhr|uur|h|ч\.)", r"T\d\d:\d\d", r"\d(Z|[+-]\d\d:?\d\d)",
                  r" (UTC|GMT|EST|CET)"):
        assert re.search(piece, added), piece


def test_the_forms_of_the_wild_test_sets_misses_are_there(new_forms):
    fmts = Counter(p.fmt for p in new_forms)
    for fmt in ("ja_era", "ja_era_weekday", "ja_era_initial", "en_ctime", "en_apache",
                "en_rfc2822", "en_js", "en_screenshot", "de_camera", "en_mmm_d_'yy",
                "ko_'yy_m_d", "en_iso_basic", "ja_iso_basic", "en_mmm_dd_y", "en_mmmm_dd_y",
                "en_compact",
                "de_compact", "ja_yy_mm_dd.slash", "ko_yy_mm_dd.dash", "zh_yy_mm_dd.dot",
                "ar_long.levant"):
        assert fmts[fmt] > 0, fmt
    assert {p.pattern for p in new_forms if p.fmt in ("en_compact", "de_compact")} \
        == {"MMddyyyy", "ddMMyyyy"}
    questions = " ".join(p.question for p in new_forms)
    for piece in (r"(明治|大正|昭和|平成|令和)\d+年",
                  r"日\([月火水木金土日]\)", r"二〇[〇一二三四五六七八九]{2}年",
                  r"二零[零一二三四五六七八九]{2}年", r"[一二三]?十[一二三四五六七八九]?日",
                  r"(明治|大正|昭和|平成|令和)[一二三四五六七八九十]+年",
                  r"[A-Z][a-z]{2} [A-Z][a-z]{2} [ 123]\d \d\d:\d\d:\d\d \d{4}",
                  r"\[\d\d/[A-Z][a-z]{2}/\d{4}:\d\d:\d\d:\d\d [+-]\d{4}\]",
                  r"\d{8}T\d{6}Z",
                  "[٠-٩]{4}", "[०-९]{4}", "كانون الثاني|شباط|آذار|نيسان|أيار|حزيران"):
        assert re.search(piece, questions), piece


def test_native_digits_write_the_whole_question_in_ar_and_hi_alone(new_forms):
    native = [p for p in new_forms if "native_digits" in p.added]
    assert {p.locale for p in native} == {"ar", "hi"}
    assert not any(re.search("[0-9]", p.question) for p in native)
    for locale in ("ar", "hi"):
        mine = [p for p in new_forms if p.locale == locale]
        assert 0.2 < sum("native_digits" in p.added for p in mine) / len(mine) < 0.4


def test_levantine_month_names_are_a_share_of_ar_and_name_ar(new_forms):
    arabic = [p for p in new_forms if p.locale == "ar"]
    levant = [p for p in arabic if p.fmt.endswith(".levant")]
    assert 0.1 < len(levant) / len(arabic) < 0.4
    assert all(p.words == "ar" for p in levant)


def test_english_month_forms_and_case_reaching_them():
    english = generate_wild_dates(3000, ("en",), seed=5)
    bodies = {p.fmt: p.body for p in english}
    assert re.fullmatch(r"[A-Z][a-z]{2} \d\d \d{4}", bodies["en_mmm_dd_y"])
    assert re.fullmatch(r"\d{1,2}-[A-Z][a-z]{2}-\d\d", bodies["en_d-mmm-yy"])
    rng = np.random.default_rng(0)
    ctx = Context(dt.date(1989, 11, 9), "en", rng, False, False, False, False, [], [])
    assert "NOV 09 1989" in {restyle_case("Nov 09 1989", ctx) for _ in range(30)}
    cased = [p for p in english if "case" in p.added
             and p.fmt in ("en_mmm_dd_y", "en_mmmm_dd_y")]
    assert cased and all(fold(p.body) in fold(p.question) for p in cased)


def test_a_book_share_of_pairs_is_the_books_with_the_usual_hint_rule():
    book = generate_wild_dates(300, ("de", "en"), seed=8, book_share=1.0)
    assert all(is_book(p) and p.locale == "en" and relabel(p, p.hint) == p for p in book)
    assert 0.3 < sum(p.hint is None for p in book) / len(book) < 0.7
    # en's own patterns hold the book's too: of 2000 pairs, half are en's and half of those
    # the book's; a book share of 0.1 adds 0.1 x (1 - 0.25) of the pairs to them
    share = sum(map(is_book, generate_wild_dates(2000, ("de", "en"), seed=8))) / 2000
    none = sum(map(is_book, generate_wild_dates(2000, ("de", "en"), seed=8, book_share=0))) \
        / 2000
    assert 0.2 < none < 0.3 and 0.03 < share - none < 0.13
    assert not any(map(is_book, generate_wild_dates(300, ("de",), seed=8, book_share=1.0)))


def test_a_bad_book_share_is_refused():
    with pytest.raises(AttnseqError, match=r"^the book share must be in \[0, 1\], got -0.1$"):
        generate_wild_dates(3, seed=0, book_share=-0.1)


def test_an_era_share_of_pairs_is_japanese_eras():
    def eras(pairs):
        return sum(p.fmt.startswith("ja_era") for p in pairs) / len(pairs)

    assert eras(generate_wild_dates(300, ("de", "ja"), seed=8, era_share=1.0)) == 1.0
    # of 4000 pairs of de and ja, ja's own era forms are 3 of its 26 patterns: 1 in 17; a
    # share of 0.2 adds 0.2 x (1 - 1/17) of the pairs to them
    none = eras(generate_wild_dates(4000, ("de", "ja"), seed=8, era_share=0))
    some = eras(generate_wild_dates(4000, ("de", "ja"), seed=8, era_share=0.2))
    assert 0.03 < none < 0.08 and 0.15 < some - none < 0.23
    assert eras(generate_wild_dates(300, ("de",), seed=8, era_share=1.0)) == 0.0
    mixed = generate_wild_dates(400, ("en", "ja"), seed=8, book_share=0.5, era_share=1.0)
    assert 0.4 < sum(map(is_book, mixed)) / 400 < 0.6 and eras(mixed) > 0.4
    with pytest.raises(AttnseqError, match=r"^the era share must be in \[0, 1\], got 2$"):
        generate_wild_dates(3, seed=0, era_share=2)


def test_words_and_file_names_around_a_date():
    pairs = generate_wild_dates(6000, ("fr", "de", "ja"), seed=4)
    worded = [p for p in pairs if "words" in p.added]
    filed = [p for p in pairs if "file" in p.added]
    assert worded and filed
    for p in worded:  # a place's name of the locale before or after the date's text
        names = "|".join(map(re.escape, place_names(p.locale)))
        assert re.search(f"(?i)({names})", p.question), p
    # the places name no locale: a numeric date beside them is read in the default order
    numeric = [p for p in worded if not has_names(pattern_named(p.locale, p.fmt), p.pattern)
               and not set(p.added) & {"weekday", "filler", "time"}]
    assert numeric and all(p.words is None for p in numeric)
    for p in filed:  # name_yyyyMMdd.ext, the body compact
        assert p.pattern == "yyyyMMdd" and re.search(
            rf"[_\- ]{re.escape(p.body)}\.({'|'.join(map(re.escape, FILE_TYPES))})", p.question,
            re.IGNORECASE), p
    assert not [p for p in pairs if "file" in p.added and p.pattern != "yyyyMMdd"]


def test_questions_without_a_hint_read_right_by_the_default(pairs):
    """The hint is there where the default would read another date; relabelling a pair with
    its own hint changes nothing."""
    for p in pairs:
        assert relabel(p, p.hint) == p
    assert 0.3 < sum(p.hint is None for p in pairs) / len(pairs) < 0.7


def test_the_same_seed_gives_the_same_pairs():
    assert generate_wild_dates(50, seed=5) == generate_wild_dates(50, seed=5)
    assert generate_wild_dates(50, seed=5) != generate_wild_dates(50, seed=6)


def test_every_locale_babel_ships_writes_dates_that_read_back():
    pairs = generate_wild_dates(600, "all", seed=2)
    assert len({p.locale for p in pairs}) > 300
    for p in pairs:
        assert read_back(p).isoformat() == p.answer, p


@pytest.mark.parametrize(("locales", "message"), [
    ("en,xx", "unknown locale 'xx': CLDR has no such locale (e.g. en, ko, ja, de, fr, es)"),
    ("de,de", "locale 'de' is listed twice"),
    (" , ", "no locales given, e.g. --locales en,de,ja"),
])
def test_bad_locales_are_one_line_errors(locales, message):
    with pytest.raises(AttnseqError) as err:
        parse_wild_locales(locales)
    assert str(err.value) == message


def test_a_bad_hint_share_is_refused():
    with pytest.raises(AttnseqError, match=r"^the hint share must be in \[0, 1\], got 2$"):
        generate_wild_dates(3, seed=0, hint_share=2)


def test_all_hints_or_none_where_the_default_reads_right():
    hinted = generate_wild_dates(300, ("en", "de"), seed=4, hint_share=1.0)
    assert all(p.hint == p.locale for p in hinted)
    bare = generate_wild_dates(300, ("en",), seed=4, hint_share=0.0)
    assert all(p.hint is None for p in bare)  # US English: the default is its own order


def test_known_names_of_formats_are_kept():
    assert {f"en_book_{name}" for name in FORMAT_NAMES} <= {w.name for w in wild_patterns("en")}


def test_the_vocabulary_holds_the_common_characters_and_a_hint_per_locale(pairs):
    vocab = wild_vocab(pairs, WILD_LOCALES)
    assert vocab.unknown == "unk" and vocab.hints == WILD_LOCALES
    assert set("0123456789-/.:") <= set(vocab.tokens) and "月" in vocab and "é" in vocab
    counts = Counter(ch for p in pairs for ch in p.question + p.answer)
    rare = [ch for ch, k in counts.items() if k < 10]
    assert rare and not any(ch in vocab for ch in rare)
    ids = vocab.encode("☃ 03/04/2005", part="question", hint="en_GB")
    assert ids[0] == vocab.hint_id("en_GB") and ids[1] == vocab.unk_id and vocab.unk_id \
        not in ids[2:]


def test_questions_of_64_characters_encode_with_their_hint(pairs):
    vocab = wild_vocab(pairs, WILD_LOCALES)
    long = ("Saturday, 9 May 2037 at 15:28:53 +0300 " * 2)[:MAX_QUESTION]
    xs, _ = encode_pairs([(long, "2037-05-09")], vocab, question_len=MAX_QUESTION + 1,
                         answer_len=10, hints=["en_GB"])
    assert xs.shape == (1, MAX_QUESTION + 1) and vocab.pad_id not in xs
    assert xs[0, 0] == vocab.hint_id("en_GB") or xs[0, -1] == vocab.hint_id("en_GB")


def test_one_time_of_day_to_a_question():
    both = [p for p in generate_wild_dates(20000, ("en", "de", "fr"), seed=9)
            if "time" in p.added and "iso_time" in p.added]
    assert both == []
    iso = [p for p in generate_wild_dates(4000, ("en",), seed=9) if "iso_time" in p.added]
    assert iso and all(re.search(r"(?i)T\d\d:\d\d", p.question) for p in iso)


def test_a_bare_h_in_a_time_names_no_language():
    """`18h30` is written in every language (the style h_m): it leaves the default order to
    the rest of the question; `12 Uhr` names German."""
    rng = np.random.default_rng(0)
    seen = set()
    for locale in ("fr", "pt", "de", "ru"):
        for _ in range(40):
            words: list[str] = []
            ctx = Context(dt.date(1989, 11, 9), locale, rng, False, False, False, False, words,
                          [])
            clock = _clock(ctx)
            named = re.search(r"Uhr|uur|ore |godz|ч", clock) is not None
            if re.fullmatch(r"\d{1,2} ?h(?: ?\d\d)?", clock):
                assert words == [], clock
                seen.add("bare h")
            elif named:
                assert words == [locale], clock
                seen.add("word")
    assert seen == {"bare h", "word"}
