//! Prediction with a quantized fastText supervised model (`.ftz`, such as lid.176), giving
//! the same label and probability as fastText 0.9.2 does, bit for bit.
//!
//! Why not fastText itself: its pruned n-gram table is a `std::unordered_map`, and looking
//! an n-gram up there (about 15 per word) missed the cache so often that language detection
//! was a large share of the tag stage (`Dictionary::pushHash`). Here the same mapping is a
//! flat open-addressed table that fits in L2, n-gram hashes are extended a byte at a time,
//! and words are found by the hash fastText computes anyway.
//!
//! The file layout and the arithmetic follow fastText's own sources (args, dictionary,
//! quantized input matrix, dense output matrix, hierarchical softmax); every float is
//! computed in the same type and order, so results can be compared for equality
//! (tests/unit/test_language_model.py does, against fasttext-predict).

use std::fmt;

const MAGIC: i32 = 793_712_314;
const VERSION: i32 = 12;
const LABEL_PREFIX: &[u8] = b"__label__";
const EOS: &[u8] = b"</s>";
const KSUB: usize = 256; // centroids per sub-quantizer: fastText's nbits = 8
const LOSS_HIERARCHICAL_SOFTMAX: i32 = 1;
const MODEL_SUPERVISED: i32 = 3;
const NO_ROW: u32 = u32::MAX;

#[derive(Debug)]
pub struct ModelError(String);

impl fmt::Display for ModelError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

fn invalid<T>(what: impl Into<String>) -> Result<T, ModelError> {
    Err(ModelError(what.into()))
}

/// Little-endian reads over the file's bytes, failing with the field's name at the end.
struct Reader<'a> {
    bytes: &'a [u8],
    at: usize,
}

impl<'a> Reader<'a> {
    fn take(&mut self, n: usize, what: &str) -> Result<&'a [u8], ModelError> {
        match self.bytes.get(self.at..self.at.saturating_add(n)) {
            Some(slice) => {
                self.at += n;
                Ok(slice)
            }
            None => invalid(format!("model file ends inside {what} (byte {})", self.at)),
        }
    }
    fn i32(&mut self, what: &str) -> Result<i32, ModelError> {
        Ok(i32::from_le_bytes(self.take(4, what)?.try_into().unwrap()))
    }
    fn i64(&mut self, what: &str) -> Result<i64, ModelError> {
        Ok(i64::from_le_bytes(self.take(8, what)?.try_into().unwrap()))
    }
    fn u8(&mut self, what: &str) -> Result<u8, ModelError> {
        Ok(self.take(1, what)?[0])
    }
    fn bool(&mut self, what: &str) -> Result<bool, ModelError> {
        Ok(self.u8(what)? != 0)
    }
    fn f32s(&mut self, n: usize, what: &str) -> Result<Vec<f32>, ModelError> {
        let raw = self.take(n.saturating_mul(4), what)?;
        Ok(raw
            .chunks_exact(4)
            .map(|c| f32::from_le_bytes(c.try_into().unwrap()))
            .collect())
    }
    fn count(&mut self, what: &str, limit: usize) -> Result<usize, ModelError> {
        let n = self.i64(what)?;
        match usize::try_from(n) {
            Ok(n) if n <= limit => Ok(n),
            _ => invalid(format!("{what} is {n}, outside 0..={limit}")),
        }
    }
}

/// fastText's FNV-1a, over bytes read as signed chars (as its released models were made).
#[inline]
fn fnv_step(h: u32, byte: u8) -> u32 {
    (h ^ (byte as i8 as i32 as u32)).wrapping_mul(16_777_619)
}

fn fnv(bytes: &[u8]) -> u32 {
    bytes.iter().fold(2_166_136_261, |h, &b| fnv_step(h, b))
}

/// A product quantizer: `nsubq` codebooks of 256 centroids of `dsub` floats (the last one of
/// `lastdsub`).
struct Quantizer {
    nsubq: usize,
    dsub: usize,
    lastdsub: usize,
    centroids: Vec<f32>,
}

