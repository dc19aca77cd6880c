//! Checks of the `monitoring` section: the services it names exist and scrape targets are
//! `service:port` of a service of the profile.

use super::model::Profile;
use super::path::FieldPath;
use super::validate::Problem;

pub(super) fn check(profile: &Profile, service_list: &str, problems: &mut Vec<Problem>) {
    let Some(monitoring) = &profile.monitoring else {
        return;
    };
    let path = FieldPath::root().key("monitoring");
    let mut referenced = Vec::new();
    if let Some(prometheus) = &monitoring.prometheus {
        referenced.push((path.key("prometheus").key("service"), &prometheus.service));
    }
    if let Some(alertmanager) = &monitoring.alertmanager {
        referenced.push((
            path.key("alertmanager").key("service"),
            &alertmanager.service,
        ));
        if monitoring.prometheus.is_none() {
            problems.push((
                path.key("alertmanager"),
                "Alertmanager receives alerts from Prometheus: add `monitoring.prometheus` or remove `monitoring.alertmanager`".to_owned(),
            ));
        }
    }
    if let Some(grafana) = &monitoring.grafana {
        referenced.push((path.key("grafana").key("service"), &grafana.service));
    }
    for (field, service) in referenced {
        if !profile.services.contains_key(service) {
            problems.push((
                field,
                format!("unknown service `{service}`; defined services: {service_list}"),
            ));
        }
    }
    let Some(prometheus) = &monitoring.prometheus else {
        return;
    };
    let jobs = path.key("prometheus").key("jobs");
    for (job, target) in &prometheus.jobs {
        let field = jobs.key(job);
        let valid_name = !job.is_empty()
            && job
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-');
        if !valid_name {
            problems.push((
                field.clone(),
                format!("job name `{job}` may use only letters, digits, `_` and `-`"),
            ));
        }
        let parsed = target
            .rsplit_once(':')
            .and_then(|(service, port)| Some((service, port.parse::<u16>().ok()?)));
        match parsed {
            None => problems.push((
                field,
                format!("`{target}` is not `SERVICE:PORT`, e.g. postgres-exporter:9187"),
            )),
            Some((service, _)) if !profile.services.contains_key(service) => problems.push((
                field,
                format!("unknown service `{service}`; defined services: {service_list}"),
            )),
            Some(_) => {}
        }
    }
}
