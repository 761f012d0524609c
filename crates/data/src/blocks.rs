//! The fast path of CSV reading: whole lines read in blocks of about a megabyte and split
//! on the delimiter without copying, for the plain lines that make up nearly every file.
//!
//! A block is parsed here only when every one of its lines is plain: no quote, no carriage
//! return but one before the newline, as many fields as the header, every used field a
//! finite number, the whole block UTF-8, no line over the length cap. For such lines the
//! `csv` parser (the slow path, `csv_read::Input`) would return exactly these fields, so
//! both paths give the same rows. The first block that is not plain, and everything after
//! it, goes to the slow path, which then also makes every error message.

use std::io::{self, Read};

/// Bytes a block holds (about 9,000 rows of six numbers): big enough that a block's fixed
/// costs vanish, small enough to stay in the L2 cache while its rows are used.
pub(crate) const BLOCK_BYTES: usize = 1 << 20;

/// Buffered input cut into blocks of whole lines.
pub(crate) struct Blocks<R> {
    reader: R,
    buf: Vec<u8>,
    /// Start of the bytes not yet handed out.
    pos: usize,
    /// The reader has reported its end.
    eof: bool,
    /// 1-based line number of `buf[pos]`.
    line: u64,
}

/// What [`Blocks::next_block`] found.
pub(crate) enum Next {
    /// The end of the input.
    End,
    /// `buf[pos..end]` holds whole lines (the last one may lack its newline at the end of
    /// the input).
    Block(usize),
    /// The line at `pos` is longer than the cap: the slow path will say so.
    TooLong,
}

impl<R: Read> Blocks<R> {
    /// Blocks of `reader`, whose first bytes, `pending`, were read already; `line` is the
    /// line number of the first of them.
    pub(crate) fn new(reader: R, pending: Vec<u8>, line: u64) -> Self {
        Blocks {
            reader,
            buf: pending,
            pos: 0,
            eof: false,
            line,
        }
    }

    /// The line number of the next byte.
    pub(crate) fn line(&self) -> u64 {
        self.line
    }

    /// The bytes of the next block (valid until the next call), from [`Next::Block`].
    pub(crate) fn text(&self, end: usize) -> &[u8] {
        &self.buf[self.pos..end]
    }

    /// Marks the block up to `end`, holding `newlines` newlines, as used.
    pub(crate) fn consume(&mut self, end: usize, newlines: u64) {
        self.pos = end;
        self.line += newlines;
    }

    /// Puts `bytes`, starting on line `line`, back in front of the bytes not yet used.
    pub(crate) fn unread(&mut self, bytes: &[u8], line: u64) {
        self.buf.splice(..self.pos, bytes.iter().copied());
        self.pos = 0;
        self.line = line;
    }

    /// Gives back the reader and the bytes read but not used, for the slow path.
    pub(crate) fn into_rest(mut self) -> (Vec<u8>, R) {
        self.buf.drain(..self.pos);
        (self.buf, self.reader)
    }

    /// Finds the next block, reading as needed.
    pub(crate) fn next_block(&mut self, max_line_bytes: usize) -> io::Result<Next> {
        loop {
            let avail = self.buf.len() - self.pos;
            if avail >= BLOCK_BYTES || self.eof {
                if avail == 0 {
                    return Ok(Next::End);
                }
                let window_end = self.pos + avail.min(BLOCK_BYTES);
                if let Some(i) = memchr::memrchr(b'\n', &self.buf[self.pos..window_end]) {
                    return Ok(Next::Block(self.pos + i + 1));
                }
                // One line longer than a block.
                if let Some(i) = memchr::memchr(b'\n', &self.buf[window_end..]) {
                    return Ok(Next::Block(window_end + i + 1));
                }
                if self.eof {
                    return Ok(Next::Block(self.buf.len()));
                }
                if avail > max_line_bytes {
                    return Ok(Next::TooLong);
                }
            }
            self.read_more()?;
        }
    }