impl Quantizer {
    fn read(r: &mut Reader<'_>) -> Result<Self, ModelError> {
        let dim = r.i32("quantizer dim")?;
        let nsubq = r.i32("quantizer nsubq")?;
        let dsub = r.i32("quantizer dsub")?;
        let lastdsub = r.i32("quantizer lastdsub")?;
        if !(1..=4096).contains(&dim) || nsubq < 1 || dsub < 1 || lastdsub < 1 {
            return invalid(format!("quantizer shape {dim}/{nsubq}/{dsub}/{lastdsub}"));
        }
        let (dim, nsubq, dsub, lastdsub) = (
            dim as usize,
            nsubq as usize,
            dsub as usize,
            lastdsub as usize,
        );
        if (nsubq - 1) * dsub + lastdsub != dim {
            return invalid(format!(
                "quantizer of {nsubq} x {dsub} (+{lastdsub}) is not {dim}"
            ));
        }
        let centroids = r.f32s(dim * KSUB, "quantizer centroids")?;
        Ok(Quantizer {
            nsubq,
            dsub,
            lastdsub,
            centroids,
        })
    }

    #[inline]
    fn centroid(&self, m: usize, code: u8) -> &[f32] {
        let i = code as usize;
        if m == self.nsubq - 1 {
            let start = m * KSUB * self.dsub + i * self.lastdsub;
            &self.centroids[start..start + self.lastdsub]
        } else {
            let start = (m * KSUB + i) * self.dsub;
            &self.centroids[start..start + self.dsub]
        }
    }
}

/// The quantized input matrix: each row a code per sub-quantizer, times a quantized norm.
struct QuantizedRows {
    rows: usize,
    codes: Vec<u8>,
    pq: Quantizer,
    norms: Option<(Vec<u8>, Quantizer)>,
}

impl QuantizedRows {
    fn read(r: &mut Reader<'_>, dim: usize) -> Result<Self, ModelError> {
        let qnorm = r.bool("input qnorm")?;
        let rows = r.count("input rows", 1 << 31)?;
        let cols = r.count("input columns", 4096)?;
        let codesize = r.i32("input code size")?;
        let pq_codes = r.take(codesize.max(0) as usize, "input codes")?.to_vec();
        let pq = Quantizer::read(r)?;
        if cols != dim || codesize as usize != rows * pq.nsubq {
            return invalid(format!("input matrix {rows} x {cols}, {codesize} codes"));
        }
        let norms = if qnorm {
            let codes = r.take(rows, "input norm codes")?.to_vec();
            let npq = Quantizer::read(r)?;
            if npq.nsubq != 1 || npq.lastdsub != 1 {
                return invalid("norm quantizer is not one-dimensional");
            }
            Some((codes, npq))
        } else {
            None
        };
        Ok(QuantizedRows {
            rows,
            codes: pq_codes,
            pq,
            norms,
        })
    }

    /// hidden += row `i` (fastText's QuantMatrix::addRowToVector: alpha * centroid, in f32).
    #[inline]
    fn add_row(&self, hidden: &mut [f32], i: usize) {
        let alpha = match &self.norms {
            Some((codes, npq)) => npq.centroid(0, codes[i])[0],
            None => 1.0,
        };
        let pq = &self.pq;
        let codes = &self.codes[i * pq.nsubq..(i + 1) * pq.nsubq];
        for (m, &code) in codes.iter().enumerate() {
            let out = &mut hidden[m * pq.dsub..];
            for (x, c) in out.iter_mut().zip(pq.centroid(m, code)) {
                *x += alpha * c;
            }
        }
    }
}

/// Bucket -> input row for the n-grams that pruning kept (fastText's `pruneidx_`), open
/// addressing on a power-of-two table: 8 bytes a slot, about half full.
struct PrunedBuckets {
    mask: usize,
    slots: Vec<(u32, u32)>, // (bucket, row); row NO_ROW marks an empty slot
}

