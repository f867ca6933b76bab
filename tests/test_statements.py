from winloss.interviews.readers.common import UNKNOWN_SPEAKER
from winloss.interviews.roles import detect_roles
from winloss.interviews.statements import extract_statements, split_turn
from winloss.models import RoleResult, Transcript, Turn


def spans(text):
    return [text[a:b] for a, b in split_turn(text)]


def test_backchannels_fillers_and_small_talk_are_dropped():
    for text in ["Yeah.", "Mm-hmm.", "Right, right.", "Uh-huh, yeah, totally.", "Thanks for having me!",
                 "Oh good, thanks. Doing well, how are you?", "No. I think that covers it. Thanks.",
                 "That's everything from me."]:
        assert spans(text) == [], text


def test_leading_fillers_are_trimmed_but_text_stays_verbatim():
    text = "Yeah, so, um, the Salesforce sync broke every other week. It was a mess."
    assert spans(text) == ["the Salesforce sync broke every other week. It was a mess."]


def test_a_leading_negator_is_never_trimmed_as_a_filler():
    assert spans("Good. No complaints.") == ["No complaints."]
    assert spans("Sure, no hard feelings.") == ["no hard feelings."]
    assert spans("Nope, nobody ever called us back about the sync.") == ["Nope, nobody ever called us back about the sync."]
    assert spans("Uh-uh, it never synced with QuickBooks at all.") == ["Uh-uh, it never synced with QuickBooks at all."]
    assert spans("Yeah, not once did support answer a ticket.") == ["not once did support answer a ticket."]
    assert spans("Nope.") == []  # still no evidence on its own


def test_a_word_that_modifies_what_follows_is_trimmed_only_when_set_apart():
    assert spans("Like two days and we were live on the other tool.") == ["Like two days and we were live on the other tool."]
    assert spans("Right now we run payroll twice a month on it.") == ["Right now we run payroll twice a month on it."]
    assert spans("Great support, they always answered the same day.") == ["Great support, they always answered the same day."]
    assert spans("Like, the discovery call had questions about cost centers.") == [
        "the discovery call had questions about cost centers."]


def test_short_sentences_join_their_neighbour_and_long_ones_split_at_clauses():
    text = ("It was too expensive. Way too expensive. Clarion was half the price per seat and their demo was simpler, "
            "and the CFO liked that they had a flat platform fee, but we also heard from our reps that the forecasting "
            "module was weaker and that onboarding took months at other customers of theirs, which made us hesitate.")
    got = spans(text)
    assert got[0] == "It was too expensive. Way too expensive."
    assert len(got) >= 3
    assert all(len(s.split()) <= 45 for s in got)
    assert all(s in text for s in got)


def test_abbreviations_do_not_end_sentences():
    text = "We compared it with Clarion vs. Tallyhub for a month, e.g. on forecast accuracy and dashboards."
    assert spans(text) == [text]


def test_a_quotation_is_never_cut_inside_nor_where_the_sentence_goes_on_after_it():
    said = ('The CFO said "I do not trust this forecast at all and I will not present it to the board again. We need '
            'numbers that reconcile with the ledger every single month." That is why we left in the end.')
    assert spans(said) == [said[:said.index(" That")], "That is why we left in the end."]
    curly = ("Our admin wrote in Slack, \u201cthe Salesforce sync broke again over the weekend and half the deals are "
             "stale. Can someone call support?\u201d and nobody from your side picked up for three days.")
    assert spans(curly) == [curly]
    # an opening quote that never closes (ASR, a typo) does not hold the rest of the turn in one statement
    open_quote = ('We were told the "migration would take a week and it took three months of our time. Then the '
                  'Salesforce sync broke twice during the quarter close and nobody called us back.')
    assert len(spans(open_quote)) == 2


def transcript(*turns):
    return Transcript([Turn(s, t, float(i), float(i + 1)) for i, (s, t) in enumerate(turns)])


