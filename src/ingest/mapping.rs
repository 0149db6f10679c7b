//! Maps a source's headers onto the canonical columns and its code values onto
//! the report's categories, as the pipeline configuration says.

use std::collections::{BTreeMap, HashMap};
use std::path::Path;

use crate::config::{
    CANONICAL_COLUMNS, Category, PipelineConfig, REQUIRED_COLUMNS, SOURCE_CODESETS,
};
use crate::error::{Error, Result};

fn key(text: &str) -> String {
    text.trim_matches(|c: char| c.is_whitespace() || c == '\u{a0}')
        .to_lowercase()
}

/// Position of each canonical column in the source's header row.
#[derive(Debug, Clone)]
pub struct HeaderMap {
    index: HashMap<&'static str, usize>,
    /// Source headers that match no canonical column.
    pub ignored: Vec<String>,
}

impl HeaderMap {
    pub fn build(headers: &[String], config: &PipelineConfig, file: &Path) -> Result<Self> {
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
        let mut index = HashMap::new();
        let mut ignored = Vec::new();
        let mut seen: HashMap<String, usize> = HashMap::new();
        for (position, header) in headers.iter().enumerate() {
            let k = key(header);
            if let Some(first) = seen.insert(k.clone(), position) {
                return Err(Error::Input(format!(
                    "{}: line 1: the header `{}` appears twice (columns {} and {})",
                    file.display(),
                    header.trim(),
                    first + 1,
                    position + 1
                )));
            }
            match by_name.get(&k) {
                Some(canonical) => {
                    if let Some(previous) = index.insert(*canonical, position) {
                        return Err(Error::Input(format!(
                            "{}: line 1: columns {} and {} both map to `{canonical}`",
                            file.display(),
                            previous + 1,
                            position + 1
                        )));
                    }
                }
                None => ignored.push(header.trim().to_string()),
            }
        }
        for required in REQUIRED_COLUMNS {
            if !index.contains_key(required) {
                return Err(Error::Input(format!(
                    "{}: line 1: the required column `{required}` is missing (accepted headers: {}; headers found: {})",
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
        Ok(Self { index, ignored })
    }

    pub fn position(&self, canonical: &str) -> Option<usize> {
        self.index.get(canonical).copied()
    }
}

/// Source value -> category code, for each coded column.
#[derive(Debug, Clone)]
pub struct CodeMaps {
    maps: BTreeMap<&'static str, HashMap<String, String>>,
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
        Self { maps }
    }

    /// The category code for a non-empty source value, or None when unmapped.
    pub fn map(&self, codeset: &str, value: &str) -> Option<&str> {
        self.maps
            .get(codeset)
            .and_then(|m| m.get(&key(value)))
            .map(String::as_str)
    }
}

fn aliases(category: &Category) -> impl Iterator<Item = &str> {
    [category.code(), category.label.as_str()]
        .into_iter()
        .chain(category.aliases.iter().map(String::as_str))
}
