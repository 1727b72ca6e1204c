//! Record ids, and the `id` annotation ("Unique ID"): when fields carry it, the id hashes only
//! their cells, and a later row with the same id replaces an earlier one, as on Opendatasoft.

use sha1::{Digest, Sha1};
use std::collections::HashMap;

/// SHA-1 over the cells (all of them, or the id fields' in schema order, trimmed), separated by
/// the unit separator so that `a|bc` and `ab|c` differ.
pub(crate) fn record_id(cells: &[&str], id_cells: Option<&[usize]>) -> [u8; 20] {
    let mut hasher = Sha1::new();
    match id_cells {
        None => {
            for (i, cell) in cells.iter().enumerate() {
                if i > 0 {
                    hasher.update([0x1f]);
                }
                hasher.update(cell.as_bytes());
            }
        }
        Some(picked) => {
            for (i, &c) in picked.iter().enumerate() {
                if i > 0 {
                    hasher.update([0x1f]);
                }
                hasher.update(cells.get(c).map_or("", |s| s.trim()).as_bytes());
            }
        }
    }
    hasher.finalize().into()
}

pub(crate) fn hex(digest: &[u8; 20]) -> [u8; 40] {
    const HEX: &[u8; 16] = b"0123456789abcdef";
    let mut out = [0u8; 40];
    for (i, b) in digest.iter().enumerate() {
        out[2 * i] = HEX[usize::from(b >> 4)];
        out[2 * i + 1] = HEX[usize::from(b & 15)];
    }
    out
}

/// Rows whose id a later row repeats, found in the first pass so the second can skip them.
#[derive(Default)]
pub(crate) struct Duplicates {
    last_row: HashMap<[u8; 20], u64>,
    /// One bit per row, set when a later row has the same id.
    superseded: Vec<u64>,
    pub count: u64,
}

impl Duplicates {
    pub fn observe(&mut self, row: u64, id: [u8; 20]) {
        if let Some(earlier) = self.last_row.insert(id, row) {
            let (word, bit) = ((earlier / 64) as usize, earlier % 64);
            if self.superseded.len() <= word {
                self.superseded.resize(word + 1, 0);
            }
            self.superseded[word] |= 1 << bit;
            self.count += 1;
        }
    }

    pub fn is_superseded(&self, row: u64) -> bool {
        self.superseded.get((row / 64) as usize).is_some_and(|w| w & (1 << (row % 64)) != 0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_from_all_cells_or_from_the_id_fields_only() {
        let all = record_id(&["1", "a", "x"], None);
        assert_ne!(all, record_id(&["1", "a", "y"], None));
        assert_ne!(record_id(&["ab", "c"], None), record_id(&["a", "bc"], None));
        let by_id = record_id(&["1", "a", "x"], Some(&[0]));
        assert_eq!(by_id, record_id(&[" 1 ", "b", "y"], Some(&[0])), "only the id cell, trimmed");
        assert_ne!(by_id, record_id(&["2", "a", "x"], Some(&[0])));
        assert_eq!(&hex(&[0xab; 20])[..4], b"abab");
    }

    #[test]
    fn a_repeated_id_supersedes_the_earlier_rows() {
        let mut d = Duplicates::default();
        for (row, key) in [(0, 1u8), (1, 2), (2, 1), (3, 3), (70, 1)] {
            d.observe(row, [key; 20]);
        }
        assert_eq!(d.count, 2);
        let superseded: Vec<u64> = (0..80).filter(|r| d.is_superseded(*r)).collect();
        assert_eq!(superseded, [0, 2]);
    }
}