impl PrunedBuckets {
    fn new(pairs: &[(u32, u32)]) -> Self {
        let size = (pairs.len() * 2).next_power_of_two().max(16);
        let mut table = PrunedBuckets {
            mask: size - 1,
            slots: vec![(0, NO_ROW); size],
        };
        for &(bucket, row) in pairs {
            let mut at = table.slot(bucket);
            while table.slots[at].1 != NO_ROW && table.slots[at].0 != bucket {
                at = (at + 1) & table.mask;
            }
            table.slots[at] = (bucket, row);
        }
        table
    }

    #[inline]
    fn slot(&self, bucket: u32) -> usize {
        (bucket.wrapping_mul(0x9E37_79B9) as usize) & self.mask
    }

    #[inline]
    fn row(&self, bucket: u32) -> Option<u32> {
        let mut at = self.slot(bucket);
        loop {
            let (key, row) = self.slots[at];
            if row == NO_ROW {
                return None;
            }
            if key == bucket {
                return Some(row);
            }
            at = (at + 1) & self.mask;
        }
    }
}

/// The words of the dictionary, found by fastText's hash of the token: each word's input
/// rows (itself and its kept n-grams) are listed once at load, as fastText does.
struct Vocabulary {
    mask: usize,
    slots: Vec<u32>, // word index, or NO_ROW
    text: Vec<u8>,
    bounds: Vec<(u32, u32)>,
    rows: Vec<u32>,
    row_bounds: Vec<(u32, u32)>,
}

impl Vocabulary {
    /// The hash table of the `text`/`bounds` words and, for each, its rows: itself, then its
    /// n-grams (none for the end-of-sentence token), as fastText lists them at load.
    fn new(text: Vec<u8>, bounds: Vec<(u32, u32)>, ngrams: &Ngrams) -> Self {
        let size = (bounds.len() * 2).next_power_of_two().max(16);
        let (mask, words) = (size - 1, bounds.len());
        let mut vocabulary = Vocabulary {
            mask,
            slots: vec![NO_ROW; size],
            text,
            bounds,
            rows: Vec::new(),
            row_bounds: Vec::with_capacity(words),
        };
        for i in 0..words {
            let word = vocabulary.word(i).to_vec();
            let mut at = fnv(&word) as usize & mask;
            while vocabulary.slots[at] != NO_ROW {
                at = (at + 1) & mask;
            }
            vocabulary.slots[at] = i as u32;
            let start = vocabulary.rows.len() as u32;
            vocabulary.rows.push(i as u32);
            if word != EOS {
                ngrams.rows(&word, &mut vocabulary.rows);
            }
            vocabulary
                .row_bounds
                .push((start, vocabulary.rows.len() as u32));
        }
        vocabulary
    }

    fn word(&self, i: usize) -> &[u8] {
        let (start, end) = self.bounds[i];
        &self.text[start as usize..end as usize]
    }

    fn find(&self, token: &[u8], hash: u32) -> Option<usize> {
        let mut at = hash as usize & self.mask;
        loop {
            let i = self.slots[at];
            if i == NO_ROW {
                return None;
            }
            if self.word(i as usize) == token {
                return Some(i as usize);
            }
            at = (at + 1) & self.mask;
        }
    }

    fn rows_of(&self, i: usize) -> &[u32] {
        let (start, end) = self.row_bounds[i];
        &self.rows[start as usize..end as usize]
    }
}

/// How a token's character n-grams become input rows: their buckets, then (a pruned model)
/// the rows that pruning kept, after the words' rows.
struct Ngrams {
    minn: usize,
    maxn: usize,
    bucket: u32,
    first_row: u32,                // the number of words: n-gram rows follow theirs
    pruned: Option<PrunedBuckets>, // None: every bucket has its row (an unpruned model)
}

impl Ngrams {
    /// The input rows of the kept n-grams of `token` (framed here with < and >).
    fn rows(&self, token: &[u8], rows: &mut Vec<u32>) {
        let mut framed = Vec::with_capacity(token.len() + 2);
        framed.push(b'<');
        framed.extend_from_slice(token);
        framed.push(b'>');
        for_each_ngram(&framed, self.minn, self.maxn, self.bucket, |bucket| {
            let row = match &self.pruned {
                Some(table) => table.row(bucket),
                None => Some(bucket),
            };
            if let Some(row) = row {
                rows.push(self.first_row + row);
            }
        });
    }
}

