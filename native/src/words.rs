//! Words of folded text, which are split by single spaces (as normalize.py folds them).

/// Byte offsets of the spaces of `text`, found eight bytes at a time: words are short (about
/// 11 bytes of UTF-8 in Arabic news), too short for str::split's searcher to pay for
/// itself, and a byte-by-byte loop mispredicts a branch at every word. A space byte is always a whole character in UTF-8.
pub(crate) fn spaces(text: &str) -> std::vec::IntoIter<usize> {
    const LOW7: u64 = 0x7F7F_7F7F_7F7F_7F7F;
    const SPACES: u64 = 0x2020_2020_2020_2020;
    let bytes = text.as_bytes();
    let mut found = Vec::with_capacity(bytes.len() / 8);
    let mut chunks = bytes.chunks_exact(8);
    let mut base = 0;
    for chunk in &mut chunks {
        let mut word = u64::from_le_bytes(chunk.try_into().unwrap_or([0; 8])) ^ SPACES;
        // The high bit of each byte that was a space, exactly (no borrow between bytes).
        word = !(((word & LOW7) + LOW7) | word | LOW7);
        while word != 0 {
            found.push(base + (word.trailing_zeros() / 8) as usize);
            word &= word - 1;
        }
        base += 8;
    }
    let rest = chunks.remainder().iter().enumerate();
    found.extend(rest.filter_map(|(at, &b)| (b == b' ').then_some(base + at)));
    found.into_iter()
}

/// The words of `text` split at every single space (as str::split(' ') splits them).
pub(crate) fn words(text: &str) -> impl Iterator<Item = &str> {
    let ends = spaces(text).chain(std::iter::once(text.len()));
    let mut start = 0;
    ends.map(move |end| {
        let word = &text[start..end];
        start = end + 1;
        word
    })
}
