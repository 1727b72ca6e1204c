//! Full-text indexes of dataset versions.
//!
//! One tantivy index per dataset version, one indexed field per text field of the dataset, and
//! the record's `_row` as a fast field. Analysis splits on non-alphanumerics, lowercases and folds
//! accents (`École` matches `ecole`), with no stemming: a word matches a word, in any case and
//! with or without accents. Queries return the matching `_row` numbers in ascending order, which
//! the query engine turns into a filter.

use std::collections::BTreeSet;
use std::path::Path;
use tantivy::collector::DocSetCollector;
use tantivy::columnar::Column;
use tantivy::query::{AllQuery, BooleanQuery, EmptyQuery, FuzzyTermQuery, Occur, Query, TermQuery, TermSetQuery};
use tantivy::schema::{Field, IndexRecordOption, NumericOptions, Schema, TextFieldIndexing, TextOptions};
use tantivy::tokenizer::{
    AsciiFoldingFilter, LowerCaser, RemoveLongFilter, SimpleTokenizer, TextAnalyzer, TokenStream,
};
use tantivy::{Index, IndexWriter, ReloadPolicy, Searcher, TantivyDocument, Term};

const ANALYZER: &str = "portail_folded";
const ROW: &str = "_row";

#[derive(Debug, thiserror::Error)]
pub enum SearchError {
    #[error("full-text index: {0}")]
    Tantivy(#[from] tantivy::TantivyError),
    #[error("full-text index: unknown field `{0}`")]
    UnknownField(String),
    #[error("full-text index: {0}")]
    Io(#[from] std::io::Error),
}

fn analyzer() -> TextAnalyzer {
    TextAnalyzer::builder(SimpleTokenizer::default())
        .filter(RemoveLongFilter::limit(64))
        .filter(LowerCaser)
        .filter(AsciiFoldingFilter)
        .build()
}

/// The words of `text` as the index sees them (lowercase, without accents).
pub fn words(text: &str) -> Vec<String> {
    let mut analyzer = analyzer();
    let mut stream = analyzer.token_stream(text);
    let mut out = vec![];
    while stream.advance() {
        out.push(stream.token().text.clone());
    }
    out
}

fn register(index: &Index) {
    index.tokenizers().register(ANALYZER, analyzer());
}

/// Writes the index of a new dataset version.
pub struct IndexBuilder {
    writer: IndexWriter,
    row: Field,
    fields: Vec<Field>,
}

impl IndexBuilder {
    /// `text_fields` are the dataset's text field names, in the order `add` receives values.
    pub fn create(dir: &Path, text_fields: &[String], memory_bytes: usize) -> Result<IndexBuilder, SearchError> {
        std::fs::create_dir_all(dir)?;
        let mut builder = Schema::builder();
        let row = builder.add_u64_field(ROW, NumericOptions::default().set_fast().set_indexed());
        let indexing = TextFieldIndexing::default()
            .set_tokenizer(ANALYZER)
            .set_index_option(IndexRecordOption::WithFreqsAndPositions);
        let options = TextOptions::default().set_indexing_options(indexing);
        let fields = text_fields.iter().map(|name| builder.add_text_field(name, options.clone())).collect();
        let index = Index::create_in_dir(dir, builder.build())?;
        register(&index);
        let threads = std::thread::available_parallelism().map_or(1, |n| n.get()).min(2);
        let writer = index.writer_with_num_threads(threads, memory_bytes.max(threads * 15_000_000))?;
        Ok(IndexBuilder { writer, row, fields })
    }

    /// Indexes one record: its `_row` and its text values (`None` for empty).
    pub fn add(&mut self, row: u64, values: &[Option<&str>]) -> Result<(), SearchError> {
        let mut doc = TantivyDocument::default();
        doc.add_u64(self.row, row);
        for (field, value) in self.fields.iter().zip(values) {
            if let Some(v) = value {
                doc.add_text(*field, v);
            }
        }
        self.writer.add_document(doc)?;
        Ok(())
    }

    /// Commits and merges everything written; the index is complete and durable afterwards.
    pub fn finish(mut self) -> Result<(), SearchError> {
        self.writer.commit()?;
        self.writer.wait_merging_threads()?;
        Ok(())
    }
}

/// How the words of a query must match.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Match {
    /// Every word must appear as a whole word.
    Words,
    /// Every word must appear; the last may be the beginning of a word (search-as-you-type).
    Prefix,
    /// Every word may be the beginning of a word (ODS `suggest`).
    AllPrefixes,
    /// ODS `search()`: every word but the last within a typo (Levenshtein distance 1 beyond 2
    /// letters, 2 beyond 5), the last the beginning of a word.
    Fuzzy,
}

/// The edits a word of `search()` may differ by.
fn typos_allowed(word: &str) -> u8 {
    match word.chars().count() {
        0..=2 => 0,
        3..=5 => 1,
        _ => 2,
    }
}

/// Whether `have` (a small text's words, from `words`) holds every word of `query` the way
/// `mode` says: the index's rules, for texts without an index (catalog metadata).
pub fn text_matches(query: &str, have: &[String], mode: Match) -> bool {
    let wanted = words(query);
    let last = wanted.len().saturating_sub(1);
    wanted.iter().enumerate().all(|(i, w)| {
        let prefix = mode == Match::AllPrefixes || (matches!(mode, Match::Prefix | Match::Fuzzy) && i == last);
        let typos = if mode == Match::Fuzzy && !prefix { typos_allowed(w) } else { 0 };
        have.iter().any(|h| if prefix { h.starts_with(w.as_str()) } else { within(w, h, typos) })
    })
}

/// Search-box matching for small texts: every word of `query` begins a word of `have`, or is
/// one within its typo allowance (`search()`'s, but for every word, the last included).
pub fn text_matches_forgiving(query: &str, have: &[String]) -> bool {
    words(query).iter().all(|w| have.iter().any(|h| h.starts_with(w.as_str()) || within(w, h, typos_allowed(w))))
}

/// Whether `a` becomes `b` in at most `max` edits: a letter inserted, deleted or replaced, or two
/// neighbours swapped (as the index's fuzzy queries count them).
fn within(a: &str, b: &str, max: u8) -> bool {
    if max == 0 || a == b {
        return a == b;
    }
    let (a, b): (Vec<char>, Vec<char>) = (a.chars().collect(), b.chars().collect());
    if a.len().abs_diff(b.len()) > usize::from(max) {
        return false;
    }
    // Optimal string alignment distance, row by row.
    let mut before: Vec<usize> = vec![0; b.len() + 1];
    let mut previous: Vec<usize> = (0..=b.len()).collect();
    for i in 1..=a.len() {
        let mut row = vec![i; b.len() + 1];
        for j in 1..=b.len() {
            let cost = usize::from(a[i - 1] != b[j - 1]);
            row[j] = (previous[j] + 1).min(row[j - 1] + 1).min(previous[j - 1] + cost);
            if i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1] {
                row[j] = row[j].min(before[j - 2] + 1);
            }
        }
        before = std::mem::replace(&mut previous, row);
    }
    previous[b.len()] <= usize::from(max)
}

