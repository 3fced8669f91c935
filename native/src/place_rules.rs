//! The tag stage's place rules, compiled: each place form the matchers found, judged in its
//! words, and the place tags of the mentions kept.
//!
//! The rule is Python's (workers/tag/place_context.py says what each rule decides and why;
//! its `judge` is the reference the tests hold this one to). In Python the judging and the
//! tally were a third of tagging a long article: a few dozen mentions an article, each
//! paying the interpreter for a dozen small steps.

use pyo3::exceptions::PyValueError;
use pyo3::prelude::*;
use pyo3::pybacked::PyBackedStr;
use rustc_hash::{FxHashMap, FxHashSet};
use std::collections::HashMap;

type Words = FxHashSet<Box<str>>;

// Rules, in the order of place_context.RULES (the Python side checks it).
const NAME: u8 = 0;
const DEMONYM: u8 = 1;
const CITY: u8 = 2;
const SUPPORTED: u8 = 3;
const PERSON_NAME: u8 = 4;
const CLUB: u8 = 5;
const ORGANISATION: u8 = 6;
const WORD: u8 = 7; // a mask's kind, a sea's or a gulf's name, and a street's
const UNSUPPORTED: u8 = 8;
const RULE_NAMES: [&str; 9] = [
    "name",
    "demonym",
    "city",
    "supported",
    "person_name",
    "club",
    "organisation",
    "word",
    "unsupported",
];
/// A kept mention's confidence, by rule (place_context.CONFIDENCE); 0 for the others.
fn confidence(rule: u8) -> f64 {
    match rule {
        NAME | CITY => 1.0,
        DEMONYM => 0.9,
        SUPPORTED => 0.8,
        _ => 0.0,
    }
}

// Key kinds, as the keys' prefixes name them (0: a country's name).
const COUNTRY_KEY: u8 = 0;
const DEMONYM_KEY: u8 = 1;
const CITY_KEY: u8 = 2;
const REGION_KEY: u8 = 3;
const NO_COUNTRY: u32 = u32::MAX;
const CODE_POINTS: usize = 0x11_0000;
/// The word lists the rules read (a rule whose list were missing would never fire).
const WORD_LISTS: [&str; 25] = [
    "ar_name_before",
    "ar_name_after",
    "ar_title_forms",
    "en_given",
    "en_organisation_heads",
    "en_paper_heads",
    "en_name_after_heads",
    "en_association_heads",
    "en_named_for_a_place",
    "en_water_heads",
    "en_water_heads_after",
    "en_game_verbs",
    "en_result_words",
    "en_played_for",
    "en_relatives",
    "en_byline_verbs",
    "en_counted",
    "en_team_heads",
    "en_team_prefixes",
    "en_street_heads",
    "en_not_a_family_name",
    "en_stopwords",
    "en_place_prepositions",
    "en_not_an_initial",
    "en_list_words",
];

// Character flags (what Python's str methods say of each code point).
const ALPHA: u8 = 1;
const UPPER: u8 = 2;
const LOWER: u8 = 4;
const TITLE: u8 = 8;

/// A key a phrase stands for: its kind, its country, and the place tags a mention under it
/// counts for (a tag slot and how it matched: 0 name, 1 demonym, 2 city).
struct Key {
    kind: u8,
    country: u32,
    tags: Vec<(u32, u8)>,
    /// A capital named like a bigger city of another country (gazetteer.py).
    overshadowed: bool,
}

/// One matcher's phrases: each one's form and keys (ids into `PlaceRules::keys`).
struct Matcher {
    forms: Vec<Box<str>>,
    keys: Vec<Vec<u32>>,
}

/// Per matcher (its number), its hits as PhraseIndex.find gives them: (paragraph, phrase,
/// offset in characters, offset in bytes).
type SpotsByMatcher = Vec<(usize, Vec<(usize, usize, usize, usize)>)>;
/// A key as Python describes it: kind, country number, tag slots with how each matched.
type KeyRow = (u8, Option<u32>, Vec<(u32, u8)>, bool);
/// A mention judged, for Python: matcher, phrase, paragraph, offset, rule, keys kept.
type MentionRow = (usize, usize, usize, usize, u8, Vec<usize>);

