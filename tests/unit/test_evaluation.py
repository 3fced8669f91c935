"""The labelled-set builder and the scoring of the dedupe evaluation (pure), and the layout of
evaluation/: commands that share helpers, never each other, and stay out of the wheel."""

import ast
import random
import re
import tomllib
from collections.abc import Mapping, Set
from fnmatch import fnmatchcase
from pathlib import Path

import pytest

from evaluation.ant_corpus import CorpusArticle
from evaluation.bench_goals import goal_lines, goal_verdicts
from evaluation.dedupe_set import PERTURBATIONS, build_cases, clean_base
from evaluation.scoring import Outcome, overall_score, relation_score
from evaluation.step_cpu import per_article_us, step_cpu

SENTENCES = [
    "وقال الوزير في مؤتمر صحفي إن الحكومة ستعلن خطة جديدة لدعم المزارعين قبل نهاية العام",
    "وأضاف أن الخطة تشمل قروضا ميسرة وتوزيع بذور محسنة على المناطق التي تضررت من الجفاف",
    "من جهتهم طالب ممثلو النقابات بإشراكهم في إعداد الخطة وبزيادة أسعار الشراء الرسمية",
    "وتشير الأرقام الرسمية إلى تراجع إنتاج القمح بنسبة الخمس خلال الموسم الماضي مقارنة بسابقه",
    "وكان البرلمان قد ناقش الأسبوع الماضي مشروع قانون لتنظيم استخدام المياه الجوفية في الزراعة",
    "ويتوقع خبراء أن تتحسن المحاصيل إذا جاءت الأمطار في موعدها خلال فصل الشتاء المقبل",
    "وفي سياق متصل أعلنت وزارة النقل عن فتح طريق جديد يربط القرى الجبلية بالسوق المركزية",
    "وقالت مصادر محلية إن أعمال البناء ستبدأ في الربيع وتستمر قرابة ثمانية عشر شهرا",
]


def _article(n: int, paragraphs: tuple[str, ...]) -> CorpusArticle:
    return CorpusArticle(
        f"SYN-{n}", f"https://x.invalid/{n}", "syn", "test", f"t{n}", "", paragraphs
    )


def _story(n: int) -> CorpusArticle:
    """Stories that share no sentence: each word of a sentence gets the story's number."""
    return _article(n, tuple(" ".join(f"{w}{n}" for w in s.split()) for s in SENTENCES))


@pytest.mark.parametrize("name", list(PERTURBATIONS))
def test_each_perturbation_changes_the_story_as_documented(name: str) -> None:
    perturb, _, same_id = PERTURBATIONS[name]
    story = _article(1, tuple(SENTENCES) + tuple(s + " إضافة" for s in SENTENCES[:4]))
    copies = [perturb(story, random.Random(seed)) for seed in range(5)]
    copy = next(c for c in copies if c is not None)
    assert copy != story.paragraphs or name == "republished_same_text"
    if name == "partial_reprint":
        assert 2 <= len(copy) < len(story.paragraphs) and copy == story.paragraphs[: len(copy)]
    if name == "internal_doubling":
        assert copy == story.paragraphs + story.paragraphs[1:]
    assert same_id == (name == "updated_at_same_url")


def test_clean_base_drops_articles_that_repeat_an_earlier_one() -> None:
    first, other = _story(1), _story(2)
    repeat = _article(3, first.paragraphs)
    assert [a.docno for a in clean_base([first, repeat, other], 10)] == ["SYN-1", "SYN-2"]


def test_cases_start_with_the_base_then_copies_pointing_at_it() -> None:
    base = [_story(n) for n in range(20)]
    cases = build_cases(base, 30, seed=1)
    assert [c.kind for c in cases[:20]] == ["base"] * 20
    ids = {a.article_id for a in base}
    assert all(c.cluster in ids for c in cases)
    assert len({(c.cluster, c.kind) for c in cases[20:]}) == len(cases) - 20


CASES = [
    Outcome("original", "a", "original", "a"),
    Outcome("exact_duplicate", "a", "exact_duplicate", "a"),
    Outcome("near_duplicate", "b", "partial_reprint", "b"),  # right story, wrong relation
    Outcome("near_duplicate", "b", "near_duplicate", "c"),  # wrong story
    Outcome("original", "d", "near_duplicate", "e"),  # false alarm
]


def test_relation_scores_need_the_relation_and_the_story() -> None:
    near = relation_score(CASES, "near_duplicate")
    assert (near.support, near.predicted, near.correct) == (2, 2, 0)
    exact = relation_score(CASES, "exact_duplicate")
    assert (exact.precision, exact.recall) == (1.0, 1.0)


def test_overall_score_counts_the_right_story_whatever_the_relation() -> None:
    overall = overall_score(CASES)
    assert (overall.support, overall.predicted, overall.correct) == (3, 4, 2)
    assert overall.f1 == pytest.approx(2 * 0.5 * (2 / 3) / (0.5 + 2 / 3))


