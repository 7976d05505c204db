"""Training (培训技巧): courses of articles, quizzes graded exactly (hand-computed scores),
bad answers refused by name, the same form sent twice kept once, and the supervisor's table."""

import threading

import pytest
from django.db import connection

from mercato.core.errors import Conflict, NotFound, PermissionDeniedError, ValidationFailed
from mercato.service import knowledge, training
from mercato.service.models import ArticleCategory, QuizAttempt

pytestmark = pytest.mark.django_db


@pytest.fixture
def lead(make_staff):
    return make_staff("service", roles=["service_lead"])


@pytest.fixture
def agent(make_staff):
    return make_staff("service")


def make_quiz(lead, pass_score=60):
    category = ArticleCategory.objects.filter(name="退换货政策").first()
    category = category or knowledge.create_category(actor=lead, name="退换货政策")
    article = knowledge.create_article(
        actor=lead, category_id=category.pk, title="七天无理由退货", body="签收后七天内可退货。"
    )
    knowledge.set_article_status(actor=lead, article_id=article.pk, status="published")
    course = training.create_course(actor=lead, title="新员工入门", article_ids=[article.pk])
    return training.create_quiz(
        actor=lead,
        course_id=course.pk,
        title="退换货测验",
        pass_score=pass_score,
        questions=[
            ("无理由退货期限是几天？", [("三天", False), ("七天", True), ("十五天", False)]),
            ("哪些不支持无理由退货？", [("定制商品", True), ("鲜活易腐", True), ("手机", False)]),
            ("退货运费由谁承担？", [("买家", True), ("商家", False)]),
        ],
    )  # fmt: skip


def options(quiz):
    """[[option ids of question 1], ...] in order."""
    return [
        [o.pk for o in q.options.order_by("position")] for q in quiz.questions.order_by("position")
    ]


def answers(quiz, *picks):
    """Answers picking, per question, the options at these positions."""
    ids = options(quiz)
    questions = list(quiz.questions.order_by("position").values_list("pk", flat=True))
    return {
        str(q): [ids[i][p] for p in pick]
        for i, (q, pick) in enumerate(zip(questions, picks, strict=True))
    }


def test_scores_are_the_share_of_exactly_right_questions(lead, agent):
    quiz = make_quiz(lead, pass_score=60)
    # All right: 3 of 3 → 100.
    full = training.submit_quiz(actor=agent, quiz_id=quiz.pk, token="t1",
                                answers=answers(quiz, [1], [0, 1], [0]))  # fmt: skip
    assert (full.correct, full.total, full.score, full.passed) == (3, 3, 100, True)
    # The multiple-choice question half answered is wrong: 2 of 3 → 66.67 → 67, passes 60.
    half = training.submit_quiz(actor=agent, quiz_id=quiz.pk, token="t2",
                                answers=answers(quiz, [1], [0], [0]))  # fmt: skip
    assert (half.correct, half.score, half.passed) == (2, 67, True)
    # One extra wrong option spoils it too; the third unanswered: 1 of 3 → 33.33 → 33.
    extra = answers(quiz, [1], [0, 1, 2], [0])
    del extra[str(quiz.questions.order_by("position").last().pk)]
    low = training.submit_quiz(actor=agent, quiz_id=quiz.pk, token="t3", answers=extra)
    assert (low.correct, low.score, low.passed) == (1, 33, False)
    assert training.score_of(1, 8) == 13 and training.score_of(1, 2) == 50
    assert training.score_of(0, 3) == 0


