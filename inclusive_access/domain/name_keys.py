"""Names folded for search: the one function every writer of a patient's name calls, and the query uses too."""
import unicodedata

#: letters that Unicode does not decompose into a base letter and an accent
_LATIN = str.maketrans({"ø": "o", "æ": "ae", "œ": "oe", "ł": "l", "đ": "d", "ð": "d", "þ": "th", "ı": "i"})
#: what a folded name is made of, in the order a B-tree index keeps it under any collation
ALPHABET = "0123456789abcdefghijklmnopqrstuvwxyz"
KEY_LENGTH = 100


def fold(text: str) -> str:
    """Lower case, accents stripped, punctuation and spaces removed: "Zoë O'Brien" -> "zoeobrien".

    Staff type names as they hear them: without accents, in capitals, with or without an apostrophe, hyphen or
    space. Letters of other scripts are kept (a name is never folded to nothing), but NHS demographics hold
    names in Latin letters.
    """
    decomposed = unicodedata.normalize("NFKD", text.casefold().translate(_LATIN))
    return "".join(ch for ch in decomposed if ch.isalnum() and not unicodedata.combining(ch))[:KEY_LENGTH]


def keys(given_name: str, family_name: str) -> dict[str, str]:
    """The patient's folded name columns, for `Patient(**...)`, an update or a bulk insert."""
    return {"given_name_key": fold(given_name), "family_name_key": fold(family_name)}
