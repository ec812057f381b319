//! Bulk import: up to 50 posts in one request, as JSON or a CSV file. The file is read
//! with a real CSV parser (RFC 4180 quoting: commas and newlines inside quotes), and a
//! bad row is that row's error, named by row and column — never the whole file's.

use std::collections::BTreeMap;

use domain::input::FieldError;

/// The most posts one bulk request carries (the seed's).
pub const MAX_BULK: usize = 50;

/// The seed's columns, and ours after them.
pub const CSV_COLUMNS: &[&str] = &[
    "content",
    "platforms",
    "scheduled_at",
    "category",
    "hashtags",
    "tags",
    "labels",
    "account_ids",
    "media_urls",
    "campaign_id",
];

/// One data row: its line in the file (the header is line 1) and its cells by column.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CsvRow {
    pub line: usize,
    pub cells: BTreeMap<String, String>,
    /// A row that could not be read as the header says (its cells are then empty).
    pub error: Option<String>,
}

impl CsvRow {
    pub fn cell(&self, column: &str) -> Option<&str> {
        self.cells.get(column).map(|s| s.trim()).filter(|s| !s.is_empty())
    }

    /// A list column: split on `;` or `|`, trimmed, empties dropped.
    pub fn list(&self, column: &str) -> Vec<String> {
        self.cell(column)
            .map(|c| c.split([';', '|']).map(str::trim).filter(|s| !s.is_empty()).map(str::to_owned).collect())
            .unwrap_or_default()
    }
}

/// The file's rows. Refused whole only when it cannot be a bulk request at all: not UTF-8,
/// no header, an unknown or missing column, no rows, or more than 50.
pub fn read_csv(bytes: &[u8]) -> Result<Vec<CsvRow>, FieldError> {
    let text = std::str::from_utf8(bytes).map_err(|_| FieldError::new("file", "must be UTF-8 text"))?;
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    let mut reader = csv::ReaderBuilder::new().flexible(true).trim(csv::Trim::Headers).from_reader(text.as_bytes());
    let header: Vec<String> = reader
        .headers()
        .map_err(|e| FieldError::new("file", format!("the header cannot be read: {e}")))?
        .iter()
        .map(|h| h.to_ascii_lowercase())
        .collect();
    if let Some(unknown) = header.iter().find(|h| !CSV_COLUMNS.contains(&h.as_str())) {
        return Err(FieldError::new(
            "file",
            format!("unknown column {unknown:?}; columns: {}", CSV_COLUMNS.join(", ")),
        ));
    }
    if !header.iter().any(|h| h == "content") {
        return Err(FieldError::new("file", "the header needs a content column"));
    }
    let mut rows = Vec::new();
    for record in reader.records() {
        if rows.len() == MAX_BULK {
            return Err(FieldError::new("file", format!("Maximum {MAX_BULK} posts per bulk request")));
        }
        match record {
            Ok(r) => {
                let line = r.position().map_or(rows.len() + 2, |p| p.line() as usize);
                if r.iter().all(|c| c.trim().is_empty()) {
                    continue;
                }
                let error = (r.len() != header.len())
                    .then(|| format!("has {} cells; the header has {}", r.len(), header.len()));
                let cells = if error.is_some() {
                    BTreeMap::new()
                } else {
                    header.iter().cloned().zip(r.iter().map(str::to_owned)).collect()
                };
                rows.push(CsvRow { line, cells, error });
            }
            Err(e) => {
                let line = e.position().map_or(rows.len() + 2, |p| p.line() as usize);
                rows.push(CsvRow { line, cells: BTreeMap::new(), error: Some(e.to_string()) });
            }
        }
    }
    if rows.is_empty() {
        return Err(FieldError::new("file", "has no rows under its header"));
    }
    Ok(rows)
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn quoted_commas_and_newlines_stay_in_their_cell_and_a_short_row_is_its_own_error() {
        let file = "content,platforms,hashtags,scheduled_at\n\
                    \"Hello, world\",twitter;linkedin,#a|#b,\n\
                    \"Two\nlines, \"\"quoted\"\"\",x,,2026-06-01T09:00:00Z\n\
                    short row\n";
        let rows = read_csv(file.as_bytes()).unwrap();
        assert_eq!(rows.len(), 3);
        assert_eq!(rows[0].cell("content"), Some("Hello, world"));
        assert_eq!(rows[0].list("platforms"), vec!["twitter", "linkedin"]);
        assert_eq!(rows[0].list("hashtags"), vec!["#a", "#b"]);
        assert_eq!(rows[1].cell("content"), Some("Two\nlines, \"quoted\""));
        assert_eq!(rows[1].line, 3);
        assert_eq!(rows[2].error.as_deref(), Some("has 1 cells; the header has 4"));
        assert_eq!(rows[2].line, 5);
    }

    #[test]
    fn what_cannot_be_a_bulk_request_is_refused_whole() {
        assert!(read_csv(b"content,colour\nx,red\n").unwrap_err().message.contains("colour"));
        assert!(read_csv(b"platforms\nx\n").unwrap_err().message.contains("content"));
        assert!(read_csv(b"content\n").unwrap_err().message.contains("no rows"));
        let many: String =
            std::iter::once("content\n".to_owned()).chain((0..51).map(|i| format!("post {i}\n"))).collect();
        assert_eq!(read_csv(many.as_bytes()).unwrap_err().message, "Maximum 50 posts per bulk request");
        assert!(read_csv(&[0xff, 0xfe]).is_err());
    }
}
