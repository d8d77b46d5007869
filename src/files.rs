//! Reading and writing the user's files safely: reads capped in size, saves that are atomic,
//! durable and never replace a file that is not the writer's own kind.

use anyhow::{Context, Result, bail};
use std::fs::{File, OpenOptions};
use std::io::{Read, Write};
use std::path::{Path, PathBuf};

/// Largest scene file read (a scene is a few kilobytes; saved playgrounds stay far below this).
pub const MAX_SCENE_BYTES: u64 = 16 << 20;
/// Largest machine file read (a 784-256-128-10 MLP is about 3 MB of RON; the largest network
/// a scene may ask for, about 200 MB).
pub const MAX_MACHINE_BYTES: u64 = 256 << 20;
/// Largest small text file read beside the data (`classes.txt`, strings, settings).
pub const MAX_SMALL_TEXT_BYTES: u64 = 4 << 20;

/// A kind of file a writer owns: what it is called in messages and how to recognise one, so
/// that a save replaces only an earlier file of the same kind.
pub struct FileKind {
    pub what: &'static str,
    /// Whether these leading bytes (up to [`RECOGNISE_BYTES`]) are such a file's.
    pub recognise: fn(&[u8]) -> bool,
}

/// How many leading bytes [`FileKind::recognise`] is shown: enough for a safetensors
/// file's header, where the metadata that names a mark1 file may follow a long class list.
pub const RECOGNISE_BYTES: usize = 64 * 1024;

/// A PNG picture (screenshots, exported images).
pub const PNG: FileKind = FileKind {
    what: "PNG picture",
    recognise: |head| head.starts_with(b"\x89PNG\r\n\x1a\n"),
};

/// Reads `path` as UTF-8 text of at most `max` bytes; `what` names the file in messages.
/// A folder, a device that never ends (`/dev/zero`) or an oversized file is refused before
/// more than `max` bytes are read.
pub fn read_text_capped(path: &Path, max: u64, what: &str) -> Result<String> {
    let name = path.display();
    let bytes = read_capped(path, max, what)?;
    String::from_utf8(bytes).map_err(|e| {
        anyhow::anyhow!(
            "{name}: not a {what}: not UTF-8 text (byte {})",
            e.utf8_error().valid_up_to()
        )
    })
}

/// Reads at most `max` bytes of `path`, refusing a longer one (see [`read_text_capped`]).
pub fn read_capped(path: &Path, max: u64, what: &str) -> Result<Vec<u8>> {
    let name = path.display();
    let file = open_for_reading(path).with_context(|| format!("{name}: cannot read {what}"))?;
    let meta = file
        .metadata()
        .with_context(|| format!("{name}: cannot read {what}"))?;
    if meta.is_dir() {
        bail!("{name}: is a folder, not a {what}");
    }
    if is_device(&meta) {
        bail!("{name}: is a device, not a {what}");
    }
    if meta.len() > max {
        bail!(
            "{name}: {} bytes, more than a {what} may hold ({})",
            meta.len(),
            human_bytes(max)
        );
    }
    let mut bytes = Vec::with_capacity(meta.len() as usize);
    file.take(max + 1)
        .read_to_end(&mut bytes)
        .with_context(|| format!("{name}: cannot read {what}"))?;
    if bytes.len() as u64 > max {
        bail!("{name}: longer than a {what} may be ({})", human_bytes(max));
    }
    Ok(bytes)
}

/// Opens `path` to read without waiting for a writer: a named pipe that nobody writes to
/// reads as empty instead of hanging the program at `open`; a pipe with a writer reads as
/// usual (the descriptor is made blocking again once open).
#[cfg(unix)]
pub fn open_for_reading(path: &Path) -> std::io::Result<File> {
    use rustix::fs::{OFlags, fcntl_getfl, fcntl_setfl};
    use std::os::unix::fs::OpenOptionsExt;
    let file = std::fs::OpenOptions::new()
        .read(true)
        .custom_flags(OFlags::NONBLOCK.bits() as i32)
        .open(path)?;
    let flags = fcntl_getfl(&file)?;
    fcntl_setfl(&file, flags - OFlags::NONBLOCK)?;
    Ok(file)
}

#[cfg(not(unix))]
pub fn open_for_reading(path: &Path) -> std::io::Result<File> {
    File::open(path)
}