def test_only_customer_speech_even_when_interviewer_uses_the_same_words():
    t = transcript(
        ("Dana", "How painful was the Salesforce sync breaking every week for your team?"),
        ("Lee", "The Salesforce sync breaking every week was painful for the team."),
        ("Dana", "And the pricing, was it too expensive for your budget?"),
        ("Lee", "Yeah, it was too expensive for our budget this year."),
    )
    roles = detect_roles(t)
    assert roles.interviewers == {"Dana"}
    found = extract_statements("I1", "lost", t, roles)
    assert [s.speaker for s in found] == ["Lee", "Lee"]
    assert found[0].text == "The Salesforce sync breaking every week was painful for the team."
    assert found[1].question.startswith("And the pricing")
    for s in found:
        assert s.text in t.turns[s.turn_index].text and t.turns[s.turn_index].speaker == "Lee"


def test_roles_by_manifest_config_and_questions():
    t = transcript(("A", "What happened?"), ("B", "We ran out of budget for the year."), ("A", "Why then?"),
                   ("B", "The freeze came in March."))
    assert detect_roles(t, {"b"}).interviewers == {"B"}  # manifest wins, case-insensitive
    assert detect_roles(t, (), ["A"]).method == "config"
    by_questions = detect_roles(t)
    assert by_questions.method == "questions" and by_questions.interviewers == {"A"} and not by_questions.warning


def test_a_last_first_label_matches_the_interviewer_as_people_type_names():
    """Zoom's corporate display names read "Rembhotkar, Simantini"; interviews.csv says "Simantini Rembhotkar"."""
    t = transcript(("Rembhotkar, Simantini", "What happened?"), ("Birje, Shreya", "We ran out of budget."),
                   ("Rembhotkar, Simantini", "Why then?"), ("Birje, Shreya", "The freeze came in March."))
    assert detect_roles(t, {"Simantini Rembhotkar"}).interviewers == {"Rembhotkar, Simantini"}
    assert detect_roles(t, {"Rembhotkar, Simantini"}).interviewers == {"Rembhotkar, Simantini"}
    assert detect_roles(t, {"Simantini"}).interviewers == {"Rembhotkar, Simantini"}  # a first name alone
    assert not detect_roles(t, {"Shreya Rembhotkar"}).method == "manifest"


def test_roles_that_cannot_be_told_apart_warn():
    t = transcript(("A", "We liked it."), ("B", "We did not."))
    assert "could not be told apart" in detect_roles(t).warning and not detect_roles(t).sure
    one = detect_roles(transcript(("A", "We liked the product a lot.")))
    assert "only one speaker" in one.warning and not one.sure
    clear = transcript(("A", "Why did you buy?"), ("B", "The forecast."), ("A", "What else?"), ("B", "Support."),
                       ("A", "And pricing?"), ("B", "Fine."), ("A", "Anything to change?"), ("B", "The mobile app."))
    assert detect_roles(clear).interviewers == {"A"} and detect_roles(clear).sure


def test_statement_timestamps_come_from_the_cue_that_holds_them():
    text = "First we had sync issues every single week. Then support stopped replying to our tickets at all."
    turn = Turn("Lee", text, 10.0, 20.0, cues=((0, 10.0, 14.0), (text.index("Then"), 14.0, 20.0)))
    t = Transcript([Turn("Dana", "What went wrong?", 5.0, 9.0), turn])
    found = extract_statements("I1", "churned", t, RoleResult({"Dana"}, {"Lee"}, "manifest"))
    assert [(s.start, s.end) for s in found] == [(10.0, 14.0), (14.0, 20.0)]


def test_an_interviewer_name_that_matches_no_speaker_is_reported():
    t = transcript(("Sam Lee", "What happened?"), ("Ana", "We ran out of budget for the year."),
                   ("Sam Lee", "Why then?"), ("Ana", "The freeze came in March."))
    roles = detect_roles(t, {"Sam Le"})
    assert roles.interviewers == {"Sam Lee"} and roles.method == "questions"
    assert "interviewer Sam Le is not a speaker in this transcript" in roles.warning
    assert detect_roles(t, {"sam lee"}).warning == ""


