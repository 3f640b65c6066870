from datetime import date, datetime, timedelta, timezone

import pytest
from hypothesis import given, strategies as st

from rules import support as support_rules
from tests.helpers import kyiv

# A Wednesday morning in Kyiv.
NOW = kyiv(2026, 12, 2, 8, 30)
TODAY = NOW.date()


def codes(excinfo):
    return {(error.field, error.code) for error in excinfo.value.errors}


# --- chat -------------------------------------------------------------------------------

def test_clean_message_trims_and_unifies_line_breaks():
    assert support_rules.clean_message("  Hello\r\nthere \r ") == "Hello\nthere"


@pytest.mark.parametrize("text, code", [
    ("", "required"),
    (None, "required"),
    ("  \n\t ", "required"),
    ("x" * (support_rules.MAX_MESSAGE_LENGTH + 1), "too_long"),
    ("bell\x07", "control_characters"),
    ("tab\there", "control_characters"),
])
def test_clean_message_refuses(text, code):
    with pytest.raises(support_rules.SupportError) as excinfo:
        support_rules.clean_message(text)
    assert (excinfo.value.field, excinfo.value.code) == ("text", code)


def test_too_long_message_carries_its_numbers():
    with pytest.raises(support_rules.SupportError) as excinfo:
        support_rules.clean_message("я" * 1001)
    assert excinfo.value.params == {"limit": 1000, "length": 1001}


def test_longest_message_is_accepted():
    assert len(support_rules.clean_message("я" * support_rules.MAX_MESSAGE_LENGTH)) == support_rules.MAX_MESSAGE_LENGTH


@given(st.text(min_size=1, max_size=support_rules.MAX_MESSAGE_LENGTH))
def test_clean_message_is_idempotent(text):
    try:
        cleaned = support_rules.clean_message(text)
    except support_rules.SupportError:
        return
    assert support_rules.clean_message(cleaned) == cleaned
    assert 0 < len(cleaned) <= support_rules.MAX_MESSAGE_LENGTH


def test_message_pace_allows_twenty_in_ten_minutes():
    recent = [NOW - timedelta(seconds=20 * i) for i in range(19)]
    assert support_rules.check_message_pace(recent, NOW) == NOW
    recent.append(NOW - timedelta(minutes=9))
    with pytest.raises(support_rules.SupportError) as excinfo:
        support_rules.check_message_pace(recent, NOW)
    assert excinfo.value.code == "too_fast"
    assert excinfo.value.params["until"] == NOW + timedelta(minutes=1)


def test_old_messages_do_not_count_against_the_pace():
    recent = [NOW - timedelta(minutes=10, seconds=i) for i in range(50)]
    assert support_rules.check_message_pace(recent, NOW) == NOW


@given(st.lists(st.integers(min_value=0, max_value=3600), max_size=60))
def test_message_pace_until_is_when_a_message_may_go(offsets):
    recent = [NOW - timedelta(seconds=offset) for offset in offsets]
    try:
        support_rules.check_message_pace(recent, NOW)
    except support_rules.SupportError as exc:
        until = exc.params["until"]
        assert NOW < until <= NOW + support_rules.MESSAGE_WINDOW
        support_rules.check_message_pace(recent, until)  # by then it goes
    else:
        assert len([o for o in offsets if o < 600]) < support_rules.MAX_MESSAGES_PER_WINDOW


@pytest.mark.parametrize("state, new", [(None, True), ("open", False), ("closed", True), ("rated", True)])
def test_a_message_opens_a_new_chat_unless_one_is_open(state, new):
    assert support_rules.starts_new_chat(state) is new


def test_agent_replies_to_open_chats_only():
    assert [support_rules.agent_can_reply(state) for state in support_rules.CHAT_STATES] == [True, False, False]


def test_chat_life_open_closed_rated():
    state = support_rules.close_chat(support_rules.CHAT_OPEN)
    assert state == support_rules.CHAT_CLOSED
    assert support_rules.rate_chat(state, 5) == support_rules.CHAT_RATED


@pytest.mark.parametrize("state", ["closed", "rated"])
def test_only_an_open_chat_closes(state):
    with pytest.raises(support_rules.SupportError) as excinfo:
        support_rules.close_chat(state)
    assert excinfo.value.code == "chat_not_open"


@pytest.mark.parametrize("state, code", [("open", "chat_open"), ("rated", "already_rated"),
                                         (None, "chat_not_closed")])