/// An open index of a dataset version. A version never changes once written, so one searcher
/// and each segment's row column are opened once and kept.
pub struct DatasetIndex {
    index: Index,
    searcher: Searcher,
    /// The `_row` column of each segment, by segment ordinal.
    rows: Vec<Column<u64>>,
    row: Field,
}

impl DatasetIndex {
    pub fn open(dir: &Path) -> Result<DatasetIndex, SearchError> {
        let index = Index::open_in_dir(dir)?;
        register(&index);
        // Manual reloads: no watcher thread for an index that never changes.
        let reader = index.reader_builder().reload_policy(ReloadPolicy::Manual).try_into()?;
        let searcher = reader.searcher();
        let rows = searcher.segment_readers().iter().map(|s| s.fast_fields().u64(ROW)).collect::<Result<_, _>>()?;
        let row = index.schema().get_field(ROW)?;
        Ok(DatasetIndex { index, searcher, rows, row })
    }

    pub fn text_fields(&self) -> Vec<String> {
        let schema = self.index.schema();
        schema.fields().filter(|(f, _)| *f != self.row).map(|(_, e)| e.name().to_owned()).collect()
    }

    /// The terms of `field` starting with `prefix`, from every segment's term dictionary.
    fn prefix_query(&self, field: Field, prefix: &str) -> Result<Box<dyn Query>, SearchError> {
        const MAX_EXPANSIONS: usize = 10_000;
        let mut terms = BTreeSet::new();
        for segment in self.searcher.segment_readers() {
            let inverted = segment.inverted_index(field)?;
            let mut stream = inverted.terms().range().ge(prefix.as_bytes()).into_stream()?;
            while stream.advance() {
                let key = stream.key();
                if !key.starts_with(prefix.as_bytes()) || terms.len() >= MAX_EXPANSIONS {
                    break;
                }
                terms.insert(key.to_vec());
            }
        }
        if terms.is_empty() {
            return Ok(Box::new(EmptyQuery));
        }
        let terms =
            terms.into_iter().filter_map(|t| String::from_utf8(t).ok()).map(|t| Term::from_field_text(field, &t));
        Ok(Box::new(TermSetQuery::new(terms)))
    }