def test_bad_answers_are_refused_by_name_and_nothing_is_kept(lead, agent, make_staff):
    quiz = make_quiz(lead)
    other = make_quiz(lead)
    first_question = quiz.questions.order_by("position").first()
    stranger = other.questions.order_by("position").first()
    with pytest.raises(ValidationFailed, match="Invalid input") as refused:
        training.submit_quiz(actor=agent, quiz_id=quiz.pk, token="x1",
                             answers={str(stranger.pk): [stranger.options.first().pk]})  # fmt: skip
    assert "不属于这份测验" in refused.value.field_errors["answers"][0]
    foreign_option = stranger.options.first().pk
    with pytest.raises(ValidationFailed) as refused:
        training.submit_quiz(actor=agent, quiz_id=quiz.pk, token="x2",
                             answers={str(first_question.pk): [foreign_option]})  # fmt: skip
    assert f"q{first_question.pk}" in refused.value.field_errors
    two = options(quiz)[0][:2]
    with pytest.raises(ValidationFailed) as refused:
        training.submit_quiz(actor=agent, quiz_id=quiz.pk, token="x3",
                             answers={str(first_question.pk): two})  # fmt: skip
    assert refused.value.field_errors[f"q{first_question.pk}"] == ["单选题只能选一个答案。"]
    with pytest.raises(ValidationFailed):
        training.submit_quiz(actor=agent, quiz_id=quiz.pk, token="", answers={})
    with pytest.raises(NotFound):
        training.submit_quiz(actor=agent, quiz_id=999999, token="x4", answers={})
    outsider = make_staff("marketing")
    with pytest.raises(PermissionDeniedError):
        training.submit_quiz(actor=outsider, quiz_id=quiz.pk, token="x5", answers={})
    assert not QuizAttempt.objects.exists()


def test_the_same_form_sent_twice_is_one_attempt(lead, agent):
    quiz = make_quiz(lead)
    picked = answers(quiz, [1], [0, 1], [0])
    training.submit_quiz(actor=agent, quiz_id=quiz.pk, token="same", answers=picked)
    with pytest.raises(Conflict, match="已经交过了"):
        training.submit_quiz(actor=agent, quiz_id=quiz.pk, token="same", answers=picked)
    # A new form (a retake) is a new attempt.
    training.submit_quiz(actor=agent, quiz_id=quiz.pk, token="again", answers=picked)
    assert QuizAttempt.objects.filter(agent=agent).count() == 2


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_a_form_sent_twice_at_once_is_kept_once(make_staff):
    """Two requests with the same form at the same moment: one attempt, one clear refusal."""
    lead = make_staff("service", roles=["service_lead"])
    agent = make_staff("service")
    quiz = make_quiz(lead)
    picked = answers(quiz, [1], [0, 1], [0])
    gate, outcomes = threading.Barrier(4), []

    def send():
        try:
            gate.wait()
            training.submit_quiz(actor=agent, quiz_id=quiz.pk, token="race", answers=picked)
            outcomes.append("kept")
        except Conflict:
            outcomes.append("refused")
        finally:
            connection.close()

    threads = [threading.Thread(target=send) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(outcomes) == ["kept", "refused", "refused", "refused"]
    assert QuizAttempt.objects.filter(token="race").count() == 1


def test_authoring_rules(lead, agent):
    with pytest.raises(PermissionDeniedError):
        training.create_course(actor=agent, title="课程")
    with pytest.raises(ValidationFailed):
        training.create_course(actor=lead, title="课程", article_ids=[999999])
    course = training.create_course(actor=lead, title="课程")
    with pytest.raises(ValidationFailed) as refused:
        training.create_quiz(actor=lead, course_id=course.pk, title="测验",
                             questions=[("只有一个选项？", [("是", True)])])  # fmt: skip
    assert "questions.0" in refused.value.field_errors
    with pytest.raises(ValidationFailed):
        training.create_quiz(actor=lead, course_id=course.pk, title="测验", questions=[],
                             pass_score=80)  # fmt: skip
    assert not course.quizzes.exists()


def test_the_supervisors_table(lead, agent, make_staff, django_assert_max_num_queries):
    quiz = make_quiz(lead)
    newcomer = make_staff("service")
    training.submit_quiz(actor=agent, quiz_id=quiz.pk, token="a1",
                         answers=answers(quiz, [0], [0], [1]))  # fmt: skip
    training.submit_quiz(actor=agent, quiz_id=quiz.pk, token="a2",
                         answers=answers(quiz, [1], [0, 1], [0]))  # fmt: skip
    with pytest.raises(PermissionDeniedError):
        training.score_table(actor=agent)
    with django_assert_max_num_queries(3):
        quizzes, rows = training.score_table(actor=lead)
    by_agent = {row.agent: row.cells[0] for row in rows}
    assert quizzes == [quiz]
    assert by_agent[agent]["best"] == 100 and by_agent[agent]["tries"] == 2
    assert by_agent[agent]["passed"] is True
    assert by_agent[newcomer] is None  # not taken yet
