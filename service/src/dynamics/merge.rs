//! Merging short segments into similar neighbours by DTW distance.
//!
//! Each round walks the segments left to right, changing them in place as it
//! goes (a merge is visible to the segments after it in the same round). A
//! segment shorter than `max_length_expectation` measures its distance to the
//! left and right neighbours and joins the nearer one when that distance is
//! under the threshold. Distances can be NaN (two neighbours of equal length
//! have no sliding windows), and the comparisons keep Python's semantics:
//! `min(a, b)` is `a` unless `b < a`, and every comparison with NaN is false.

use std::collections::HashMap;

use serde::Serialize;

use super::dtw::FastDtw;
use super::labels::Labeler;
use super::numeric::numpy_mean;
use super::params::{LabelParams, MAX_MERGING_ROUNDS};
use super::segments::segment_slopes;

/// What merging did, for logs and reports.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct MergeSummary {
    pub rounds: usize,
    pub merges: usize,
    /// Merges under the threshold refused by the dynamic constraint.
    pub prohibited: usize,
    /// Decisions that met a NaN distance.
    pub nan_distances: usize,
}

/// Distance between two segments: the shorter one slides over the longer one
/// (window step `max(1, (long - short) / (round * 3 + 10))`, last offset
/// excluded); the mean fastdtw distance is divided by
/// `len(shorter) * mean(shorter)`. Equal lengths give no window and NaN.
pub fn segment_distance(first: &[f64], second: &[f64], round: usize) -> f64 {
    let step = window_step(first.len(), second.len(), round);
    distance_with_step(&mut FastDtw::default(), first, second, step)
}

fn window_step(first: usize, second: usize, round: usize) -> usize {
    (first.abs_diff(second) / (round * 3 + 10)).max(1)
}

fn distance_with_step(dtw: &mut FastDtw, first: &[f64], second: &[f64], step: usize) -> f64 {
    let (longer, shorter) = if first.len() > second.len() {
        (first, second)
    } else {
        (second, first)
    };
    let room = longer.len() - shorter.len();
    let distances: Vec<f64> = (0..room)
        .step_by(step)
        .map(|offset| dtw.distance(shorter, &longer[offset..offset + shorter.len()]))
        .collect();
    numpy_mean(&distances) / (shorter.len() as f64 * numpy_mean(shorter))
}

/// Distances of neighbouring segment pairs `[a, b)` and `[b, c)`. A distance
/// depends only on the two slices and the window step, so it carries over
/// while both segments stay unchanged: from one segment's right neighbour to
/// the next segment's left one, and from round to round.
#[derive(Default)]
struct PairDistances {
    dtw: FastDtw,
    this_round: HashMap<(usize, usize, usize, usize), f64>,
    last_round: HashMap<(usize, usize, usize, usize), f64>,
}

impl PairDistances {
    fn get(&mut self, filtered: &[f64], (a, b, c): (usize, usize, usize), round: usize) -> f64 {
        let key = (a, b, c, window_step(b - a, c - b, round));
        if let Some(&distance) = self.this_round.get(&key) {
            return distance;
        }
        let distance = match self.last_round.get(&key) {
            Some(&distance) => distance,
            None => distance_with_step(&mut self.dtw, &filtered[a..b], &filtered[b..c], key.3),
        };
        self.this_round.insert(key, distance);
        distance
    }