    /// Moves the unused bytes to the front and reads up to a block more.
    fn read_more(&mut self) -> io::Result<()> {
        if self.pos > 0 {
            self.buf.drain(..self.pos);
            self.pos = 0;
        }
        // `read_to_end` fills the spare capacity without zeroing it first.
        let want = BLOCK_BYTES as u64;
        let n = (&mut self.reader).take(want).read_to_end(&mut self.buf)?;
        if (n as u64) < want {
            self.eof = true;
        }
        Ok(())
    }
}

/// How a block's lines map to numbers.
#[derive(Debug, Clone)]
pub(crate) struct Layout {
    /// The field separator.
    pub delimiter: u8,
    /// Fields a line must have.
    pub columns: usize,
    /// For each column, the index of its number in a row (`NOT_READ` when it is not read).
    pub slot: Vec<u32>,
    /// Numbers a row has (features, then the target if one is read).
    pub values: usize,
    /// Features among them (the rest, at most one, is the target).
    pub features: usize,
    /// Longest line, in bytes (without its newline).
    pub max_line_bytes: usize,
}

/// [`Layout::slot`] of a column that is not read.
pub(crate) const NOT_READ: u32 = u32::MAX;

impl Layout {
    /// The layout reading `features` (columns, in order) and `target`; `None` when a column
    /// is read twice (left to the slow path).
    pub(crate) fn new(
        delimiter: u8,
        columns: usize,
        features: &[usize],
        target: Option<usize>,
        max_line_bytes: usize,
    ) -> Option<Layout> {
        let mut slot = vec![NOT_READ; columns];
        for (i, &c) in features.iter().chain(&target).enumerate() {
            let s = slot.get_mut(c)?;
            if *s != NOT_READ {
                return None;
            }
            *s = u32::try_from(i).ok()?;
        }
        Some(Layout {
            delimiter,
            columns,
            slot,
            values: features.len() + usize::from(target.is_some()),
            features: features.len(),
            max_line_bytes,
        })
    }
}

/// Where a row's text lies in a chunk's text: start and end.
pub(crate) type Span = (usize, usize);

/// Where a parsed block's rows go. Each vector is appended to; on failure the caller
/// truncates them back.
pub(crate) struct Sink<'a> {
    /// Features, row-major.
    pub features: &'a mut Vec<f64>,
    /// Targets, when the layout reads one.
    pub targets: &'a mut Vec<f64>,
    /// Each row's 1-based line, when wanted.
    pub lines: Option<&'a mut Vec<u64>>,
    /// Each row's text (its fields as read, joined by the delimiter, without the line
    /// end) and where each lies in it, when wanted.
    pub text: Option<(&'a mut Vec<u8>, &'a mut Vec<Span>)>,
    /// The text is not copied: each row's place is given in the block itself, which the
    /// caller then keeps as the text (the text vector must start empty).
    pub in_place: bool,
}

impl Sink<'_> {
    /// The lengths of the vectors, to [`rollback`](Self::rollback) to.
    pub(crate) fn mark(&self) -> [usize; 5] {
        [
            self.features.len(),
            self.targets.len(),
            self.lines.as_ref().map_or(0, |l| l.len()),
            self.text.as_ref().map_or(0, |t| t.0.len()),
            self.text.as_ref().map_or(0, |t| t.1.len()),
        ]
    }

    /// Truncates the vectors to the lengths of `mark`.
    pub(crate) fn rollback(&mut self, mark: [usize; 5]) {
        self.features.truncate(mark[0]);
        self.targets.truncate(mark[1]);
        if let Some(lines) = self.lines.as_deref_mut() {
            lines.truncate(mark[2]);
        }
        if let Some((text, spans)) = self.text.as_mut() {
            text.truncate(mark[3]);
            spans.truncate(mark[4]);
        }
    }
}

