//! Desired state against what runs: the actions `up` takes, each with its cause.

use serde::Serialize;

use super::labels;
use super::observe::Observed;
use super::spec::{changed_fields, DesiredContainer};
use crate::profile::Profile;

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum ActionKind {
    CreateNetwork,
    CreateVolume,
    Create,
    Recreate,
    Start,
    Remove,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "reason", rename_all = "snake_case")]
pub enum Cause {
    Missing,
    ConfigChanged { fields: Vec<String> },
    ImageChanged,
    Stopped,
    ScaleDown { replicas: u32 },
    Orphan,
    Leftover,
}

impl std::fmt::Display for Cause {
    fn fmt(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
        match self {
            Cause::Missing => f.write_str("missing"),
            Cause::ConfigChanged { fields } => write!(f, "config changed: {}", fields.join(", ")),
            Cause::ImageChanged => f.write_str("image changed"),
            Cause::Stopped => f.write_str("not running"),
            Cause::ScaleDown { replicas } => {
                write!(f, "scale: service wants {replicas} replica(s)")
            }
            Cause::Orphan => f.write_str("orphan: service no longer in the profile"),
            Cause::Leftover => f.write_str("leftover of an interrupted update"),
        }
    }
}

#[derive(Debug, Clone, Serialize)]
pub struct Action {
    pub kind: ActionKind,
    /// Container, network or volume name.
    pub target: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub service: Option<String>,
    pub cause: Cause,
}

#[derive(Debug, Clone, Default, Serialize)]
pub struct Plan {
    pub actions: Vec<Action>,
}

impl Plan {
    pub fn is_empty(&self) -> bool {
        self.actions.is_empty()
    }

    pub fn for_service<'a>(&'a self, service: &'a str) -> impl Iterator<Item = &'a Action> {
        self.actions
            .iter()
            .filter(move |action| action.service.as_deref() == Some(service))
    }
}

pub fn compute(
    project: &str,
    profile: &Profile,
    desired: &[DesiredContainer],
    observed: &Observed,
) -> Plan {
    let mut actions = Vec::new();
    for network in profile.networks.keys() {
        let name = labels::network_name(project, network);
        if !observed.networks.contains(&name) {
            actions.push(Action {
                kind: ActionKind::CreateNetwork,
                target: name,
                service: None,
                cause: Cause::Missing,
            });
        }
    }
    for volume in profile.volumes.keys() {
        let name = labels::volume_name(project, volume);
        if !observed.volumes.contains(&name) {
            actions.push(Action {
                kind: ActionKind::CreateVolume,
                target: name,
                service: None,
                cause: Cause::Missing,
            });
        }
    }
    for want in desired {
        let current = observed.containers.iter().find(|c| c.name == want.name);
        let action = |kind, cause| Action {
            kind,
            target: want.name.clone(),
            service: Some(want.service.clone()),
            cause,
        };
        match current {
            None => actions.push(action(ActionKind::Create, Cause::Missing)),
            Some(container) if container.hash != want.hash => {
                let fields = changed_fields(&container.config, &want.config);
                let cause = if fields.iter().all(|f| f == "image_id") {
                    Cause::ImageChanged
                } else {
                    Cause::ConfigChanged { fields }
                };
                actions.push(action(ActionKind::Recreate, cause));
            }
            Some(container) if !container.is_running() => {
                actions.push(action(ActionKind::Start, Cause::Stopped))
            }
            Some(_) => {}
        }
    }
    for container in &observed.containers {
        let wanted = desired.iter().any(|want| want.name == container.name);
        if wanted {
            continue;
        }
        let cause = match profile.services.get(&container.service) {
            _ if is_leftover(project, container) => Cause::Leftover,
            Some(service) => Cause::ScaleDown {
                replicas: service.replicas,
            },
            None => Cause::Orphan,
        };
        actions.push(Action {
            kind: ActionKind::Remove,
            target: container.name.clone(),
            service: Some(container.service.clone()),
            cause,
        });
    }
    Plan { actions }
}

/// A container under a temporary name: the replacement an interrupted update was starting.
pub fn is_leftover(project: &str, container: &super::observe::ObservedContainer) -> bool {
    container.name != labels::container_name(project, &container.service, container.number)
}
