//! LATENCY GRAPH's drawing: Redis's sparkline (`sparkline.c`), 4 rows of `_o#` fill per
//! 80 samples with each sample's age written downwards under it.

const COLUMNS: usize = 80;
const ROWS: usize = 4;
const FILL: &[u8; 3] = b"_o#";
const LABEL_MARGIN_TOP: usize = 1;

/// One sample: its latency and its label (how long ago: `12s`, `3m`, `1h`, `2d`).
pub struct Sample {
    pub value: u64,
    pub label: String,
}

pub fn age_label(elapsed: u64) -> String {
    match elapsed {
        0..=59 => format!("{elapsed}s"),
        60..=3599 => format!("{}m", elapsed / 60),
        3600..=86_399 => format!("{}h", elapsed / 3600),
        _ => format!("{}d", elapsed / 86_400),
    }
}

pub fn render(samples: &[Sample]) -> String {
    let min = samples.iter().map(|s| s.value).min().unwrap_or(0);
    let max = samples.iter().map(|s| s.value).max().unwrap_or(0);
    let mut out = String::new();
    for chunk in samples.chunks(COLUMNS) {
        render_range(&mut out, chunk, min, max);
    }
    out
}

fn render_range(out: &mut String, samples: &[Sample], min: u64, max: u64) {
    let relmax = match (max - min) as f64 {
        0.0 => 1.0,
        r => r,
    };
    let steps = (FILL.len() * ROWS) as i64;
    let mut row = 0;
    loop {
        let mut chars = vec![b' '; samples.len()];
        let mut more = false;
        for (j, s) in samples.iter().enumerate() {
            let relval = (s.value - min) as f64;
            // C: `(int)(relval*steps)/relmax`, truncated again when stored as an int.
            let step = (((relval * steps as f64) as i64) as f64 / relmax) as i64;
            let step = step.clamp(0, steps - 1);
            if row < ROWS {
                more = true;
                let index = step - ((ROWS - row - 1) * FILL.len()) as i64;
                if (0..FILL.len() as i64).contains(&index) {
                    chars[j] = FILL[index as usize];
                } else if index >= FILL.len() as i64 {
                    chars[j] = b'|';
                }
            } else {
                if row - ROWS < LABEL_MARGIN_TOP {
                    more = true;
                    break;
                }
                let at = row - ROWS - LABEL_MARGIN_TOP;
                if let Some(&c) = s.label.as_bytes().get(at) {
                    more = true;
                    chars[j] = c;
                }
            }
        }
        if !more {
            return;
        }
        row += 1;
        out.push_str(&String::from_utf8_lossy(&chars));
        out.push('\n');
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_rising_series_fills_upwards_with_labels_below() {
        let samples: Vec<Sample> = [1, 5, 10]
            .iter()
            .map(|&value| Sample {
                value,
                label: age_label(value * 30),
            })
            .collect();
        let graph = render(&samples);
        let lines: Vec<&str> = graph.lines().collect();
        // Rows top to bottom, a blank margin, then the labels `30s`, `2m`, `5m` downwards.
        assert_eq!(lines[0], "  #");
        assert_eq!(lines[3], "_||");
        assert_eq!(lines[4], "   ");
        assert_eq!(lines[5], "325");
        assert_eq!(lines[6], "0mm");
        assert_eq!(lines[7], "s  ");
    }
}
