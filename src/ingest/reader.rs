//! Opens an extract (CSV or xlsx) as a header row and a stream of text
//! records, each with the line (CSV) or row (xlsx) it came from.
//!
//! Real exports arrive as UTF-8 with or without a byte-order mark, UTF-16 with
//! a BOM (Excel's "Unicode text") or Windows-1252. A CSV file is decoded as it
//! is read, never loaded whole; an xlsx sheet is read by calamine, which holds
//! one sheet in memory.

use std::fs::File;
use std::io::{BufReader, Read};
use std::path::Path;

use encoding_rs::{Encoding, UTF_8, WINDOWS_1252};
use encoding_rs_io::DecodeReaderBytesBuilder;

use crate::config::SourceConfig;
use crate::error::{Error, Result};

/// One data row as text: where it is and its cells.
#[derive(Debug, Clone, PartialEq)]
pub struct RawRecord {
    /// 1-based line of the row's start (CSV) or row number (xlsx).
    pub line: u64,
    pub fields: Vec<String>,
}

/// A record that cannot be read at all (broken CSV quoting, say).
#[derive(Debug, Clone, PartialEq)]
pub struct UnreadableRecord {
    pub line: u64,
    pub reason: String,
}

pub type Records =
    Box<dyn Iterator<Item = std::result::Result<RawRecord, UnreadableRecord>> + Send>;

/// An opened extract.
pub struct Opened {
    pub headers: Vec<String>,
    pub header_line: u64,
    /// `UTF-8`, `windows-1252`, `UTF-16LE`, ... or `xlsx`.
    pub encoding: String,
    /// The sheet read, for xlsx.
    pub sheet: Option<String>,
    /// Whether numbers in date columns are Excel serial dates.
    pub excel: bool,
    pub records: Records,
}

/// Opens `path` as the source configuration says (xlsx by extension or
/// `format = "xlsx"`).
pub fn open_extract(path: &Path, source: &SourceConfig) -> Result<Opened> {
    if path.is_dir() {
        return Err(Error::Input(format!(
            "{}: is a folder, not an extract file",
            path.display()
        )));
    }
    let is_xlsx = match source.format.as_str() {
        "xlsx" => true,
        "csv" => false,
        _ => path
            .extension()
            .and_then(|e| e.to_str())
            .is_some_and(|e| e.eq_ignore_ascii_case("xlsx") || e.eq_ignore_ascii_case("xlsm")),
    };
    if is_xlsx {
        return crate::ingest::excel::open_xlsx(path, source);
    }
    let encoding = detect_encoding(path, &source.encoding)?;
    let delimiter = source.delimiter.as_bytes()[0];
    let reader = csv_reader(path, encoding, delimiter)?;
    let mut records = reader.into_records().map(|result| match result {
        Ok(record) => Ok(RawRecord {
            line: record.position().map(|p| p.line()).unwrap_or(0),
            // The CR of a CRLF line end stays on the last field (only LF
            // ends a record, see csv_reader).
            fields: record
                .iter()
                .map(|f| {
                    f.strip_suffix('\r')
                        .unwrap_or(f)
                        .replace(BLANK_LINE_MARK, "")
                })
                .collect(),
        }),
        Err(e) => Err(UnreadableRecord {
            line: e.position().map(|p| p.line()).unwrap_or(0),
            reason: match e.kind() {
                csv::ErrorKind::Utf8 { .. } => {
                    "the row is not valid text in the file's encoding".into()
                }
                _ => "the row cannot be read as CSV".into(),
            },
        }),
    });
    let header = take_header(&mut records, source.header_row, path)?;
    Ok(Opened {
        headers: header.fields,
        header_line: header.line,
        encoding: encoding.name().to_string(),
        sheet: None,
        excel: false,
        records: Box::new(records),
    })
}

/// Skips title rows and returns the header row.
pub fn take_header(
    records: &mut dyn Iterator<Item = std::result::Result<RawRecord, UnreadableRecord>>,
    header_row: usize,
    path: &Path,
) -> Result<RawRecord> {
    for row in 1..=header_row {
        match records.next() {
            None => {
                return Err(Error::Input(format!(
                    "{}: the file is empty: no header row{}",
                    path.display(),
                    if header_row > 1 {
                        format!(" at row {header_row}")
                    } else {
                        String::new()
                    }
                )));
            }
            Some(Err(e)) => {
                return Err(Error::Input(format!(
                    "{}: line {}: cannot read the {}: {}",
                    path.display(),
                    e.line,
                    if row == header_row {
                        "header row"
                    } else {
                        "title rows above the header"
                    },
                    e.reason
                )));
            }
            Some(Ok(record)) if row == header_row => return Ok(record),
            Some(Ok(_)) => {}
        }
    }
    unreachable!("header_row >= 1 is validated with the configuration")
}

