//! Which runners are alive, for a database every user of which is on this machine
//! (SQLite). Each runner holds an exclusive lock on `<folder>/<name>.lock` for its
//! lifetime; the operating system drops the lock when the process dies, however it
//! dies. A lock file another process can lock therefore belongs to a dead runner, whose
//! running jobs can be taken back at once instead of when their leases run out.

use std::fs::{self, File, TryLockError};
use std::io;
use std::path::{Path, PathBuf};

/// This runner's lock, held until it is dropped or [`LivenessLock::release`]d.
#[derive(Debug)]
pub struct LivenessLock {
    path: PathBuf,
    _file: File,
}

impl LivenessLock {
    /// Creates and locks `<folder>/<name>.lock`. The file is locked under a temporary
    /// name and then renamed, so no scan ever finds it unlocked while this runner lives.
    pub fn acquire(folder: &Path, name: &str) -> io::Result<Self> {
        fs::create_dir_all(folder)?;
        let temporary = folder.join(format!(".{name}.starting"));
        let file = File::create_new(&temporary)?;
        let locked = lock(&file).and_then(|held| {
            if held {
                Ok(())
            } else {
                Err(io::Error::other(
                    "a new lock file is locked by another process",
                ))
            }
        });
        let path = folder.join(format!("{name}.lock"));
        if let Err(error) = locked.and_then(|()| fs::rename(&temporary, &path)) {
            let _ = fs::remove_file(&temporary);
            return Err(error);
        }
        Ok(Self { path, _file: file })
    }

    /// Removes the file on a clean stop; the lock goes with the handle.
    pub fn release(self) -> io::Result<()> {
        fs::remove_file(&self.path)
    }
}

/// A dead runner's lock file, locked by the caller until it is [`DeadRunner::forget`]ten.
#[derive(Debug)]
pub struct DeadRunner {
    pub name: String,
    path: PathBuf,
    _file: File,
}

impl DeadRunner {
    /// Deletes the lock file, once the runner's jobs are back in the queue.
    pub fn forget(self) -> io::Result<()> {
        fs::remove_file(&self.path)
    }
}

/// The runners with a lock file in `folder` that no process holds. Files not named like
/// a runner are left alone: a stray name must never release the jobs of live runners.
pub fn dead_runners(folder: &Path) -> io::Result<Vec<DeadRunner>> {
    let entries = match fs::read_dir(folder) {
        Ok(entries) => entries,
        Err(error) if error.kind() == io::ErrorKind::NotFound => return Ok(Vec::new()),
        Err(error) => return Err(error),
    };
    let mut dead = Vec::new();
    for entry in entries {
        let path = entry?.path();
        let Some(name) = path
            .file_name()
            .and_then(|name| name.to_str())
            .and_then(|name| name.strip_suffix(".lock"))
            .filter(|name| is_runner_name(name))
            .map(str::to_owned)
        else {
            continue;
        };
        let file = match File::open(&path) {
            Ok(file) => file,
            // Another runner cleaned it up meanwhile.
            Err(error) if error.kind() == io::ErrorKind::NotFound => continue,
            Err(error) => return Err(error),
        };
        if lock(&file)? {
            dead.push(DeadRunner {
                name,
                path,
                _file: file,
            });
        }
    }
    Ok(dead)
}

/// A runner's name: `<pid>-<random>`.
pub fn is_runner_name(name: &str) -> bool {
    name.split_once('-').is_some_and(|(pid, random)| {
        [pid, random]
            .iter()
            .all(|part| !part.is_empty() && part.bytes().all(|b| b.is_ascii_digit()))
    })
}

/// Takes the exclusive lock without waiting; false when another handle holds it.
fn lock(file: &File) -> io::Result<bool> {
    match file.try_lock() {
        Ok(()) => Ok(true),
        Err(TryLockError::WouldBlock) => Ok(false),
        Err(TryLockError::Error(error)) => Err(error),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_held_lock_is_alive_and_a_dropped_one_is_dead() {
        let folder = tempfile::tempdir().expect("temporary folder");
        let alive = LivenessLock::acquire(folder.path(), "1-11").expect("lock");
        let dead = LivenessLock::acquire(folder.path(), "2-22").expect("lock");
        drop(dead);
        std::fs::write(folder.path().join("%.lock"), "").expect("a stray file");

        let found = dead_runners(folder.path()).expect("scan");
        let names: Vec<_> = found.iter().map(|runner| runner.name.as_str()).collect();
        assert_eq!(names, ["2-22"]);
        // A second scan while the first holds the dead runner's lock finds nothing.
        assert!(dead_runners(folder.path()).expect("scan").is_empty());
        for runner in found {
            runner.forget().expect("forget");
        }
        alive.release().expect("release");
        let mut left: Vec<_> = std::fs::read_dir(folder.path())
            .expect("folder")
            .map(|entry| entry.expect("entry").file_name())
            .collect();
        left.sort();
        assert_eq!(left, [std::ffi::OsString::from("%.lock")]);
    }

    #[test]
    fn runner_names_are_two_numbers() {
        assert!(is_runner_name("4242-123456"));
        for bad in ["", "-", "1-", "-1", "1-2-3", "%", "1-_", "a-1"] {
            assert!(!is_runner_name(bad), "{bad}");
        }
    }
}