    fn next_round(&mut self) {
        self.last_round = std::mem::take(&mut self.this_round);
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Direction {
    Left,
    Right,
}

/// The original's decision: merge when `min(left, right) < threshold`, into
/// the left neighbour if `left < right`, else into the right one.
fn merge_direction(left: f64, right: f64, threshold: f64) -> Option<Direction> {
    if python_min(left, right) < threshold {
        Some(if left < right {
            Direction::Left
        } else {
            Direction::Right
        })
    } else {
        None
    }
}

/// Python's `min(a, b)`: the first argument unless the second is smaller.
fn python_min(a: f64, b: f64) -> f64 {
    if b < a {
        b
    } else {
        a
    }
}

/// Segment boundaries as a linked list, so merged-away segments are skipped in O(1).
struct Segments {
    start: Vec<usize>,
    next: Vec<usize>,
    prev: Vec<Option<usize>>,
    alive: Vec<bool>,
    head: usize,
}

impl Segments {
    fn new(boundaries: &[usize]) -> Self {
        let count = boundaries.len();
        Self {
            start: boundaries.to_vec(),
            next: (1..=count).collect(),
            prev: (0..count).map(|k| k.checked_sub(1)).collect(),
            alive: vec![true; count],
            head: 0,
        }
    }

    /// The entry holding the series end (never a segment itself).
    fn end(&self) -> usize {
        self.start.len() - 1
    }

    fn remove(&mut self, entry: usize) {
        let next = self.next[entry];
        match self.prev[entry] {
            Some(prev) => self.next[prev] = next,
            None => self.head = next,
        }
        self.prev[next] = self.prev[entry];
        self.alive[entry] = false;
    }

    fn live_entries(&self) -> impl Iterator<Item = usize> + '_ {
        std::iter::successors(Some(self.head), |&e| Some(self.next[e]))
            .take_while(|&e| e != self.end())
    }

    fn boundaries(&self) -> Vec<usize> {
        let mut out: Vec<usize> = self.live_entries().map(|e| self.start[e]).collect();
        out.push(self.start[self.end()]);
        out
    }
}

/// Labels of the current segments indexed by entry, for the dynamic constraint.
fn entry_labels(segments: &Segments, filtered: &[f64], params: &LabelParams) -> Vec<usize> {
    let entries: Vec<usize> = segments.live_entries().collect();
    let slopes = segment_slopes(filtered, &segments.boundaries());
    // The original relabels with an empty slope interval here (and crashes for
    // the slope method); the configured interval is used instead.
    let labeler = Labeler::for_method(
        params.method,
        &slopes,
        params.dynamic_number,
        params.slope_interval,
    );
    let mut labels = vec![0; segments.start.len()];
    for (entry, slope) in entries.iter().zip(&slopes) {
        labels[*entry] = labeler.label(*slope);
    }
    labels
}

/// Runs the merging rounds and returns the surviving boundaries.
pub fn merge_segments(
    filtered: &[f64],
    boundaries: &[usize],
    params: &LabelParams,
) -> (Vec<usize>, MergeSummary) {
    let mut summary = MergeSummary::default();
    if boundaries.len() < 3 {
        return (boundaries.to_vec(), summary);
    }
    let threshold = params.merging_threshold;
    let mut segments = Segments::new(boundaries);
    let mut distances = PairDistances::default();
    let end = segments.end();
    let last_segment_entry = end - 1;

    for round in 1..=MAX_MERGING_ROUNDS {
        summary.rounds = round;
        let mut changed = false;
        let labels = params
            .constraint()
            .map(|_| entry_labels(&segments, filtered, params));
        let constrained = |a: usize, b: usize| match (params.constraint(), &labels) {
            (Some(limit), Some(labels)) => limit < labels[a].abs_diff(labels[b]),
            _ => false,
        };

        let mut entry = segments.head;
        while entry != end {
            let next = segments.next[entry];
            let (from, to) = (segments.start[entry], segments.start[next]);
            if to - from >= params.max_length_expectation {
                entry = next;
                continue;
            }
            let left_entry = if entry > 0 {
                segments.prev[entry]
            } else {
                None
            };
            let mut left = left_entry.map_or(f64::INFINITY, |left| {
                distances.get(filtered, (segments.start[left], from, to), round)
            });
            let mut right = if entry >= last_segment_entry {
                f64::INFINITY
            } else if next == end {
                // The original compares with the empty slice after the series end.
                f64::NAN
            } else {
                let after = segments.start[segments.next[next]];
                distances.get(filtered, (from, to, after), round)
            };

            if next != end && right != f64::INFINITY && constrained(entry, next) {
                summary.prohibited += usize::from(right < threshold);
                right = f64::INFINITY;
            }
            if let Some(left_entry) = left_entry {
                if left != f64::INFINITY && constrained(entry, left_entry) {
                    summary.prohibited += usize::from(left < threshold);
                    left = f64::INFINITY;
                }
            }
            summary.nan_distances += usize::from(left.is_nan() || right.is_nan());

            let merged = match merge_direction(left, right, threshold) {
                Some(Direction::Right) if next != end => {
                    segments.start[next] = from;
                    true
                }
                // The original would merge "right" into the series end when
                // `right` is that NaN; merge left instead (see README).
                Some(_) => left_entry.is_some(),
                None => false,
            };
            if merged {
                segments.remove(entry);
                summary.merges += 1;
                changed = true;
            }
            entry = next;
        }
        distances.next_round();
        tracing::debug!(round, merges = summary.merges, "merging round done");
        if !changed {
            break;
        }
    }
    (segments.boundaries(), summary)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::dynamics::params::LabelingMethod;

    #[test]
    fn equal_lengths_give_nan() {
        assert!(segment_distance(&[1.0, 2.0], &[3.0, 4.0], 1).is_nan());
    }

    #[test]
    fn distance_is_normalised_by_the_shorter_segment() {
        // Shorter [2, 2] slides over [2, 2, 2, 5]: windows at 0 and 1, both 0.
        assert_eq!(segment_distance(&[2.0, 2.0], &[2.0, 2.0, 2.0, 5.0], 1), 0.0);
        // Windows [1,1] and [1,3] against [2,2]: distances 2 and 2 -> mean 2 / (2 * 2).
        assert_eq!(segment_distance(&[1.0, 1.0, 3.0], &[2.0, 2.0], 1), 0.5);
    }

    #[test]
    fn python_min_keeps_the_first_argument_with_nan() {
        assert!(python_min(f64::NAN, 1.0).is_nan());
        assert_eq!(python_min(1.0, f64::NAN), 1.0);
    }

    #[test]
    fn nan_distances_decide_like_python() {
        let nan = f64::NAN;
        // min(nan, 0.01) is nan: no merge although the right side is close.
        assert_eq!(merge_direction(nan, 0.01, 0.03), None);
        // min(0.01, nan) is 0.01, but 0.01 < nan is false: merges right.
        assert_eq!(merge_direction(0.01, nan, 0.03), Some(Direction::Right));
        assert_eq!(merge_direction(0.01, 0.02, 0.03), Some(Direction::Left));
        // Ties go right.
        assert_eq!(merge_direction(0.01, 0.01, 0.03), Some(Direction::Right));
        assert_eq!(merge_direction(f64::INFINITY, nan, 0.03), None);
        assert_eq!(merge_direction(0.05, 0.04, 0.03), None);
    }

    fn params(threshold: f64, max_len: usize) -> LabelParams {
        LabelParams {
            merging_threshold: threshold,
            max_length_expectation: max_len,
            method: LabelingMethod::Quantile,
            ..LabelParams::default()
        }
    }

    #[test]
    fn a_short_segment_joins_its_similar_neighbour() {
        // Segment [4, 7) sits on the same level as [0, 4); [7, 12) is far away.
        let filtered = [
            10.0, 10.0, 10.0, 10.0, 10.0, 10.0, 10.0, 50.0, 50.0, 50.0, 50.0, 50.0,
        ];
        let (bounds, summary) = merge_segments(&filtered, &[0, 4, 7, 12], &params(0.05, 4));
        assert_eq!(bounds, vec![0, 7, 12]);
        assert_eq!(summary.merges, 1);
    }

    #[test]
    fn nothing_merges_above_the_threshold() {
        let filtered = [
            10.0, 11.0, 12.0, 13.0, 30.0, 31.0, 32.0, 90.0, 91.0, 92.0, 93.0, 94.0,
        ];
        let (bounds, summary) = merge_segments(&filtered, &[0, 4, 7, 12], &params(1e-6, 4));
        assert_eq!(bounds, vec![0, 4, 7, 12]);
        assert_eq!(summary.rounds, 1);
    }
}
