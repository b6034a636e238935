//! Where a cluster lives.
//!
//! Normally in the folder asked for. When the server runs as another user (we are root)
//! who cannot enter that folder, as with a checkout under `/root` (`0700`), the cluster
//! goes to a folder of its own under `ClusterOptions::relocate_to`, named after the folder
//! asked for, and a note left there points to it, so every later start finds the same
//! cluster. The permissions of the user's own folders are never loosened.

use std::ffi::OsString;
use std::fs::{self, DirBuilder};
use std::os::unix::ffi::{OsStrExt, OsStringExt};
use std::os::unix::fs::{DirBuilderExt, PermissionsExt};
use std::path::{Path, PathBuf};

use uuid::Uuid;

use super::run_as::ServerUser;
use super::{ClusterOptions, LauncherError};

/// In the folder asked for: where its cluster lives instead.
const POINTER: &str = "cluster-location";
/// In a relocated cluster's folder: which folder it belongs to, for a person looking.
const OWNER_NOTE: &str = "belongs-to";

/// Creates (if needed) and returns the folder the cluster lives in, canonical.
pub(super) fn resolve(
    user: &ServerUser,
    options: &ClusterOptions,
) -> Result<PathBuf, LauncherError> {
    let asked = canonical_dir(&options.root)?;
    if let Some(elsewhere) = read_pointer(&asked)? {
        let elsewhere = canonical_dir(&elsewhere)?;
        tracing::info!(
            folder = %asked.display(),
            cluster = %elsewhere.display(),
            "this folder's PostgreSQL cluster lives elsewhere (its server user cannot enter the folder)"
        );
        return Ok(elsewhere);
    }
    // Our own folder: the server user must be able to enter it to reach its data folder.
    open_up(&asked)?;
    if user.can_reach(&asked) {
        return Ok(asked);
    }
    let unreachable = |path: &Path| LauncherError::Unreachable {
        user: user.name().to_owned(),
        path: path.to_path_buf(),
    };
    // A cluster already here is never moved or replaced: the person decides.
    let existing = asked
        .join("pgdata")
        .try_exists()
        .map_err(LauncherError::io(format!(
            "looking into {}",
            asked.display()
        )))?;
    let Some(parent) = options.relocate_to.as_deref().filter(|_| !existing) else {
        return Err(unreachable(&asked));
    };
    let elsewhere = parent.join(format!(
        "cluster-{}",
        Uuid::new_v5(&Uuid::NAMESPACE_URL, asked.as_os_str().as_bytes()).simple()
    ));
    DirBuilder::new()
        .recursive(true)
        .mode(0o755)
        .create(&elsewhere)
        .map_err(LauncherError::io(format!(
            "creating {}",
            elsewhere.display()
        )))?;
    let elsewhere = canonical_dir(&elsewhere)?;
    open_up(&elsewhere)?;
    if !user.can_reach(&elsewhere) {
        return Err(unreachable(&elsewhere));
    }
    write_note(&elsewhere.join(OWNER_NOTE), &asked)?;
    write_note(&asked.join(POINTER), &elsewhere)?;
    tracing::warn!(
        user = user.name(),
        folder = %asked.display(),
        cluster = %elsewhere.display(),
        "PostgreSQL's server user cannot enter this folder; its cluster lives elsewhere, \
         reused by every later start"
    );
    Ok(elsewhere)
}

fn canonical_dir(path: &Path) -> Result<PathBuf, LauncherError> {
    fs::create_dir_all(path).map_err(LauncherError::io(format!("creating {}", path.display())))?;
    path.canonicalize()
        .map_err(LauncherError::io(format!("resolving {}", path.display())))
}

/// Lets other users enter (not list) a folder the launcher made for the cluster.
fn open_up(dir: &Path) -> Result<(), LauncherError> {
    fs::set_permissions(dir, fs::Permissions::from_mode(0o755))
        .map_err(LauncherError::io(format!("opening up {}", dir.display())))
}

fn read_pointer(asked: &Path) -> Result<Option<PathBuf>, LauncherError> {
    let pointer = asked.join(POINTER);
    match fs::read(&pointer) {
        Ok(mut bytes) => {
            if bytes.last() == Some(&b'\n') {
                bytes.pop();
            }
            Ok(Some(PathBuf::from(OsString::from_vec(bytes))))
        }
        Err(error) if error.kind() == std::io::ErrorKind::NotFound => Ok(None),
        Err(error) => Err(LauncherError::Io {
            action: format!("reading {}", pointer.display()),
            source: error,
        }),
    }
}

fn write_note(path: &Path, target: &Path) -> Result<(), LauncherError> {
    let mut text = target.as_os_str().as_bytes().to_vec();
    text.push(b'\n');
    fs::write(path, text).map_err(LauncherError::io(format!("writing {}", path.display())))
}