/// Parses a block of whole lines starting at line `first_line`. Returns the number of
/// newlines in the block, or `None` when a line is not plain (see the module's
/// documentation) and the block must go to the slow path.
pub(crate) fn parse_block(
    block: &[u8],
    first_line: u64,
    layout: &Layout,
    row: &mut Vec<f64>,
    sink: &mut Sink<'_>,
) -> Option<u64> {
    // One check for the whole block: afterwards fields are sliced as text for free.
    let text = std::str::from_utf8(block).ok()?;
    if memchr::memchr(b'"', block).is_some() {
        return None;
    }
    let has_cr = memchr::memchr(b'\r', block).is_some();
    let delimiter = layout.delimiter;
    row.clear();
    row.resize(layout.values, 0.0);
    let mut line = first_line;
    let mut start = 0;
    while start < block.len() {
        let end = memchr::memchr(b'\n', &block[start..]).map_or(block.len(), |i| start + i);
        let newline = end < block.len();
        if end - start > layout.max_line_bytes {
            return None;
        }
        let mut body_end = end;
        if has_cr {
            // The `\r` of a CRLF line end is dropped, as the slow path drops it; any other
            // carriage return is left to the slow path.
            if body_end > start && block[body_end - 1] == b'\r' {
                body_end -= 1;
            }
            if memchr::memchr(b'\r', &block[start..body_end]).is_some() {
                return None;
            }
        }
        let body = &block[start..body_end];
        if memchr::memchr(delimiter, body).is_none() && trim(body).is_empty() {
            // A blank line (empty or spaces only): skipped, as the slow path skips it.
            line += u64::from(newline);
            start = end + 1;
            continue;
        }
        let mut column = 0;
        let mut field_start = start;
        loop {
            let slot = *layout.slot.get(column)?;
            let field_end = if slot != NOT_READ {
                // Usually the number ends the field: one pass reads both. Otherwise the
                // field is found first and read by the general parser.
                let (v, field_end) = match number_at(block, field_start, body_end, delimiter) {
                    Some(found) => found,
                    None => {
                        let field_end = memchr::memchr(delimiter, &block[field_start..body_end])
                            .map_or(body_end, |i| field_start + i);
                        let field = text.get(field_start..field_end)?;
                        (parse_f64(trim_str(field))?, field_end)
                    }
                };
                if !v.is_finite() {
                    return None;
                }
                row[slot as usize] = v;
                field_end
            } else {
                memchr::memchr(delimiter, &block[field_start..body_end])
                    .map_or(body_end, |i| field_start + i)
            };
            column += 1;
            if field_end == body_end {
                break;
            }
            field_start = field_end + 1;
        }
        if column != layout.columns {
            return None;
        }
        sink.features.extend_from_slice(&row[..layout.features]);
        sink.targets.extend_from_slice(&row[layout.features..]);
        if let Some(lines) = sink.lines.as_deref_mut() {
            lines.push(line);
        }
        let in_place = sink.in_place;
        if let Some((out, spans)) = sink.text.as_mut() {
            if in_place {
                spans.push((start, body_end));
            } else {
                let from = out.len();
                out.extend_from_slice(body);
                spans.push((from, out.len()));
            }
        }
        line += u64::from(newline);
        start = end + 1;
    }
    Some(line - first_line)
}

/// `text.parse::<f64>()`, faster: a finite number is read by fast-float2 (the Rust port of
/// Lemire's fast_float: Clinger's fast path, then Eisel–Lemire with a table of 128-bit
/// powers of five, correctly rounded like the standard parser); anything else (`inf`,
/// `NaN`, and whatever fast-float2 does not take whole) goes to the standard parser.
#[inline]
pub(crate) fn parse_f64(text: &str) -> Option<f64> {
    fast_decimal(text.as_bytes()).or_else(|| text.parse().ok())
}