/// What the reader decided about the file's encoding.
pub fn detect_encoding(path: &Path, configured: &str) -> Result<&'static Encoding> {
    let mut file = open(path)?;
    let mut head = [0u8; 3];
    let n = read_up_to(&mut file, &mut head, path)?;
    if let Some((encoding, _)) = Encoding::for_bom(&head[..n]) {
        return Ok(encoding);
    }
    match configured {
        "windows-1252" => Ok(WINDOWS_1252),
        "utf-8" => match first_invalid_utf8(path)?.0 {
            None => Ok(UTF_8),
            Some(line) => Err(Error::Input(format!(
                "{}: line {line}: the file is not valid UTF-8; set `encoding = \"windows-1252\"` \
                 (or \"auto\") in [source]",
                path.display()
            ))),
        },
        _ => match first_invalid_utf8(path)? {
            (None, _) => Ok(UTF_8),
            // Valid UTF-8 letters and then a byte that is not: a file edited
            // in two encodings. Guessing either would garble some rows.
            (Some(line), true) => Err(Error::Input(format!(
                "{}: line {line}: the file mixes encodings (UTF-8 before this line, a byte that is not \
                 UTF-8 here); re-save it in one encoding, or set `encoding` in [source]",
                path.display()
            ))),
            (Some(_), false) => Ok(WINDOWS_1252),
        },
    }
}

/// Opens a CSV reader over the decoded text of `path`.
pub fn csv_reader(
    path: &Path,
    encoding: &'static Encoding,
    delimiter: u8,
) -> Result<csv::Reader<impl Read + Send + 'static>> {
    let file = open(path)?;
    let decoded = DecodeReaderBytesBuilder::new()
        .encoding(Some(encoding))
        .bom_sniffing(true)
        .strip_bom(true)
        .build(BufReader::with_capacity(1 << 16, file));
    let decoded = BlankLineMarker::new(decoded);
    Ok(csv::ReaderBuilder::new()
        .delimiter(delimiter)
        .has_headers(false)
        .flexible(true)
        // Only LF ends a record: with the default (CR, LF or CRLF) the csv
        // crate miscounts lines in CRLF files. A CR left at the end of a
        // value is trimmed with the other whitespace.
        .terminator(csv::Terminator::Any(b'\n'))
        .from_reader(decoded))
}

/// Put at the start of every empty line so the csv crate reads it as a
/// record: left alone it skips blank lines and reports the wrong line number
/// for the record after one. A control character no CSV export contains;
/// removed again from every field.
const BLANK_LINE_MARK: char = '\u{1}';

/// Marks empty lines (see [`BLANK_LINE_MARK`]) as the text streams through.
struct BlankLineMarker<R> {
    inner: R,
    buffer: Vec<u8>,
    start: usize,
    end: usize,
    at_line_start: bool,
}

impl<R: Read> BlankLineMarker<R> {
    fn new(inner: R) -> Self {
        Self {
            inner,
            buffer: vec![0; 1 << 16],
            start: 0,
            end: 0,
            at_line_start: true,
        }
    }
}

impl<R: Read> Read for BlankLineMarker<R> {
    fn read(&mut self, out: &mut [u8]) -> std::io::Result<usize> {
        if self.start == self.end {
            self.start = 0;
            self.end = self.inner.read(&mut self.buffer)?;
            if self.end == 0 {
                return Ok(0);
            }
        }
        let mut written = 0;
        while written < out.len() && self.start < self.end {
            let byte = self.buffer[self.start];
            if self.at_line_start && (byte == b'\n' || byte == b'\r') {
                out[written] = BLANK_LINE_MARK as u8;
                written += 1;
                self.at_line_start = false;
                continue;
            }
            out[written] = byte;
            written += 1;
            self.start += 1;
            self.at_line_start = byte == b'\n';
        }
        Ok(written)
    }
}

fn open(path: &Path) -> Result<File> {
    File::open(path).map_err(|e| Error::Input(format!("{}: cannot open: {e}", path.display())))
}

fn read_up_to(file: &mut File, buf: &mut [u8], path: &Path) -> Result<usize> {
    let mut filled = 0;
    while filled < buf.len() {
        let n = file
            .read(&mut buf[filled..])
            .map_err(|e| Error::Input(format!("{}: cannot read: {e}", path.display())))?;
        if n == 0 {
            break;
        }
        filled += n;
    }
    Ok(filled)
}