def test_a_method_that_only_says_duplicate_is_credited_when_it_finds_the_story() -> None:
    baseline = [
        Outcome("near_duplicate", "b", "duplicate", "b"),
        Outcome("original", "a", "original", "a"),
    ]
    assert relation_score(baseline, "near_duplicate").recall == 1.0


def test_the_tag_evaluation_set_is_well_formed() -> None:
    from evaluation.eval_tags import load_cases
    from workers.tag.gazetteer import gazetteer
    from workers.tag.rules_file import RulesFile

    cases = load_cases()
    names = {
        w.name
        for w in RulesFile(
            Path(__file__).parents[2] / "evaluation" / "tag_cases" / "rules.toml"
        ).rules.watch
    }
    assert len(cases) >= 60 and len({c.id for c in cases}) == len(cases)
    assert {"ar", "en", "fr", "es", "de"} <= {c.language for c in cases}
    assert all(c.places <= gazetteer().country_names.keys() for c in cases)
    assert all(c.entities <= names for c in cases)
    assert all(c.paragraphs for c in cases)


class _Steps:
    def work(self, n: int) -> int:
        return sum(range(n))


def test_step_cpu_times_each_step_and_puts_it_back() -> None:
    original = _Steps.__dict__["work"]
    with step_cpu([(_Steps, "work")]) as spent:
        assert _Steps().work(200_000) == sum(range(200_000))
    assert spent["work"] > 0
    assert _Steps.__dict__["work"] is original
    assert per_article_us(spent, 2)["work"] == round(spent["work"] / 2 / 1e3, 1)


RATIOS = {
    "extract_stage_vs_trafilatura_beside_run": {"saturation, 1 worker": 1.1, "alone": 0.95},
    "extract_stage_vs_trafilatura_per_core": 0.93,
    "extract_stage_alone_vs_trafilatura_per_core": [1.0, 0.89],
    "dedupe_stage_vs_datasketch_per_core": 6.1,
    "extract_scaling_2_vs_1": 1.46,
}


@pytest.mark.parametrize(
    ("latency", "ratios", "expected"),
    [
        (
            {"p50": 55, "p99": 193},
            RATIOS,
            {
                "latency_p50_ms": (55, True),
                "latency_p99_ms": (193, True),
                "extract_vs_trafilatura_beside_run": (0.95, True),
                "extract_vs_trafilatura_at_end": (0.89, False),
                "dedupe_vs_datasketch": (6.1, False),
                "extract_scaling_2_vs_1": (1.46, False),
            },
        ),
        (
            {"p50": 151, "p99": 1000},
            {"dedupe_stage_vs_datasketch_per_core": 20.0, "extract_scaling_2_vs_1": 1.8},
            {
                "latency_p50_ms": (151, False),
                "latency_p99_ms": (1000, True),
                "extract_vs_trafilatura_beside_run": (None, None),
                "extract_vs_trafilatura_at_end": (None, None),
                "dedupe_vs_datasketch": (20.0, True),
                "extract_scaling_2_vs_1": (1.8, True),
            },
        ),
    ],
)
def test_goal_verdicts(
    latency: dict[str, float], ratios: dict[str, object], expected: dict[str, tuple[object, object]]
) -> None:
    runs = {
        "saturation, 1 worker": {"latency_ms": {"p50": 9000, "p99": 9999}},
        "steady 50/s, 2 workers": {"latency_ms": latency},
    }
    verdicts = goal_verdicts(runs, ratios)
    assert {k: (v["figure"], v["met"]) for k, v in verdicts.items()} == expected
    lines = goal_lines(verdicts)
    assert len(lines) == 6 and sum("NOT met" in line for line in lines) == sum(
        met is False for _, met in expected.values()
    )


ROOT = Path(__file__).resolve().parents[2]
EVALUATION = ROOT / "evaluation"


def _evaluation_modules(folder: Path) -> dict[str, ast.Module]:
    """The evaluation package's modules by dotted name, parsed (the package is flat)."""
    return {
        "evaluation" if path.stem == "__init__" else f"evaluation.{path.stem}": ast.parse(
            path.read_text(encoding="utf-8")
        )
        for path in sorted(folder.glob("*.py"))
    }


def _imported_names(tree: ast.Module) -> set[str]:
    """Every dotted name an import of the module could load, guarded imports included: an
    import under `if TYPE_CHECKING` still ties the two modules together for a reader."""
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names |= {alias.name for alias in node.names}
        elif isinstance(node, ast.ImportFrom):
            # Relative imports can only come from evaluation/ itself, which has no subpackage.
            parts = ("evaluation", node.module) if node.level else (node.module,)
            module = ".".join(part for part in parts if part)
            names |= {module, *(f"{module}.{alias.name}" for alias in node.names)}
    return names


def _import_graph(modules: Mapping[str, ast.Module]) -> dict[str, set[str]]:
    """Module -> the other evaluation modules it imports."""
    return {
        name: (_imported_names(tree) & modules.keys()) - {name} for name, tree in modules.items()
    }


def _is_command(tree: ast.Module) -> bool:
    """A command has a top-level main() and runs it when executed (`python -m`)."""
    has_main = any(isinstance(n, ast.FunctionDef) and n.name == "main" for n in tree.body)
    runs_main = any(
        isinstance(n, ast.If) and ast.unparse(n.test) == "__name__ == '__main__'" for n in tree.body
    )
    return has_main and runs_main