/// A form found: where (chars, as Python indexes the text; bytes, to read its words).
#[derive(Clone, Copy)]
struct Mention {
    matcher: usize,
    phrase: usize,
    paragraph: usize,
    at: usize,
    end: usize,
    byte_at: usize,
    byte_end: usize,
}

/// What a mention is judged: its rule, and which of its keys it keeps (a bit per key).
struct Judged {
    mention: Mention,
    rule: u8,
    kept: u64,
}

#[pyclass(frozen)]
pub(crate) struct PlaceRules {
    keys: Vec<Key>,
    matchers: Vec<Matcher>,
    flags: Vec<u8>,
    // Python's str.casefold of each character it changes
    folds: FxHashMap<char, Box<str>>,
    titles: FxHashMap<Box<str>, Words>,
    first_names: FxHashMap<Box<str>, Words>,
    words: FxHashMap<Box<str>, Words>,
    organisation_reach: usize,
    game_verb_reach: usize,
    title_case_share: f64,
}

fn word_set(words: Vec<String>) -> Words {
    words.into_iter().map(String::into_boxed_str).collect()
}

fn word_sets(sets: HashMap<String, Vec<String>>) -> FxHashMap<Box<str>, Words> {
    sets.into_iter()
        .map(|(name, words)| (name.into_boxed_str(), word_set(words)))
        .collect()
}

/// A word of a text: the word, and where it starts (byte, char).
struct Near<'t> {
    word: &'t str,
    byte: usize,
    char: usize,
}

/// place_context._word_before: the word before the character before byte `at` (char
/// `at_char`), up to that character (in folded text, the space between two words; a form
/// found inside a run of Chinese has a letter there).
fn word_before(text: &str, at: usize, at_char: usize) -> Near<'_> {
    let stop = text[..at]
        .chars()
        .next_back()
        .map_or(0, |c| at - c.len_utf8());
    if at_char < 2 {
        return Near {
            word: "",
            byte: stop,
            char: at_char.saturating_sub(1),
        };
    }
    let start = text[..stop].rfind(' ').map_or(0, |space| space + 1);
    let word = &text[start..stop];
    Near {
        word,
        byte: start,
        // offsets come from PhraseIndex, consistent; saturating all the same
        char: at_char.saturating_sub(1 + word.chars().count()),
    }
}

/// place_context._word_before_that: the word before `before`, itself the word before a form.
fn word_before_that<'t>(text: &'t str, before: &Near<'t>) -> &'t str {
    word_before(text, before.byte, before.char).word
}

/// place_context.word_after: the word after the character at byte `end` (where a form
/// ends), up to the next space.
fn word_after(text: &str, end: usize) -> Near<'_> {
    let from = text[end..]
        .chars()
        .next()
        .map_or(end, |c| end + c.len_utf8());
    if from >= text.len() {
        return Near {
            word: "",
            byte: from,
            char: 0,
        };
    }
    let rest = &text[from..];
    Near {
        word: &rest[..rest.find(' ').unwrap_or(rest.len())],
        byte: from,
        char: 0,
    }
}

impl PlaceRules {
    fn set(&self, name: &str) -> Option<&Words> {
        self.words.get(name)
    }

    fn within(&self, name: &str, word: &str) -> bool {
        self.set(name).is_some_and(|set| set.contains(word))
    }

    fn flags_of(&self, c: char) -> u8 {
        self.flags[c as usize] // one byte per code point (checked in `new`)
    }

    /// Python's str.casefold.
    fn casefold(&self, word: &str) -> String {
        let mut folded = String::with_capacity(word.len());
        for c in word.chars() {
            match self.folds.get(&c) {
                Some(to) => folded.push_str(to),
                None => folded.push(c),
            }
        }
        folded
    }

    fn first_flags(&self, word: &str) -> u8 {
        word.chars().next().map_or(0, |c| self.flags_of(c))
    }

    /// str.isupper: some cased character, none lower case or title case.
    fn is_upper(&self, word: &str) -> bool {
        let mut cased = false;
        for c in word.chars() {
            let flags = self.flags_of(c);
            if flags & (LOWER | TITLE) != 0 {
                return false;
            }
            cased |= flags & UPPER != 0;
        }
        cased
    }

