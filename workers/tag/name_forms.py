"""The written forms a name takes in running text (pure).

A gazetteer lists "روسيا" and "Россия"; an article writes "وروسيا", "لروسيا", "الروسي",
"России", "Russlands". Rather than stem every token of every article, each name is expanded
once, when the matcher is built, into the forms a reader would still recognise as that
name. Names arrive already folded (workers.dedupe.normalize, case kept).
"""

from __future__ import annotations

import functools
import re

import stopwordsiso
from newsflow_native import CharClasses

_ARABIC = re.compile("[\u0600-\u06ff]")
_CYRILLIC = re.compile("[\u0400-\u04ff]")
_LATIN = re.compile("[A-Za-z\u00c0-\u024f]")

# One-letter Arabic proclitics that attach to the next word: wa- and fa- (and, so), bi-
# (with, in), li- (for, to), ka- (like), and the pairs they form.
_PROCLITICS = ("", "و", "ف", "ب", "ل", "ك", "وب", "ول", "فب", "فل", "وك")

# Endings of Russian nouns and adjectives by case and number: "Путин" -> "Путина",
# "Путину", "Путиным"; "Россия" -> "России", "Россию", "Россией".
# The first is "": the name as given.
_RUSSIAN_ENDINGS = (
    "",
    "а",
    "у",
    "е",
    "ы",
    "и",
    "ю",
    "я",
    "ом",
    "ым",
    "ой",
    "ей",
    "ем",
    "ию",
    "ии",
    "ией",
    "ах",
    "ам",
    "ами",
    "ов",
)
_RUSSIAN_SOFT_FINALS = "аяьйоеыи"

# Arabic nisba (relational adjective): الصين -> صيني, الصينية, الصينيون, الصينيين.
_NISBA_ENDINGS = ("ي", "ية", "يون", "يين", "يان")


def is_arabic(text: str) -> bool:
    return _ARABIC.search(text) is not None


# Kana, CJK ideographs (extension A and the unified block) and Hangul syllables.
UNSPACED_LETTERS = CharClasses([[(0x3040, 0x30FF), (0x3400, 0x9FFF), (0xAC00, 0xD7AF)]])


def is_cjk(text: str) -> bool:
    """Scripts written without spaces between words: names are matched inside runs."""
    return UNSPACED_LETTERS.any([text])


def arabic_forms(name: str) -> set[str]:
    """The name with each proclitic on its first word; li- before al- becomes lil-
    (ل + الصين -> للصين), as Arabic spelling drops the alef."""
    first, _, rest = name.partition(" ")
    tail = f" {rest}" if rest else ""
    forms = set()
    for clitic in _PROCLITICS:
        if clitic.endswith("ل") and first.startswith("ال"):
            forms.add(f"{clitic[:-1]}لل{first[2:]}{tail}")
        else:
            forms.add(f"{clitic}{first}{tail}")
    return forms


def arabic_nisba_stem(country: str) -> str | None:
    """The stem of a one-word country name's nisba: روسيا -> روس, الصين -> صين,
    فرنسا -> فرنس, امريكا -> امريك, السعودية -> سعود. None for names of several words or
    stems too short to be safe."""
    if " " in country:
        return None
    stem = country.removeprefix("ال")
    for suffix in ("ية", "يا", "ا", "ة"):  # السعودية -> سعود
        if stem.endswith(suffix):
            stem = stem[: -len(suffix)]
            break
    return stem if len(stem) >= 3 else None


def arabic_demonyms(country: str) -> set[str]:
    stem = arabic_nisba_stem(country)
    if stem is None:
        return set()
    forms = set()
    for ending in _NISBA_ENDINGS:
        forms |= arabic_forms(stem + ending) | arabic_forms("ال" + stem + ending)
    return forms