/// Whether `meta` describes a character or block device (`/dev/zero`, a disk).
#[cfg(unix)]
fn is_device(meta: &std::fs::Metadata) -> bool {
    use std::os::unix::fs::FileTypeExt;
    let kind = meta.file_type();
    kind.is_char_device() || kind.is_block_device()
}

#[cfg(not(unix))]
fn is_device(_meta: &std::fs::Metadata) -> bool {
    false
}

/// `bytes` as a short figure: "16 MiB".
pub fn human_bytes(bytes: u64) -> String {
    match bytes {
        b if b >= 1 << 30 && b % (1 << 30) == 0 => format!("{} GiB", b >> 30),
        b if b >= 1 << 20 => format!("{} MiB", b >> 20),
        b if b >= 1 << 10 => format!("{} KiB", b >> 10),
        b => format!("{b} bytes"),
    }
}

/// Checks, before any long work, that `path` can be saved as a `kind`: its folder exists and
/// takes new files, and `path` is absent or an earlier file of that kind (a regular file, not a
/// link, a folder, a FIFO or a device, nor someone else's file such as the scene in use).
pub fn check_save_target(path: &Path, kind: &FileKind) -> Result<()> {
    let name = path.display();
    let dir = folder_of(path);
    match std::fs::metadata(&dir) {
        Ok(meta) if meta.is_dir() => {}
        Ok(_) => bail!("{name}: cannot save: {} is not a folder", dir.display()),
        Err(e) => bail!("{name}: cannot save: folder {}: {e}", dir.display()),
    }
    check_replaceable(path, kind)?;
    let probe = temporary_path(path)?;
    create_new(&probe).with_context(|| format!("{name}: cannot save in {}", dir.display()))?;
    let _ = std::fs::remove_file(&probe);
    Ok(())
}

/// Writes `bytes` to `path` as a `kind`: a new temporary file beside it, flushed to disk,
/// renamed over the target, then the folder flushed, so a crash leaves either the old file or
/// the new one. Refuses a target [`check_save_target`] refuses; temporary files that earlier
/// interrupted saves of `path` left behind are removed.
pub fn write_atomically(path: &Path, bytes: &[u8], kind: &FileKind) -> Result<()> {
    write_through_rename(path, bytes, kind, true)
}

/// As [`write_atomically`] without flushing to disk or looking for old temporary files: for
/// the thousands of files of an export, where a crash costs exporting again, not a lost file
/// (and what it leaves is hidden: `.name.pid.tmp`).
pub fn write_atomically_unsynced(path: &Path, bytes: &[u8], kind: &FileKind) -> Result<()> {
    write_through_rename(path, bytes, kind, false)
}

fn write_through_rename(path: &Path, bytes: &[u8], kind: &FileKind, durable: bool) -> Result<()> {
    let name = path.display();
    check_replaceable(path, kind)?;
    if durable {
        remove_stale_temporaries(path);
    }
    let temporary = temporary_path(path)?;
    let result = (|| -> std::io::Result<()> {
        let mut file = create_new(&temporary)?;
        file.write_all(bytes)?;
        if durable {
            file.sync_all()?;
        }
        std::fs::rename(&temporary, path)?;
        if durable {
            // the rename itself is durable only once the folder is
            File::open(folder_of(path))?.sync_all()?;
        }
        Ok(())
    })();
    if let Err(e) = result {
        let _ = std::fs::remove_file(&temporary);
        bail!("{name}: cannot save: {e}");
    }
    Ok(())
}

/// Writes `bytes` as a new file at `path`, never replacing anything: a temporary file beside
/// it, flushed, then linked in under its name (which fails if the name was taken meanwhile),
/// so the file appears whole or not at all. `Ok(false)` when `path` already exists.
pub fn write_new_atomically(path: &Path, bytes: &[u8]) -> Result<bool> {
    let name = path.display();
    if std::fs::symlink_metadata(path).is_ok() {
        return Ok(false);
    }
    let temporary = temporary_path(path)?;
    let written = (|| -> std::io::Result<bool> {
        let mut file = create_new(&temporary)?;
        file.write_all(bytes)?;
        file.sync_all()?;
        let linked = match std::fs::hard_link(&temporary, path) {
            Ok(()) => true,
            Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => false,
            // a file system without hard links: create the name itself, never replacing it
            Err(_) => match create_new(path) {
                Ok(mut file) => {
                    file.write_all(bytes)?;
                    file.sync_all()?;
                    true
                }
                Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => false,
                Err(e) => return Err(e),
            },
        };
        std::fs::remove_file(&temporary)?;
        File::open(folder_of(path))?.sync_all()?;
        Ok(linked)
    })();
    if written.is_err() {
        let _ = std::fs::remove_file(&temporary);
    }
    written.with_context(|| format!("{name}: cannot save"))
}

