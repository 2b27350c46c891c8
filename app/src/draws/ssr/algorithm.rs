//! The draw, as anyone can recompute it from what the portal publishes (README, "Draws: how
//! to check one", carries an independent Python version; the test command runs it against
//! this one).
//!
//! 1. Before the window opens the portal publishes `commitment = SHA-256(seed)` (hex) for a
//!    secret 32-byte `seed`.
//! 2. When the window closes it publishes the entry list, in entry order, one line per entry
//!    `"{entry code},{tickets}\n"`, and `entries_hash = SHA-256(that text)` (hex).
//! 3. At the draw it publishes the seed. The key is `SHA-256(seed ‖ entries_hash bytes)`, and the
//!    random stream is the blocks `SHA-256(key ‖ counter)` for counter = 0, 1, 2, … as 8-byte
//!    big-endian integers, read 8 bytes at a time as big-endian unsigned 64-bit numbers.
//! 4. Winners are picked one at a time, without replacement, until `quantity` are picked or no
//!    entry is left: with `total` the tickets of the entries left, a number `x` is taken from
//!    the stream, and numbers at or above `2^64 − (2^64 mod total)` are skipped (so every
//!    ticket is equally likely); `r = x mod total`; walking the entries left in entry order, the
//!    winner is the first whose running sum of tickets exceeds `r`.
//!
//! SHA-256 in counter mode is used rather than a named stream cipher so that the check needs
//! nothing beyond a language's standard library.

use sha2::{Digest, Sha256};

/// One entry as published: its anonymous code and its tickets (1, or more by tier).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Entry {
    pub code: String,
    pub tickets: u32,
}

pub fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// The commitment published before the window opens.
pub fn commitment(seed: &[u8]) -> String {
    hex(&Sha256::digest(seed))
}

/// The entry list as published, one line per entry.
pub fn entry_list(entries: &[Entry]) -> String {
    entries
        .iter()
        .map(|e| format!("{},{}\n", e.code, e.tickets))
        .collect()
}

/// SHA-256 of the published entry list.
pub fn entries_hash(entries: &[Entry]) -> [u8; 32] {
    Sha256::digest(entry_list(entries).as_bytes()).into()
}

/// The random stream: SHA-256(key ‖ counter) blocks, 8 bytes at a time.
struct Stream {
    key: [u8; 32],
    counter: u64,
    block: [u8; 32],
    used: usize,
}

impl Stream {
    fn new(seed: &[u8], entries_hash: &[u8; 32]) -> Stream {
        let mut hasher = Sha256::new();
        hasher.update(seed);
        hasher.update(entries_hash);
        Stream {
            key: hasher.finalize().into(),
            counter: 0,
            block: [0; 32],
            used: 32,
        }
    }

    fn next_u64(&mut self) -> u64 {
        if self.used == 32 {
            let mut hasher = Sha256::new();
            hasher.update(self.key);
            hasher.update(self.counter.to_be_bytes());
            self.block = hasher.finalize().into();
            self.counter += 1;
            self.used = 0;
        }
        let bytes: [u8; 8] = self.block[self.used..self.used + 8]
            .try_into()
            .expect("8 bytes of a 32-byte block");
        self.used += 8;
        u64::from_be_bytes(bytes)
    }

    /// A number in `0..total`, every value equally likely.
    fn below(&mut self, total: u64) -> u64 {
        let zone = zone(total);
        loop {
            let x = self.next_u64();
            if x <= zone {
                return x % total;
            }
        }
    }
}

/// The largest number taken for `total`: `2^64 − (2^64 mod total) − 1`, the end of the last
/// whole run of `total` values. Numbers above it would make the low values likelier.
fn zone(total: u64) -> u64 {
    let remainder = (u64::MAX % total + 1) % total;
    u64::MAX - remainder
}

/// One pick of the draw, for the "check this draw" page: the number drawn, the tickets it was
/// taken from, and the winner.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Pick {
    pub number: u64,
    pub total: u64,
    pub winner: String,
}

