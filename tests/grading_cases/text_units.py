"""Words, choices, units, degrees and number bases."""

from tests.grading_cases import BARE_ANSWER_WHY, Case

SETTINGS = ("full_text", "boxed")
FULL_TEXT_WHY = BARE_ANSWER_WHY

CASES = [
    Case("\\text{(B)}", "B", True),
    Case("B", "\\textbf{(B)}", True),
    Case("(C)", "C", True),
    Case("A", "B", False),
    Case("\\text{Evelyn}", "Evelyn", True),
    Case("\\text{Evelyn}", "\\text{Evelyn}", True),
    Case("\\text{Evelyn}", "Carla", False),
    Case("\\text{east}", "east", True),
    Case("\\text{east}", "\\text{west}", False),
    Case("\\text{yes}", "yes", True),
    Case("5\\text{ cm}", "5", True),
    Case("5", "5 \\text{cm}", True),
    Case("15\\mbox{ cm}^2", "15", True),
    Case("5\\text{ cm}", "6", False),
    Case("30^\\circ", "30", True),
    Case("30", "30^{\\circ}", True),
    Case("30^\\circ", "60^\\circ", False),
    Case("2516_8", "2516_{8}", True),
    Case("2516_8", "1358_8", False),
    Case("4210_{5}", "4210_5", True),
    Case("1011_2", "1011_{2}", True),
    Case("5", "5 \\text{ apples}", True),
    Case("9", "9\\text{ days}", True),
]