    /// place_context._capitalised: a capital, then lower case letters ("Lions", not "NSW").
    fn capitalised(&self, word: &str) -> bool {
        self.first_flags(word) & UPPER != 0
            && word.chars().all(|c| self.flags_of(c) & ALPHA != 0)
            && !self.is_upper(word)
    }

    /// place_context._title_case: a headline in Title Case.
    fn title_case(&self, text: &str) -> bool {
        let (mut words, mut upper) = (0usize, 0usize);
        for word in text.split(' ') {
            let flags = self.first_flags(word);
            if flags & ALPHA != 0 {
                words += 1;
                upper += usize::from(flags & UPPER != 0);
            }
        }
        upper as f64 >= self.title_case_share * words as f64
    }

    /// str.lower() of `word` in the set: the sets hold ASCII words, and NFKC-folded text
    /// holds no other letter whose lower case is ASCII.
    fn lower_within(&self, name: &str, word: &str) -> bool {
        word.is_ascii() && self.within(name, &word.to_ascii_lowercase())
    }

    fn form(&self, mention: &Mention) -> &str {
        &self.matchers[mention.matcher].forms[mention.phrase]
    }

    fn keys_of(&self, mention: &Mention) -> &[u32] {
        &self.matchers[mention.matcher].keys[mention.phrase]
    }

    /// place_context._is_city: some of the places the form stands for is a city.
    fn is_city(&self, m: &Mention) -> bool {
        self.keys_of(m)
            .iter()
            .any(|&k| self.keys[k as usize].kind == CITY_KEY)
    }

    /// place_context._names_a_country: some of the places the form stands for is a
    /// country by its name.
    fn names_a_country(&self, m: &Mention) -> bool {
        self.keys_of(m)
            .iter()
            .any(|&k| self.keys[k as usize].kind == COUNTRY_KEY)
    }

    /// place_context._only_cities: every place the form stands for is a city.
    fn only_cities(&self, m: &Mention) -> bool {
        self.keys_of(m)
            .iter()
            .all(|&k| self.keys[k as usize].kind == CITY_KEY)
    }

    /// place_context._only_demonyms: every place the form stands for is a demonym's country.
    fn only_demonyms(&self, m: &Mention) -> bool {
        self.keys_of(m)
            .iter()
            .all(|&k| self.keys[k as usize].kind == DEMONYM_KEY)
    }

    /// place_context.in_name_pattern.
    fn in_name_pattern(&self, text: &str, m: &Mention, language: &str) -> bool {
        let form = self.form(m);
        if form.contains(' ') {
            return false;
        }
        let before = word_before(text, m.byte_at, m.at).word;
        if language == "ar" {
            return self.within("ar_name_before", before)
                || (self.within("ar_title_forms", before) && !form.starts_with("ال"))
                || self.within("ar_name_after", word_after(text, m.byte_end).word);
        }
        self.titles
            .get(language)
            .is_some_and(|titles| titles.contains(before))
    }

    /// place_context._english_rule: the rule that makes an English mention no place.
    fn english_rule(
        &self,
        text: &str,
        m: &Mention,
        starts: &FxHashSet<(usize, usize)>,
    ) -> Option<u8> {
        if self.names_an_event(text, m)
            || self.inside_an_association(text, m)
            || self.names_a_campaign(text, m)
        {
            return Some(ORGANISATION);
        }
        if self.names_a_team(text, m) {
            return Some(CLUB);
        }
        if self.names_a_water_or_street(text, m) {
            return Some(WORD);
        }
        if self.in_english_name(text, m, starts) {
            return Some(PERSON_NAME);
        }
        None
    }

    fn names_an_event(&self, text: &str, m: &Mention) -> bool {
        let mut end = m.byte_end;
        for i in 0..self.organisation_reach {
            let next = word_after(text, end);
            if next.word.is_empty() {
                return false;
            }
            if next.word == "News" && word_after(text, next.byte + next.word.len()).word == "Agency"
            {
                return false; // a national news agency is the state's
            }
            if (self.within("en_paper_heads", next.word) && !self.names_a_country(m))
                || self.within("en_organisation_heads", next.word)
                || (self.within("en_name_after_heads", next.word)
                    && (self.only_demonyms(m)
                        || (i > 0
                            && !word_before(text, m.byte_at, m.at)
                                .word
                                .eq_ignore_ascii_case("in"))))
            {
                return !self.title_case(text);
            }
            if !self.capitalised(next.word) {
                return false;
            }
            end = next.byte + next.word.len();
        }
        false
    }