/// The winners of a draw of `quantity` among `entries` (in entry order), with each step.
pub fn draw(seed: &[u8], entries: &[Entry], quantity: usize) -> Vec<Pick> {
    let mut stream = Stream::new(seed, &entries_hash(entries));
    let mut left: Vec<&Entry> = entries.iter().filter(|e| e.tickets > 0).collect();
    let mut picks = Vec::new();
    while picks.len() < quantity && !left.is_empty() {
        let total: u64 = left.iter().map(|e| u64::from(e.tickets)).sum();
        let number = stream.below(total);
        let mut running = 0u64;
        let index = left
            .iter()
            .position(|e| {
                running += u64::from(e.tickets);
                running > number
            })
            .expect("the number is below the tickets' total");
        let winner = left.remove(index);
        picks.push(Pick {
            number,
            total,
            winner: winner.code.clone(),
        });
    }
    picks
}

#[cfg(test)]
mod tests {
    use super::*;

    fn entries(n: usize, tickets: impl Fn(usize) -> u32) -> Vec<Entry> {
        (0..n)
            .map(|i| Entry {
                code: format!("E{i:04}"),
                tickets: tickets(i),
            })
            .collect()
    }

    #[test]
    fn a_draw_picks_the_quantity_or_everyone_and_nobody_twice() {
        let seed = [7u8; 32];
        let all = entries(50, |_| 1);
        let picks = draw(&seed, &all, 10);
        assert_eq!(picks.len(), 10);
        let mut winners: Vec<&str> = picks.iter().map(|p| p.winner.as_str()).collect();
        winners.sort();
        winners.dedup();
        assert_eq!(winners.len(), 10);
        assert_eq!(
            draw(&seed, &all[..4], 10).len(),
            4,
            "fewer entrants than prizes"
        );
        assert_eq!(
            draw(&seed, &all, 10),
            picks,
            "the same data, the same winners"
        );
    }

    #[test]
    fn an_entry_added_after_the_commitment_changes_the_outcome() {
        let seed = [9u8; 32];
        let all = entries(200, |_| 1);
        let before = draw(&seed, &all[..199], 5);
        let after = draw(&seed, &all, 5);
        assert_ne!(before, after);
    }

    #[test]
    fn the_commitment_and_list_hash_are_sha256_as_published() {
        assert_eq!(
            commitment(b""),
            "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
        );
        let list = entry_list(&entries(2, |i| i as u32 + 1));
        assert_eq!(list, "E0000,1\nE0001,2\n");
    }

    /// Weighted odds as stated: with one two-ticket entry among 1 + 2 + 1 + 1 tickets and one
    /// winner, the two-ticket entry wins 2/5 of draws. A chi-square test over 10,000 seeded
    /// draws (3 degrees of freedom): the statistic stays under 16.27, the 0.001 critical value.
    #[test]
    fn weights_change_the_odds_as_stated() {
        let all = entries(4, |i| if i == 1 { 2 } else { 1 });
        let mut wins = [0f64; 4];
        for n in 0u32..10_000 {
            let seed = Sha256::digest(n.to_be_bytes());
            let winner = &draw(&seed, &all, 1)[0].winner;
            wins[all.iter().position(|e| &e.code == winner).unwrap()] += 1.0;
        }
        let expected = [2_000.0, 4_000.0, 2_000.0, 2_000.0];
        let chi_square: f64 = wins
            .iter()
            .zip(expected)
            .map(|(o, e)| (o - e).powi(2) / e)
            .sum();
        assert!(chi_square < 16.27, "{wins:?}: chi-square {chi_square}");
    }

    #[test]
    fn numbers_are_taken_without_bias_even_for_awkward_totals() {
        // 3 does not divide 2^64: values in the last partial block are skipped.
        let mut stream = Stream::new(&[1u8; 32], &[0u8; 32]);
        for _ in 0..1_000 {
            assert!(stream.below(3) < 3);
        }
        // 2^64 mod 3 = 1: the very last number is skipped; powers of two skip nothing.
        assert_eq!(zone(3), u64::MAX - 1);
        assert_eq!(zone(1024), u64::MAX);
        assert_eq!(zone(1), u64::MAX);
        let mut one = Stream::new(&[1u8; 32], &[0u8; 32]);
        assert_eq!(one.below(1), 0);
    }
}
