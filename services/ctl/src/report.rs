//! What a command prints: JSON shaped like the managed service's, or the same as a table
//! or as tab-separated text.

use serde_json::Value;

use crate::cli::Output;

pub struct Report {
    pub json: Value,
    pub headers: Vec<&'static str>,
    pub rows: Vec<Vec<String>>,
}

impl Report {
    pub fn print(&self, output: Output) {
        match output {
            Output::Json => {
                println!(
                    "{}",
                    serde_json::to_string_pretty(&self.json).unwrap_or_default()
                )
            }
            Output::Text => {
                for row in &self.rows {
                    println!("{}", row.join("\t"));
                }
            }
            Output::Table => print!("{}", table(&self.headers, &self.rows)),
        }
    }
}

fn table(headers: &[&str], rows: &[Vec<String>]) -> String {
    let mut widths: Vec<usize> = headers.iter().map(|h| h.len()).collect();
    for row in rows {
        for (i, cell) in row.iter().enumerate() {
            if let Some(width) = widths.get_mut(i) {
                *width = (*width).max(cell.len());
            }
        }
    }
    let line = |cells: Vec<&str>| -> String {
        let padded: Vec<String> = cells
            .iter()
            .zip(&widths)
            .map(|(cell, width)| format!("{cell:<width$}"))
            .collect();
        format!("{}\n", padded.join("  ").trim_end())
    };
    let mut out = line(headers.to_vec());
    for row in rows {
        out.push_str(&line(row.iter().map(String::as_str).collect()));
    }
    out
}

/// A JSON string, or "" for anything else.
pub fn text(value: &Value) -> String {
    match value {
        Value::String(s) => s.clone(),
        Value::Null => String::new(),
        other => other.to_string(),
    }
}