/// Names tried before giving up: `<stem>-1.<ext>` to `<stem>-999.<ext>`.
const MOST_NUMBERED: usize = 999;

/// Writes `bytes` in `folder` as the first of `<stem>-1.<extension>`, `<stem>-2...` that does
/// not exist yet (never replacing anything), and returns its path.
pub fn write_numbered(folder: &Path, stem: &str, extension: &str, bytes: &[u8]) -> Result<PathBuf> {
    for n in 1..=MOST_NUMBERED {
        let path = folder.join(format!("{stem}-{n}.{extension}"));
        if write_new_atomically(&path, bytes)? {
            return Ok(path);
        }
    }
    bail!(
        "{}: cannot save: {stem}-1.{extension} to {stem}-{MOST_NUMBERED}.{extension} all exist",
        folder.display()
    )
}

/// The first of `folder/<stem>-1.<extension>`, `-2`, ... that does not exist yet (the name a
/// numbered save would take now), or the last one tried if all do.
pub fn next_numbered(folder: &Path, stem: &str, extension: &str) -> PathBuf {
    let named = |n: usize| folder.join(format!("{stem}-{n}.{extension}"));
    (1..=MOST_NUMBERED)
        .map(named)
        .find(|path| !path.exists())
        .unwrap_or_else(|| named(MOST_NUMBERED))
}

/// Creates the first of `parent/<stem>-1`, `-2`, ... that does not exist yet (making
/// `parent` if needed), and returns it: a folder of its own, never one already there.
pub fn new_numbered_folder(parent: &Path, stem: &str) -> Result<PathBuf> {
    std::fs::create_dir_all(parent)
        .with_context(|| format!("{}: cannot create the folder", parent.display()))?;
    for n in 1..=MOST_NUMBERED {
        let path = parent.join(format!("{stem}-{n}"));
        match std::fs::create_dir(&path) {
            Ok(()) => return Ok(path),
            Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => continue,
            Err(e) => bail!("{}: cannot create: {e}", path.display()),
        }
    }
    bail!(
        "{}: cannot create: {stem}-1 to {stem}-{MOST_NUMBERED} all exist",
        parent.display()
    )
}

/// A name made of `words` that any file system takes: letters and digits kept (lower case),
/// every run of anything else one `-`, at most 60 characters; `fallback` if nothing is left.
pub fn file_stem_of(words: &str, fallback: &str) -> String {
    let mut stem = String::new();
    for c in words.chars().flat_map(char::to_lowercase) {
        if c.is_alphanumeric() {
            stem.push(c);
        } else if !stem.is_empty() && !stem.ends_with('-') {
            stem.push('-');
        }
        if stem.chars().count() >= 60 {
            break;
        }
    }
    let stem = stem.trim_end_matches('-').to_string();
    if stem.is_empty() {
        fallback.to_string()
    } else {
        stem
    }
}

/// Refuses a target that exists and is not a regular file of `kind`.
fn check_replaceable(path: &Path, kind: &FileKind) -> Result<()> {
    let name = path.display();
    let meta = match std::fs::symlink_metadata(path) {
        Ok(meta) => meta,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(()),
        Err(e) => bail!("{name}: cannot save: {e}"),
    };
    let file_type = meta.file_type();
    if file_type.is_symlink() {
        bail!("{name}: is a symbolic link; not replacing it (save to the file it names instead)");
    }
    if file_type.is_dir() {
        bail!(
            "{name}: is a folder; give a file name to save the {} as",
            kind.what
        );
    }
    if !file_type.is_file() {
        bail!("{name}: is not a regular file (a FIFO, socket or device); not replacing it");
    }
    let mut head = Vec::with_capacity(RECOGNISE_BYTES);
    File::open(path)
        .and_then(|f| f.take(RECOGNISE_BYTES as u64).read_to_end(&mut head))
        .with_context(|| format!("{name}: cannot read the file to be replaced"))?;
    if !head.is_empty() && !(kind.recognise)(&head) {
        bail!(
            "{name}: already exists and is not a {}; not replacing it (choose another name)",
            kind.what
        );
    }
    Ok(())
}

