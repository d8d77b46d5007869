//! How far a load has come, shared between the threads that read and the one that shows a
//! bar; and a request to stop, which the readers honour between files.

use anyhow::{Result, bail};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};

/// Work done and to do, in one unit per load (image files for folders, bytes for IDX
/// files), and whether the user asked to stop.
#[derive(Debug, Default)]
pub struct Progress {
    done: AtomicU64,
    total: AtomicU64,
    cancelled: AtomicBool,
}

impl Progress {
    /// More work became known: `amount` more units to do.
    pub fn add_total(&self, amount: u64) {
        self.total.fetch_add(amount, Ordering::Relaxed);
    }

    /// `amount` units were done.
    pub fn advance(&self, amount: u64) {
        self.done.fetch_add(amount, Ordering::Relaxed);
    }

    /// (done, total) so far; the total grows as a load finds its files.
    pub fn counts(&self) -> (u64, u64) {
        (
            self.done.load(Ordering::Relaxed),
            self.total.load(Ordering::Relaxed),
        )
    }

    /// The fraction done, when the total is known.
    pub fn fraction(&self) -> Option<f64> {
        let (done, total) = self.counts();
        (total > 0).then(|| (done as f64 / total as f64).min(1.0))
    }

    /// Asks the load to stop at its next file.
    pub fn cancel(&self) {
        self.cancelled.store(true, Ordering::Relaxed);
    }

    pub fn is_cancelled(&self) -> bool {
        self.cancelled.load(Ordering::Relaxed)
    }

    /// An error naming `source` once the load was cancelled.
    pub fn check(&self, source: &str) -> Result<()> {
        if self.is_cancelled() {
            bail!("{source}: loading cancelled");
        }
        Ok(())
    }
}

/// `file` as a stream that counts its raw bytes into `progress`, gunzipped (every member) when
/// it starts as gzip; and whether it did.
pub fn counted_stream(
    file: std::fs::File,
    progress: &Progress,
) -> std::io::Result<(Box<dyn std::io::Read + '_>, bool)> {
    use std::io::BufRead;
    let mut raw = std::io::BufReader::new(Counted {
        inner: file,
        progress,
    });
    let gzipped = raw.fill_buf()?.starts_with(&[0x1f, 0x8b]);
    Ok(match gzipped {
        true => (Box::new(flate2::read::MultiGzDecoder::new(raw)), true),
        false => (Box::new(raw), false),
    })
}

/// A reader that counts the bytes it passes on into a [`Progress`].
pub struct Counted<'a, R> {
    pub inner: R,
    pub progress: &'a Progress,
}

impl<R: std::io::Read> std::io::Read for Counted<'_, R> {
    fn read(&mut self, buffer: &mut [u8]) -> std::io::Result<usize> {
        if self.progress.is_cancelled() {
            return Err(std::io::Error::other("loading cancelled"));
        }
        let read = self.inner.read(buffer)?;
        self.progress.advance(read as u64);
        Ok(read)
    }
}