/// The number the field starting at `start` holds when the fast reader takes it whole
/// (blanks around it allowed, as [`trim_str`] removes them), and the field's end: the
/// next `delimiter`, or `end`. `None` when the field holds anything else.
#[inline]
fn number_at(block: &[u8], start: usize, end: usize, delimiter: u8) -> Option<(f64, usize)> {
    let blank = |b: u8| (b == b' ' || b == b'\t') && b != delimiter;
    let field = block.get(start..end)?;
    let mut i = 0;
    while field.get(i).is_some_and(|&b| blank(b)) {
        i += 1;
    }
    let (value, used) = fast_prefix(&field[i..])?;
    i += used;
    while field.get(i).is_some_and(|&b| blank(b)) {
        i += 1;
    }
    match field.get(i) {
        None => Some((value, end)),
        Some(&b) if b == delimiter => Some((value, start + i)),
        Some(_) => None,
    }
}

#[inline]
fn fast_decimal(bytes: &[u8]) -> Option<f64> {
    fast_prefix(bytes).and_then(|(value, used)| (used == bytes.len()).then_some(value))
}

/// The finite number at the start of `bytes` (see [`parse_f64`]) and the bytes it takes;
/// `None` when there is none.
#[inline]
fn fast_prefix(bytes: &[u8]) -> Option<(f64, usize)> {
    match fast_float2::parse_partial::<f64, _>(bytes) {
        Ok((value, used)) if value.is_finite() => Some((value, used)),
        _ => None,
    }
}

/// Spaces, tabs and carriage returns around a field removed (quotes never reach here).
#[inline]
fn trim(mut s: &[u8]) -> &[u8] {
    while let [b' ' | b'\t' | b'\r', rest @ ..] = s {
        s = rest;
    }
    while let [rest @ .., b' ' | b'\t' | b'\r'] = s {
        s = rest;
    }
    s
}

