import pytest

from winloss.decoding import NotText, decode_bytes

TEXT = "Dana Ruiz: José said the Zürich team “loved” it — 20% cheaper.\n"


@pytest.mark.parametrize("codec, expected", [
    ("utf-8", "utf-8"), ("utf-8-sig", "utf-8-sig"), ("utf-16", "utf-16"), ("utf-16-le", "utf-16-le"),
    ("utf-16-be", "utf-16-be"), ("cp1252", "cp1252"),
])
def test_decodes_what_editors_save(codec, expected):
    decoded = decode_bytes(TEXT.encode(codec))
    assert decoded.text == TEXT
    assert decoded.encoding == expected
    assert decoded.is_unicode == expected.startswith("utf")


def test_cyrillic_code_page_is_not_read_as_cp1252():
    text = "Интервьюер: Почему вы выбрали другого поставщика? Клиент: Цена была ниже.\n" * 3
    decoded = decode_bytes(text.encode("cp1251"))
    assert decoded.text == text
    assert decoded.encoding != "cp1252"


@pytest.mark.parametrize("data", [b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n1 0 obj\x00\x01\x02\x03" * 20,
                                  bytes(range(256)) * 4])
def test_binary_is_not_text(data):
    with pytest.raises(NotText):
        decode_bytes(data)
