"""Training for agents (培训技巧): courses list knowledge-base articles to read in order, and
a quiz whose attempts keep each agent's answers and score.

A question counts as right when the options chosen are exactly its correct ones (for a
multiple-choice question: all of them and nothing else); an unanswered question counts as
wrong. The score is the share of right questions in percent, rounded half up; the attempt
passes at the quiz's pass mark or above. An agent may take a quiz again; each form carries a
token, so the same form sent twice (a double click, two tabs) is one attempt and the second
is refused. `service.add_quizattempt` takes quizzes (every agent); `service.view_quizattempt`
reads everyone's scores (客户主管).
"""

from dataclasses import dataclass

from django.contrib.auth import get_user_model
from django.db import IntegrityError, transaction
from django.db.models import Count, Max, Prefetch, Q
from django.utils import timezone
from django.utils.translation import gettext as _

from mercato.core.errors import Conflict, NotFound, ValidationFailed
from mercato.core.permissions import require_perm

from .knowledge import EDIT
from .models import (
    Article,
    ArticleStatus,
    CourseLesson,
    Option,
    Question,
    QuestionKind,
    Quiz,
    QuizAttempt,
    TrainingCourse,
)

TAKE, SCORES = "service.add_quizattempt", "service.view_quizattempt"


def score_of(correct: int, total: int) -> int:
    """Percent right, rounded half up (2 of 3 → 67, 1 of 8 → 13)."""
    return (correct * 200 + total) // (2 * total) if total else 0


def _clean_answers(questions: list[Question], answers) -> dict[int, set[int]]:
    """{question id: option ids} from the form or API; anything not of this quiz is refused
    by name."""
    by_id = {q.pk: q for q in questions}
    if not isinstance(answers, dict):
        raise ValidationFailed({"answers": [_("Answers must map questions to options.")]})
    out: dict[int, set[int]] = {}
    for key, chosen in answers.items():
        question = by_id.get(int(key)) if str(key).isdigit() else None
        if question is None:
            raise ValidationFailed(
                {"answers": [_("Question %(q)s is not in this quiz.") % {"q": key}]}
            )
        chosen = chosen if isinstance(chosen, list | tuple | set) else [chosen]
        options = {o.pk for o in question.options.all()}
        picked = set()
        for value in chosen:
            if not str(value).isdigit() or int(value) not in options:
                raise ValidationFailed(
                    {f"q{question.pk}": [_("Option %(o)s is not one of this question's.")
                                         % {"o": value}]}
                )  # fmt: skip
            picked.add(int(value))
        if question.kind == QuestionKind.SINGLE and len(picked) > 1:
            raise ValidationFailed({f"q{question.pk}": [_("Choose one answer.")]})
        out[question.pk] = picked
    return out


def grade(questions: list[Question], answers: dict[int, set[int]]) -> int:
    """How many questions are answered exactly right."""
    right = 0
    for question in questions:
        correct = {o.pk for o in question.options.all() if o.is_correct}
        if correct and answers.get(question.pk, set()) == correct:
            right += 1
    return right


def quiz_with_questions(quiz_id, *, active_only: bool = True) -> Quiz | None:
    """The quiz with its questions and options in order (three queries); only of an active
    course unless `active_only` is False (an earlier attempt's result)."""
    options = Prefetch("options", queryset=Option.objects.order_by("position", "id"))
    questions = Prefetch(
        "questions", queryset=Question.objects.order_by("position", "id").prefetch_related(options)
    )
    quizzes = Quiz.objects.filter(pk=quiz_id)
    if active_only:
        quizzes = quizzes.filter(course__is_active=True)
    return quizzes.select_related("course").prefetch_related(questions).first()


def submit_quiz(*, actor, quiz_id, answers, token: str, now=None) -> QuizAttempt:
    """Grade and keep an agent's answers. Refused, with nothing kept: a question or option
    not of this quiz, two answers to a single-choice question, a quiz of an inactive
    course or without questions, the same form (token) sent again."""
    require_perm(actor, TAKE)
    quiz = quiz_with_questions(quiz_id) if str(quiz_id).isdigit() else None
    if quiz is None:
        raise NotFound(_("No such quiz."), field="quiz")
    questions = list(quiz.questions.all())
    if not questions:
        raise ValidationFailed({"quiz": [_("This quiz has no questions yet.")]})
    token = str(token or "").strip()
    if not token or len(token) > 32:
        raise ValidationFailed({"token": [_("The form is incomplete; open the quiz again.")]})
    chosen = _clean_answers(questions, answers)
    correct = grade(questions, chosen)
    score = score_of(correct, len(questions))
    try:
        with transaction.atomic():
            return QuizAttempt.objects.create(
                quiz=quiz, agent=actor, token=token, correct=correct, total=len(questions),
                answers={str(k): sorted(v) for k, v in sorted(chosen.items())},
                score=score, passed=score >= quiz.pass_score, taken_at=now or timezone.now(),
            )  # fmt: skip
    except IntegrityError:
        # The token is the only unique column: this form was sent before.
        raise Conflict(_("This quiz form was already sent."), field="token") from None