#[inline]
fn trim_str(field: &str) -> &str {
    match field.as_bytes() {
        [b' ' | b'\t', ..] | [.., b' ' | b'\t'] => field.trim_matches([' ', '\t']),
        _ => field,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::{Rng, SeedableRng};

    fn same_as_std(text: &str) {
        let ours = parse_f64(text);
        let std = text.parse::<f64>().ok();
        assert_eq!(
            ours.map(f64::to_bits),
            std.map(f64::to_bits),
            "{text:?}: {ours:?} against {std:?}"
        );
    }

    #[test]
    fn a_number_and_its_field_end_in_one_pass_as_split_then_parsed() {
        // What `number_at` must agree with wherever it answers: the field up to the next
        // delimiter, blanks trimmed, read by `parse_f64`.
        let pieces = [
            "1",
            "-0.5",
            "+.5",
            "1e5",
            "1e",
            "12345678901234567",
            "0.21241046907347616",
            " ",
            "\t",
            ",",
            ";",
            "x",
            ".",
            "-",
            "e",
            "9",
            "00",
            "1.5.",
            "inf",
            "7E-3",
        ];
        let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(13);
        for _ in 0..200_000 {
            let delimiter = [b',', b';', b'\t', b' '][rng.random_range(0..4)];
            let text: String = (0..rng.random_range(0..6))
                .map(|_| pieces[rng.random_range(0..pieces.len())])
                .collect();
            let bytes = text.as_bytes();
            let field_end = memchr::memchr(delimiter, bytes).unwrap_or(bytes.len());
            let field = trim_str(&text[..field_end]);
            let field = if delimiter == b' ' {
                field.trim_start_matches('\t').trim_end_matches('\t')
            } else {
                field
            };
            if let Some((v, end)) = number_at(bytes, 0, bytes.len(), delimiter) {
                assert_eq!(end, field_end, "{text:?}");
                assert_eq!(
                    Some(v.to_bits()),
                    parse_f64(field).map(f64::to_bits),
                    "{text:?}"
                );
            }
        }
    }

    #[test]
    fn parses_every_text_as_the_standard_parser_does() {
        for text in [
            "0",
            "-0",
            "+0",
            "1",
            "-1",
            "1.",
            ".5",
            "-.5",
            "+.5",
            ".",
            "-",
            "+",
            "",
            "e5",
            "1e",
            "1e+",
            "1e-",
            "1e5",
            "1E5",
            "1e+5",
            "1e-5",
            "-1.5e-7",
            "00012.3400",
            "0.000",
            "9007199254740992",
            "9007199254740993",
            "900719925474099.3",
            "1e22",
            "1e23",
            "1e-22",
            "1e-23",
            "123456789012345678",
            "0.1",
            "0.2",
            "0.3",
            "1.7976931348623157e308",
            "2e308",
            "5e-324",
            "1e-400",
            "inf",
            "-inf",
            "NaN",
            "nan",
            "infinity",
            "1_0",
            "1,5",
            "0x10",
            " 1",
            "1 ",
            "1e5.5",
            "1.2.3",
            "--1",
            "+-1",
            "1e99999999999",
            "1e-99999999999",
            "-0.4516282364694901",
            "1.342145950042807",
            "-0.006918009300419063",
            // 17 to 19 significant digits: the exact correction, ties included.
            "-0.21241046907347616",
            "-0.020232728898898315",
            "0.30000000000000004",
            "0.1000000000000000055511151231257827",
            "9007199254740993.0",
            "90071992547409930e-1",
            "90071992547409950e-1",
            "9007199254740993e0",
            "9007199254740993e3",
            "18014398509481985",
            "1801439850948198.5",
            "9999999999999999999",
            "9999999999999999999e-22",
            "9999999999999999999e-23",
            "9999999999999999999e22",
            "9999999999999999999e23",
            "18446744073709551615",
            "18446744073709551616",
            "1.8446744073709551615",
            "0.00000000000000000000012345678901234567",
            "4.9406564584124654e-324",
            "2.2250738585072011e-308",
            "1.7976931348623157e308",
        ] {
            same_as_std(text);
        }
        // Halfway points between neighbouring f64s, and a step either side, written with
        // 17 to 19 digits and a negative exponent.
        let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(12);
        for _ in 0..200_000 {
            let k = rng.random_range(1..=22u32);
            let mantissa: u64 = rng.random_range(1u64 << 53..10_000_000_000_000_000_000);
            for m in [mantissa, mantissa - 1, mantissa + 1] {
                let digits = m.to_string();
                let split = digits.len().saturating_sub(k as usize);
                same_as_std(&format!("{}.{}", &digits[..split], &digits[split..]));
                same_as_std(&format!("{m}e-{k}"));
            }
            // An exact halfway point: (2M + 1) · 2^(q-1) with a power of two that ten's
            // power k cancels, times 10^k / 10^k.
            let big = (rng.random_range(1u64 << 52..1u64 << 53) * 2 + 1) as u128;
            let j = rng.random_range(1..=k.min(9));
            // (2M+1) · 5^j / 10^j = (2M+1) / 2^j: exactly halfway when j = 1.
            let m = big * 5u128.pow(j);
            if m < 10_000_000_000_000_000_000 {
                same_as_std(&format!("{m}e-{j}"));
            }
        }
        let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(11);
        for _ in 0..300_000 {
            // What the standard formatter writes, and digit strings of every length.
            let v = f64::from_bits(rng.random::<u64>());
            same_as_std(&format!("{v:?}"));
            same_as_std(&format!("{v:e}"));
            let v = rng.random_range(-1e3..1e3) * 10f64.powi(rng.random_range(-30..30));
            same_as_std(&format!("{v:?}"));
            let digits: String = (0..rng.random_range(1..25))
                .map(|_| char::from(b'0' + rng.random_range(0..10u8)))
                .collect();
            let point = rng.random_range(0..=digits.len());
            let text = format!(
                "{}{}.{}e{}",
                if rng.random() { "-" } else { "" },
                &digits[..point],
                &digits[point..],
                rng.random_range(-30..30)
            );
            same_as_std(&text);
            same_as_std(&digits);
        }
    }
}
