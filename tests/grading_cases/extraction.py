"""Where the answer is in a whole response: boxes, anchors, final math, answer tags, bare answers."""

from tests.grading_cases import Case

SETTINGS = ("full_text",)

_LOOP = "Compute $99^2+99+1$ in your head.\n" * 30  # a base model restating the problem to its length limit
_LOOP_ANSWERED = "The polygon has 15 sides.\n" * 30

CASES = [
    # boxes
    Case("5", "So the answer is $\\boxed{5}$.", True),
    Case(
        "6",
        "First \\boxed{5}, but correcting the sign error: \\boxed{6}.",
        True,
        why="robust: the last box is the final answer; Math-Verify takes its first box match from the left",
    ),
    Case("5", "First \\boxed{5}, but correcting the sign error: \\boxed{6}.", False),
    Case(
        "7",
        "The result is \\fbox{7}.",
        True,
        why="robust reads \\fbox like \\boxed (the paper's extractor does); Math-Verify does not",
    ),
    Case("5", "Hence $\\boxed 5$.", True),
    Case("\\frac{1}{2}", "We get \\boxed{\\frac{1}{2}}.", True),
    Case("x^2+1", "The polynomial is \\boxed{x^{2}+1}.", True),
    Case("34", "\\boxed{\\text{Final Answer: The largest } n \\text{ is } 34}", False),
    Case("34", "\\boxed{Final Answer: The largest $n$ is 34.}", True),
    Case(
        "12",
        "Adding the terms, we get \\boxed{12",
        False,
        why="decision: a response cut off inside its box gave no complete answer (it could have been"
        " \\boxed{125}); robust grades it wrong, Math-Verify reads 12",
    ),
    Case("12", "Adding the terms, we get \\boxed{12}", True),
    # answer anchors
    Case("42", "The answer is 42.", True),
    Case("42", "The answer is: 42", True),
    Case("34", "Final Answer: The largest $n$ is 34.", True),
    Case("\\frac{3}{4}", "Final Answer: The final answer is $\\frac{3}{4}$. I hope it is correct.", True),
    Case("17", "**Answer:** 17", True),
    Case("12", "Answer: 12 apples", True),
    Case("9", "So the answer to the question is 9.", True),
    Case("3", "Therefore, the answer is $x = 3$.", True),
    Case(
        "\\frac{1}{4}",
        "The answer is \\(\\frac{1}{4}\\), since each of the 4 parts is equal.",
        True,
        why="robust: the math right after the anchor; Math-Verify takes the later plain number 4",
    ),
    Case("60", "The answer is 60 handshakes. Each of the six witches shakes 10 hands.", True),
    Case("5", "The answer is not 4. After fixing the error, the answer is 5.", True),
    Case("28\\%", "The answer is 28 percent of the total.", True),
    Case(
        "B",
        "The answer is (B).",
        True,
        why="robust reads the text after the anchor; Math-Verify's default extraction has no choice letters",
    ),
    Case(
        "\\text{Evelyn}",
        "The answer is Evelyn.",
        True,
        why="robust: a word after the anchor; Math-Verify reads letters as a product of symbols",
    ),
    # the last math environment, when it ends the response
    Case("34", "So we get $n = 34$.", True),
    Case("34", "Therefore \\[n = 34\\]", True),
    Case("\\frac{1}{2}", "Thus the probability is \\(\\frac{1}{2}\\).", True),
    Case("\\frac{\\sqrt{21}}{5}", "By the Pythagorean theorem, $\\sin{T}=\\frac{\\sqrt{21}}{5}$.", True),
    Case("65", "$V = \\frac{1}{3} \\times 30 \\times 6.5 = 65$", True),
    Case("2, 3", "The solutions are $x = 2$ and $x = 3$.", True),
    Case("-2, 2", "So $x = 2$ or $x = -2$.", True),
    Case("x^2+y^2=25", "The circle is $x^2 + y^2 = 25$.", True),
    Case("\\frac{1}{585}", "Therefore, the eighth term of the sequence is $\\frac{1}{585}$.", True),
    Case("12", "Let $x$ be the number. Then $x + 3 = 15$, so $x = 12$.", True),
    # an answer inside a sentence, no markup
    Case("42", "Therefore, the perimeter of the regular hexagon is 6 * 7 inches = 42 inches.", True),
    Case("2", "Divide by 3 to get x = 2. Therefore, the number is 2.", True),
    Case("16", "Therefore, there were 16 blue marbles in the bag before adding more.", True),
    # R1-style answer tags
    Case("4", "<think>2+2 is 4</think>\n<answer>4</answer>", True),
    Case("4", "<think>2+2 is 4</think>\n<answer> 4", True),  # the stop string "</answer>" is not returned
    Case("4", "<think>maybe 5</think><answer>\\boxed{4}</answer>", True),
    Case("7", "<think>...</think><answer>The answer is $7$</answer>", True),
    Case(
        "5",
        "<think>the answer is 5? no</think><answer>6</answer>",
        False,
        why="robust: the <answer> block decides; Math-Verify takes the anchor inside the thinking",
    ),
    # bare answers (the whole response is the answer)
    Case(
        "x \\geq 5",
        "x >= 5",
        True,
        why="robust: a bare relation is the answer; Math-Verify extracts only the number 5 from plain text",
    ),
    Case("\\frac{1}{2}", "1/2", True),
    Case(
        "\\begin{pmatrix}1\\\\2\\end{pmatrix}",
        "\\begin{pmatrix}1\\\\2\\end{pmatrix}",
        True,
        why="robust: a bare matrix; Math-Verify needs $...$ around LaTeX and takes the number 2",
    ),
    Case("(1, 2)", "(1, 2)", True, why="robust: a bare tuple; Math-Verify takes the last number"),
    Case("1, 2", "1,2", True, why="robust: a bare list; Math-Verify reads '1,2' as the decimal 1.2"),
    Case("\\frac{\\pi}{2}", "$\\frac{\\pi}{2}$", True),
    Case(
        "\\text{Carla}", "Carla", True, why="robust: a one-word answer; Math-Verify reads letters as symbols"
    ),
    # no answer given
    Case("5", "I don't know how to solve this.", False),
    Case(
        "9901",
        _LOOP,
        False,
        why="robust: a response that restates the problem until its length limit gives no answer; Math-Verify grades the problem's own expression, which equals the gold",
    ),
    Case("15", _LOOP_ANSWERED, True),
    Case(
        "3",
        "The problem gives sides 1 and 3. What is the third side?\n" * 20,
        False,
        robust_miss=("full_text",),
        why="both wrong: the last number (3) of a looping restatement. Robust keeps the paper's last-number"
        " fallback on loops: dropping it lost 8 right answers in the shared real responses whose loops"
        " repeat the model's own answer (e.g. 'The polygon has 15 sides.')",
    ),
    Case(
        "8",
        "Let me check: $34 \\cdot 2 = 68$. So $n = 8$, and indeed $8 + 60 = 68$.",
        True,
        robust_miss=("full_text",),
        why="both wrong: a check after the answer ends the response; only an anchor or a box says which is final",
    ),
]
CASES += [
    Case("\\frac{\\pi}{4}", "Thus $x = \\frac{\\pi}{4}$ radians.", True),
    Case("12", "The area of the triangle is $12$ square units.", True),
    Case("\\frac{1}{2}", "$\\frac{1}{2}$ is the probability.", True),
    Case("\\frac{5}{2}", "**Final Answer**\n\n$$\\frac{5}{2}$$", True),
    Case(
        "-2, 2",
        "x = 2 or x = -2",
        True,
        why="robust: 'x = a or x = b' is the list of both values; Math-Verify takes -2 alone",
    ),
    Case(
        "C",
        "The correct option is (C).",
        True,
        why="robust: 'option' is an anchor; Math-Verify has no choice letters by default",
    ),
    Case("4", "The value of $k$ is $\\boxed{4}$, as required.", True),
    Case("1358_8", "Therefore, the number $10101001110_{2}$ is equal to $1358_{8}$ in base eight.", True),
    Case("10", "We need $x+y$ where $x = 3$ and $y = 7$. Adding gives $10$. Check: $3 + 7 = 10$.", True),
    Case("2", "The roots are $1$ and $2$; the larger root is $2$.", True),
    Case("\\frac{7}{2}", "The roots are $\\frac{1}{2}$ and $3$, so their sum is $\\frac{7}{2}$.", True),
]
CASES += [  # found by probing robust mode against Math-Verify on more phrasings
    Case("1,2", "\\(x = 1\\) and \\(x = 2\\)", True),
    Case(
        "1,2",
        "1 and 2",
        True,
        why="robust: numbers joined by 'and' are a list; Math-Verify takes the last number",
    ),
    Case("(2,3)", "$a = 2, b = 3$", True),
    Case("\\frac{1}{2}", "I think it's \\frac{1}{2}", True),
    Case("\\frac{1}{3}", "the probability is 1/3.", True),
    Case("-\\frac{1}{3}", "the probability is -1/3.", True),
    Case("5", "so 10/2 = 5", True),
    Case(
        "3",
        "\\boxed{3.}",
        True,
        why="robust: a full stop inside the box is punctuation; Math-Verify's parser fails on '3.'",
    ),
    Case(
        "\\text{(C)}",
        "\\textbf{(C)} 24",
        True,
        robust_miss=("full_text",),
        why="both wrong: a choice letter followed by its value; the last number (24) is taken",
    ),
    Case(
        "\\frac{\\pi}{3}",
        "$60^\\circ$",
        True,
        robust_miss=("full_text",),
        why="both wrong: 60 degrees is pi/3 radians, but degrees are read as the number 60",
    ),
]
