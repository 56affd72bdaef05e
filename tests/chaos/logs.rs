//! Every process's log, kept in one directory: a killed process's log is saved before its
//! temp file goes, so a failure can be read across restarts (`n1.log` holds every
//! generation of n1, each under a header).

use std::fs::{self, OpenOptions};
use std::io::Write;
use std::path::{Path, PathBuf};
use std::time::{SystemTime, UNIX_EPOCH};

pub struct LogArchive {
    dir: PathBuf,
}

impl LogArchive {
    pub fn create(dir: &Path) -> std::io::Result<LogArchive> {
        fs::create_dir_all(dir)?;
        Ok(LogArchive {
            dir: dir.to_path_buf(),
        })
    }

    /// Appends `text` to `<name>.log` under a header naming `what` (which process, why).
    pub fn save(&self, name: &str, what: &str, text: &str) {
        let path = self.dir.join(format!("{name}.log"));
        let written = OpenOptions::new()
            .create(true)
            .append(true)
            .open(&path)
            .and_then(|mut file| write!(file, "==== {what} ====\n{text}\n"));
        if let Err(error) = written {
            eprintln!("chaos: could not write {}: {error}", path.display());
        }
    }

    /// A line of the harness's own story (rounds, faults, verdicts), in `harness.log`,
    /// stamped in UTC like the services' own lines.
    pub fn note(&self, line: &str) {
        let line = format!("{} {line}", utc_now());
        let path = self.dir.join("harness.log");
        let written = OpenOptions::new()
            .create(true)
            .append(true)
            .open(&path)
            .and_then(|mut file| writeln!(file, "{line}"));
        if let Err(error) = written {
            eprintln!("chaos: could not write {}: {error}", path.display());
        }
    }
}

/// Now as `2026-01-31T23:59:59.999Z`.
fn utc_now() -> String {
    let now = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap_or_default();
    let (days, rest) = (now.as_secs() / 86_400, now.as_secs() % 86_400);
    let (year, month, day) = civil(days as i64);
    let (h, m, s) = (rest / 3_600, rest % 3_600 / 60, rest % 60);
    let ms = now.subsec_millis();
    format!("{year:04}-{month:02}-{day:02}T{h:02}:{m:02}:{s:02}.{ms:03}Z")
}

/// The date `days` after 1970-01-01 (Howard Hinnant's `civil_from_days`).
fn civil(days: i64) -> (i64, u32, u32) {
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1_460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let month = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    let year = yoe + era * 400 + i64::from(month <= 2);
    (year, month, day)
}

#[cfg(test)]
mod tests {
    #[test]
    fn days_become_dates() {
        assert_eq!(super::civil(0), (1970, 1, 1));
        assert_eq!(super::civil(19_782), (2024, 2, 29));
        assert_eq!(super::civil(20_423), (2025, 12, 1));
    }
}