def test_rating_needs_a_closed_unrated_chat(state, code):
    with pytest.raises(support_rules.SupportError) as excinfo:
        support_rules.rate_chat(state, 4)
    assert excinfo.value.code == code


@pytest.mark.parametrize("text, score", [("1", 1), (" 5 ", 5), (3, 3)])
def test_parse_score(text, score):
    assert support_rules.parse_score(text) == score


@pytest.mark.parametrize("text, code", [
    ("", "required"), (None, "required"), ("0", "score"), ("6", "score"), ("-1", "score"),
    ("4.5", "score"), ("five", "score"), ("٣", "score"), ("99999999999999999999", "score"),
])
def test_parse_score_refuses(text, code):
    with pytest.raises(support_rules.SupportError) as excinfo:
        support_rules.parse_score(text)
    assert (excinfo.value.field, excinfo.value.code) == ("score", code)
    if code == "score":
        assert excinfo.value.params == {"low": 1, "high": 5}


@pytest.mark.parametrize("score", [0, 6, "3", None])
def test_rate_chat_refuses_a_score_out_of_range(score):
    with pytest.raises(support_rules.SupportError) as excinfo:
        support_rules.rate_chat(support_rules.CHAT_CLOSED, score)
    assert excinfo.value.code == "score"


# --- fault reports ----------------------------------------------------------------------

def test_fault_report_accepted():
    report = support_rules.check_fault_report("slow", "  Evenings only\r\n", TODAY, TODAY, date(2025, 1, 1))
    assert report == support_rules.FaultReport("slow", "Evenings only", TODAY)


def test_other_needs_details():
    assert support_rules.check_fault_report("other", "The router blinks red", TODAY, TODAY).details


@pytest.mark.parametrize("problem, details, since, activated_on, expected", [
    ("", "", TODAY, None, {("problem", "required")}),
    ("broken", "", TODAY, None, {("problem", "choice")}),
    ("other", " ", TODAY, None, {("details", "required")}),
    ("slow", "x" * (support_rules.MAX_FAULT_DETAILS + 1), TODAY, None, {("details", "too_long")}),
    ("slow", "a\x00b", TODAY, None, {("details", "control_characters")}),
    ("slow", "", None, None, {("since", "required")}),
    ("slow", "", TODAY + timedelta(days=1), None, {("since", "future")}),
    ("slow", "", date(2024, 12, 31), date(2025, 1, 1), {("since", "before_activation")}),
    ("", "", TODAY + timedelta(days=3), None, {("problem", "required"), ("since", "future")}),
])
def test_fault_report_refused(problem, details, since, activated_on, expected):
    with pytest.raises(support_rules.SupportErrors) as excinfo:
        support_rules.check_fault_report(problem, details, since, TODAY, activated_on)
    assert codes(excinfo) == expected


@given(st.dates(min_value=date(2000, 1, 1), max_value=date(2100, 1, 1)))
def test_since_is_accepted_exactly_when_not_in_the_future(since):
    try:
        support_rules.check_fault_report("drops", "", since, TODAY)
    except support_rules.SupportErrors as exc:
        assert since > TODAY and exc.by_field()["since"].code == "future"
    else:
        assert since <= TODAY


@pytest.mark.parametrize("kind, status, open_fault, refusal", [
    ("home_internet", "active", False, None),
    ("home_internet", "suspended", False, None),
    ("home_internet", "debt_blocked", False, None),
    ("mobile", "active", False, "not_home_internet"),
    ("home_internet", "closed", False, "account_closed"),
    ("home_internet", "active", True, "fault_open"),
])
def test_fault_refusal(kind, status, open_fault, refusal):
    assert support_rules.fault_refusal(kind, status, open_fault) == refusal


# --- fault request states ---------------------------------------------------------------

def test_offer_ask_another_offer_confirm_resolve():
    state = support_rules.FAULT_REPORTED
    for action, actor in [("offer", "staff"), ("ask_another", "subscriber"), ("offer", "staff"),
                          ("confirm", "subscriber"), ("resolve", "staff")]:
        state = support_rules.next_fault_state(state, action, actor)
    assert state == support_rules.FAULT_RESOLVED
    assert support_rules.ARCHIVE_STATE[state] == "done"


