"""Matching keys: how q2c decides that two spellings name the same thing (no ORM here).

Every comparison of names, e-mail domains or VAT numbers from another system goes through
these functions, and the candidate searches compare the keys they give (stored on the
records), so a key is normalised one way in one place (issue 11, item 9): accents folded
(Unicode NFKD, combining marks dropped: "Société" and "Societe" match), case folded,
whitespace collapsed.
"""

import re
import unicodedata

# Legal forms, as tokens of a name key (after `fold`, punctuation removed and runs of single
# letters joined: "S.A.", "S. A." and "SA" are all `sa`; "S.à r.l." is `sarl`). Taken off the
# end of a name only, where legal forms stand ("Co Op Foods" keeps its "co").
LEGAL_FORMS = frozenset(
    {
        "inc",
        "incorporated",
        "llc",
        "llp",
        "lp",
        "ltd",
        "limited",
        "corp",
        "corporation",
        "co",
        "company",
        "gmbh",
        "mbh",
        "ag",
        "kg",
        "ohg",
        "ug",
        "ev",
        "sa",
        "sas",
        "sasu",
        "sarl",
        "eurl",
        "sca",
        "snc",
        "bv",
        "nv",
        "plc",
        "pty",
        "srl",
        "spa",
        "sl",
        "slu",
        "oy",
        "oyj",
        "ab",
        "as",
        "asa",
        "aps",
        "kk",
        "sp",
        "zoo",
        "sro",
        "pte",
        "bhd",
        "sdn",
    }
)
_NOT_WORD = re.compile(r"[^\w]+")
_NOT_ALNUM = re.compile(r"[^0-9a-z]+")


def fold(text):
    """`text` without accents, case-folded, whitespace collapsed ('' for nothing)."""
    if not isinstance(text, str):
        return ""
    decomposed = unicodedata.normalize("NFKD", text)
    bare = "".join(char for char in decomposed if not unicodedata.combining(char))
    return " ".join(bare.casefold().split())


def _join_initials(tokens):
    """Runs of single letters joined: ["s", "a", "r", "l"] -> ["sarl"]."""
    joined, run = [], []
    for token in [*tokens, ""]:
        if len(token) == 1:
            run.append(token)
            continue
        if run:
            joined.append("".join(run))
            run = []
        if token:
            joined.append(token)
    return joined


def name_key(name):
    """The key of a company name: folded, punctuation dropped, initials joined, trailing
    legal forms taken off ("Société Générale S.A." and "Societe Generale" give
    "societe generale"). A name made only of legal forms keeps them. '' for no name."""
    tokens = _join_initials(_NOT_WORD.sub(" ", fold(name).replace("_", " ")).split())
    end = len(tokens)
    while end and tokens[end - 1] in LEGAL_FORMS:
        end -= 1
    return " ".join(tokens[:end] or tokens)


def _unpuny(label):
    """An internationalised domain label in its Unicode form ("xn--mller-kva": "müller")."""
    if not label.startswith("xn--"):
        return label
    try:
        return label.encode("ascii").decode("idna")
    except UnicodeError:
        return label


def email_domain(email):
    """The domain of an e-mail address, folded like names, an internationalised domain
    read in its Unicode form first ("Müller.DE", "muller.de" and "xn--mller-kva.de" give
    "muller.de": a candidate for a person to look at, not a proof); '' when none."""
    if not isinstance(email, str) or "@" not in email:
        return ""
    domain = email.rpartition("@")[2].strip().rstrip(".>").casefold()
    return fold(".".join(_unpuny(label) for label in domain.split(".")))


def vat_key(vat):
    """A VAT number's letters and digits only, upper case ("be 0477.472.701" and
    "BE0477472701" match); '' when there are none."""
    return _NOT_ALNUM.sub("", fold(vat)).upper()
