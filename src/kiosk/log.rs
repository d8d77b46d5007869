//! The exhibit's log: one time-stamped line per event, in a file that rotates and stays bounded.

use std::io::Write;
use std::path::{Path, PathBuf};

/// A log file that never grows past `max_bytes`: it rotates to `.1`, `.2`, `.3`.
#[derive(Debug)]
pub struct Log {
    path: PathBuf,
    max_bytes: u64,
}

/// Old log files kept beside the current one.
const LOGS_KEPT: usize = 3;

impl Log {
    pub fn new(path: &Path, max_bytes: u64) -> Self {
        Self {
            path: path.to_path_buf(),
            max_bytes,
        }
    }

    /// Appends one time-stamped line (seconds since the Unix epoch); never fails the caller.
    pub fn line(&mut self, text: &str) {
        let stamp = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.as_secs())
            .unwrap_or(0);
        let line = format!("{stamp} {text}\n");
        if std::fs::metadata(&self.path).is_ok_and(|m| m.len() + line.len() as u64 > self.max_bytes)
        {
            self.rotate();
        }
        if let Ok(mut file) = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(&self.path)
        {
            let _ = file.write_all(line.as_bytes());
        }
    }

    fn rotated(&self, k: usize) -> PathBuf {
        let mut name = self.path.as_os_str().to_owned();
        name.push(format!(".{k}"));
        PathBuf::from(name)
    }

    fn rotate(&self) {
        for k in (1..LOGS_KEPT).rev() {
            let _ = std::fs::rename(self.rotated(k), self.rotated(k + 1));
        }
        let _ = std::fs::rename(&self.path, self.rotated(1));
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::test_support::scratch_dir;

    #[test]
    fn the_log_rotates_and_stays_bounded() {
        let dir = scratch_dir("exhibit-log");
        let path = dir.join("exhibit.log");
        let mut log = Log::new(&path, 4096);
        for k in 0..2000 {
            log.line(&format!(
                "cycle {k}: nothing to report, a line of moderate length"
            ));
        }
        let total: u64 = std::fs::read_dir(&dir)
            .unwrap()
            .map(|e| e.unwrap().metadata().unwrap().len())
            .sum();
        assert!(std::fs::metadata(&path).unwrap().len() <= 4096);
        assert!(dir.join("exhibit.log.3").exists());
        assert!(!dir.join("exhibit.log.4").exists());
        assert!(total <= 4 * 4096, "{total} bytes on disk");
    }
}