    /// place_context._names_a_campaign: a plural demonym before "for" and a name.
    fn names_a_campaign(&self, text: &str, m: &Mention) -> bool {
        if !self.form(m).ends_with('s') || !self.only_demonyms(m) {
            return false;
        }
        let before = word_before(text, m.byte_at, m.at).word;
        let count = !before.is_empty() && before.bytes().all(|b| b.is_ascii_digit());
        if count || self.lower_within("en_counted", before) {
            return false;
        }
        let next = word_after(text, m.byte_end);
        if next.word != "for" {
            return false;
        }
        self.a_name(word_after(text, next.byte + next.word.len()).word) && !self.title_case(text)
    }

    fn inside_an_association(&self, text: &str, m: &Mention) -> bool {
        let before = word_before(text, m.byte_at, m.at);
        if before.word != "for" && before.word != "of" {
            return false;
        }
        let head = word_before_that(text, &before);
        if before.word == "of" && self.within("en_named_for_a_place", head) {
            return true; // a name in a headline too
        }
        self.within("en_association_heads", head)
            && self.capitalised(word_after(text, m.byte_end).word)
            && !self.title_case(text)
    }

    fn names_a_team(&self, text: &str, m: &Mention) -> bool {
        if !self.is_city(m) {
            return false;
        }
        let before = word_before(text, m.byte_at, m.at);
        if self.within("en_team_prefixes", before.word)
            && !self.capitalised(word_before_that(text, &before))
        {
            return true; // not after a team's name that ends with the prefix
        }
        if self.within("en_team_heads", word_after(text, m.byte_end).word) && !self.title_case(text)
        {
            return true;
        }
        self.in_a_game(text, m)
    }

    /// place_context._names_a_water_or_street: after a sea's or a gulf's head and "of", or
    /// before "Sea" or "Ocean" after "the", or after a capitalised word outside a Title
    /// Case line; or a city's name (no country's) before a street's head, but after a
    /// preposition of place, outside a Title Case line.
    fn names_a_water_or_street(&self, text: &str, m: &Mention) -> bool {
        let before = word_before(text, m.byte_at, m.at);
        let after = word_after(text, m.byte_end).word;
        if self.within("en_street_heads", after)
            && self.is_city(m)
            && !self.names_a_country(m)
            && !self.lower_within("en_place_prepositions", before.word)
        {
            return !self.title_case(text);
        }
        if self.within("en_water_heads_after", after) {
            return before.word == "the"
                || (self.capitalised(before.word) && !self.title_case(text));
        }
        before.word == "of" && self.within("en_water_heads", word_before_that(text, &before))
    }

    /// place_context._before_a_middle_initial: a capital letter alone, then a name.
    fn before_a_middle_initial(&self, text: &str, end: usize) -> bool {
        let initial = word_after(text, end);
        let mut letters = initial.word.chars();
        if letters.next().is_none()
            || letters.next().is_some()
            || !self.is_upper(initial.word)
            || self.within("en_not_an_initial", initial.word)
        {
            return false;
        }
        self.a_name(word_after(text, initial.byte + initial.word.len()).word)
    }

    /// place_context._a_name: capitalised and no stopword.
    fn a_name(&self, word: &str) -> bool {
        self.capitalised(word) && !self.within("en_stopwords", &self.casefold(word))
    }

    /// place_context._in_a_game: after a game's verb with a name before it, before one
    /// with a name after it (only words of a result between), or after "scored for".
    fn in_a_game(&self, text: &str, m: &Mention) -> bool {
        let before = word_before(text, m.byte_at, m.at);
        if self.within("en_game_verbs", before.word) {
            return self.a_name(word_before_that(text, &before));
        }
        if before.word == "for" && self.within("en_played_for", word_before_that(text, &before)) {
            return true;
        }
        let mut end = m.byte_end;
        for _ in 0..self.game_verb_reach {
            let next = word_after(text, end);
            if next.word.is_empty() {
                return false;
            }
            end = next.byte + next.word.len();
            if self.within("en_game_verbs", next.word) {
                return self.a_name(word_after(text, end).word);
            }
            if !self.within("en_result_words", next.word) {
                return false;
            }
        }
        false
    }