def test_without_speaker_labels_a_question_that_lost_its_question_mark_is_still_the_interviewers():
    lines = ["Who were the other vendors you looked at.", "We looked at Clarion and Tallyhub, mostly on forecasting.",
             "Got it. And how long did the implementation take.", "What we needed was offline sync for the reps.",
             "Was price a factor.", "What happened was the Salesforce sync broke in the second month.",
             "Where it fell down was the reporting for managers.", "When it works, it works well for the team."]
    found = extract_statements("I1", "lost", transcript(*[(UNKNOWN_SPEAKER, x) for x in lines]),
                               RoleResult(set(), {UNKNOWN_SPEAKER}, "speakerless"))
    assert [s.text for s in found] == [lines[1], lines[3], lines[5], lines[6], lines[7]]  # no "Got it." either
    assert found[0].question == lines[0] and found[2].question == lines[4]


def test_without_speaker_labels_a_question_is_never_evidence():
    # whisper's plain .txt: one line per segment, nobody named
    t = transcript((UNKNOWN_SPEAKER, "Thanks for coming in. I want to start with how you found us."),
                   (UNKNOWN_SPEAKER, "We found you through a webinar on pipeline hygiene, actually."),
                   (UNKNOWN_SPEAKER, "What would make you recommend us to a peer?"),
                   (UNKNOWN_SPEAKER, "If the forecast accuracy holds for another two quarters, I would put my name on it."),
                   (UNKNOWN_SPEAKER, "How long did the rollout take?"),
                   (UNKNOWN_SPEAKER, "The rollout took three weeks because the Salesforce mapping was custom."))
    roles = detect_roles(t)
    assert roles.method == "speakerless" and "sentences that ask or prompt" in roles.warning
    found = extract_statements("I1", "won", t, roles)
    texts = [s.text for s in found]
    assert not [x for x in texts if x.endswith("?")]
    assert not [x for x in texts if "coming in" in x or "start with" in x]  # a prompt without "?" is the interviewer's
    assert any("put my name on it" in x for x in texts) and any("three weeks" in x for x in texts)
    by_text = {s.text: s for s in found}
    assert by_text[next(x for x in texts if "put my name" in x)].question == "What would make you recommend us to a peer?"


def test_without_speaker_labels_a_prompt_never_joins_the_answer():
    # whisper's .srt of a churn call: the interviewer's prompts carry no question mark, or share a segment with
    # the answer
    t = transcript((UNKNOWN_SPEAKER, "So the first question is simply why you cancelled."),
                   (UNKNOWN_SPEAKER, "We consolidated vendors after the acquisition and the parent company paid for Clarion."),
                   (UNKNOWN_SPEAKER, "What made you look elsewhere? Honestly the renewal quote doubled overnight."),
                   (UNKNOWN_SPEAKER, "Tell me about the rollout"),
                   (UNKNOWN_SPEAKER, "Do you know, the reps loved the mobile app from day one."))
    found = extract_statements("I1", "churned", t, detect_roles(t))
    assert [s.text for s in found] == [
        "We consolidated vendors after the acquisition and the parent company paid for Clarion.",
        "the renewal quote doubled overnight.",
        "Do you know, the reps loved the mobile app from day one."]
    assert [s.question for s in found] == ["So the first question is simply why you cancelled.",
                                           "What made you look elsewhere?", "Tell me about the rollout"]


def test_an_interviewer_named_by_first_name_is_matched_when_it_picks_out_one_speaker():
    t = transcript(("Dana Ruiz (Northwind)", "What happened?"), ("Ana Lima", "We ran out of budget for the year."),
                   ("Dana Ruiz (Northwind)", "Why then?"), ("Ana Lima", "The freeze came in March."))
    roles = detect_roles(t, {"dana"})
    assert roles.interviewers == {"Dana Ruiz (Northwind)"} and roles.method == "manifest" and roles.warning == ""
    otter = transcript(("Dana", "What happened?"), ("Ana Lima", "We ran out of budget."))  # Otter's first-name label
    assert detect_roles(otter, {"Dana Ruiz"}).interviewers == {"Dana"}
    two = transcript(("Dana Ruiz", "What happened?"), ("Dana Cole", "We ran out of budget."))
    assert detect_roles(two, {"Dana"}).method == "questions"  # ambiguous: not matched, reported
