"""Plain numbers: integers, decimals, separators, percentages, roundings, near misses."""

from tests.grading_cases import BARE_ANSWER_WHY, Case

SETTINGS = ("full_text", "boxed")
FULL_TEXT_WHY = BARE_ANSWER_WHY

CASES = [
    # how the same number is written
    Case("5", "5", True),
    Case("5", "5.0", True),
    Case("5", "5.00", True),
    Case("070", "70", True),  # AIME golds are zero-padded
    Case("70", "070", True),
    Case("142.0", "142", True),  # AMC golds are floats
    Case("0.5", ".5", True),
    Case(
        "-7",
        "- 7",
        True,
        why="robust: a spaced minus sign is still -7; Math-Verify's text extractor takes 7 alone",
    ),
    Case(
        "12",
        "12.",
        True,
        why="robust: a full stop after the answer is punctuation; Math-Verify's LaTeX parser gives up on '12.'",
    ),
    Case("0", "-0", True),
    Case("1000", "1,000", True),
    Case("1000000", "1,000,000", True),
    Case("10080", "10,080", True),
    Case(
        "1000",
        "1\\,000",
        True,
        why="robust: LaTeX's thin space is a thousands separator; Math-Verify reads 1 (text) or 1*0 (boxed)",
    ),
    Case(
        "1000",
        "1{,}000",
        True,
        why="robust: {,} is LaTeX's thousands comma; Math-Verify's text extractor stops at the brace and takes 1",
    ),
    Case(
        "10080",
        "10 080",
        True,
        why="robust: a space between digit groups separates thousands (SI style); Math-Verify's LaTeX parser adds 10 and 080 (90)",
    ),
    Case("5", "five", True, why="robust reads number words; Math-Verify reads letters"),
    Case("21", "twenty-one", True, why="as five"),
    # decimal commas
    Case("0.111", "0,111", True),
    Case(
        "2.5",
        "2,5",
        True,
        why="robust: against a gold written with a point, '2,5' is a decimal comma; Math-Verify reads the boxed '2,5' as the set {2, 5}",
    ),
    Case(
        "0.5",
        "0,50",
        True,
        why="robust: a decimal comma (see 2,5); Math-Verify reads the boxed '0,50' as a set",
    ),
    Case("25", "2,5", False),
    # scientific notation
    Case(
        "0.00002",
        "2e-5",
        True,
        why="robust: e-notation; Math-Verify takes 2 from the text and 2e-5 as 2*E-5 in LaTeX",
    ),
    Case(
        "1500",
        "1.5\\times 10^{3}",
        True,
        why="robust reads the bare answer whole; Math-Verify's text extractor takes only '10' from LaTeX outside $...$",
    ),
    Case("1.5 \\times 10^{3}", "1500", True),
    Case("2\\times10^{-5}", "0.00002", True),
    Case("1500", "1.5\\times 10^{4}", False),
    # money
    Case("\\$5", "5", True),
    Case(
        "5",
        "\\$5.00",
        True,
        why="robust drops the escaped dollar sign; Math-Verify extracts nothing from '\\$5.00' as plain text",
    ),
    Case("18.90", "\\$18.90", True, why="as \\$5.00: robust right, Math-Verify extracts nothing"),
    Case("18.90", "18.9", True),
    # percentages
    Case("28\\%", "28\\%", True),
    Case("28\\%", "28%", True),
    Case("28\\%", "28 percent", True),
    Case("28\\%", "28 pct", True),
    Case("28\\%", "28 percentage", True),
    Case("28", "28\\%", True),  # "what percent ...": gold without the sign
    Case("28\\%", "0.28", True),
    Case("50\\%", "\\frac{1}{2}", True),
    Case("28\\%", "2800", False),
    Case("28\\%", "0.0028", False),
    # Qwen's math_equal false positives (percentage leniency, 1e-4 tolerance)
    Case("3", "300", False),
    Case("50", "0.5", False),
    Case("0.5", "50", False),
    Case("1000", "1000.0001", False),
    Case("3", "3.5", False),
    Case("7", "-7", False),
    # Math-Verify's false positives (floats rounded to 6 decimals, chop)
    Case(
        "\\frac{1}{2004!}",
        "\\frac{1}{2006!}",
        False,
        why="robust: different numbers at 60 digits; Math-Verify's evalf with chop calls both 0 (boxed)",
    ),
    Case(
        "1/2^{99}",
        "1/2^{98}",
        False,
        why="robust: exact rationals differ; Math-Verify chops both to 0 (boxed)",
    ),
    Case("1-\\frac{1}{e}", "1+\\frac{1}{e}", False),
    Case("2^{100}", "2^{100}+1", False),
    Case("10^{-7}", "0", False),
    Case(
        "0.0000001",
        "0.0000002",
        False,
        why="robust: two different decimals; Math-Verify rounds both to 6 decimals (0 = 0)",
    ),
    # floats that round (or truncate) the exact value, with enough digits
    Case("\\frac{1}{12}", "0.0833333333333333", True),
    Case("\\frac{1}{12}", "0.083333", True),
    Case("\\frac{1}{12}", "0.08333", False),  # four significant digits: too few to tell from a near miss
    Case("\\frac{1}{12}", "0.083", False),
    Case("\\frac{1}{12}", "0.08334", False),
    Case("\\frac{1}{3}", "0.33", False),
    Case("\\frac{1}{3}", "0.3333333333", True),
    Case("\\frac{2}{3}", "0.6666666667", True),
    Case("\\frac{2}{3}", "0.6666666666", True),
    Case("\\frac{2}{3}", "0.67", False),
    Case("\\sqrt{2}", "1.41421356", True),
    Case("\\sqrt{2}", "1.414", False),
    Case("\\pi", "3.14", False),
    Case("\\pi", "3.14159265", True),
    Case(
        "1/2^{99}",
        "1.5777218104420236e-30",
        True,
        why="robust: the float rounds 2^-99 at its 16th digit; Math-Verify reads the e as Euler's number",
    ),
    Case("1/2^{98}", "1.5777218104420236e-30", False),
    Case("0.0833333333333333", "\\frac{1}{12}", True),  # a float gold against the exact answer
    # fractions
    Case("0.25", "\\frac{1}{4}", True),
    Case("\\frac{1}{4}", "1/4", True),
    Case("\\frac{3}{4}", "\\frac{6}{8}", True),
    Case("\\frac{1}{2}", "0.5", True),
    Case(
        "4",
        "\\sqrt{16}",
        True,
        why="robust reads the bare answer; Math-Verify's text extractor finds nothing in '\\sqrt{16}' outside $...$",
    ),
    Case("\\frac{1}{2}", "\\frac{1}{3}", False),
    Case(
        "\\frac{7}{2}",
        "3\\frac{1}{2}",
        True,
        why="robust: a mixed number, read whole; Math-Verify's text extractor takes only \\frac{1}{2}",
    ),
    Case("\\frac{7}{2}", "3 \\frac{1}{2}", True, why="as 3\\frac{1}{2}"),
]