@pytest.mark.parametrize("state, action, actor, code", [
    ("reported", "confirm", "subscriber", "wrong_state"),
    ("visit_confirmed", "offer", "staff", "wrong_state"),
    ("visit_confirmed", "ask_another", "subscriber", "wrong_state"),
    ("resolved", "resolve", "staff", "wrong_state"),
    ("rejected", "offer", "staff", "wrong_state"),
    ("visit_confirmed", "reject", "staff", "wrong_state"),
    ("visit_offered", "confirm", "staff", "not_allowed"),
    ("reported", "offer", "subscriber", "not_allowed"),
    ("reported", "destroy", "staff", "unknown_action"),
])
def test_fault_transitions_refused(state, action, actor, code):
    with pytest.raises(support_rules.SupportError) as excinfo:
        support_rules.next_fault_state(state, action, actor)
    assert excinfo.value.code == code


def test_fault_actions_per_actor():
    assert support_rules.fault_actions("visit_offered", "subscriber") == ["confirm", "ask_another"]
    assert support_rules.fault_actions("visit_offered", "staff") == ["resolve", "reject"]
    assert support_rules.fault_actions("another_asked", "staff") == ["offer", "resolve", "reject"]
    assert support_rules.fault_actions("resolved", "staff") == []


def test_every_state_maps_to_an_archive_state():
    assert set(support_rules.ARCHIVE_STATE) == set(support_rules.FAULT_STATES)
    assert {support_rules.ARCHIVE_STATE[state] for state in support_rules.FAULT_OPEN_STATES} == {"pending"}


@given(st.lists(st.sampled_from(sorted(support_rules.FAULT_ACTIONS)), max_size=12))
def test_closed_faults_stay_closed(actions):
    state = support_rules.FAULT_REPORTED
    for action in actions:
        actor = support_rules.FAULT_ACTIONS[action][0]
        try:
            new = support_rules.next_fault_state(state, action, actor)
        except support_rules.SupportError:
            continue
        assert state in support_rules.FAULT_OPEN_STATES
        state = new
    assert state in support_rules.FAULT_STATES


# --- visit slots ------------------------------------------------------------------------

def at(day, hour):
    return kyiv(day.year, day.month, day.day, hour)


THURSDAY = date(2026, 12, 3)
SUNDAY = date(2026, 12, 6)


def test_a_day_has_eight_slots_and_sunday_none():
    assert len(support_rules.day_slots(THURSDAY)) == support_rules.VISITS_PER_DAY == 8
    assert support_rules.day_slots(SUNDAY) == []


def test_check_visit_slot_accepts_a_free_working_slot():
    assert support_rules.check_visit_slot(at(THURSDAY, 9), NOW, []) == at(THURSDAY, 9)


@pytest.mark.parametrize("start, visits, code", [
    (at(THURSDAY, 8), [], "not_working_hours"),
    (at(THURSDAY, 13), [], "not_working_hours"),
    (at(THURSDAY, 18), [], "not_working_hours"),
    (at(THURSDAY, 9) + timedelta(minutes=30), [], "not_working_hours"),
    (at(SUNDAY, 10), [], "not_working_hours"),
    (at(TODAY - timedelta(days=1), 10), [], "too_soon"),
    (at(TODAY, 9), [], "too_soon"),
    (at(TODAY, 10), [], "too_soon"),  # 8:30 + 2 h lead
    (at(TODAY + timedelta(days=15), 10), [], "too_far"),
    (at(THURSDAY, 9), [at(THURSDAY, 9)], "slot_taken"),
])
def test_check_visit_slot_refuses(start, visits, code):
    with pytest.raises(support_rules.SupportError) as excinfo:
        support_rules.check_visit_slot(start, NOW, visits)
    assert (excinfo.value.field, excinfo.value.code) == ("slot", code)


def test_a_full_day_refuses_a_ninth_visit_even_from_odd_data():
    # Eight visits held already (say, imported with odd times): the day is full.
    held = [at(THURSDAY, 9) + timedelta(minutes=minute) for minute in range(1, 9)]
    with pytest.raises(support_rules.SupportError) as excinfo:
        support_rules.check_visit_slot(at(THURSDAY, 17), NOW, held)
    assert excinfo.value.code == "day_full"
    assert excinfo.value.params == {"limit": 8}


def test_the_earliest_slot_is_after_the_lead_time():
    assert support_rules.check_visit_slot(at(TODAY, 11), NOW, []) == at(TODAY, 11)


def test_confirmable_only_while_ahead():
    assert support_rules.check_confirmable(at(THURSDAY, 9), NOW)
    with pytest.raises(support_rules.SupportError) as excinfo:
        support_rules.check_confirmable(at(TODAY, 8), NOW)
    assert excinfo.value.code == "offer_expired"


