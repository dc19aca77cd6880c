//! Profiles and templates compiled into the binary, so an installed tmctl works anywhere.
//! Files in `--profiles-dir`, `./profiles` and `./templates` take precedence.

pub struct Asset {
    pub name: &'static str,
    pub text: &'static str,
}

pub const PROFILES: &[Asset] = &[
    Asset {
        name: "dev",
        text: include_str!("../profiles/dev.yaml"),
    },
    Asset {
        name: "prod",
        text: include_str!("../profiles/prod.yaml"),
    },
    Asset {
        name: "extended",
        text: include_str!("../profiles/extended.yaml"),
    },
];

pub const TEMPLATES: &[Asset] = &[
    Asset {
        name: "docker-compose.yml.hbs",
        text: include_str!("../templates/docker-compose.yml.hbs"),
    },
    Asset {
        name: "nginx.conf.hbs",
        text: include_str!("../templates/nginx.conf.hbs"),
    },
    Asset {
        name: "router.conf.hbs",
        text: include_str!("../templates/router.conf.hbs"),
    },
    Asset {
        name: "nginx-locations.hbs",
        text: include_str!("../templates/nginx-locations.hbs"),
    },
    Asset {
        name: "prometheus.yml.hbs",
        text: include_str!("../templates/prometheus.yml.hbs"),
    },
    Asset {
        name: "grafana-datasource.yml.hbs",
        text: include_str!("../templates/grafana-datasource.yml.hbs"),
    },
    Asset {
        name: "grafana-dashboards.yml.hbs",
        text: include_str!("../templates/grafana-dashboards.yml.hbs"),
    },
    Asset {
        name: "alert-rules.yml.hbs",
        text: include_str!("../templates/alert-rules.yml.hbs"),
    },
    Asset {
        name: "alertmanager.yml.hbs",
        text: include_str!("../templates/alertmanager.yml.hbs"),
    },
    // Not a handlebars template: registered verbatim (see `templates::registry`).
    Asset {
        name: "dashboards.yaml",
        text: include_str!("../templates/dashboards.yaml"),
    },
    Asset {
        name: "Dockerfile.hbs",
        text: include_str!("../templates/Dockerfile.hbs"),
    },
    Asset {
        name: "env.example.hbs",
        text: include_str!("../templates/env.example.hbs"),
    },
];

pub fn embedded_profile(name: &str) -> Option<&'static str> {
    PROFILES
        .iter()
        .find(|asset| asset.name == name)
        .map(|asset| asset.text)
}

pub fn embedded_template(name: &str) -> Option<&'static str> {
    TEMPLATES
        .iter()
        .find(|asset| asset.name == name)
        .map(|asset| asset.text)
}