/// One node of the Huffman tree over the labels (fastText's HierarchicalSoftmaxLoss).
#[derive(Clone, Copy)]
struct Node {
    left: i32,
    right: i32,
    count: i64,
}

fn huffman_tree(counts: &[i64]) -> Vec<Node> {
    let osz = counts.len();
    let mut tree = vec![
        Node {
            left: -1,
            right: -1,
            count: 1_000_000_000_000_000
        };
        2 * osz - 1
    ];
    for (node, &count) in tree.iter_mut().zip(counts) {
        node.count = count;
    }
    // Labels come sorted by falling count: merge from the rarest leaf and the oldest node.
    let (mut leaf, mut node) = (osz as i64 - 1, osz);
    for i in osz..2 * osz - 1 {
        let mut pair = [0usize; 2];
        for slot in &mut pair {
            if leaf >= 0 && tree[leaf as usize].count < tree[node].count {
                *slot = leaf as usize;
                leaf -= 1;
            } else {
                *slot = node;
                node += 1;
            }
        }
        tree[i].left = pair[0] as i32;
        tree[i].right = pair[1] as i32;
        tree[i].count = tree[pair[0]].count + tree[pair[1]].count;
    }
    tree
}

/// fastText's std_log: log(x + 1e-5) in double, of a value first rounded to f32.
#[inline]
fn std_log(x: f32) -> f32 {
    ((x as f64) + 1e-5).ln() as f32
}

pub struct Model {
    dim: usize,
    ngrams: Ngrams,
    vocabulary: Vocabulary,
    input: QuantizedRows,
    output: Vec<f32>, // labels x dim, row-major
    labels: Vec<String>,
    tree: Vec<Node>,
}

struct Args {
    dim: usize,
    word_ngrams: i32,
    bucket: u32,
    minn: usize,
    maxn: usize,
}

fn read_args(r: &mut Reader<'_>) -> Result<Args, ModelError> {
    if r.i32("magic number")? != MAGIC {
        return invalid("not a fastText model (wrong magic number)");
    }
    let version = r.i32("version")?;
    if version != VERSION {
        return invalid(format!(
            "fastText file version {version}, this reads {VERSION}"
        ));
    }
    let mut values = [0i32; 12];
    for (value, name) in values.iter_mut().zip([
        "dim",
        "ws",
        "epoch",
        "minCount",
        "neg",
        "wordNgrams",
        "loss",
        "model",
        "bucket",
        "minn",
        "maxn",
        "lrUpdateRate",
    ]) {
        *value = r.i32(name)?;
    }
    r.take(8, "sampling threshold")?;
    let [dim, _, _, _, _, word_ngrams, loss, model, bucket, minn, maxn, _] = values;
    if model != MODEL_SUPERVISED || loss != LOSS_HIERARCHICAL_SOFTMAX {
        return invalid(format!(
            "model {model} with loss {loss}: only supervised models with hierarchical \
             softmax (lid.176's kind) are read"
        ));
    }
    if !(1..=4096).contains(&dim) || bucket < 1 || minn < 1 || maxn < minn || maxn > 64 {
        return invalid(format!(
            "args dim {dim}, bucket {bucket}, minn {minn}, maxn {maxn}"
        ));
    }
    Ok(Args {
        dim: dim as usize,
        word_ngrams,
        bucket: bucket as u32,
        minn: minn as usize,
        maxn: maxn as usize,
    })
}