def _a_cycle(graph: Mapping[str, Set[str]]) -> list[str]:
    """One cycle of the graph, as the path that closes it (its first node again at the end),
    or [] when there is none: a depth-first walk that meets a node still on its path."""
    finished: set[str] = set()
    path: list[str] = []

    def visit(node: str) -> list[str]:
        if node in path:
            return [*path[path.index(node) :], node]
        if node in finished:
            return []
        path.append(node)
        for successor in sorted(graph.get(node, ())):
            if cycle := visit(successor):
                return cycle
        path.pop()
        finished.add(node)
        return []

    for node in sorted(graph):
        if cycle := visit(node):
            return cycle
    return []


@pytest.mark.parametrize(
    ("graph", "cycle"),
    [
        pytest.param({"a": {"b"}, "b": set()}, [], id="chain"),
        pytest.param({"a": {"b", "c"}, "b": {"d"}, "c": {"d"}, "d": set()}, [], id="diamond"),
        pytest.param({"a": {"a"}}, ["a", "a"], id="self-import"),
        pytest.param({"a": {"b"}, "b": {"a"}}, ["a", "b", "a"], id="two-modules"),
        pytest.param(
            {"x": {"a"}, "a": {"b"}, "b": {"c"}, "c": {"a"}},
            ["a", "b", "c", "a"],
            id="three-modules-behind-a-fourth",
        ),
    ],
)
def test_a_cycle_finds_a_cycle_only_when_there_is_one(
    graph: dict[str, set[str]], cycle: list[str]
) -> None:
    assert _a_cycle(graph) == cycle


@pytest.mark.parametrize(
    ("source", "imported"),
    [
        pytest.param("import evaluation.results", {"evaluation.results"}, id="import"),
        pytest.param(
            "from evaluation import results",
            {"evaluation", "evaluation.results"},
            id="from-package",
        ),
        pytest.param(
            "from evaluation.results import write_results",
            {"evaluation.results", "evaluation.results.write_results"},
            id="from-module",
        ),
        pytest.param(
            "from .results import write_results",
            {"evaluation.results", "evaluation.results.write_results"},
            id="relative",
        ),
        pytest.param(
            "if TYPE_CHECKING:\n    from evaluation.run_result import RunResult",
            {"evaluation.run_result", "evaluation.run_result.RunResult"},
            id="guarded",
        ),
    ],
)
def test_imported_names_reads_every_form_of_import(source: str, imported: set[str]) -> None:
    assert _imported_names(ast.parse(source)) == imported


def test_every_command_the_makefile_runs_is_seen_as_a_command() -> None:
    makefile = (ROOT / "Makefile").read_text(encoding="utf-8")
    run = {f"evaluation.{name}" for name in re.findall(r"-m evaluation\.(\w+)", makefile)}
    modules = _evaluation_modules(EVALUATION)
    assert run and run == {name for name, tree in modules.items() if _is_command(tree)}


def test_no_evaluation_command_imports_another_command() -> None:
    """What two commands share lives in a helper module: a command is run, never imported."""
    modules = _evaluation_modules(EVALUATION)
    commands = {name for name, tree in modules.items() if _is_command(tree)}
    graph = _import_graph(modules)
    assert {
        name: sorted(graph[name] & commands) for name in commands if graph[name] & commands
    } == {}


def test_the_evaluation_import_graph_has_no_cycle() -> None:
    assert _a_cycle(_import_graph(_evaluation_modules(EVALUATION))) == []


def _wheel_packages() -> set[str]:
    """The top-level packages setuptools puts in the wheel, by pyproject's find patterns (a
    name is found when an include pattern matches it and no exclude pattern does)."""
    pyproject = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    find = pyproject["tool"]["setuptools"]["packages"]["find"]

    def found(name: str) -> bool:
        return any(fnmatchcase(name, p) for p in find["include"]) and not any(
            fnmatchcase(name, p) for p in find.get("exclude", [])
        )

    return {
        d.name for d in ROOT.iterdir() if d.is_dir() and d.name.isidentifier() and found(d.name)
    }


def test_the_wheel_holds_the_pipeline_and_neither_evaluation_nor_tests() -> None:
    """evaluation/ imports packages of the `evaluation` extra (datasketch, psutil, matplotlib,
    fastText) at module top: shipped, it would fail to import where only the pipeline is."""
    packages = _wheel_packages()
    assert {"newsflow", "ingest", "workers", "schemas", "adapters", "services"} <= packages
    assert not packages & {"evaluation", "tests"}


@pytest.mark.parametrize("package", sorted(_wheel_packages()))
def test_no_module_of_the_wheel_imports_evaluation_or_tests(package: str) -> None:
    for path in sorted((ROOT / package).rglob("*.py")):
        imported = {
            name.split(".")[0]
            for name in _imported_names(ast.parse(path.read_text(encoding="utf-8")))
        }
        assert not imported & {"evaluation", "tests"}, path