    /// Rows whose given fields (all text fields when `fields` is empty) contain every word of
    /// `text`. An empty query matches every row.
    pub fn matching_rows(&self, fields: &[String], text: &str, mode: Match) -> Result<BTreeSet<u64>, SearchError> {
        let schema = self.index.schema();
        let targets: Vec<Field> = if fields.is_empty() {
            schema.fields().map(|(f, _)| f).filter(|f| *f != self.row).collect()
        } else {
            fields
                .iter()
                .map(|n| schema.get_field(n).map_err(|_| SearchError::UnknownField(n.clone())))
                .collect::<Result<_, _>>()?
        };
        let terms = words(text);
        let query: Box<dyn Query> = if terms.is_empty() {
            Box::new(AllQuery)
        } else {
            let last = terms.len() - 1;
            let per_word = terms
                .iter()
                .enumerate()
                .map(|(i, word)| {
                    let prefix =
                        mode == Match::AllPrefixes || (matches!(mode, Match::Prefix | Match::Fuzzy) && i == last);
                    let typos = if mode == Match::Fuzzy && !prefix { typos_allowed(word) } else { 0 };
                    let alternatives = targets
                        .iter()
                        .map(|f| {
                            let q: Box<dyn Query> = if prefix {
                                self.prefix_query(*f, word)?
                            } else if typos > 0 {
                                Box::new(FuzzyTermQuery::new(Term::from_field_text(*f, word), typos, true))
                            } else {
                                Box::new(TermQuery::new(Term::from_field_text(*f, word), IndexRecordOption::Basic))
                            };
                            Ok((Occur::Should, q))
                        })
                        .collect::<Result<Vec<_>, SearchError>>()?;
                    Ok((Occur::Must, Box::new(BooleanQuery::new(alternatives)) as Box<dyn Query>))
                })
                .collect::<Result<Vec<_>, SearchError>>()?;
            Box::new(BooleanQuery::new(per_word))
        };
        let docs = self.searcher.search(&*query, &DocSetCollector)?;
        let mut rows = BTreeSet::new();
        for address in docs {
            if let Some(row) = self.rows.get(address.segment_ord as usize).and_then(|c| c.first(address.doc_id)) {
                rows.insert(row);
            }
        }
        Ok(rows)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn small_texts_match_as_the_index_does() {
        let have = words("The Book of Secrets — Piscine olympique");
        assert!(text_matches("bok of secret", &have, Match::Fuzzy), "the spec's example");
        assert!(text_matches("piscnie olymp", &have, Match::Fuzzy), "a swap counts one");
        assert!(!text_matches("bok of sacrets", &have, Match::Words));
        assert!(!text_matches("bk of secret", &have, Match::Fuzzy), "two letters: no typo allowed");
        assert!(!text_matches("book secrts", &have, Match::Fuzzy), "the last word is a prefix, not fuzzy");
        assert!(text_matches("pisc olym", &have, Match::AllPrefixes));
        assert!(!text_matches("pisc olym", &have, Match::Fuzzy));
        assert!(text_matches_forgiving("secrest pisc", &have) && !text_matches_forgiving("sxcrxst", &have));
        assert!(within("secrets", "secrest", 1) && !within("secrets", "sceerts", 1) && within("abc", "abc", 0));
    }

    fn build(dir: &Path) -> DatasetIndex {
        let mut b = IndexBuilder::create(dir, &["commune".into(), "description".into()], 20_000_000).unwrap();
        let docs = [
            (1, Some("Brantôme"), Some("Lavoir restauré près de l'École")),
            (2, Some("Évry"), Some("Piscine municipale, bassin olympique")),
            (3, Some("Lavoir-sur-Mer"), None),
            (4, None, Some("LAVOIRS et fontaines")),
        ];
        for (row, c, d) in docs {
            b.add(row, &[c, d]).unwrap();
        }
        b.finish().unwrap();
        DatasetIndex::open(dir).unwrap()
    }

    #[test]
    fn words_match_whole_in_any_case_and_accent() {
        let dir = tempfile::tempdir().unwrap();
        let idx = build(dir.path());
        let rows = |f: &[&str], q: &str, m: Match| -> Vec<u64> {
            let fields: Vec<String> = f.iter().map(|s| s.to_string()).collect();
            idx.matching_rows(&fields, q, m).unwrap().into_iter().collect()
        };
        assert_eq!(rows(&[], "lavoir", Match::Words), [1, 3]);
        assert_eq!(rows(&[], "LAVOIR", Match::Words), [1, 3]);
        assert_eq!(rows(&["description"], "lavoir", Match::Words), [1]);
        assert_eq!(rows(&[], "ecole", Match::Words), [1]);
        assert_eq!(rows(&[], "evry piscine", Match::Words), [2], "every word must match, across fields");
        assert_eq!(rows(&[], "lavoir piscine", Match::Words), Vec::<u64>::new());
        assert_eq!(rows(&[], "lav", Match::Prefix), [1, 3, 4]);
        assert_eq!(rows(&[], "bass olymp", Match::AllPrefixes), [2]);
        // search(): typos in all words but the last, which is a prefix.
        assert_eq!(rows(&[], "piscne olymp", Match::Fuzzy), [2], "one typo in a 6-letter word");
        assert_eq!(rows(&[], "pisicne olymp", Match::Fuzzy), [2], "two in a longer one (a transposition counts one)");
        assert_eq!(
            rows(&[], "bassin olimpique", Match::Fuzzy),
            Vec::<u64>::new(),
            "the last word is a prefix, not fuzzy"
        );
        assert_eq!(rows(&[], "lavor", Match::Fuzzy), Vec::<u64>::new(), "a lone word is a prefix");
        assert_eq!(rows(&[], "lavor piscine", Match::Fuzzy), Vec::<u64>::new(), "each word must match");
        assert_eq!(rows(&[], "lavoirss fontaine", Match::Fuzzy), [4]);
        assert_eq!(rows(&[], "lavor restau", Match::Fuzzy), [1], "lavor is one edit from lavoir");
        assert_eq!(rows(&[], "de evry", Match::Fuzzy), Vec::<u64>::new(), "two-letter words must be exact");
        assert_eq!(rows(&[], "", Match::Words), [1, 2, 3, 4]);
        assert!(idx.matching_rows(&["nope".into()], "x", Match::Words).is_err());
        assert_eq!(idx.text_fields(), ["commune", "description"]);
    }

    #[test]
    fn analysis_folds_case_and_accents() {
        assert_eq!(words("L'Haÿ-les-Roses, ÉCOLE"), ["l", "hay", "les", "roses", "ecole"]);
    }
}