/// The folder `path` is saved in.
fn folder_of(path: &Path) -> PathBuf {
    match path.parent() {
        Some(p) if !p.as_os_str().is_empty() => p.to_path_buf(),
        _ => PathBuf::from("."),
    }
}

/// `.<name>.<pid>.tmp` beside `path`.
fn temporary_path(path: &Path) -> Result<PathBuf> {
    let file_name = path
        .file_name()
        .with_context(|| format!("{}: not a file name", path.display()))?
        .to_string_lossy()
        .into_owned();
    Ok(folder_of(path).join(format!(".{file_name}.{}.tmp", std::process::id())))
}

/// Creates a file that did not exist (never following a link planted in its place).
fn create_new(path: &Path) -> std::io::Result<File> {
    OpenOptions::new().write(true).create_new(true).open(path)
}

/// Removes `.<name>.<pid>.tmp` files beside `path` whose process is gone (Linux: no
/// `/proc/<pid>`): what a save that was killed half-way left behind.
fn remove_stale_temporaries(path: &Path) {
    let Some(file_name) = path.file_name().map(|n| n.to_string_lossy().into_owned()) else {
        return;
    };
    let prefix = format!(".{file_name}.");
    let Ok(entries) = std::fs::read_dir(folder_of(path)) else {
        return;
    };
    for entry in entries.flatten() {
        let entry_name = entry.file_name().to_string_lossy().into_owned();
        let Some(pid) = entry_name
            .strip_prefix(&prefix)
            .and_then(|rest| rest.strip_suffix(".tmp"))
            .and_then(|pid| pid.parse::<u32>().ok())
        else {
            continue;
        };
        let regular = entry.file_type().is_ok_and(|t| t.is_file());
        if regular && !process_alive(pid) {
            let _ = std::fs::remove_file(entry.path());
        }
    }
}

/// Whether process `pid` still runs (where `/proc` cannot tell, it is assumed to).
fn process_alive(pid: u32) -> bool {
    if !Path::new("/proc/self").exists() {
        return true;
    }
    Path::new(&format!("/proc/{pid}")).exists()
}

#[cfg(all(test, unix))]
mod tests {
    use super::*;

    const NOTE: FileKind = FileKind {
        what: "note",
        recognise: |head| head.starts_with(b"note:"),
    };

    fn scratch(name: &str) -> PathBuf {
        crate::test_support::scratch_dir(&format!("files-{name}"))
    }

    #[test]
    fn a_save_replaces_its_own_kind_and_leaves_no_temporary_file() {
        let dir = scratch("own");
        let path = dir.join("a.note");
        write_atomically(&path, b"note: one", &NOTE).unwrap();
        write_atomically(&path, b"note: two", &NOTE).unwrap();
        assert_eq!(std::fs::read(&path).unwrap(), b"note: two");
        assert_eq!(std::fs::read_dir(&dir).unwrap().count(), 1);
    }

    #[test]
    fn a_save_never_replaces_another_kind_a_link_a_folder_or_a_fifo() {
        let dir = scratch("foreign");
        let scene = dir.join("scene.ron");
        std::fs::write(&scene, "(seed: 1)").unwrap();
        let err = write_atomically(&scene, b"note: x", &NOTE)
            .unwrap_err()
            .to_string();
        assert!(
            err.contains("scene.ron") && err.contains("not a note"),
            "{err}"
        );
        assert_eq!(std::fs::read_to_string(&scene).unwrap(), "(seed: 1)");

        let link = dir.join("link.note");
        std::os::unix::fs::symlink(&scene, &link).unwrap();
        let err = write_atomically(&link, b"note: x", &NOTE)
            .unwrap_err()
            .to_string();
        assert!(err.contains("symbolic link"), "{err}");
        assert!(
            std::fs::symlink_metadata(&link)
                .unwrap()
                .file_type()
                .is_symlink()
        );

        let err = write_atomically(&dir, b"note: x", &NOTE)
            .unwrap_err()
            .to_string();
        assert!(err.contains("is a folder"), "{err}");

        let fifo = dir.join("fifo.note");
        let made = std::process::Command::new("mkfifo").arg(&fifo).status();
        if made.is_ok_and(|s| s.success()) {
            let err = write_atomically(&fifo, b"note: x", &NOTE)
                .unwrap_err()
                .to_string();
            assert!(err.contains("not a regular file"), "{err}");
            assert!(check_save_target(&fifo, &NOTE).is_err());
        }
        // nothing was left behind by the refusals
        let names: Vec<_> = std::fs::read_dir(&dir)
            .unwrap()
            .flatten()
            .map(|e| e.file_name())
            .collect();
        assert!(
            names.iter().all(|n| !n.to_string_lossy().ends_with(".tmp")),
            "{names:?}"
        );
    }

