//! Who runs tmctl, for the lock, releases and the audit log: the CI's actor and job when a
//! CI system says so in the environment, else `user@host`.

/// `actor (ci-name job ID)` under a known CI, else `user@host`.
pub fn current() -> String {
    from_environment(|name| std::env::var(name).ok().filter(|value| !value.is_empty()))
}

fn from_environment(var: impl Fn(&str) -> Option<String>) -> String {
    let host = tmctl_service::util::hostname();
    if var("GITHUB_ACTIONS").is_some() {
        let actor = var("GITHUB_ACTOR").unwrap_or_else(|| "unknown".into());
        let run = var("GITHUB_RUN_ID").unwrap_or_default();
        let job = var("GITHUB_JOB").unwrap_or_default();
        return format!("{actor} (github-actions run {run} job {job})");
    }
    if var("GITLAB_CI").is_some() {
        let actor = var("GITLAB_USER_LOGIN").unwrap_or_else(|| "unknown".into());
        let job = var("CI_JOB_ID").unwrap_or_default();
        return format!("{actor} (gitlab-ci job {job})");
    }
    if let Some(actor) = var("TMCTL_OPERATOR") {
        return actor;
    }
    let user = var("SUDO_USER")
        .or_else(|| var("USER"))
        .or_else(|| var("LOGNAME"))
        .or_else(user_of_this_process)
        .unwrap_or_else(|| "unknown".into());
    if var("CI").is_some() {
        let job = var("CI_JOB_ID")
            .or_else(|| var("BUILD_ID"))
            .unwrap_or_default();
        return format!("{user}@{host} (ci job {job})");
    }
    format!("{user}@{host}")
}

/// The name of this process's user, from /proc and /etc/passwd (no environment needed).
fn user_of_this_process() -> Option<String> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let uid = status
        .lines()
        .find_map(|line| line.strip_prefix("Uid:"))?
        .split_whitespace()
        .next()?
        .to_owned();
    let passwd = std::fs::read_to_string("/etc/passwd").ok()?;
    passwd.lines().find_map(|line| {
        let mut fields = line.split(':');
        let name = fields.next()?;
        (fields.nth(1)? == uid).then(|| name.to_owned())
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn with(pairs: &[(&str, &str)]) -> String {
        let pairs: Vec<(String, String)> = pairs
            .iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect();
        from_environment(|name| {
            pairs
                .iter()
                .find(|(key, _)| key == name)
                .map(|(_, value)| value.clone())
        })
    }

    #[test]
    fn ci_systems_name_their_actor_and_job() {
        assert_eq!(
            with(&[
                ("GITHUB_ACTIONS", "true"),
                ("GITHUB_ACTOR", "octo"),
                ("GITHUB_RUN_ID", "42"),
                ("GITHUB_JOB", "deploy")
            ]),
            "octo (github-actions run 42 job deploy)"
        );
        assert_eq!(
            with(&[
                ("GITLAB_CI", "true"),
                ("GITLAB_USER_LOGIN", "ann"),
                ("CI_JOB_ID", "7")
            ]),
            "ann (gitlab-ci job 7)"
        );
        assert!(with(&[("USER", "bob")]).starts_with("bob@"));
        assert_eq!(with(&[("TMCTL_OPERATOR", "release-bot")]), "release-bot");
    }
}
