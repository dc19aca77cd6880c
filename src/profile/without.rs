//! `--without SERVICE`: a profile with optional services left out, and the monitoring,
//! backup and scrape settings that name them dropped with them.

use super::model::Profile;
use super::units::MountSource;

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum WithoutError {
    #[error("--without {service}: no service `{service}` in the profile (services: {known})")]
    UnknownService { service: String, known: String },
    #[error("--without {service}: the stack cannot run without `{service}` (gateway, its upstream, postgres and redis are required)")]
    Required { service: String },
    #[error("--without {service}: {dependents} depend(s) on it; leave them out too (`--without {first}`)")]
    Needed {
        service: String,
        dependents: String,
        first: String,
    },
}

/// The services the stack cannot serve without.
pub fn required_services(profile: &Profile) -> Vec<String> {
    let database = profile
        .backup
        .as_ref()
        .map_or_else(|| "postgres".to_owned(), |backup| backup.database.clone());
    let mut names = vec!["redis".to_owned(), database];
    if let Some(gateway) = &profile.gateway {
        names.push(gateway.service.clone());
        names.push(gateway.upstream.service.clone());
    }
    names
}

/// Whether `service` may be left out with `--without`.
pub fn is_optional(profile: &Profile, service: &str) -> bool {
    profile.services.contains_key(service)
        && !required_services(profile).iter().any(|r| r == service)
}

impl Profile {
    /// Leaves `services` out; every other service that depends on one must be left out too.
    pub fn without(&mut self, services: &[String]) -> Result<(), WithoutError> {
        for service in services {
            if !self.services.contains_key(service) {
                return Err(WithoutError::UnknownService {
                    service: service.clone(),
                    known: self.services.keys().cloned().collect::<Vec<_>>().join(", "),
                });
            }
            if !is_optional(self, service) {
                return Err(WithoutError::Required {
                    service: service.clone(),
                });
            }
            let dependents: Vec<String> = self
                .services
                .iter()
                .filter(|(name, spec)| {
                    !services.contains(name) && spec.depends_on.contains_key(service)
                })
                .map(|(name, _)| name.clone())
                .collect();
            if let Some(first) = dependents.first() {
                return Err(WithoutError::Needed {
                    service: service.clone(),
                    first: first.clone(),
                    dependents: dependents.join(", "),
                });
            }
        }
        for service in services {
            self.services.remove(service);
            self.drop_references(service);
        }
        // Volumes only the left-out services used (their data stays until `down --volumes`).
        let used: Vec<String> = self
            .services
            .values()
            .flat_map(|spec| spec.volumes.iter())
            .filter_map(|mount| match &mount.source {
                MountSource::Volume(name) => Some(name.clone()),
                MountSource::Bind(_) => None,
            })
            .collect();
        self.volumes.retain(|name, _| used.contains(name));
        Ok(())
    }

    fn drop_references(&mut self, service: &str) {
        if let Some(backup) = &mut self.backup {
            if backup.service.as_deref() == Some(service) {
                backup.service = None;
            }
        }
        let Some(monitoring) = &mut self.monitoring else {
            return;
        };
        if monitoring
            .grafana
            .as_ref()
            .is_some_and(|g| g.service == service)
        {
            monitoring.grafana = None;
        }
        if monitoring
            .alertmanager
            .as_ref()
            .is_some_and(|a| a.service == service)
        {
            monitoring.alertmanager = None;
        }
        if monitoring
            .prometheus
            .as_ref()
            .is_some_and(|p| p.service == service)
        {
            monitoring.prometheus = None;
            monitoring.alertmanager = None;
            monitoring.grafana = None;
        }
        if let Some(prometheus) = &mut monitoring.prometheus {
            prometheus
                .jobs
                .retain(|_, target| target.rsplit_once(':').map(|(s, _)| s) != Some(service));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::profile::{ProfileStore, Variables};

    fn extended() -> Profile {
        ProfileStore::new(None, std::env::temp_dir())
            .load("extended", &Variables::empty())
            .expect("built-in profile")
            .profile
    }

    #[test]
    fn leaving_out_grafana_drops_its_settings_and_volume() {
        let mut profile = extended();
        profile.without(&["grafana".to_owned()]).unwrap();
        assert!(!profile.services.contains_key("grafana"));
        let monitoring = profile.monitoring.as_ref().unwrap();
        assert!(monitoring.grafana.is_none());
        assert!(monitoring.prometheus.is_some() && monitoring.alertmanager.is_some());
        assert!(!profile.volumes.contains_key("grafana-data"));
        assert!(profile.volumes.contains_key("prometheus-data"));
    }

    #[test]
    fn leaving_out_prometheus_needs_its_dependents_left_out_too() {
        let mut profile = extended();
        let error = profile.without(&["prometheus".to_owned()]).unwrap_err();
        assert_eq!(
            error.to_string(),
            "--without prometheus: grafana depend(s) on it; leave them out too (`--without grafana`)"
        );
        profile
            .without(&["prometheus".to_owned(), "grafana".to_owned()])
            .unwrap();
        assert!(profile.monitoring.as_ref().unwrap().prometheus.is_none());
        assert!(profile.monitoring.as_ref().unwrap().alertmanager.is_none());
    }

    #[test]
    fn required_and_unknown_services_cannot_be_left_out() {
        let mut profile = extended();
        assert!(matches!(
            profile.without(&["postgres".to_owned()]),
            Err(WithoutError::Required { .. })
        ));
        let error = profile.without(&["grafna".to_owned()]).unwrap_err();
        assert!(error.to_string().contains("no service `grafna`"), "{error}");
        assert!(profile.services.contains_key("grafana"));
    }

    #[test]
    fn an_exporter_left_out_leaves_its_scrape_job() {
        let mut profile = extended();
        profile.without(&["node-exporter".to_owned()]).unwrap();
        let jobs = &profile
            .monitoring
            .as_ref()
            .unwrap()
            .prometheus
            .as_ref()
            .unwrap()
            .jobs;
        assert!(!jobs.contains_key("node") && jobs.contains_key("postgres"));
    }
}