    #[test]
    fn an_empty_file_may_be_replaced() {
        let dir = scratch("empty");
        let path = dir.join("new.note");
        std::fs::write(&path, b"").unwrap();
        write_atomically(&path, b"note: filled", &NOTE).unwrap();
        assert_eq!(std::fs::read(&path).unwrap(), b"note: filled");
    }

    #[test]
    fn the_save_target_is_checked_before_the_work() {
        let dir = scratch("check");
        assert!(check_save_target(&dir.join("fine.note"), &NOTE).is_ok());
        let err = check_save_target(&dir.join("missing/m.note"), &NOTE)
            .unwrap_err()
            .to_string();
        assert!(err.contains("missing"), "{err}");
        let plain = dir.join("plain");
        std::fs::write(&plain, "x").unwrap();
        let err = check_save_target(&plain.join("m.note"), &NOTE)
            .unwrap_err()
            .to_string();
        assert!(err.contains("not a folder"), "{err}");
        // the probe left nothing behind
        assert_eq!(std::fs::read_dir(&dir).unwrap().count(), 1);
    }

    #[test]
    fn temporaries_of_interrupted_saves_are_removed_by_the_next_save() {
        let dir = scratch("stale");
        let path = dir.join("m.note");
        // pid 0 is never a user process, so this one's writer is gone
        let stale = dir.join(".m.note.0.tmp");
        std::fs::write(&stale, b"half a no").unwrap();
        let other = dir.join(".other.note.0.tmp");
        std::fs::write(&other, b"not ours").unwrap();
        write_atomically(&path, b"note: whole", &NOTE).unwrap();
        assert!(!stale.exists());
        assert!(other.exists(), "another file's temporary is left alone");
    }

    #[test]
    fn reads_are_capped_and_refuse_folders_and_endless_devices() {
        let dir = scratch("read");
        let path = dir.join("t.txt");
        std::fs::write(&path, "hello").unwrap();
        assert_eq!(read_text_capped(&path, 5, "text").unwrap(), "hello");
        let err = read_text_capped(&path, 4, "text").unwrap_err().to_string();
        assert!(err.contains("t.txt") && err.contains("4 bytes"), "{err}");
        let err = read_text_capped(&dir, 100, "text").unwrap_err().to_string();
        assert!(err.contains("is a folder"), "{err}");
        let err = read_capped(Path::new("/dev/zero"), 1 << 20, "machine file")
            .unwrap_err()
            .to_string();
        assert!(err.contains("/dev/zero") && err.contains("device"), "{err}");
        // a pipe that never ends is cut off at the cap
        let mut endless = std::process::Command::new("yes")
            .stdout(std::process::Stdio::piped())
            .spawn()
            .unwrap();
        let fifo = format!("/proc/self/fd/{}", {
            use std::os::fd::AsRawFd;
            endless.stdout.as_ref().unwrap().as_raw_fd()
        });
        let err = read_capped(Path::new(&fifo), 1 << 20, "scene")
            .unwrap_err()
            .to_string();
        assert!(err.contains("longer than a scene may be (1 MiB)"), "{err}");
        let _ = endless.kill();
        let _ = endless.wait();
        // a named pipe nobody writes to is empty, not a hang
        let fifo = dir.join("nobody-writes");
        assert!(
            std::process::Command::new("mkfifo")
                .arg(&fifo)
                .status()
                .unwrap()
                .success()
        );
        assert_eq!(read_capped(&fifo, 100, "scene").unwrap(), b"");
        std::fs::write(&path, [0xff, 0xfe]).unwrap();
        let err = read_text_capped(&path, 100, "scene")
            .unwrap_err()
            .to_string();
        assert!(err.contains("not UTF-8"), "{err}");
    }
}