/// Streams the file through a strict UTF-8 decoder; returns the 1-based line
/// of the first invalid byte, if any, and whether valid non-ASCII UTF-8 came
/// before it.
fn first_invalid_utf8(path: &Path) -> Result<(Option<u64>, bool)> {
    let mut file = BufReader::with_capacity(1 << 16, open(path)?);
    let mut decoder = UTF_8.new_decoder_without_bom_handling();
    let mut input = vec![0u8; 1 << 16];
    let mut output = String::with_capacity((1 << 16) * 2);
    let mut line = 1u64;
    let mut saw_non_ascii = false;
    loop {
        let n = file
            .read(&mut input)
            .map_err(|e| Error::Input(format!("{}: cannot read: {e}", path.display())))?;
        let last = n == 0;
        let mut consumed = 0;
        loop {
            output.clear();
            let (result, read) = decoder.decode_to_string_without_replacement(
                &input[consumed..n],
                &mut output,
                last,
            );
            line += output.bytes().filter(|b| *b == b'\n').count() as u64;
            saw_non_ascii |= !output.is_ascii();
            consumed += read;
            match result {
                encoding_rs::DecoderResult::InputEmpty => break,
                encoding_rs::DecoderResult::OutputFull => continue,
                encoding_rs::DecoderResult::Malformed(_, _) => {
                    return Ok((Some(line), saw_non_ascii));
                }
            }
        }
        if last {
            return Ok((None, saw_non_ascii));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Write;

    fn file_with(bytes: &[u8]) -> tempfile::NamedTempFile {
        let mut f = tempfile::NamedTempFile::new().unwrap();
        f.write_all(bytes).unwrap();
        f
    }

    fn rows(path: &Path, configured: &str) -> Vec<Vec<String>> {
        let encoding = detect_encoding(path, configured).unwrap();
        let mut reader = csv_reader(path, encoding, b',').unwrap();
        reader
            .records()
            .map(|r| {
                r.unwrap()
                    .iter()
                    .map(|f| f.trim_end_matches('\r').replace(BLANK_LINE_MARK, ""))
                    .collect()
            })
            .collect()
    }

    #[test]
    fn title_rows_are_skipped_and_lines_kept() {
        let f = file_with(b"CME report\n\nid,x\n1,a\n\n2,b\n");
        let mut source: SourceConfig = toml::from_str("columns = {}").unwrap();
        source.header_row = 3;
        let opened = open_extract(f.path(), &source).unwrap();
        assert_eq!(opened.headers, vec!["id", "x"]);
        assert_eq!(opened.header_line, 3);
        let records: Vec<RawRecord> = opened.records.map(|r| r.unwrap()).collect();
        // Blank lines are rows too (ingest quarantines them as blank rows),
        // so every row keeps its line number.
        assert_eq!(
            records.iter().map(|r| r.line).collect::<Vec<_>>(),
            vec![4, 5, 6]
        );
    }

    #[test]
    fn utf8_bom_is_stripped() {
        let f = file_with(b"\xEF\xBB\xBFa,b\r\n1,2\r\n");
        assert_eq!(rows(f.path(), "auto"), vec![vec!["a", "b"], vec!["1", "2"]]);
    }

    #[test]
    fn windows_1252_detected_when_not_utf8() {
        // 0xE9 is e-acute in Windows-1252 and invalid on its own in UTF-8.
        let f = file_with(b"a,b\n1,Ren\xE9e\n");
        assert_eq!(detect_encoding(f.path(), "auto").unwrap(), WINDOWS_1252);
        assert_eq!(rows(f.path(), "auto")[1][1], "Ren\u{e9}e");
    }

    #[test]
    fn mixed_encodings_are_refused_not_guessed() {
        // "Môn" in UTF-8 on line 2, then a lone 0x96 (a Windows-1252 dash).
        let mut bytes = "a,b\n1,Ynys Môn\n2,x".as_bytes().to_vec();
        bytes.extend_from_slice(b"\x96y\n");
        let f = file_with(&bytes);
        let err = detect_encoding(f.path(), "auto").unwrap_err().to_string();
        assert!(
            err.contains("line 3") && err.contains("mixes encodings"),
            "{err}"
        );
    }

    #[test]
    fn utf8_configured_but_invalid_names_the_line() {
        let f = file_with(b"a,b\n1,2\n3,\xE9\n");
        let err = detect_encoding(f.path(), "utf-8").unwrap_err().to_string();
        assert!(err.contains("line 3"), "{err}");
    }

    #[test]
    fn utf16_with_bom() {
        let text = "a,b\n1,2\n";
        let mut bytes = vec![0xFF, 0xFE];
        for unit in text.encode_utf16() {
            bytes.extend_from_slice(&unit.to_le_bytes());
        }
        let f = file_with(&bytes);
        assert_eq!(rows(f.path(), "auto"), vec![vec!["a", "b"], vec!["1", "2"]]);
    }

    #[test]
    fn blank_lines_are_records_and_lines_stay_true() {
        for text in [
            &b"h\n\n\"a\n\nb\"\nc\n\n"[..],
            &b"h\r\n\r\n\"a\r\n\r\nb\"\r\nc\r\n\r\n"[..],
        ] {
            let f = file_with(text);
            let mut source: SourceConfig = toml::from_str("columns = {}").unwrap();
            source.header_row = 1;
            let opened = open_extract(f.path(), &source).unwrap();
            let records: Vec<(u64, Vec<String>)> = opened
                .records
                .map(|r| r.unwrap())
                .map(|r| (r.line, r.fields))
                .collect();
            let quoted = if text.contains(&b'\r') {
                "a\r\n\r\nb"
            } else {
                "a\n\nb"
            };
            assert_eq!(
                records,
                vec![
                    (2, vec![String::new()]),
                    (3, vec![quoted.to_string()]),
                    (6, vec!["c".to_string()]),
                    (7, vec![String::new()]),
                ]
            );
        }
    }

    #[test]
    fn quoted_fields_keep_commas_and_line_breaks() {
        let f = file_with(b"a,b\n\"x, y\",\"line1\nline2\"\n");
        assert_eq!(rows(f.path(), "auto")[1], vec!["x, y", "line1\nline2"]);
    }
}
