//! Settings' value syntax, shared by config loading and CONFIG SET, with Redis's messages.

use serde::{Deserialize, Deserializer};

/// Parses a memory size as Redis does: a plain number of bytes, or with a unit
/// (`k`, `kb`, `m`, `mb`, `g`, `gb`; `k` is 1000 and `kb` 1024).
pub fn parse_memory(text: &str) -> Result<u64, String> {
    let lower = text.trim().to_ascii_lowercase();
    let split = lower
        .find(|c: char| !c.is_ascii_digit())
        .unwrap_or(lower.len());
    let (digits, unit) = lower.split_at(split);
    let multiplier: u64 = match unit {
        "" | "b" => 1,
        "k" => 1000,
        "kb" => 1024,
        "m" => 1000 * 1000,
        "mb" => 1024 * 1024,
        "g" => 1000 * 1000 * 1000,
        "gb" => 1024 * 1024 * 1024,
        _ => return Err(format!("invalid memory size '{text}'")),
    };
    let number: u64 = digits
        .parse()
        .map_err(|_| format!("invalid memory size '{text}'"))?;
    number
        .checked_mul(multiplier)
        .ok_or_else(|| format!("memory size '{text}' is too large"))
}

/// Accepts a memory size as a number or as a string with a unit, in config files.
pub fn deserialize_memory<'de, D: Deserializer<'de>>(deserializer: D) -> Result<u64, D::Error> {
    #[derive(Deserialize)]
    #[serde(untagged)]
    enum Size {
        Number(u64),
        Text(String),
    }
    match Size::deserialize(deserializer)? {
        Size::Number(n) => Ok(n),
        Size::Text(text) => parse_memory(&text).map_err(serde::de::Error::custom),
    }
}

pub fn yes_no(value: bool) -> String {
    if value { "yes" } else { "no" }.into()
}

/// `yes` or `no`, any case, as Redis's boolean settings take them.
pub fn parse_yes_no(value: &str) -> Result<bool, String> {
    match value.to_ascii_lowercase().as_str() {
        "yes" => Ok(true),
        "no" => Ok(false),
        _ => Err("argument must be 'yes' or 'no'".into()),
    }
}

/// A signed integer setting with Redis's messages.
pub fn long_long(value: &str, min: i64, max: i64) -> Result<i64, String> {
    let number: i64 = value
        .parse()
        .map_err(|_| "argument couldn't be parsed into an integer".to_string())?;
    if number < min || number > max {
        return Err(format!(
            "argument must be between {min} and {max} inclusive"
        ));
    }
    Ok(number)
}

/// Space-separated percentiles in 0..=100 (Redis writes them back with `%f` trimmed).
pub(super) fn parse_percentiles(value: &str) -> Result<Vec<f64>, String> {
    value
        .split(' ')
        .filter(|w| !w.is_empty())
        .map(|w| match w.parse::<f64>() {
            Ok(p) if (0.0..=100.0).contains(&p) => Ok(p),
            Ok(_) => Err(
                "latency-tracking-info-percentiles parameters should sit between [0.0,100.0]"
                    .into(),
            ),
            Err(_) => Err("Invalid latency-tracking-info-percentiles parameters".into()),
        })
        .collect()
}

pub fn percentile_text(p: f64) -> String {
    let text = format!("{p:.6}");
    text.trim_end_matches('0').trim_end_matches('.').to_string()
}

pub(super) fn percentiles_text(ps: &[f64]) -> String {
    ps.iter()
        .map(|p| percentile_text(*p))
        .collect::<Vec<_>>()
        .join(" ")
}

/// An integer in `min..=max`, refused with Redis's messages (a negative number is out of
/// range, not unparseable, as in Redis).
pub(super) fn bounded(value: &str, min: u32, max: u32) -> Result<u32, String> {
    Ok(long_long(value, i64::from(min), i64::from(max))? as u32)
}
