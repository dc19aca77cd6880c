//! Statistics of each contiguous run of one label, measured on the key
//! indicator (the unfiltered prices).

use serde::Serialize;

/// One contiguous stretch of rows with the same label.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct RunStats {
    pub label: usize,
    /// First row of the run, counted within its series from 0.
    pub start: usize,
    pub length: usize,
    /// `(last - first) / (length * first)`.
    pub average_slope: f64,
    /// Largest rise from a running low: `max (value - low) / low`.
    pub max_rise: f64,
    /// Largest fall from a running peak: `max (peak - value) / peak`.
    pub max_drawdown: f64,
}

/// Means of the run statistics of one label.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct LabelSummary {
    pub label: usize,
    pub runs: usize,
    pub rows: usize,
    pub mean_average_slope: f64,
    pub mean_length: f64,
    pub mean_max_rise: f64,
    pub mean_max_drawdown: f64,
}

fn run_stats(label: usize, start: usize, prices: &[f64]) -> RunStats {
    let first = prices[0];
    let last = prices[prices.len() - 1];
    let (mut peak, mut low) = (first, first);
    let (mut max_drawdown, mut max_rise) = (0.0_f64, 0.0_f64);
    for &value in prices {
        peak = peak.max(value);
        low = low.min(value);
        max_drawdown = max_drawdown.max((peak - value) / peak);
        max_rise = max_rise.max((value - low) / low);
    }
    RunStats {
        label,
        start,
        length: prices.len(),
        average_slope: (last - first) / (prices.len() as f64 * first),
        max_rise,
        max_drawdown,
    }
}

/// Splits `labels` into contiguous runs and measures each on `prices`.
pub fn label_runs(prices: &[f64], labels: &[usize]) -> Vec<RunStats> {
    let mut runs = Vec::new();
    let mut start = 0;
    for end in 1..=labels.len() {
        if end == labels.len() || labels[end] != labels[start] {
            runs.push(run_stats(labels[start], start, &prices[start..end]));
            start = end;
        }
    }
    runs
}

/// Per-label means over `runs`, for labels `0..dynamic_number` (labels with no run are omitted).
pub fn summarize(runs: &[RunStats], dynamic_number: usize) -> Vec<LabelSummary> {
    (0..dynamic_number)
        .filter_map(|label| {
            let mine: Vec<&RunStats> = runs.iter().filter(|r| r.label == label).collect();
            if mine.is_empty() {
                return None;
            }
            let count = mine.len() as f64;
            let mean = |f: fn(&RunStats) -> f64| mine.iter().map(|r| f(r)).sum::<f64>() / count;
            Some(LabelSummary {
                label,
                runs: mine.len(),
                rows: mine.iter().map(|r| r.length).sum(),
                mean_average_slope: mean(|r| r.average_slope),
                mean_length: mean(|r| r.length as f64),
                mean_max_rise: mean(|r| r.max_rise),
                mean_max_drawdown: mean(|r| r.max_drawdown),
            })
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn runs_split_where_the_label_changes() {
        let prices = [100.0, 110.0, 99.0, 120.0, 60.0, 90.0];
        let labels = [2, 2, 2, 0, 0, 1];
        let runs = label_runs(&prices, &labels);
        assert_eq!(runs.len(), 3);
        let first = &runs[0];
        assert_eq!((first.label, first.start, first.length), (2, 0, 3));
        assert!((first.average_slope - (-1.0 / 300.0)).abs() < 1e-15);
        assert!((first.max_rise - 0.1).abs() < 1e-15);
        assert!((first.max_drawdown - 0.1).abs() < 1e-15);
        assert_eq!((runs[1].start, runs[1].length), (3, 2));
        assert!((runs[1].max_drawdown - 0.5).abs() < 1e-15);
        assert_eq!(runs[1].max_rise, 0.0);
        assert_eq!((runs[2].label, runs[2].length), (1, 1));
    }

    #[test]
    fn summaries_average_per_label() {
        let prices = [1.0, 2.0, 2.0, 1.0, 1.0, 3.0];
        let labels = [1, 1, 0, 0, 1, 1];
        let summary = summarize(&label_runs(&prices, &labels), 3);
        assert_eq!(summary.len(), 2);
        assert_eq!(
            (summary[1].label, summary[1].runs, summary[1].rows),
            (1, 2, 4)
        );
        assert_eq!(summary[1].mean_max_rise, 1.5);
    }
}
