//! The cached Debian root filesystem: made once by debootstrap, slimmed like Debian's
//! official slim images, and used as a chroot to download the stand-ins' packages.

use std::path::{Path, PathBuf};
use std::process::Stdio;

use sha2::{Digest, Sha256};
use tokio::process::Command;

use crate::hex::hex;
use crate::images::catalog::{StandIn, DEBIAN_SUITE};
use crate::images::ImageError;

/// Bump when the slimming below changes, so cached root filesystems are remade.
const SLIM_REVISION: &str = "1";

const DPKG_SLIM_CONFIG: &str = "\
path-exclude /usr/share/doc/*
path-include /usr/share/doc/*/copyright
path-exclude /usr/share/man/*
path-exclude /usr/share/groff/*
path-exclude /usr/share/info/*
path-exclude /usr/share/lintian/*
path-exclude /usr/share/linda/*
path-exclude /usr/share/locale/*
";

const APT_SLIM_CONFIG: &str = "\
Acquire::Languages \"none\";
APT::Install-Recommends \"false\";
APT::Install-Suggests \"false\";
";

/// Services must not start while packages are installed in an image.
const POLICY_RC_D: &str = "#!/bin/sh\nexit 101\n";

/// Directories whose contents never go into the base image.
const EXCLUDED_CONTENTS: &[&str] = &[
    "dev",
    "proc",
    "sys",
    "tmp",
    "var/lib/apt/lists",
    "var/cache/apt",
];

/// Where the stand-ins' packages are downloaded inside the root filesystem.
const DOWNLOADS: &str = "var/cache/tmctl";

pub struct Rootfs {
    pub dir: PathBuf,
    pub mirror: String,
}

impl Rootfs {
    /// The cache folder for a mirror: the same mirror always maps to the same folder.
    pub fn location(cache_dir: &Path, mirror: &str) -> PathBuf {
        let digest = hex(&Sha256::digest(mirror.as_bytes()));
        cache_dir.join(format!("{DEBIAN_SUITE}-{}", &digest[..12]))
    }

    /// Returns the cached root filesystem for `mirror`, running debootstrap when there is none.
    pub async fn prepare(cache_dir: &Path, mirror: &str) -> Result<Rootfs, ImageError> {
        let home = Self::location(cache_dir, mirror);
        let dir = home.join("rootfs");
        let marker = home.join("complete");
        let rootfs = Rootfs {
            dir,
            mirror: mirror.to_string(),
        };
        if std::fs::read_to_string(&marker).is_ok_and(|m| m.trim() == SLIM_REVISION) {
            tracing::info!(dir = %rootfs.dir.display(), "reusing cached Debian root filesystem");
            return Ok(rootfs);
        }
        require_root()?;
        ensure_debootstrap().await?;
        if rootfs.dir.exists() {
            std::fs::remove_dir_all(&rootfs.dir).map_err(|e| ImageError::io(&rootfs.dir, e))?;
        }
        std::fs::create_dir_all(&home).map_err(|e| ImageError::io(&home, e))?;
        let dir_arg = rootfs.dir.to_string_lossy().to_string();
        run_tool(
            "debootstrap",
            &["--variant=minbase", DEBIAN_SUITE, dir_arg.as_str(), mirror],
        )
        .await?;
        rootfs.slim_down()?;
        std::fs::write(&marker, SLIM_REVISION).map_err(|e| ImageError::io(&marker, e))?;
        Ok(rootfs)
    }

    fn slim_down(&self) -> Result<(), ImageError> {
        self.write("etc/dpkg/dpkg.cfg.d/tmctl-slim", DPKG_SLIM_CONFIG, 0o644)?;
        self.write("etc/apt/apt.conf.d/tmctl-slim", APT_SLIM_CONFIG, 0o644)?;
        self.write("usr/sbin/policy-rc.d", POLICY_RC_D, 0o755)?;
        for dir in [
            "usr/share/man",
            "usr/share/info",
            "usr/share/groff",
            "usr/share/lintian",
            "usr/share/locale",
            "var/lib/apt/lists",
            "var/cache/apt/archives",
        ] {
            self.empty_dir(dir, |_| false)?;
        }
        self.empty_dir("usr/share/doc", |path| {
            path.file_name().is_some_and(|name| name == "copyright")
        })?;
        let bootstrap_log = self.dir.join("var/log/bootstrap.log");
        if bootstrap_log.exists() {
            std::fs::remove_file(&bootstrap_log).map_err(|e| ImageError::io(&bootstrap_log, e))?;
        }
        Ok(())
    }

    fn write(&self, rel: &str, contents: &str, mode: u32) -> Result<(), ImageError> {
        use std::os::unix::fs::PermissionsExt;
        let path = self.dir.join(rel);
        std::fs::write(&path, contents).map_err(|e| ImageError::io(&path, e))?;
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(mode))
            .map_err(|e| ImageError::io(&path, e))
    }

    /// Removes everything below `rel` except files for which `keep` holds (and their folders).
    fn empty_dir(&self, rel: &str, keep: impl Fn(&Path) -> bool + Copy) -> Result<(), ImageError> {
        fn prune(dir: &Path, keep: impl Fn(&Path) -> bool + Copy) -> Result<bool, ImageError> {
            let mut kept_any = false;
            for entry in std::fs::read_dir(dir).map_err(|e| ImageError::io(dir, e))? {
                let path = entry.map_err(|e| ImageError::io(dir, e))?.path();
                let meta =
                    std::fs::symlink_metadata(&path).map_err(|e| ImageError::io(&path, e))?;
                if meta.is_dir() {
                    if prune(&path, keep)? {
                        kept_any = true;
                    } else {
                        std::fs::remove_dir(&path).map_err(|e| ImageError::io(&path, e))?;
                    }
                } else if keep(&path) {
                    kept_any = true;
                } else {
                    std::fs::remove_file(&path).map_err(|e| ImageError::io(&path, e))?;
                }
            }
            Ok(kept_any)
        }
        let dir = self.dir.join(rel);
        if dir.is_dir() {
            prune(&dir, keep)?;
        }
        Ok(())
    }

    /// Hash of the installed package set; the base image carries it so that packages
    /// downloaded against this root filesystem are only installed on a matching base.
    pub fn package_state(&self) -> Result<String, ImageError> {
        let status = self.dir.join("var/lib/dpkg/status");
        let bytes = std::fs::read(&status).map_err(|e| ImageError::io(&status, e))?;
        Ok(hex(&Sha256::digest(&bytes))[..16].to_string())
    }

    /// Downloads (without installing) a stand-in's packages and everything they need beyond
    /// the base; returns the folder holding the `.deb` files.
    pub async fn download_packages(
        &self,
        standin: StandIn,
        apt_updated: &mut bool,
    ) -> Result<PathBuf, ImageError> {
        let rel = format!("{DOWNLOADS}/{}", standin.key());
        let debs = self.dir.join(&rel);
        let marker = debs.join(".complete");
        let wanted = standin.packages().join(" ");
        if std::fs::read_to_string(&marker).is_ok_and(|m| m == wanted) {
            return Ok(debs);
        }
        require_root()?;
        if debs.exists() {
            std::fs::remove_dir_all(&debs).map_err(|e| ImageError::io(&debs, e))?;
        }
        let partial = debs.join("partial");
        std::fs::create_dir_all(&partial).map_err(|e| ImageError::io(&partial, e))?;
        let root = self.dir.to_string_lossy().to_string();
        if !*apt_updated {
            run_tool("chroot", &[root.as_str(), "apt-get", "-q", "update"]).await?;
            *apt_updated = true;
        }
        let archives = format!("-oDir::Cache::archives=/{rel}");
        let mut args = vec![
            root.as_str(),
            "apt-get",
            "-q",
            "-y",
            "--no-install-recommends",
            "--download-only",
            archives.as_str(),
            "install",
        ];
        args.extend(standin.packages().iter().copied());
        run_tool("chroot", &args).await?;
        std::fs::write(&marker, &wanted).map_err(|e| ImageError::io(&marker, e))?;
        Ok(debs)
    }

    /// The root filesystem as a tar archive for the Engine's image import.
    pub fn to_tar(&self) -> Result<Vec<u8>, ImageError> {
        let mut builder = tar::Builder::new(Vec::new());
        builder.follow_symlinks(false);
        append_tree(&mut builder, &self.dir, Path::new(""), false)?;
        builder
            .into_inner()
            .map_err(|e| ImageError::io(&self.dir, e))
    }
}

/// Appends the tree below `rel`; inside [`EXCLUDED_CONTENTS`] only the folders are kept.
fn append_tree(
    builder: &mut tar::Builder<Vec<u8>>,
    root: &Path,
    rel: &Path,
    folders_only: bool,
) -> Result<(), ImageError> {
    let dir = root.join(rel);
    let mut names: Vec<_> = std::fs::read_dir(&dir)
        .map_err(|e| ImageError::io(&dir, e))?
        .filter_map(|entry| entry.ok().map(|e| e.file_name()))
        .collect();
    names.sort();
    let folders_only = folders_only || EXCLUDED_CONTENTS.iter().any(|ex| rel == Path::new(ex));
    for name in names {
        let child_rel = rel.join(&name);
        if child_rel == Path::new(DOWNLOADS) {
            continue;
        }
        let path = root.join(&child_rel);
        let meta = std::fs::symlink_metadata(&path).map_err(|e| ImageError::io(&path, e))?;
        if folders_only && !meta.is_dir() {
            continue;
        }
        builder
            .append_path_with_name(&path, &child_rel)
            .map_err(|e| ImageError::io(&path, e))?;
        if meta.is_dir() {
            append_tree(builder, root, &child_rel, folders_only)?;
        }
    }
    Ok(())
}

fn require_root() -> Result<(), ImageError> {
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    let euid = status
        .lines()
        .find_map(|line| line.strip_prefix("Uid:"))
        .and_then(|ids| ids.split_whitespace().nth(1));
    match euid {
        Some("0") | None => Ok(()),
        Some(_) => Err(ImageError::BootstrapFailed {
            image: "debian root filesystem".into(),
            step: "permission check".into(),
            reason: "debootstrap and chroot need root; run `sudo tmctl images bootstrap`".into(),
        }),
    }
}

/// debootstrap is one Debian package away on the hosts bootstrap is for; as root with
/// apt available, install it (announced) rather than stop.
async fn ensure_debootstrap() -> Result<(), ImageError> {
    if require_tool("debootstrap", "debootstrap").is_ok() || require_tool("apt-get", "apt").is_err()
    {
        return require_tool("debootstrap", "debootstrap");
    }
    tracing::warn!("debootstrap is not installed; installing the Debian package with apt-get");
    eprintln!("tmctl: installing the Debian package debootstrap (needed to bootstrap images)");
    let install = [
        "install",
        "-y",
        "-q",
        "--no-install-recommends",
        "debootstrap",
    ];
    if run_tool("apt-get", &install).await.is_err() {
        run_tool("apt-get", &["update", "-q"]).await?;
        run_tool("apt-get", &install).await?;
    }
    require_tool("debootstrap", "debootstrap")
}

fn require_tool(tool: &str, package: &str) -> Result<(), ImageError> {
    let found = std::env::var_os("PATH")
        .map(|paths| {
            std::env::split_paths(&paths)
                .chain([PathBuf::from("/usr/sbin"), PathBuf::from("/sbin")])
                .any(|dir| dir.join(tool).is_file())
        })
        .unwrap_or(false);
    if found {
        Ok(())
    } else {
        Err(ImageError::ToolMissing {
            tool: tool.into(),
            package: package.into(),
        })
    }
}

/// Runs a host tool, keeping its output for the log and for the error message on failure.
async fn run_tool(tool: &str, args: &[&str]) -> Result<(), ImageError> {
    let step = format!("{tool} {}", args.join(" "));
    tracing::info!("running {step}");
    let mut command = Command::new(tool);
    command
        .args(args)
        .env("DEBIAN_FRONTEND", "noninteractive")
        .env("LC_ALL", "C")
        .stdin(Stdio::null());
    // debootstrap and chroot live in sbin, which a non-login PATH may lack.
    let path = std::env::var("PATH").unwrap_or_default();
    command.env("PATH", format!("{path}:/usr/sbin:/sbin"));
    let output = command
        .output()
        .await
        .map_err(|e| ImageError::BootstrapFailed {
            image: "debian root filesystem".into(),
            step: step.clone(),
            reason: e.to_string(),
        })?;
    let stdout = String::from_utf8_lossy(&output.stdout);
    let stderr = String::from_utf8_lossy(&output.stderr);
    tracing::debug!(%step, "{stdout}{stderr}");
    if output.status.success() {
        Ok(())
    } else {
        Err(ImageError::BootstrapFailed {
            image: "debian root filesystem".into(),
            step,
            reason: format!(
                "exited with {}{}",
                output.status,
                crate::images::run::tail(&format!("{stdout}\n{stderr}"))
            ),
        })
    }
}