# -- authoring (客户主管, or Django's admin) ---------------------------------------------------
@transaction.atomic
def create_course(*, actor, title: str, article_ids=(), description: str = "") -> TrainingCourse:
    """A course reading these articles in this order."""
    require_perm(actor, EDIT)
    title = str(title or "").strip()
    if not title or len(title) > 120:
        raise ValidationFailed({"title": [_("Give a title of at most 120 characters.")]})
    ids = list(dict.fromkeys(int(i) for i in article_ids))
    found = set(Article.objects.filter(pk__in=ids).values_list("pk", flat=True))
    if set(ids) - found:
        raise ValidationFailed({"articles": [_("No such article.")]})
    course = TrainingCourse.objects.create(title=title, description=description.strip())
    CourseLesson.objects.bulk_create(
        CourseLesson(course=course, article_id=pk, position=i) for i, pk in enumerate(ids)
    )
    return course


@transaction.atomic
def create_quiz(*, actor, course_id, title: str, questions, pass_score: int = 80) -> Quiz:
    """A quiz of `questions`: [(text, [(option, correct?), ...])]; a question with one
    correct option is single choice, with more multiple choice."""
    require_perm(actor, EDIT)
    course = TrainingCourse.objects.filter(pk=course_id).first()
    if course is None:
        raise ValidationFailed({"course": [_("No such course.")]})
    if not 0 < int(pass_score) <= 100:
        raise ValidationFailed({"pass_score": [_("A pass mark between 1 and 100.")]})
    if not questions:
        raise ValidationFailed({"questions": [_("Add at least one question.")]})
    quiz = Quiz.objects.create(course=course, title=str(title).strip()[:120] or course.title,
                               pass_score=int(pass_score))  # fmt: skip
    for position, (question_text, options) in enumerate(questions):
        right = sum(1 for _text, correct in options if correct)
        if len(options) < 2 or right < 1:
            raise ValidationFailed(
                {f"questions.{position}": [_("A question needs two options and a right one.")]}
            )
        question = Question.objects.create(
            quiz=quiz, position=position, text=str(question_text)[:300],
            kind=QuestionKind.SINGLE if right == 1 else QuestionKind.MULTIPLE,
        )  # fmt: skip
        Option.objects.bulk_create(
            Option(question=question, position=i, text=str(t)[:200], is_correct=bool(c))
            for i, (t, c) in enumerate(options)
        )
    return quiz


# -- reading ---------------------------------------------------------------------------------
def active_courses() -> list[TrainingCourse]:
    """Active courses with their published lessons (in order) and quizzes."""
    lessons = Prefetch(
        "lessons",
        queryset=CourseLesson.objects.filter(article__status=ArticleStatus.PUBLISHED)
        .select_related("article__current")
        .order_by("position", "id"),
    )
    return list(
        TrainingCourse.objects.filter(is_active=True)
        .prefetch_related(lessons, "quizzes")
        .order_by("title")
    )


def my_results(user) -> dict[int, dict]:
    """{quiz id: {best, tries, passed}} of one agent."""
    rows = (
        QuizAttempt.objects.filter(agent=user)
        .values("quiz_id")
        .annotate(best=Max("score"), tries=Count("id"), passes=Count("id", filter=Q(passed=True)))
    )
    return {r["quiz_id"]: {**r, "passed": r["passes"] > 0} for r in rows}


@dataclass
class ScoreRow:
    agent: object
    cells: list  # per quiz: {best, tries, passed, last} or None (not taken)


def score_table(*, actor) -> tuple[list[Quiz], list[ScoreRow]]:
    """Every active agent of 客服部 (and anyone else who took a quiz) against every quiz of an
    active course: best score, attempts, passed, last taken. Three queries."""
    require_perm(actor, SCORES)
    active = Quiz.objects.filter(course__is_active=True).select_related("course")
    quizzes = list(active.order_by("course", "id"))
    stats = (
        QuizAttempt.objects.filter(quiz__in=quizzes)
        .values("agent_id", "quiz_id")
        .annotate(
            best=Max("score"),
            tries=Count("id"),
            passes=Count("id", filter=Q(passed=True)),
            last=Max("taken_at"),
        )  # fmt: skip
    )
    cells = {(r["agent_id"], r["quiz_id"]): {**r, "passed": r["passes"] > 0} for r in stats}
    took = {agent_id for agent_id, _quiz in cells}
    agents = (
        get_user_model()
        .objects.filter(
            Q(is_active=True, is_staff=True, staff_profile__department__code="service")
            | Q(pk__in=took)
        )
        .order_by("display_name", "username")
    )
    rows = [ScoreRow(a, [cells.get((a.pk, q.pk)) for q in quizzes]) for a in agents]
    return quizzes, rows
