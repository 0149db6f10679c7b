//! Maps a source's headers onto the canonical columns and its code values onto
//! the report's categories, as the pipeline configuration says.

use std::collections::{BTreeMap, HashMap};
use std::path::Path;

use crate::config::{
    CANONICAL_COLUMNS, Category, PipelineConfig, REQUIRED_COLUMNS, SOURCE_CODESETS,
};
use crate::error::{Error, Result};

/// A header cell that is a date or a long number is a data value.
fn looks_like_data(cell: &str, date_formats: &[String]) -> bool {
    let text = cell.trim();
    let digits = text.bytes().filter(|b| b.is_ascii_digit()).count();
    digits >= 4 && digits * 2 >= text.len()
        || date_formats
            .iter()
            .any(|f| chrono::NaiveDate::parse_from_str(text, f).is_ok())
}

fn key(text: &str) -> String {
    text.trim_matches(|c: char| c.is_whitespace() || c == '\u{a0}')
        .to_lowercase()
}

/// Position of each canonical column in the source's header row.
#[derive(Debug, Clone)]
pub struct HeaderMap {
    index: HashMap<&'static str, usize>,
    /// The position of the first column of each kind, for messages.
    pub headers: Vec<String>,
    /// Source headers that match no canonical column.
    pub ignored: Vec<String>,
}

