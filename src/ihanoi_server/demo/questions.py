"""Demo data of the Q&A switchboard (``ihanoi demo``): the sample knowledge
articles, published (drafted by the system for their agencies, approved by a
demo leader of each), and two questions of the demo citizen — one the
switchboard answers from the catalogue, one it hands to the public
administration service centre, which is then on that centre's worklist."""

from __future__ import annotations

from ihanoi_core.application import Ihanoi
from ihanoi_core.commands.questions import AskQuestion
from ihanoi_core.domain.values import Principal, Role
from ihanoi_core.knowledge.articles import import_articles, read_articles
from ihanoi_projections.knowledge_index import KnowledgeIndexModel
from ihanoi_projections.queries.questions import install_switchboard
from ihanoi_projections.read_side import ReadSide

DEMO_QUESTIONS = ("Phí đăng ký hộ kinh doanh bao nhiêu?", "Cho hỏi thủ tục làm hộ chiếu cho con")


def seed_questions(app: Ihanoi, read_side: ReadSide, citizen: str) -> tuple[int, list[str]]:
    """Publish the sample articles and ask the demo questions; the number of
    articles and the codes of the questions."""
    articles = import_articles(app, read_articles(), approver="demo:leader")
    read_side.catch_up()
    install_switchboard(app, read_side.model(KnowledgeIndexModel))
    asker = Principal(citizen, Role.CITIZEN)
    codes = [app.handle(asker, AskQuestion(text=text)).code for text in DEMO_QUESTIONS]
    read_side.catch_up()
    return len(articles), codes