    fn in_english_name(&self, text: &str, m: &Mention, starts: &FxHashSet<(usize, usize)>) -> bool {
        let form = self.form(m);
        if form.contains(' ') || !self.capitalised(form) {
            return false;
        }
        let before = word_before(text, m.byte_at, m.at);
        let all_cities = self.only_cities(m);
        if self.within("en_relatives", before.word)
            || (before.word == "by"
                && self.within("en_byline_verbs", word_before_that(text, &before)))
        {
            return all_cities || self.within("en_given", form);
        }
        if self.within("en_given", form) && self.before_a_middle_initial(text, m.byte_end) {
            return true;
        }
        if self.within("en_given", before.word) && all_cities {
            // a given name that starts a place found is no person's; in a headline in
            // Title Case only a byline's (the paragraph's first words, the city last or
            // before a word in lower case)
            if starts.contains(&(m.paragraph, before.char)) {
                return false;
            }
            return !self.title_case(text)
                || (before.byte == 0 && !self.capitalised(word_after(text, m.byte_end).word));
        }
        if !self.within("en_given", form) || self.lower_within("en_place_prepositions", before.word)
        {
            return false;
        }
        let after = word_after(text, m.byte_end).word;
        self.capitalised(after)
            && !self.within("en_not_a_family_name", after)
            && !self.within("en_stopwords", &self.casefold(after))
            && !starts.contains(&(m.paragraph, m.end + 1))
            && !self.title_case(text)
    }

    /// place_context._listed_with_places: a country's name that is a first name too, listed
    /// with a place kept surely ("Egypt and Chad"), is the country, but after a name.
    fn listed_with_places(&self, texts: &[PyBackedStr], judged: &[Judged], doubtful: &mut [bool]) {
        if !doubtful.contains(&true) {
            return;
        }
        let edges: FxHashSet<(usize, usize)> = judged
            .iter()
            .zip(doubtful.iter())
            .filter(|(j, &doubt)| j.kept != 0 && !doubt)
            .flat_map(|(j, _)| {
                let m = &j.mention;
                [(m.paragraph, m.at), (m.paragraph, m.end)]
            })
            .collect();
        let Some(names) = self.first_names.get("en") else {
            return;
        };
        for (j, doubt) in judged.iter().zip(doubtful.iter_mut()) {
            let m = &j.mention;
            if !*doubt || !names.contains(self.form(m)) {
                continue;
            }
            let text: &str = &texts[m.paragraph];
            let before = word_before(text, m.byte_at, m.at);
            if self.a_name(before.word) {
                continue;
            }
            let after = word_after(text, m.byte_end).word;
            // where the place before "and" ends (the character before the word "and"), or
            // where the one after it starts
            let listed = (self.within("en_list_words", before.word)
                && before
                    .char
                    .checked_sub(1)
                    .is_some_and(|end| edges.contains(&(m.paragraph, end))))
                || (self.within("en_list_words", after)
                    && edges.contains(&(m.paragraph, m.end + after.chars().count() + 2)));
            if listed {
                *doubt = false;
            }
        }
    }

    /// A key of a capital named like a bigger city elsewhere: support needed, whatever the
    /// words before it.
    fn overshadowed(&self, m: &Mention) -> bool {
        self.keys_of(m)
            .iter()
            .any(|&k| self.keys[k as usize].overshadowed)
    }

    /// place_context.ambiguous: several places, or a common first name too.
    fn ambiguous(&self, m: &Mention, language: &str) -> bool {
        let mut seen = NO_COUNTRY; // the country of the keys so far
        for &k in self.keys_of(m) {
            let country = self.keys[k as usize].country;
            if country == NO_COUNTRY {
                continue;
            }
            if seen != NO_COUNTRY && country != seen {
                return true;
            }
            seen = country;
        }
        self.first_names
            .get(language)
            .is_some_and(|names| names.contains(self.form(m)))
    }