def russian_forms(name: str) -> set[str]:
    """Case endings on the last word of a Cyrillic name ("Владимир Путин" -> "... Путина")."""
    head, _, last = name.rpartition(" ")
    prefix = f"{head} " if head else ""
    stems = {last}
    if last[-1:] in _RUSSIAN_SOFT_FINALS and len(last) > 3:
        stems.add(last[:-1])
    if last.endswith("ия"):
        stems.add(last[:-2] + "и")
    # A stem without its final vowel is no word on its own ("Само" is not Samoa), and an
    # inflected form that is a common word (stopwords-iso's Russian list) is left out.
    forms = {
        prefix + stem + ending
        for stem in stems
        for ending in _RUSSIAN_ENDINGS
        if len(stem + ending) >= len(last) - 1 and (stem == last or ending)
    }
    return {f for f in forms if f == name or f.casefold() not in _russian_stopwords()}


@functools.cache
def _russian_stopwords() -> frozenset[str]:
    return frozenset(word.casefold() for word in stopwordsiso.stopwords("ru"))


def latin_forms(name: str, *, language: str | None = None) -> set[str]:
    """The name as written and in capitals (headlines); German adds a genitive -s
    ("Russlands") and the -n of adjectives in the dative ("Vereinigten Staaten"); English
    possessives split at the apostrophe on their own."""
    forms = {name, name.upper()}
    if language == "de":
        if not name.endswith("s"):
            forms.add(name + "s")
        if " " in name:  # die Vereinigte Staaten -> den Vereinigten Staaten
            forms.add(" ".join(w + "n" if w.endswith("e") else w for w in name.split()))
    return forms


def english_demonym_forms(demonym: str) -> set[str]:
    """ "Russian" -> "Russian", "Russians"; "Chinese" and "Swiss" take no plural -s."""
    forms = {demonym}
    if not demonym.endswith(("ese", "ss", "sh", "ch", "s")):
        forms.add(demonym + "s")
    return {form for base in forms for form in latin_forms(base)}


_UNACCENT_LAST = str.maketrans("áéíóú", "aeiou")


def _romance_adjective(base: str, language: str) -> set[str]:
    """ruso -> rusa, rusos, rusas; alemán -> alemana, alemanes; russo -> russi, russe;
    cinese -> cinesi; ukrainien -> ukrainienne; chinois -> chinoise."""
    if language == "fr":
        forms = {base, base + "s", base + "e", base + "es"}
        if base.endswith("en"):
            forms |= {base + "ne", base + "nes"}
        return forms
    plain = base[:-2] + base[-2:].translate(_UNACCENT_LAST)  # alemán -> aleman-a
    if base.endswith("o"):
        stem = base[:-1]
        endings = ("o", "a", "os", "as", "i", "e") if language == "it" else ("o", "a", "os", "as")
        return {stem + ending for ending in endings}
    if base.endswith("e"):
        return {base, base[:-1] + "i", base + "s"}
    return {base, plain + "a", plain + "as", plain + "es"}


def adjective_forms(adjective: str, language: str) -> set[str]:
    """The inflected forms of a country's adjective (from its language's name in CLDR, see
    gazetteer), lower case as written mid-sentence and capitalised at a sentence start."""
    base = adjective.lower()
    if language in ("fr", "es", "it", "pt"):
        forms = _romance_adjective(base, language)
    elif language == "de":  # russisch -> russische, russischen, russischer, russisches
        forms = {base + ending for ending in ("", "e", "en", "er", "es", "em")}
    elif language == "ru" and base.endswith(("ский", "цкий")):  # русский -> русская, ...
        stem = base[:-2]
        endings = ("ий", "ая", "ое", "ие", "ого", "ому", "им", "ом", "ой", "ую", "их", "ими")
        forms = {stem + ending for ending in endings}
    else:
        return set()
    return forms | {form[:1].upper() + form[1:] for form in forms}


def written_forms(name: str, *, language: str | None = None) -> set[str]:
    """Every form of `name` to look for, by the script it is written in."""
    if is_arabic(name):
        return arabic_forms(name)
    if _CYRILLIC.search(name):
        return russian_forms(name) | {form.upper() for form in russian_forms(name)}
    if _LATIN.search(name):
        return latin_forms(name, language=language)
    return {name}