/// The bucket of each n-gram of `word` (with its < > marks) of minn..=maxn characters,
/// in fastText's order: by start, then by length.
fn for_each_ngram(word: &[u8], minn: usize, maxn: usize, bucket: u32, mut f: impl FnMut(u32)) {
    let continuation = |b: u8| b & 0xC0 == 0x80;
    for i in 0..word.len() {
        if continuation(word[i]) {
            continue;
        }
        let (mut h, mut j, mut n) = (2_166_136_261u32, i, 1);
        while j < word.len() && n <= maxn {
            h = fnv_step(h, word[j]);
            j += 1;
            while j < word.len() && continuation(word[j]) {
                h = fnv_step(h, word[j]);
                j += 1;
            }
            if n >= minn && !(n == 1 && (i == 0 || j == word.len())) {
                f(h % bucket);
            }
            n += 1;
        }
    }
}

impl Model {
    pub fn from_bytes(bytes: &[u8]) -> Result<Self, ModelError> {
        let mut r = Reader { bytes, at: 0 };
        let args = read_args(&mut r)?;
        if args.word_ngrams > 1 {
            return invalid("word n-grams are not read (lid.176 has none)");
        }
        let size = r.i32("dictionary size")?;
        let nwords = r.i32("word count")?;
        let nlabels = r.i32("label count")?;
        r.i64("token count")?;
        let pruneidx_size = r.i64("pruned bucket count")?;
        if size < 1 || nwords < 0 || nlabels < 1 || nwords.checked_add(nlabels) != Some(size) {
            return invalid(format!(
                "dictionary of {size}: {nwords} words, {nlabels} labels"
            ));
        }
        if size as usize > bytes.len() / 10 {
            // An entry is at least a NUL, a count and a type: 10 bytes.
            return invalid(format!(
                "a dictionary of {size} entries cannot fit in the file"
            ));
        }
        let (size, nwords) = (size as usize, nwords as usize);
        let mut text = Vec::new();
        let mut bounds = Vec::with_capacity(size);
        let mut counts = Vec::with_capacity(nlabels as usize);
        for i in 0..size {
            let rest = &r.bytes[r.at..];
            let Some(end) = rest.iter().position(|&b| b == 0) else {
                return invalid(format!("model file ends inside dictionary entry {i}"));
            };
            let start = text.len() as u32;
            text.extend_from_slice(&rest[..end]);
            bounds.push((start, text.len() as u32));
            r.at += end + 1;
            let count = r.i64("entry count")?;
            let is_label = r.u8("entry type")? == 1;
            if is_label != (i >= nwords) {
                return invalid(format!(
                    "dictionary entry {i} is out of order (words, labels)"
                ));
            }
            if is_label {
                counts.push(count);
            }
        }
        let mut pairs = Vec::new();
        for _ in 0..pruneidx_size.max(0) {
            let (bucket, row) = (r.i32("pruned bucket")?, r.i32("pruned row")?);
            if bucket < 0 || row < 0 {
                return invalid(format!("pruned bucket {bucket} -> {row}"));
            }
            pairs.push((bucket as u32, row as u32));
        }
        if !r.bool("input quantization flag")? {
            return invalid("the input matrix is not quantized: only .ftz models are read");
        }
        let input = QuantizedRows::read(&mut r, args.dim)?;
        if r.bool("output quantization flag")? {
            return invalid("quantized output matrices (-qout) are not read");
        }
        let (rows, cols) = (
            r.count("output rows", 1 << 20)?,
            r.count("output columns", 4096)?,
        );
        if rows != nlabels as usize || cols != args.dim {
            return invalid(format!(
                "output matrix {rows} x {cols} for {nlabels} labels"
            ));
        }
        let output = r.f32s(rows * cols, "output matrix")?;
        if r.at != bytes.len() {
            return invalid(format!(
                "{} bytes after the output matrix",
                bytes.len() - r.at
            ));
        }
        // Every row an n-gram can reach must be in the input matrix: checked here, so that
        // prediction never indexes past it.
        let last_ngram_row = match pairs.iter().map(|&(_, row)| row).max() {
            Some(row) if pruneidx_size > 0 => row as usize,
            _ => args.bucket as usize - 1,
        };
        if nwords + last_ngram_row >= input.rows {
            return invalid(format!(
                "n-gram rows reach {} but the input matrix has {}",
                nwords + last_ngram_row + 1,
                input.rows
            ));
        }
        let pruned = match pruneidx_size {
            0 => return invalid("the model keeps no n-gram at all"),
            n if n < 0 => None,
            _ => Some(PrunedBuckets::new(&pairs)),
        };
        let labels = (nwords..size)
            .map(|i| {
                let (start, end) = bounds[i];
                let label = &text[start as usize..end as usize];
                String::from_utf8_lossy(label.strip_prefix(LABEL_PREFIX).unwrap_or(label))
                    .into_owned()
            })
            .collect();
        let ngrams = Ngrams {
            minn: args.minn,
            maxn: args.maxn,
            bucket: args.bucket,
            first_row: nwords as u32,
            pruned,
        };
        bounds.truncate(nwords); // the labels' entries are only names, kept in `labels`
        Ok(Model {
            dim: args.dim,
            vocabulary: Vocabulary::new(text, bounds, &ngrams),
            ngrams,
            input,
            output,
            labels,
            tree: huffman_tree(&counts),
        })
    }

