//! Transaction ids: a letter and 19 digits, unique across nodes and roughly time-ordered.
//!
//! The digits are a 63-bit number laid out like a snowflake id: milliseconds since 2020-01-01
//! (41 bits, good until 2089), the node number (10 bits) and a per-millisecond sequence
//! (12 bits). Nodes of one deployment must be configured with distinct node numbers.

use std::sync::Mutex;

const EPOCH_MS: i64 = 1_577_836_800_000; // 2020-01-01T00:00:00Z
const NODE_BITS: u32 = 10;
const SEQ_BITS: u32 = 12;
pub const MAX_NODE: u16 = (1 << NODE_BITS) - 1;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum IdKind {
    Payment,
    Payout,
    Refund,
    /// A static payment code (its own id, never a transaction).
    StaticCode,
}

impl IdKind {
    fn prefix(self) -> char {
        match self {
            IdKind::Payment => 'C',
            IdKind::Payout => 'D',
            IdKind::Refund => 'R',
            IdKind::StaticCode => 'S',
        }
    }
}

#[derive(Debug)]
pub struct IdGenerator {
    node: u16,
    state: Mutex<(i64, u16)>,
}

impl IdGenerator {
    pub fn new(node: u16) -> IdGenerator {
        IdGenerator {
            node: node & MAX_NODE,
            state: Mutex::new((0, 0)),
        }
    }

    pub fn next(&self, kind: IdKind) -> String {
        let now = chrono::Utc::now().timestamp_millis() - EPOCH_MS;
        let (ms, seq) = {
            let mut state = self.state.lock().unwrap_or_else(|e| e.into_inner());
            // A clock that steps backwards must not reuse ids: keep counting from the last one.
            let ms = now.max(state.0);
            let (ms, seq) = if ms == state.0 {
                let seq = state.1 + 1;
                if seq >> SEQ_BITS != 0 {
                    (ms + 1, 0)
                } else {
                    (ms, seq)
                }
            } else {
                (ms, 0)
            };
            *state = (ms, seq);
            (ms, seq)
        };
        let value = (ms << (NODE_BITS + SEQ_BITS)) | ((self.node as i64) << SEQ_BITS) | seq as i64;
        format!("{}{:019}", kind.prefix(), value)
    }
}

/// True for a well-formed id of that kind (letter + 19 digits).
pub fn is_transaction_id(kind: IdKind, s: &str) -> bool {
    s.len() == 20 && s.starts_with(kind.prefix()) && s[1..].bytes().all(|b| b.is_ascii_digit())
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashSet;

    #[test]
    fn ids_are_unique_ordered_and_well_formed() {
        let gen = IdGenerator::new(7);
        let ids: Vec<String> = (0..20_000).map(|_| gen.next(IdKind::Payment)).collect();
        assert!(ids.iter().all(|id| is_transaction_id(IdKind::Payment, id)));
        let mut sorted = ids.clone();
        sorted.sort();
        assert_eq!(sorted, ids, "ids sort in creation order");
        assert_eq!(ids.iter().collect::<HashSet<_>>().len(), ids.len());
    }

    #[test]
    fn nodes_never_collide() {
        let a = IdGenerator::new(1);
        let b = IdGenerator::new(2);
        let mut seen = HashSet::new();
        for _ in 0..5_000 {
            assert!(seen.insert(a.next(IdKind::Payout)));
            assert!(seen.insert(b.next(IdKind::Payout)));
        }
        assert!(a.next(IdKind::Refund).starts_with('R'));
    }
}
