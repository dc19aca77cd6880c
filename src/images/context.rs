//! In-memory tar archives: build contexts and files uploaded into scratch containers.

use std::path::Path;

use tar::{Builder, EntryType, Header};

use super::ImageError;

pub(crate) struct TarArchive {
    builder: Builder<Vec<u8>>,
}

impl TarArchive {
    pub(crate) fn new() -> Self {
        TarArchive {
            builder: Builder::new(Vec::new()),
        }
    }

    pub(crate) fn add_bytes(
        &mut self,
        name: &str,
        contents: &[u8],
        mode: u32,
    ) -> Result<(), ImageError> {
        let mut header = Header::new_gnu();
        header.set_entry_type(EntryType::Regular);
        header.set_size(contents.len() as u64);
        header.set_mode(mode);
        header.set_mtime(0);
        self.builder
            .append_data(&mut header, name, contents)
            .map_err(|err| ImageError::io(name, err))
    }

    /// Adds the `.deb` files directly inside `dir` under the archive folder `prefix`.
    pub(crate) fn add_debs_of(&mut self, dir: &Path, prefix: &str) -> Result<(), ImageError> {
        let mut names = Vec::new();
        for entry in std::fs::read_dir(dir).map_err(|err| ImageError::io(dir, err))? {
            let entry = entry.map_err(|err| ImageError::io(dir, err))?;
            if entry
                .file_type()
                .map_err(|err| ImageError::io(entry.path(), err))?
                .is_file()
                && entry.path().extension().is_some_and(|ext| ext == "deb")
            {
                names.push(entry.file_name());
            }
        }
        names.sort();
        for name in names {
            let path = dir.join(&name);
            let archive_name = format!("{prefix}/{}", name.to_string_lossy());
            let mut file = std::fs::File::open(&path).map_err(|err| ImageError::io(&path, err))?;
            self.builder
                .append_file(&archive_name, &mut file)
                .map_err(|err| ImageError::io(&path, err))?;
        }
        Ok(())
    }

    pub(crate) fn finish(self) -> Result<Vec<u8>, ImageError> {
        self.builder
            .into_inner()
            .map_err(|err| ImageError::io("<in-memory tar>", err))
    }
}