    /// place_context.located: each hit but one that overlaps a hit before it in its
    /// paragraph (the first matcher's wins), with its byte offsets.
    fn located(&self, texts: &[PyBackedStr], found: &SpotsByMatcher) -> PyResult<Vec<Mention>> {
        let mut mentions = Vec::new();
        let mut taken: FxHashMap<usize, Vec<(usize, usize)>> = FxHashMap::default();
        let (mut in_order, mut last) = (true, (0usize, 0usize));
        let mut first = true;
        for (matcher, hits) in found {
            let table = self.matchers.get(*matcher).ok_or_else(|| {
                PyValueError::new_err(format!("place rules: no matcher {matcher}"))
            })?;
            for &(paragraph, phrase, at, byte_at) in hits {
                let (text, form) = match (texts.get(paragraph), table.forms.get(phrase)) {
                    (Some(text), Some(form)) => (&**text, &**form),
                    _ => return Err(PyValueError::new_err("place rules: a hit out of range")),
                };
                let end = at + form.chars().count();
                let here = (paragraph, at);
                in_order = in_order && (first || here >= last);
                let spans = taken.entry(paragraph).or_default();
                if in_order {
                    last = (paragraph, end);
                    first = false;
                } else if spans.iter().any(|&(start, stop)| start < end && at < stop) {
                    continue;
                }
                spans.push((at, end));
                if !text
                    .get(byte_at..)
                    .is_some_and(|rest| rest.starts_with(form))
                {
                    return Err(PyValueError::new_err(
                        "place rules: a hit not where it says",
                    ));
                }
                mentions.push(Mention {
                    matcher: *matcher,
                    phrase,
                    paragraph,
                    at,
                    end,
                    byte_at,
                    byte_end: byte_at + form.len(),
                });
            }
        }
        Ok(mentions)
    }

    /// place_context.judge.
    fn judge(
        &self,
        texts: &[PyBackedStr],
        mentions: Vec<Mention>,
        blocked: &[(usize, usize, usize, u8)],
        language: &str,
    ) -> Vec<Judged> {
        let english = language == "en";
        let starts: FxHashSet<(usize, usize)> = if english {
            mentions.iter().map(|m| (m.paragraph, m.at)).collect()
        } else {
            FxHashSet::default()
        };
        let mut judged = Vec::with_capacity(mentions.len());
        let mut doubtful = Vec::with_capacity(mentions.len());
        for m in mentions {
            let keys = self.keys_of(&m);
            // keys are sorted: a region's come last, so the first is one only if all are
            if keys
                .first()
                .is_none_or(|&k| self.keys[k as usize].kind == REGION_KEY)
            {
                continue;
            }
            let text: &str = &texts[m.paragraph];
            let mut rule = blocked
                .iter()
                .find(|&&(p, start, end, _)| p == m.paragraph && start <= m.at && m.end <= end)
                .map(|&(_, _, _, rule)| rule);
            if rule.is_none() && self.in_name_pattern(text, &m, language) {
                rule = Some(PERSON_NAME);
            } else if rule.is_none() && english {
                rule = self.english_rule(text, &m, &starts);
            }
            if let Some(rule) = rule {
                judged.push(Judged {
                    mention: m,
                    rule,
                    kept: 0,
                });
                doubtful.push(false);
                continue;
            }
            let basic = match self.keys[keys[0] as usize].kind {
                DEMONYM_KEY => DEMONYM,
                CITY_KEY => CITY,
                _ => NAME,
            };
            let placed = english
                && self.lower_within(
                    "en_place_prepositions",
                    word_before(text, m.byte_at, m.at).word,
                );
            doubtful.push(self.overshadowed(&m) || (self.ambiguous(&m, language) && !placed));
            judged.push(Judged {
                mention: m,
                rule: basic,
                kept: all_keys(keys.len()),
            });
        }
        if english {
            self.named_again(texts, &mut judged, &mut doubtful);
            self.listed_with_places(texts, &judged, &mut doubtful);
        }
        if !doubtful.contains(&true) {
            return judged;
        }
        let mut support: FxHashMap<u32, usize> = FxHashMap::default();
        for (j, &doubt) in judged.iter().zip(&doubtful) {
            if j.kept != 0 && !doubt {
                let mut countries: Vec<u32> = self
                    .keys_of(&j.mention)
                    .iter()
                    .map(|&k| self.keys[k as usize].country)
                    .filter(|&c| c != NO_COUNTRY)
                    .collect();
                countries.sort_unstable();
                countries.dedup();
                for country in countries {
                    *support.entry(country).or_default() += 1;
                }
            }
        }
        for (j, doubt) in judged.iter_mut().zip(doubtful) {
            if !doubt {
                continue;
            }
            let keys = self.keys_of(&j.mention);
            let mut backed = 0u64;
            for (i, &k) in keys.iter().enumerate() {
                let country = self.keys[k as usize].country;
                if country != NO_COUNTRY && support.get(&country).is_some_and(|&n| n > 0) {
                    backed |= 1 << i;
                }
            }
            j.kept = backed;
            j.rule = if backed != 0 { SUPPORTED } else { UNSUPPORTED };
        }
        judged
    }