impl HeaderMap {
    pub fn build(
        headers: &[String],
        header_line: u64,
        config: &PipelineConfig,
        file: &Path,
    ) -> Result<Self> {
        // A file without a header row would have its first data row quoted in
        // the messages below: say what is wrong without echoing it.
        let data_like = headers
            .iter()
            .filter(|h| looks_like_data(h, &config.source.date_formats))
            .count();
        if data_like > 0 {
            return Err(Error::Input(format!(
                "{}: line {header_line}: the header row holds {data_like} value(s) that look like data \
                 (dates or numbers), not column names: the file has no header row, or [source] header_row \
                 points at the wrong row",
                file.display()
            )));
        }
        let mut by_name: HashMap<String, &'static str> = HashMap::new();
        for canonical in CANONICAL_COLUMNS {
            let names = config.source.columns.get(*canonical);
            for name in names.into_iter().flatten() {
                if let Some(other) = by_name.insert(key(name), canonical) {
                    if other != *canonical {
                        return Err(Error::Config {
                            path: "[source.columns]".into(),
                            message: format!(
                                "the header name `{name}` is listed for both `{other}` and `{canonical}`"
                            ),
                        });
                    }
                }
            }
        }
        let mut patterns: Vec<(&'static str, regex::Regex)> = Vec::new();
        for canonical in CANONICAL_COLUMNS {
            for pattern in config
                .source
                .column_patterns
                .get(*canonical)
                .into_iter()
                .flatten()
            {
                let regex = regex::RegexBuilder::new(pattern)
                    .case_insensitive(true)
                    .build()
                    .map_err(|e| Error::Config {
                        path: "[source.column_patterns]".into(),
                        message: format!("{canonical}: {e}"),
                    })?;
                patterns.push((canonical, regex));
            }
        }
        let mut index = HashMap::new();
        let mut ignored = Vec::new();
        let mut seen: HashMap<String, usize> = HashMap::new();
        for (position, header) in headers.iter().enumerate() {
            let k = key(header);
            if k.is_empty() {
                ignored.push(format!("(column {}, no header)", position + 1));
                continue;
            }
            if let Some(first) = seen.insert(k.clone(), position) {
                return Err(Error::Input(format!(
                    "{}: line {header_line}: the header `{}` appears twice (columns {} and {})",
                    file.display(),
                    header.trim(),
                    first + 1,
                    position + 1
                )));
            }
            let mut matched: Vec<&'static str> = by_name.get(&k).copied().into_iter().collect();
            for (canonical, regex) in &patterns {
                if regex.is_match(&k) && !matched.contains(canonical) {
                    matched.push(canonical);
                }
            }
            if matched.len() > 1 {
                return Err(Error::Input(format!(
                    "{}: line {header_line}: the header `{}` (column {}) matches more than one column: {}",
                    file.display(),
                    header.trim(),
                    position + 1,
                    matched.join(", ")
                )));
            }
            match matched.first() {
                Some(canonical) => {
                    if let Some(previous) = index.insert(*canonical, position) {
                        return Err(Error::Input(format!(
                            "{}: line {header_line}: columns {} and {} both map to `{canonical}`",
                            file.display(),
                            previous + 1,
                            position + 1
                        )));
                    }
                }
                None => ignored.push(header.trim().to_string()),
            }
        }
        // A row where no cell is a known column name is not a header row
        // (no header, wrong header_row, wrong delimiter or encoding, not a
        // CSV at all): its cells may be data, so they are not quoted.
        if index.is_empty() {
            return Err(Error::Input(format!(
                "{}: line {header_line}: none of the {} cells of the header row is a known column name: \
                 the file has no header row, [source] header_row points at the wrong row, or the delimiter, \
                 encoding or format is not what [source] says",
                file.display(),
                headers.len()
            )));
        }
        for required in REQUIRED_COLUMNS {
            if !index.contains_key(required) {
                return Err(Error::Input(format!(
                    "{}: line {header_line}: the required column `{required}` is missing (accepted headers: {}; headers found: {})",
                    file.display(),
                    config.source.columns[*required].join(", "),
                    headers
                        .iter()
                        .map(|h| h.trim())
                        .collect::<Vec<_>>()
                        .join(", ")
                )));
            }
        }
        Ok(Self {
            index,
            headers: headers.to_vec(),
            ignored,
        })
    }

    pub fn position(&self, canonical: &str) -> Option<usize> {
        self.index.get(canonical).copied()
    }
}

/// Source value -> category code, for each coded column.
#[derive(Debug, Clone)]
pub struct CodeMaps {
    maps: BTreeMap<&'static str, HashMap<String, String>>,
    patterns: BTreeMap<String, Vec<regex::Regex>>,
}

impl CodeMaps {
    pub fn build(config: &PipelineConfig) -> Self {
        let mut maps = BTreeMap::new();
        for name in SOURCE_CODESETS {
            let mut map = HashMap::new();
            for category in config.codeset(name) {
                for alias in aliases(category) {
                    map.entry(key(alias))
                        .or_insert_with(|| category.code().to_string());
                }
            }
            maps.insert(*name, map);
        }
        let patterns = config
            .source
            .value_patterns
            .iter()
            .map(|(codeset, list)| {
                let compiled = list
                    .iter()
                    .filter_map(|p| {
                        regex::RegexBuilder::new(p)
                            .case_insensitive(true)
                            .build()
                            .ok()
                    })
                    .collect();
                (codeset.clone(), compiled)
            })
            .collect();
        Self { maps, patterns }
    }

    /// The category code for a non-empty source value, or None when unmapped:
    /// first the value itself among the aliases, then what each configured
    /// pattern captures from it ("WBRI - White British" -> "WBRI").
    pub fn map(&self, codeset: &str, value: &str) -> Option<&str> {
        let map = self.maps.get(codeset)?;
        if let Some(code) = map.get(&key(value)) {
            return Some(code);
        }
        for pattern in self.patterns.get(codeset).into_iter().flatten() {
            if let Some(captures) = pattern.captures(value.trim()) {
                let found = captures
                    .get(1)
                    .or_else(|| captures.get(0))
                    .map(|m| m.as_str());
                if let Some(code) = found.and_then(|f| map.get(&key(f))) {
                    return Some(code);
                }
            }
        }
        None
    }
}

fn aliases(category: &Category) -> impl Iterator<Item = &str> {
    [category.code(), category.label.as_str()]
        .into_iter()
        .chain(category.aliases.iter().map(String::as_str))
}
