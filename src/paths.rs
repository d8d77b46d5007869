//! Paths typed by hand: `~` for the home folder, and completion of folder and file names as a
//! shell's Tab completes them; for the window's path field. No Bevy.

use std::path::{Path, PathBuf};

/// Most entries of one folder read for completion: a folder of a million files costs no more.
pub const MOST_READ: usize = 5000;

/// One name a typed path may go on with.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Entry {
    pub name: String,
    pub is_folder: bool,
}

/// What a typed path may become: the entries of its folder that begin with its last part
/// (folders first, then files, each in name order), and the typed text extended as far as all
/// of them agree (with a `/` after a single folder).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Completions {
    pub entries: Vec<Entry>,
    pub extended: String,
    /// The folder held more than [`MOST_READ`] entries; only those read are offered.
    pub truncated: bool,
}

/// `typed` as a path: a leading `~` is the home folder, a relative path is taken from `base`
/// (the folder the program started in), and a trailing `/` is dropped.
pub fn expand(typed: &str, base: &Path) -> PathBuf {
    let home = || dirs::home_dir().unwrap_or_else(|| PathBuf::from("/"));
    let path = match typed.strip_prefix('~') {
        Some("") => home(),
        Some(rest) if rest.starts_with('/') => home().join(rest.trim_start_matches('/')),
        _ => PathBuf::from(typed),
    };
    let path = match path.is_absolute() {
        true => path,
        false => base.join(path),
    };
    // `photos/` and `photos` are one folder
    path.components().collect()
}

/// `path` as one would type it: under the home folder as `~/...`.
pub fn shown(path: &Path) -> String {
    match dirs::home_dir().and_then(|home| path.strip_prefix(home).ok().map(Path::to_path_buf)) {
        Some(rest) if rest.as_os_str().is_empty() => "~".into(),
        Some(rest) => format!("~/{}", rest.display()),
        None => path.display().to_string(),
    }
}

/// The completions of `typed`, relative paths taken from `base`. Hidden entries are offered
/// only when the last part begins with a dot; an unreadable folder offers nothing.
pub fn complete(typed: &str, base: &Path) -> Completions {
    let (folder_part, partial) = match typed.rfind('/') {
        Some(k) => typed.split_at(k + 1),
        None => ("", typed),
    };
    let folder = match folder_part {
        "" => base.to_path_buf(),
        part => expand(part, base),
    };
    let Ok(listing) = std::fs::read_dir(&folder) else {
        return Completions {
            extended: typed.to_string(),
            ..Completions::default()
        };
    };
    let mut entries = Vec::new();
    let mut truncated = false;
    for (k, item) in listing.flatten().enumerate() {
        if k == MOST_READ {
            truncated = true;
            break;
        }
        let name = item.file_name().to_string_lossy().to_string();
        let hidden = name.starts_with('.') && !partial.starts_with('.');
        if name.starts_with(partial) && !hidden {
            // through links: a linked folder completes as a folder
            let is_folder = item.path().is_dir();
            entries.push(Entry { name, is_folder });
        }
    }
    entries.sort_by(|a, b| (!a.is_folder, &a.name).cmp(&(!b.is_folder, &b.name)));
    let extended = match entries.as_slice() {
        [only] => format!(
            "{folder_part}{}{}",
            only.name,
            if only.is_folder { "/" } else { "" }
        ),
        [] => typed.to_string(),
        [first, rest @ ..] => {
            let common = rest.iter().fold(first.name.as_str(), |common, e| {
                shared_start(common, &e.name)
            });
            format!("{folder_part}{common}")
        }
    };
    Completions {
        entries,
        extended,
        truncated,
    }
}

/// The longest start `a` and `b` share, cut at a character boundary.
fn shared_start<'a>(a: &'a str, b: &str) -> &'a str {
    let end = a
        .char_indices()
        .zip(b.chars())
        .find(|((_, x), y)| x != y)
        .map_or(a.len().min(b.len()), |((k, _), _)| k);
    &a[..end]
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::test_support::scratch_dir;

    fn folder_of_sets() -> PathBuf {
        let dir = scratch_dir("paths-complete");
        for folder in ["photos", "photos-old", "phones", ".hidden", "ünïcode"] {
            std::fs::create_dir_all(dir.join(folder)).unwrap();
        }
        for file in ["photos.csv", "machine.ron", ".secret"] {
            std::fs::write(dir.join(file), b"x").unwrap();
        }
        dir
    }

    fn names(c: &Completions) -> Vec<&str> {
        c.entries.iter().map(|e| e.name.as_str()).collect()
    }

    #[test]
    fn completion_extends_as_far_as_the_names_agree_folders_first() {
        let dir = folder_of_sets();
        let typed = format!("{}/ph", dir.display());
        let c = complete(&typed, Path::new("/"));
        assert_eq!(names(&c), ["phones", "photos", "photos-old", "photos.csv"]);
        assert_eq!(c.extended, format!("{}/pho", dir.display()));
        let c = complete(&format!("{}/photos-", dir.display()), Path::new("/"));
        assert_eq!(c.extended, format!("{}/photos-old/", dir.display()));
        let c = complete(&format!("{}/m", dir.display()), Path::new("/"));
        assert_eq!(c.extended, format!("{}/machine.ron", dir.display()));
    }

    #[test]
    fn hidden_names_need_a_dot_and_relative_paths_start_at_the_base() {
        let dir = folder_of_sets();
        let all = complete("", &dir);
        assert!(!names(&all).iter().any(|n| n.starts_with('.')), "{all:?}");
        assert_eq!(all.entries.len(), 6);
        assert_eq!(names(&complete(".", &dir)), [".hidden", ".secret"]);
        assert_eq!(complete("ü", &dir).extended, "ünïcode/");
        let nowhere = complete("no/such/folder/x", &dir);
        assert!(nowhere.entries.is_empty());
        assert_eq!(nowhere.extended, "no/such/folder/x");
    }

    #[test]
    fn a_tilde_is_the_home_folder() {
        let home = dirs::home_dir().unwrap();
        assert_eq!(expand("~", Path::new("/x")), home);
        assert_eq!(expand("~/a/b", Path::new("/x")), home.join("a/b"));
        assert_eq!(expand("a/b", Path::new("/x")), Path::new("/x/a/b"));
        assert_eq!(expand("/a", Path::new("/x")), Path::new("/a"));
        assert_eq!(expand("a/", Path::new("/x")).to_str(), Some("/x/a"));
        assert_eq!(shared_start("ünïa", "ünïb"), "ünï");
        assert_eq!(shown(&home.join("a/b.ron")), "~/a/b.ron");
        assert_eq!(
            expand(&shown(&home.join("a/b.ron")), Path::new("/x")),
            home.join("a/b.ron")
        );
        assert_eq!(shown(Path::new("/etc/x")), "/etc/x");
    }
}
