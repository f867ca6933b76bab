"""A quote names its speaker by name, or, for a seat label the export gave, as the customer with that label kept
(interviews.roles.quoted_speaker); the same labels are no person's name to redact (llm.redact.name_terms)."""
import pytest

from winloss.interviews.roles import quoted_speaker
from winloss.llm.redact import name_terms


@pytest.mark.parametrize("label,quoted", [
    ("Speaker 2", "customer (Speaker 2)"),  # Rev, Otter
    ("SPEAKER_00", "customer (SPEAKER_00)"),  # whisperX, pyannote
    ("Unknown Speaker", "customer (Unknown Speaker)"),  # Zoom, Teams
    ("Guest B", "customer (Guest B)"),
    ("Speaker", "customer"),  # a source that names no speaker
    ("", "customer"),
    ("Customer", "Customer"),
    ("Dana Ruiz", "Dana Ruiz"),
    ("Ann (Acme)", "Ann (Acme)"),
])
def test_a_seat_label_is_quoted_as_the_customer_and_a_name_as_itself(label, quoted):
    assert quoted_speaker(label) == quoted


def test_seat_labels_are_not_names_to_redact():
    assert name_terms(["Unknown Speaker", "Speaker 2", "SPEAKER_01", "Dana Ruiz"]) == {"Dana Ruiz", "Dana", "Ruiz"}