    /// place_context._named_again: a one-word city's name read as a person's name once is
    /// that person's wherever the article names it alone but after a preposition of place,
    /// and a demonym read inside a team's name once is the team's after "the".
    fn named_again(&self, texts: &[PyBackedStr], judged: &mut [Judged], doubtful: &mut [bool]) {
        let mut named: FxHashMap<&str, u8> = FxHashMap::default();
        for j in judged.iter() {
            let form = self.form(&j.mention);
            if form.contains(' ') {
                continue;
            }
            if j.rule == PERSON_NAME && self.only_cities(&j.mention) {
                named.insert(form, PERSON_NAME);
            } else if j.rule == CLUB && self.only_demonyms(&j.mention) {
                named.insert(form, CLUB);
            }
        }
        if named.is_empty() {
            return;
        }
        for (j, doubt) in judged.iter_mut().zip(doubtful.iter_mut()) {
            let m = &j.mention;
            if let Some(&rule) = named.get(self.form(m)) {
                let before = word_before(&texts[m.paragraph], m.byte_at, m.at).word;
                let again = if rule == CLUB {
                    before.eq_ignore_ascii_case("the")
                } else {
                    !self.lower_within("en_place_prepositions", before)
                };
                if j.kept != 0 && again {
                    j.kept = 0;
                    j.rule = rule;
                    *doubt = false;
                }
            }
        }
    }

    fn judged(
        &self,
        texts: &[PyBackedStr],
        found: &SpotsByMatcher,
        blocked: &[(usize, usize, usize, u8)],
        language: Option<&str>,
    ) -> PyResult<Vec<Judged>> {
        if let Some(&(_, _, _, rule)) = blocked
            .iter()
            .find(|b| usize::from(b.3) >= RULE_NAMES.len())
        {
            return Err(PyValueError::new_err(format!(
                "place rules: no rule {rule}"
            )));
        }
        let mentions = self.located(texts, found)?;
        Ok(self.judge(texts, mentions, blocked, language.unwrap_or("")))
    }
}

/// A bit for each of `count` keys (a phrase stands for a handful at most).
fn all_keys(count: usize) -> u64 {
    if count >= 64 {
        u64::MAX
    } else {
        (1u64 << count) - 1
    }
}

/// A place tag: its slot, mentions, confidence, the rule of its surest mention, and the
/// evidence of its first mentions (paragraph, form, how it matched, rule).
type Tally = (u32, usize, f64, u8, Vec<(usize, String, u8, u8)>);

