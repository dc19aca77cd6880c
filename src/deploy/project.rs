//! An opened project: its name, resolved profile, state directory and where tmctl runs.

use std::path::PathBuf;

use crate::profile::LoadedProfile;
use crate::state::ProjectState;

#[derive(Debug, Clone)]
pub struct Project {
    pub name: String,
    pub loaded: LoadedProfile,
    pub state: ProjectState,
    /// The state root (`--state-dir`), which holds every project's state.
    pub state_root: PathBuf,
    /// Where `./templates` overrides are looked up.
    pub working_dir: PathBuf,
}

#[derive(Debug, thiserror::Error)]
pub enum ScaleError {
    #[error(
        "--scale {service}={replicas}: no service `{service}` in the profile (services: {known})"
    )]
    UnknownService {
        service: String,
        replicas: u32,
        known: String,
    },
    #[error("--scale {service}={replicas}: `{service}` publishes a fixed host port, so it can run only one replica")]
    FixedPort { service: String, replicas: u32 },
}

impl Project {
    /// Overrides replica counts (`--scale SERVICE=N`).
    pub fn scale(&mut self, scale: &[(String, u32)]) -> Result<(), ScaleError> {
        let profile = &mut self.loaded.profile;
        for (service, replicas) in scale {
            let known = profile
                .services
                .keys()
                .cloned()
                .collect::<Vec<_>>()
                .join(", ");
            let Some(spec) = profile.services.get_mut(service) else {
                return Err(ScaleError::UnknownService {
                    service: service.clone(),
                    replicas: *replicas,
                    known,
                });
            };
            if *replicas > 1 && !spec.ports.is_empty() {
                return Err(ScaleError::FixedPort {
                    service: service.clone(),
                    replicas: *replicas,
                });
            }
            spec.replicas = *replicas;
        }
        Ok(())
    }
}
