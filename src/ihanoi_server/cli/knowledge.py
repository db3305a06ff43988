"""``ihanoi knowledge import|list`` and ``ihanoi questions eval``: the Q&A
switchboard's knowledge for operators (docs/questions.md).

``knowledge import FILE`` drafts the file's articles for their agencies
(``--approve-as SUBJECT``: approved by that leader and published); without
FILE, the sample the project ships. ``knowledge list`` prints what the
switchboard can cite now (the ``knowledge_index`` read model, brought up to
date first). ``questions eval [FILE]`` runs an evaluation set against the
switchboard and prints recall@1, recall@3, MRR and hand-off precision; exit
code 1 when recall@3 is below ``--min-recall`` or an unanswerable question
was answered.
"""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

from ihanoi_core.settings import Settings
from ihanoi_server.cli.output import OK, PROBLEM, add_action, add_group, json_flag, open_app, say, write_json


def add_commands(commands: Any) -> None:
    actions = add_group(
        commands, "knowledge", "the Q&A switchboard's knowledge: import and list articles", "knowledge commands"
    )
    import_help = "draft knowledge articles from a TOML file (the sample without one)"
    imports = add_action(actions, "import", import_help, run_import)
    imports.add_argument("file", nargs="?", type=Path, help="a TOML file of [[articles]]")
    imports.add_argument("--approve-as", metavar="SUBJECT", help="approve as this leader and publish")
    json_flag(imports, "the articles as JSON")
    add_action(actions, "list", "what the switchboard can cite now", run_list, json="as JSON")

    question_actions = add_group(
        commands, "questions", "the Q&A switchboard: evaluate it on a question set", "questions commands"
    )
    evaluate = add_action(question_actions, "eval", "recall@1, recall@3, MRR and hand-off precision", run_eval)
    evaluate.add_argument("file", type=Path, help="an evaluation set (e.g. benchmarks/questions_eval.toml)")
    evaluate.add_argument("--part", choices=("tune", "held", "all"), default="all", help="which part to run")
    evaluate.add_argument("--min-recall", type=float, default=0.85, help="fail below this recall@3")
    json_flag(evaluate, "as JSON")


def run_import(args: argparse.Namespace, settings: Settings) -> int:
    # Here, not at module level: the articles' commands only for this command.
    from ihanoi_core.knowledge.articles import import_articles, read_articles

    entries = read_articles(args.file)
    with open_app(settings) as app:
        done = import_articles(app, entries, approver=args.approve_as)
    if args.json:
        write_json([{"key": item.key, "code": item.code, "status": item.status} for item in done])
    else:
        for item in done:
            say(f"{item.code} {item.status:<10} {item.key}")
    return OK


def run_list(args: argparse.Namespace, settings: Settings) -> int:
    # Here, not at module level: the read side only once a command runs.
    from ihanoi_projections.knowledge_index import KnowledgeIndexModel
    from ihanoi_projections.read_side import ReadSide

    with open_app(settings) as app:
        read_side = ReadSide(app, settings, names=[KnowledgeIndexModel.name])
        try:
            read_side.catch_up()
            index = read_side.model(KnowledgeIndexModel)
            rows = index.database.query("SELECT kind, ref, title FROM view_knowledge_docs ORDER BY kind, ref")
        finally:
            read_side.close()
    if args.json:
        write_json(rows)
    else:
        for row in rows:
            say(f"{row['kind']:<10} {row['ref']:<32} {row['title']}")
    return OK


def run_eval(args: argparse.Namespace, settings: Settings) -> int:
    from ihanoi_projections.knowledge_index import KnowledgeIndexModel
    from ihanoi_projections.queries.question_eval import evaluate, read_eval_set
    from ihanoi_projections.read_side import ReadSide

    questions = read_eval_set(args.file)
    if args.part != "all":
        questions = [q for q in questions if q.part == args.part]
    with open_app(settings) as app:
        read_side = ReadSide(app, settings, names=[KnowledgeIndexModel.name])
        try:
            read_side.catch_up()
            figures = evaluate(app, read_side.model(KnowledgeIndexModel), questions)
        finally:
            read_side.close()
    if args.json:
        write_json(figures.as_dict())
    else:
        say(figures.table())
    failed = figures.recall_at_3 < args.min_recall or figures.answered_unanswerable > 0
    return PROBLEM if failed else OK