#[pymethods]
impl PlaceRules {
    /// `words`: the named word lists of place_context (Arabic name links and titles,
    /// English given names, heads, stopwords...); `titles` and `first_names` by language;
    /// `char_flags`: per code point (all 0x110000), Python's isalpha 1, isupper 2, islower
    /// 4, and 8 for a title-case letter (category Lt); `folds`: str.casefold of each
    /// character it changes; `keys`: per key id, (kind: 0 country, 1 demonym, 2 city, 3 region, its
    /// country's number or None, the tag slots it counts for with how it matched, and
    /// whether it is a capital named like a bigger city elsewhere);
    /// `matchers`: per matcher, its forms and each form's key ids (sorted as its keys).
    #[new]
    #[allow(clippy::too_many_arguments)]
    fn new(
        words: HashMap<String, Vec<String>>,
        titles: HashMap<String, Vec<String>>,
        first_names: HashMap<String, Vec<String>>,
        organisation_reach: usize,
        game_verb_reach: usize,
        title_case_share: f64,
        char_flags: &[u8],
        folds: HashMap<char, String>,
        keys: Vec<KeyRow>,
        matchers: Vec<(Vec<String>, Vec<Vec<u32>>)>,
    ) -> PyResult<Self> {
        if char_flags.len() != CODE_POINTS {
            return Err(PyValueError::new_err(
                "place rules: one flag byte per code point",
            ));
        }
        let missing: Vec<&str> = WORD_LISTS
            .iter()
            .copied()
            .filter(|name| !words.contains_key(*name))
            .collect();
        if !missing.is_empty() {
            return Err(PyValueError::new_err(format!(
                "place rules: no word list {missing:?}"
            )));
        }
        let keys: Vec<Key> = keys
            .into_iter()
            .map(|(kind, country, tags, overshadowed)| Key {
                kind,
                country: country.unwrap_or(NO_COUNTRY),
                tags,
                overshadowed,
            })
            .collect();
        let mut tables = Vec::with_capacity(matchers.len());
        for (forms, form_keys) in matchers {
            if forms.len() != form_keys.len()
                || form_keys
                    .iter()
                    .flatten()
                    .any(|&k| k as usize >= keys.len())
                || form_keys.iter().any(|k| k.is_empty() || k.len() > 64)
            {
                return Err(PyValueError::new_err(
                    "place rules: each form needs 1 to 64 known keys",
                ));
            }
            tables.push(Matcher {
                forms: forms.into_iter().map(String::into_boxed_str).collect(),
                keys: form_keys,
            });
        }
        Ok(PlaceRules {
            keys,
            matchers: tables,
            flags: char_flags.to_vec(),
            folds: folds
                .into_iter()
                .map(|(c, to)| (c, to.into_boxed_str()))
                .collect(),
            titles: word_sets(titles),
            first_names: word_sets(first_names),
            words: word_sets(words),
            organisation_reach,
            game_verb_reach,
            title_case_share,
        })
    }

    /// The rules' names, by code (place_context.RULES must match).
    #[staticmethod]
    fn rule_names() -> Vec<&'static str> {
        RULE_NAMES.to_vec()
    }

    /// Every mention judged: (matcher, phrase, paragraph, offset, rule, the indexes of the
    /// phrase's keys it keeps). `found`: per matcher (its number here), its hits as
    /// PhraseIndex.find gives them; `blocked`: (paragraph, start, end, rule) of the masks'
    /// phrases and the watch list's people, in characters.
    fn mentions(
        &self,
        texts: Vec<PyBackedStr>,
        found: SpotsByMatcher,
        blocked: Vec<(usize, usize, usize, u8)>,
        language: Option<&str>,
    ) -> PyResult<Vec<MentionRow>> {
        let judged = self.judged(&texts, &found, &blocked, language)?;
        Ok(judged
            .into_iter()
            .map(|j| {
                let m = j.mention;
                let kept = (0..64).filter(|i| j.kept & (1 << i) != 0).collect();
                (m.matcher, m.phrase, m.paragraph, m.at, j.rule, kept)
            })
            .collect())
    }

    /// The place tags of the mentions kept, in the order first met (tagger.place_tags).
    fn tags(
        &self,
        texts: Vec<PyBackedStr>,
        found: SpotsByMatcher,
        blocked: Vec<(usize, usize, usize, u8)>,
        language: Option<&str>,
        max_evidence: usize,
    ) -> PyResult<Vec<Tally>> {
        let judged = self.judged(&texts, &found, &blocked, language)?;
        let mut tallies: Vec<Tally> = Vec::new();
        let mut slots: FxHashMap<u32, usize> = FxHashMap::default();
        for j in &judged {
            let sure = confidence(j.rule);
            let keys = self.keys_of(&j.mention);
            for (i, &k) in keys.iter().enumerate() {
                if j.kept & (1 << i) == 0 {
                    continue;
                }
                for &(slot, matched_as) in &self.keys[k as usize].tags {
                    let at = *slots.entry(slot).or_insert_with(|| {
                        tallies.push((slot, 0, 0.0, NAME, Vec::new()));
                        tallies.len() - 1
                    });
                    let tally = &mut tallies[at];
                    tally.1 += 1;
                    if sure > tally.2 {
                        (tally.2, tally.3) = (sure, j.rule);
                    }
                    if tally.4.len() < max_evidence {
                        let form = self.form(&j.mention).to_owned();
                        tally
                            .4
                            .push((j.mention.paragraph, form, matched_as, j.rule));
                    }
                }
            }
        }
        Ok(tallies)
    }
}