def test_free_technicians_least_busy_first():
    booked = {"b": [at(THURSDAY, 9), at(THURSDAY, 10)], "a": [at(THURSDAY, 11)], "c": [at(THURSDAY, 12)]}
    assert support_rules.free_technicians(at(THURSDAY, 14), NOW, booked) == ["a", "c", "b"]
    assert support_rules.free_technicians(at(THURSDAY, 9), NOW, booked) == ["a", "c"]


def test_free_slots_skip_full_days_and_sundays():
    full = support_rules.day_slots(THURSDAY)
    slots = support_rules.free_slots(NOW, {"only": full}, days=4)
    assert at(TODAY, 11) == slots[0]
    assert not [slot for slot in slots if slot.date() in (THURSDAY, SUNDAY)]
    assert {slot.date() for slot in slots} == {TODAY, date(2026, 12, 4), date(2026, 12, 5)}


def test_no_technicians_no_slots():
    assert support_rules.free_slots(NOW, {}) == []


moments = st.datetimes(min_value=datetime(2026, 1, 1), max_value=datetime(2027, 1, 1),
                       timezones=st.just(timezone.utc))


@given(moments, st.lists(st.integers(min_value=0, max_value=200), max_size=40))
def test_booking_free_slots_never_overfills_a_day(now, picks):
    booked = {"t1": [], "t2": []}
    for pick in picks:
        slots = support_rules.free_slots(now, booked, days=3)
        if not slots:
            break
        start = slots[pick % len(slots)]
        assert start >= now + support_rules.MIN_LEAD and support_rules.is_working_slot(start)
        technician = support_rules.free_technicians(start, now, booked)[0]
        booked[technician].append(start)
    for visits in booked.values():
        assert len(visits) == len(set(visits))
        for day in {visit.date() for visit in visits}:
            assert len([v for v in visits if v.date() == day]) <= support_rules.VISITS_PER_DAY


# --- staff ------------------------------------------------------------------------------

def test_admin_may_do_all_an_agent_may_and_read_the_audit():
    assert support_rules.PERMISSIONS["agent"] < support_rules.PERMISSIONS["admin"]
    assert support_rules.can("admin", "read_audit")
    assert not support_rules.can("agent", "read_audit")
    assert support_rules.can("agent", "answer_chat")
    assert not support_rules.can("subscriber", "answer_chat")
    assert not support_rules.can(None, "view_queue")




@pytest.mark.parametrize("text, login", [("olena.k", "olena.k"), (" Agent_7 ", "agent_7")])
def test_staff_login(text, login):
    assert support_rules.check_staff_login(text) == login


@pytest.mark.parametrize("text, code", [
    ("", "required"), ("ab", "login_format"), ("0971234567", "login_format"),
    ("12345678", "login_format"), ("+380971234567", "login_format"), ("олена", "login_format"),
    ("a" * 33, "login_format"), ("with space", "login_format"),
])
def test_staff_login_refused(text, code):
    with pytest.raises(support_rules.SupportError) as excinfo:
        support_rules.check_staff_login(text)
    assert (excinfo.value.field, excinfo.value.code) == ("login", code)


# Another time for the technician ---------------------------------------------------------

_SLOTS = st.lists(st.integers(min_value=0, max_value=40), unique=True).map(
    lambda hours: [kyiv(2026, 11, 26, 9) + timedelta(hours=h) for h in sorted(hours)])


@given(_SLOTS, st.data())
def test_declined_times_come_last_and_nothing_is_lost(slots, data):
    declined = data.draw(st.lists(st.sampled_from(slots), unique=True) if slots else st.just([]))
    offered = support_rules.slots_to_offer(slots, declined)
    assert sorted(offered) == slots
    if len(declined) < len(slots):
        assert offered[0] not in declined
    kept = [slot for slot in offered if slot not in declined]
    assert kept == [slot for slot in slots if slot not in declined]  # in their order


@pytest.mark.parametrize("text, wish", [("weekdays after 18:00", "weekdays after 18:00"),
                                        ("  Saturday\n morning ", "Saturday morning"),
                                        ("x" * 200, "x" * 200)])
def test_a_wish_is_kept_trimmed(text, wish):
    assert support_rules.check_visit_wish(text) == wish


@pytest.mark.parametrize("text, code", [(None, "required"), ("", "required"), (" \n ", "required"),
                                        ("x" * 201, "too_long"), ("a\x00b", "control_characters"),
                                        ("a\x1bb", "control_characters")])
def test_a_wish_refused(text, code):
    with pytest.raises(support_rules.SupportError) as refused:
        support_rules.check_visit_wish(text)
    assert (refused.value.code, refused.value.field) == (code, "wish")
