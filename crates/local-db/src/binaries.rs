//! Finding the PostgreSQL server binaries installed on this machine.

use std::path::{Path, PathBuf};
use std::process::Command;

use super::LauncherError;

/// The folder holding `initdb` and `postgres`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PgBinaries {
    bindir: PathBuf,
}

const TOOLS: [&str; 2] = ["initdb", "postgres"];

impl PgBinaries {
    /// Looks, in order, at `PG_BINDIR`, `PATH`, `pg_config --bindir`, the Debian and
    /// source-install folders, and Homebrew's; the newest major version wins within a group.
    pub fn locate() -> Result<Self, LauncherError> {
        candidates()
            .into_iter()
            .find(|dir| has_tools(dir))
            .map(|bindir| Self { bindir })
            .ok_or(LauncherError::BinariesNotFound)
    }

    pub fn in_dir(bindir: impl Into<PathBuf>) -> Result<Self, LauncherError> {
        let bindir = bindir.into();
        if has_tools(&bindir) {
            Ok(Self { bindir })
        } else {
            Err(LauncherError::BinariesNotFound)
        }
    }

    pub fn bindir(&self) -> &Path {
        &self.bindir
    }

    pub fn tool(&self, name: &str) -> PathBuf {
        self.bindir.join(name)
    }
}

fn has_tools(dir: &Path) -> bool {
    TOOLS.iter().all(|tool| dir.join(tool).is_file())
}

fn candidates() -> Vec<PathBuf> {
    let mut dirs = Vec::new();
    if let Some(dir) = std::env::var_os("PG_BINDIR") {
        dirs.push(PathBuf::from(dir));
    }
    if let Some(path) = std::env::var_os("PATH") {
        // A `postgres` on PATH is often a symlink into the real bindir; follow it so the
        // sibling tools are found next to it.
        dirs.extend(
            std::env::split_paths(&path)
                .map(|dir| dir.join("postgres"))
                .filter(|bin| bin.is_file())
                .filter_map(|bin| bin.canonicalize().ok())
                .filter_map(|bin| bin.parent().map(Path::to_path_buf)),
        );
    }
    if let Some(dir) = pg_config_bindir() {
        dirs.push(dir);
    }
    dirs.extend(versioned_dirs(Path::new("/usr/lib/postgresql"), "", "bin"));
    dirs.push(PathBuf::from("/usr/local/pgsql/bin"));
    for prefix in ["/opt/homebrew/opt", "/usr/local/opt"] {
        dirs.extend(versioned_dirs(Path::new(prefix), "postgresql@", "bin"));
        dirs.push(Path::new(prefix).join("postgresql/bin"));
    }
    dirs.push(PathBuf::from("/opt/homebrew/bin"));
    dirs
}

fn pg_config_bindir() -> Option<PathBuf> {
    let output = Command::new("pg_config").arg("--bindir").output().ok()?;
    let dir = String::from_utf8(output.stdout).ok()?;
    output.status.success().then(|| PathBuf::from(dir.trim()))
}

/// `<root>/<prefix><major>/<sub>` folders, newest major version first.
fn versioned_dirs(root: &Path, prefix: &str, sub: &str) -> Vec<PathBuf> {
    let Ok(entries) = std::fs::read_dir(root) else {
        return Vec::new();
    };
    let mut versioned: Vec<(u32, PathBuf)> = entries
        .filter_map(Result::ok)
        .filter_map(|entry| {
            let name = entry.file_name().into_string().ok()?;
            let major = name.strip_prefix(prefix)?.split('.').next()?.parse().ok()?;
            Some((major, entry.path().join(sub)))
        })
        .collect();
    versioned.sort_by_key(|(major, _)| std::cmp::Reverse(*major));
    versioned.into_iter().map(|(_, dir)| dir).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn versioned_dirs_put_the_newest_major_first() {
        let root = tempfile::tempdir().unwrap();
        for version in ["9.6", "15", "13", "notaversion"] {
            std::fs::create_dir_all(root.path().join(version).join("bin")).unwrap();
        }
        let found = versioned_dirs(root.path(), "", "bin");
        let names: Vec<String> = found
            .iter()
            .map(|dir| {
                dir.parent()
                    .unwrap()
                    .file_name()
                    .unwrap()
                    .to_string_lossy()
                    .into_owned()
            })
            .collect();
        assert_eq!(names, ["15", "13", "9.6"]);
    }

    #[test]
    fn a_folder_without_initdb_is_not_a_bindir() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("postgres"), b"").unwrap();
        assert!(matches!(
            PgBinaries::in_dir(dir.path()),
            Err(LauncherError::BinariesNotFound)
        ));
        std::fs::write(dir.path().join("initdb"), b"").unwrap();
        assert!(PgBinaries::in_dir(dir.path()).is_ok());
    }
}
