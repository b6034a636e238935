//! Who runs the server. PostgreSQL refuses to start as root, so a root caller hands the
//! cluster to an unprivileged account.

use std::os::unix::fs::MetadataExt;
use std::path::Path;

use nix::unistd::{Gid, Uid, User, chown};

use super::LauncherError;

#[derive(Debug, Clone)]
pub(super) struct ServerUser {
    /// `None` when we are not root: run as ourselves.
    switch_to: Option<User>,
}

impl ServerUser {
    pub(super) fn for_current_process() -> Result<Self, LauncherError> {
        if !Uid::effective().is_root() {
            return Ok(Self { switch_to: None });
        }
        ["postgres", "nobody"]
            .into_iter()
            .find_map(|name| User::from_name(name).ok().flatten())
            .map(|user| Self {
                switch_to: Some(user),
            })
            .ok_or(LauncherError::NoUnprivilegedUser)
    }

    pub(super) fn ids(&self) -> Option<(Uid, Gid)> {
        self.switch_to.as_ref().map(|user| (user.uid, user.gid))
    }

    /// Gives `path` to the server user (a no-op when not switching).
    pub(super) fn take_ownership(&self, path: &Path) -> Result<(), LauncherError> {
        if let Some((uid, gid)) = self.ids() {
            chown(path, Some(uid), Some(gid)).map_err(|errno| LauncherError::Io {
                action: format!("giving {} to uid {uid}", path.display()),
                source: errno.into(),
            })?;
        }
        Ok(())
    }

    /// The account the server runs as, for messages.
    pub(super) fn name(&self) -> &str {
        self.switch_to
            .as_ref()
            .map_or("(this user)", |user| user.name.as_str())
    }

    /// Whether the server user can enter `dir`: it and every folder above it searchable.
    pub(super) fn can_reach(&self, dir: &Path) -> bool {
        let Some(user) = &self.switch_to else {
            return true;
        };
        dir.ancestors().all(|folder| {
            std::fs::metadata(folder).is_ok_and(|meta| {
                meta.mode() & 0o001 != 0
                    || (meta.uid() == user.uid.as_raw() && meta.mode() & 0o100 != 0)
                    || (meta.gid() == user.gid.as_raw() && meta.mode() & 0o010 != 0)
            })
        })
    }
}