    /// The input rows of a line: each token's (labels skipped), then the end of sentence's.
    /// Tokens are split as `" ".join(text.split())` then fastText would split them: at
    /// Python's whitespace (Rust's, and U+001C..U+001F) and at NUL. A token "</s>" ends
    /// the line, as in fastText.
    fn line_rows(&self, text: &str, rows: &mut Vec<u32>) {
        let blank = |c: char| c.is_whitespace() || matches!(c, '\0' | '\x1c'..='\x1f');
        let tokens = text
            .split(blank)
            .filter(|t| !t.is_empty())
            .map(str::as_bytes);
        for token in tokens.chain(std::iter::once(EOS)) {
            if token.starts_with(LABEL_PREFIX) {
                continue;
            }
            match self.vocabulary.find(token, fnv(token)) {
                Some(i) => rows.extend_from_slice(self.vocabulary.rows_of(i)),
                None if token != EOS => self.ngrams.rows(token, rows),
                None => {}
            }
            if token == EOS {
                break;
            }
        }
    }

    /// The most probable label and its probability, as fastText's predict(text, k=1)
    /// gives them; None when the text has no row at all.
    pub fn predict(&self, text: &str) -> Option<(&str, f32)> {
        let mut rows = Vec::with_capacity(text.len().min(1 << 16) * 4);
        self.line_rows(text, &mut rows);
        if rows.is_empty() {
            return None;
        }
        let mut hidden = vec![0f32; self.dim];
        for &row in &rows {
            self.input.add_row(&mut hidden, row as usize);
        }
        let scale = (1.0 / rows.len() as f64) as f32;
        hidden.iter_mut().for_each(|x| *x *= scale);
        let mut best: Option<(f32, usize)> = None;
        let floor = std_log(0.0); // fastText's threshold 0, as predict's default
        self.descend(self.tree.len() - 1, 0.0, floor, &hidden, &mut best);
        best.map(|(score, leaf)| (self.labels[leaf].as_str(), score.exp()))
    }

    /// fastText's depth-first search of the tree for the best leaf (k = 1): a later leaf of
    /// an equal score replaces the earlier, as its heap does.
    fn descend(
        &self,
        node: usize,
        score: f32,
        floor: f32,
        hidden: &[f32],
        best: &mut Option<(f32, usize)>,
    ) {
        if score < floor || best.is_some_and(|(top, _)| score < top) {
            return;
        }
        let Node { left, right, .. } = self.tree[node];
        if left == -1 && right == -1 {
            *best = Some((score, node));
            return;
        }
        let weights = &self.output[(node - self.labels.len()) * self.dim..][..self.dim];
        let mut dot = 0f32;
        for (w, h) in weights.iter().zip(hidden) {
            dot += w * h;
        }
        let f = (1.0 / (1.0 + (-dot).exp()) as f64) as f32;
        self.descend(
            left as usize,
            score + std_log((1.0 - f as f64) as f32),
            floor,
            hidden,
            best,
        );
        self.descend(right as usize, score + std_log(f), floor, hidden, best);
    }
}
