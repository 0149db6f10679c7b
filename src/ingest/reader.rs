//! Opens a CSV extract as a stream of text records with their line numbers.
//!
//! Real exports arrive as UTF-8 with or without a byte-order mark, UTF-16 with
//! a BOM (Excel's "Unicode text") or Windows-1252. The file is decoded as it
//! is read, never loaded whole.

use std::fs::File;
use std::io::{BufReader, Read};
use std::path::Path;

use encoding_rs::{Encoding, UTF_8, WINDOWS_1252};
use encoding_rs_io::DecodeReaderBytesBuilder;

use crate::error::{Error, Result};

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
        "utf-8" => match first_invalid_utf8(path)? {
            None => Ok(UTF_8),
            Some(line) => Err(Error::Input(format!(
                "{}: line {line}: the file is not valid UTF-8; set `encoding = \"windows-1252\"` \
                 (or \"auto\") in [source]",
                path.display()
            ))),
        },
        _ => Ok(if first_invalid_utf8(path)?.is_none() {
            UTF_8
        } else {
            WINDOWS_1252
        }),
    }
}

/// Opens a CSV reader over the decoded text of `path`.
pub fn csv_reader(
    path: &Path,
    encoding: &'static Encoding,
    delimiter: u8,
) -> Result<csv::Reader<impl Read>> {
    let file = open(path)?;
    let decoded = DecodeReaderBytesBuilder::new()
        .encoding(Some(encoding))
        .bom_sniffing(true)
        .strip_bom(true)
        .build(BufReader::with_capacity(1 << 16, file));
    Ok(csv::ReaderBuilder::new()
        .delimiter(delimiter)
        .has_headers(true)
        .flexible(true)
        .from_reader(decoded))
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
/// of the first invalid byte, if any.
fn first_invalid_utf8(path: &Path) -> Result<Option<u64>> {
    let mut file = BufReader::with_capacity(1 << 16, open(path)?);
    let mut decoder = UTF_8.new_decoder_without_bom_handling();
    let mut input = vec![0u8; 1 << 16];
    let mut output = String::with_capacity((1 << 16) * 2);
    let mut line = 1u64;
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
            consumed += read;
            match result {
                encoding_rs::DecoderResult::InputEmpty => break,
                encoding_rs::DecoderResult::OutputFull => continue,
                encoding_rs::DecoderResult::Malformed(_, _) => return Ok(Some(line)),
            }
        }
        if last {
            return Ok(None);
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
        let mut out = vec![reader.headers().unwrap().iter().map(String::from).collect()];
        for record in reader.records() {
            out.push(record.unwrap().iter().map(String::from).collect());
        }
        out
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
    fn quoted_fields_keep_commas_and_line_breaks() {
        let f = file_with(b"a,b\n\"x, y\",\"line1\nline2\"\n");
        assert_eq!(rows(f.path(), "auto")[1], vec!["x, y", "line1\nline2"]);
    }
}
